import RuntimeLib
import XCTest

final class ArgumentParsingTests: XCTestCase {
    private let limits = llmc_cli_limits(
        vocab_size: 1000, max_position: 2048, default_ctx: 512, has_tokenizer: 1,
        sampling: llmc_sampling_params(
            temperature: 0.6, top_k: 20, top_p: 0.9, min_p: 0, repetition_penalty: 1.1, seed: 0))

    /// argv strings of the current test; options point into them, so they live until tearDown.
    private var argvStorage: [UnsafeMutablePointer<CChar>?] = []

    override func tearDown() {
        argvStorage.forEach { free($0) }
        argvStorage = []
    }

    /// Parses `args` (without the program name); returns the exit status, the options and the error text.
    private func parse(_ args: [String], limits: llmc_cli_limits? = nil) -> (Int32, llmc_cli_options, String) {
        var lim = limits ?? self.limits
        let argv: [UnsafeMutablePointer<CChar>?] = (["model.bin"] + args).map { strdup($0) }
        argvStorage += argv
        var opts = llmc_cli_options()
        var err = [CChar](repeating: 0, count: 512)
        let code = llmc_cli_parse(Int32(argv.count), argv, &lim, &opts, &err, UInt64(err.count))
        let message = err.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
        return (code, opts, message)
    }

    private func assertRejected(_ args: [String], _ fragment: String, limits: llmc_cli_limits? = nil,
                                file: StaticString = #filePath, line: UInt = #line) {
        var (code, opts, message) = parse(args, limits: limits)
        defer { llmc_cli_options_free(&opts) }
        XCTAssertEqual(code, 2, "\(args) should be rejected", file: file, line: line)
        XCTAssertTrue(message.contains(fragment), "\(args): '\(message)' lacks '\(fragment)'", file: file, line: line)
        XCTAssertFalse(message.contains("\n"), file: file, line: line)
    }

    func testDefaultsComeFromTheModel() {
        var (code, o, _) = parse(["-p", "Hello"])
        defer { llmc_cli_options_free(&o) }
        XCTAssertEqual(code, 0)
        XCTAssertEqual(o.command, LLMC_CMD_RUN)
        XCTAssertEqual(String(cString: o.prompt), "Hello")
        XCTAssertEqual(o.n_predict, 128)
        XCTAssertEqual(o.max_context, 512)
        XCTAssertEqual(o.sampling.temperature, 0.6)
        XCTAssertEqual(o.sampling.top_k, 20)
        XCTAssertEqual(o.sampling.top_p, 0.9)
        XCTAssertEqual(o.sampling.repetition_penalty, 1.1)
        XCTAssertEqual(o.has_seed, 0)
        XCTAssertEqual(o.threads, 0)
        XCTAssertEqual(o.json, 0)
    }

    func testEveryGenerationOptionParses() {
        var (code, o, err) = parse([
            "--prompt-ids", "1, 2,999", "-n", "7", "--temperature", "0", "--top-k", "5", "--top-p=0.5",
            "--min-p", "0.1", "--repetition-penalty", "1.3", "--seed", "18446744073709551615", "--threads", "3",
            "--max-context", "2048", "--ignore-eos", "--json", "--logprobs", "4", "--logits",
        ])
        defer { llmc_cli_options_free(&o) }
        XCTAssertEqual(code, 0, err)
        XCTAssertEqual(Array(UnsafeBufferPointer(start: o.prompt_ids, count: Int(o.n_prompt_ids))), [1, 2, 999])
        XCTAssertNil(o.prompt)
        XCTAssertEqual(o.n_predict, 7)
        XCTAssertEqual(o.sampling.temperature, 0)
        XCTAssertEqual(o.sampling.top_k, 5)
        XCTAssertEqual(o.sampling.top_p, 0.5)
        XCTAssertEqual(o.sampling.min_p, 0.1)
        XCTAssertEqual(o.sampling.repetition_penalty, 1.3)
        XCTAssertEqual(o.sampling.seed, UInt64.max)
        XCTAssertEqual(o.has_seed, 1)
        XCTAssertEqual(o.threads, 3)
        XCTAssertEqual(o.max_context, 2048)
        XCTAssertEqual(o.ignore_eos, 1)
        XCTAssertEqual(o.json, 1)
        XCTAssertEqual(o.logprobs, 4)
        XCTAssertEqual(o.logits, 1)
    }

    func testSubcommands() {
        var (code, o, _) = parse(["info", "--json"])
        XCTAssertEqual(code, 0)
        XCTAssertEqual(o.command, LLMC_CMD_INFO)
        XCTAssertEqual(o.json, 1)
        llmc_cli_options_free(&o)
        (code, o, _) = parse(["bench", "--prompt-len", "64", "--gen", "8", "--repeat", "2", "--threads", "1"])
        XCTAssertEqual(code, 0)
        XCTAssertEqual(o.command, LLMC_CMD_BENCH)
        XCTAssertEqual([o.bench_prompt_len, o.bench_gen, o.bench_repeat, o.threads], [64, 8, 2, 1])
        llmc_cli_options_free(&o)
        (code, o, _) = parse(["bench"])
        XCTAssertEqual([o.bench_prompt_len, o.bench_gen, o.bench_repeat], [512, 128, 3])
        llmc_cli_options_free(&o)
        (code, o, _) = parse(["--top-k", "x", "--help"])  // help wins only if reached: the bad value comes first
        XCTAssertEqual(code, 2)
        llmc_cli_options_free(&o)
        (code, o, _) = parse(["-h"])
        XCTAssertEqual(code, 0)
        XCTAssertEqual(o.command, LLMC_CMD_HELP)
        llmc_cli_options_free(&o)
    }

    func testBadValuesAreRejected() {
        assertRejected(["--prompt-ids", "1", "--frobnicate"], "unknown option '--frobnicate'")
        assertRejected(["--prompt-ids", "1", "stray"], "unexpected argument 'stray'")
        assertRejected(["--prompt-ids"], "--prompt-ids needs a value")
        assertRejected(["-p", "x", "-n"], "-n needs a value")
        assertRejected(["-p", "x", "-n", "-1"], "-n must be in [0,")
        assertRejected(["-p", "x", "-n", "12abc"], "-n expects an integer")
        assertRejected(["-p", "x", "-n", "99999999999999999999"], "-n expects an integer")
        assertRejected(["-p", "x", "--top-p", "1.5"], "--top-p must be in [0, 1]")
        assertRejected(["-p", "x", "--top-p", "nan"], "--top-p expects a finite number")
        assertRejected(["-p", "x", "--min-p", "-0.1"], "--min-p must be in [0, 1]")
        assertRejected(["-p", "x", "--temperature", "-1"], "--temperature must be >= 0")
        assertRejected(["-p", "x", "--temperature", "inf"], "--temperature expects a finite number")
        assertRejected(["-p", "x", "--repetition-penalty", "0"], "--repetition-penalty must be > 0")
        assertRejected(["-p", "x", "--top-k", "-3"], "--top-k must be in [0,")
        assertRejected(["-p", "x", "--threads", "0"], "--threads must be in [1, 1024]")
        assertRejected(["-p", "x", "--seed", "-5"], "--seed expects an unsigned integer")
        assertRejected(["-p", "x", "--seed", "1e3"], "--seed expects an unsigned integer")
        assertRejected(["-p", "x", "--max-context", "4096"], "--max-context must be in [1, 2048]")
        assertRejected(["-p", "x", "--max-context", "0"], "--max-context must be in [1, 2048]")
        assertRejected(["-p", "x", "--ignore-eos=1"], "--ignore-eos takes no value")
        assertRejected(["-p", "x", "--logprobs", "3"], "--logprobs only applies to --json")
        assertRejected(["-p", "x", "--json", "--logprobs", "1001"], "--logprobs must be in [1, 1000]")
        assertRejected(["-p", "x", "--prompt-len", "3"], "--prompt-len does not apply to generation")
        assertRejected(["info", "--top-k", "3"], "--top-k does not apply to info")
        assertRejected(["bench", "--prompt-len", "2000", "--gen", "100"], "2000")
        assertRejected(["bench", "--gen", "0"], "--gen must be in [1, 2048]")
    }

    func testScoreTakesTokensAndTheFirstScoredPosition() {
        var (code, o, _) = parse(["score-tokens", "--prompt-ids", "1,2,3", "--score-from", "2", "--json", "--threads", "1"])
        XCTAssertEqual(code, 0)
        XCTAssertEqual(o.command, LLMC_CMD_SCORE_TOKENS)
        XCTAssertEqual([o.n_prompt_ids, o.score_from, Int64(o.json), o.threads], [3, 2, 1, 1])
        llmc_cli_options_free(&o)
        (code, o, _) = parse(["score-tokens", "-p", "Hello"])
        XCTAssertEqual(code, 0)
        XCTAssertEqual(o.score_from, 1)
        llmc_cli_options_free(&o)
        assertRejected(["score-tokens"], "no prompt")
        assertRejected(["score-tokens", "--prompt-ids", "1,2", "--score-from", "2"], "more than --score-from 2 tokens, got 2")
        assertRejected(["score-tokens", "--prompt-ids", "1,2", "--score-from", "0"], "--score-from must be in [1, 2048]")
        assertRejected(["score-tokens", "--prompt-ids", "1,2", "-n", "3"], "-n does not apply to score-tokens")
        assertRejected(["score", "--query", "q", "--doc", "d", "--score-from", "2"], "--score-from does not apply to score")
        assertRejected(["-p", "x", "--score-from", "3"], "--score-from does not apply to generation")
    }

    func testPromptIsRequiredAndChecked() {
        assertRejected([], "no prompt")
        assertRejected(["-p", ""], "the prompt is empty")
        assertRejected(["-p", "x", "--prompt-ids", "1"], "either -p or --prompt-ids")
        assertRejected(["--prompt-ids", ""], "not an integer")
        assertRejected(["--prompt-ids", "1,,2"], "not an integer")
        assertRejected(["--prompt-ids", "1,2,"], "not an integer")
        assertRejected(["--prompt-ids", "1;2"], "unexpected ';'")
        assertRejected(["--prompt-ids", "1,x"], "not an integer")
        assertRejected(["--prompt-ids", "1,1000"], "id 1000 outside the vocabulary [0, 1000)")
        assertRejected(["--prompt-ids", "-1"], "id -1 outside the vocabulary")
        var noTokenizer = limits
        noTokenizer.has_tokenizer = 0
        assertRejected(["-p", "Hello"], "no tokenizer", limits: noTokenizer)
        var (code, o, _) = parse(["--prompt-ids", "5"], limits: noTokenizer)
        XCTAssertEqual(code, 0)
        llmc_cli_options_free(&o)
    }

    func testHelpRequestIsFoundOutsideOptionValues() {
        func wantsHelp(_ args: [String]) -> Int32 {
            let argv: [UnsafeMutablePointer<CChar>?] = (["model.bin"] + args).map { strdup($0) }
            defer { argv.forEach { free($0) } }
            return llmc_cli_wants_help(Int32(argv.count), argv)
        }
        XCTAssertEqual(wantsHelp(["--help"]), 1)
        XCTAssertEqual(wantsHelp(["bench", "--gen", "3", "-h"]), 1)
        XCTAssertEqual(wantsHelp(["--prompt-ids=1", "-h"]), 1)
        XCTAssertEqual(wantsHelp(["-p", "--help"]), 0)
        XCTAssertEqual(wantsHelp(["-p", "-h", "-n", "3"]), 0)
        XCTAssertEqual(wantsHelp(["--prompt-ids", "1"]), 0)
    }

    func testHelpDocumentsEveryOption() {
        let raw = llmc_cli_help("model.bin")!
        defer { free(raw) }
        let help = String(cString: raw)
        for option in [
            "-p", "--prompt-ids", "-n", "--temperature", "--top-k", "--top-p", "--min-p", "--repetition-penalty",
            "--seed", "--threads", "--max-context", "--ignore-eos", "--json", "--logprobs", "--logits", "info",
            "bench", "--prompt-len", "--gen", "--repeat", "score-tokens", "--score-from", "--help",
        ] {
            XCTAssertTrue(help.contains(option), option)
        }
    }
}
