import Foundation
@testable import Frontend
import XCTest

/// Builds each golden tokenizer's section with the Swift frontend, loads it with the C runtime, and compares
/// encode / decode with what transformers produced (golden/tokenizer/<name>.json).
final class TokenizerGoldenTests: XCTestCase {
    func testSmolLM2() throws { try check("smollm2") }
    func testLlama3Style() throws { try check("llama3_style") }
    func testQwen2Style() throws { try check("qwen2_style") }
    /// add_bos_token=false / add_eos_token=true in tokenizer_config.json, which transformers 5 ignores.
    func testLlama3AddEosConfig() throws { try check("llama3_add_eos") }
    /// Special tokens named in tokenizer_config.json but absent from tokenizer.json, which transformers adds.
    func testQwen2ConfigSpecials() throws { try check("qwen2_config_specials") }
    /// ByteLevel(add_prefix_space=True) + RobertaProcessing.
    func testGpt2PrefixSpace() throws { try check("gpt2_prefix_space") }
    /// Every Split behavior, inverted splits, Digits(individual_digits=False), BertProcessing, unk + fuse_unk.
    func testSplitVariants() throws { try check("split_variants") }

    func testSmolLM2KnownIds() throws {
        let tokenizer = try load("smollm2")
        XCTAssertEqual(try tokenizer.encode("In 2024, 365 days", addSpecial: true),
                       [788, 216, 34, 32, 34, 36, 28, 216, 35, 38, 37, 2009])
    }

    private func load(_ name: String) throws -> RuntimeTokenizer {
        let section = try XCTUnwrap(try TokenizerSection.build(modelDirectory: GoldenTokenizers.directory(name)))
        return try RuntimeTokenizer(section: section.bytes)
    }

    private func check(_ name: String) throws {
        let golden = try GoldenTokenizers.golden(name)
        let section = try XCTUnwrap(try TokenizerSection.build(modelDirectory: GoldenTokenizers.directory(name)))
        XCTAssertEqual(section.vocabSize, golden.vocabSize)
        XCTAssertEqual(section.bosId, golden.bosTokenId)
        XCTAssertEqual(section.eosIds, golden.eosTokenId.map { [$0] } ?? [])
        let tokenizer = try RuntimeTokenizer(section: section.bytes)
        XCTAssertEqual(tokenizer.vocabSize, golden.vocabSize)
        XCTAssertGreaterThanOrEqual(golden.cases.count, 200)

        var failures = 0
        for c in golden.cases {
            let label = "\(name): \(c.text.debugDescription)"
            let ids = try tokenizer.encode(c.text, addSpecial: true)
            let plain = try tokenizer.encode(c.text, addSpecial: false)
            let decoded = try tokenizer.decode(c.ids, skipSpecial: false)
            let skipped = try tokenizer.decode(c.ids, skipSpecial: true)
            XCTAssertEqual(ids, c.ids, label)
            XCTAssertEqual(plain, c.idsNoSpecial, label)
            XCTAssertEqual(decoded, Array(c.decoded.utf8), label)
            XCTAssertEqual(skipped, Array(c.decodedSkipSpecial.utf8), label)
            if ids != c.ids || plain != c.idsNoSpecial || decoded != Array(c.decoded.utf8) ||
                skipped != Array(c.decodedSkipSpecial.utf8) {
                failures += 1
            }
        }
        for c in golden.decodeCases {
            let label = "\(name): decode \(c.ids)"
            XCTAssertEqual(try tokenizer.decode(c.ids, skipSpecial: false), Array(c.text.utf8), label)
            XCTAssertEqual(try tokenizer.decode(c.ids, skipSpecial: true), Array(c.textSkipSpecial.utf8), label)
            XCTAssertEqual(try tokenizer.decode(c.ids, skipSpecial: false, replaced: false), c.bytes, label)
        }
        print("\(name): \(golden.cases.count - failures)/\(golden.cases.count) text cases and "
              + "\(golden.decodeCases.count) decode cases checked against transformers")
    }
}
