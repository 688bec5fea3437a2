import Foundation
import Synchronization
@testable import Frontend
import RuntimeLib
import XCTest

/// Compile-time errors, section validation, API errors, thread safety and speed of the tokenizer.
final class TokenizerSectionTests: XCTestCase {
    private func modifiedTokenizer(_ name: String, replacing original: String, with replacement: String) throws -> URL {
        try GoldenTokenizers.modifiedCopy(of: name, replacing: original, with: replacement, testCase: self)
    }

    func testUnknownRegexNamesFileAndKey() throws {
        let dir = try modifiedTokenizer("llama3_style", replacing: #"\\p{N}{1,3}"#, with: #"\\p{N}{1,4}"#)
        GoldenTokenizers.assertBuildFails(
            dir, mentioning: ["tokenizer.json", "pre_tokenizer.pretokenizers[0].pattern.Regex", "regex"])
    }

    func testUnknownModelTypeNamesFileAndKey() throws {
        let dir = try modifiedTokenizer("llama3_style", replacing: #""type":"BPE""#, with: #""type":"WordLevel""#)
        GoldenTokenizers.assertBuildFails(dir, mentioning: ["tokenizer.json", "model.type", "WordLevel"])
    }

    func testUnsupportedNormalizerNamesFileAndKey() throws {
        let dir = try modifiedTokenizer("qwen2_style", replacing: #""normalizer":{"type":"NFC"}"#,
                                        with: #""normalizer":{"type":"NFKC"}"#)
        GoldenTokenizers.assertBuildFails(dir, mentioning: ["tokenizer.json", "normalizer", "NFKC"])
    }

    /// Classes such as T5Tokenizer build their own Unigram / WordPiece pipeline: refused by name rather than compiled
    /// from tokenizer.json, whose pipeline transformers does not run.
    func testUnreproducedTokenizerClassIsRefused() throws {
        for (name, replacement) in [("xlmr_style", "T5TokenizerFast"), ("minilm_l6", "AlbertTokenizer")] {
            let original = name == "xlmr_style" ? #""tokenizer_class": "XLMRobertaTokenizer""# : #""tokenizer_class": "BertTokenizer""#
            let dir = try GoldenTokenizers.modifiedCopy(
                of: name, replacing: original, with: original.replacingOccurrences(
                    of: name == "xlmr_style" ? "XLMRobertaTokenizer" : "BertTokenizer", with: replacement),
                in: "tokenizer_config.json", testCase: self)
            GoldenTokenizers.assertBuildFails(dir, mentioning: ["tokenizer_config.json", "tokenizer_class",
                                                                replacement.replacingOccurrences(of: "Fast", with: "")])
        }
        // A class that is BertTokenizer under another name compiles like BertTokenizer.
        let dir = try GoldenTokenizers.modifiedCopy(
            of: "minilm_l6", replacing: #""tokenizer_class": "BertTokenizer""#,
            with: #""tokenizer_class": "MobileBertTokenizerFast""#, in: "tokenizer_config.json", testCase: self)
        XCTAssertEqual(try XCTUnwrap(try TokenizerSection.build(modelDirectory: dir)).bytes, try section("minilm_l6"))
    }

    func testMergeWithUnknownTokenIsAnError() throws {
        let dir = try modifiedTokenizer("qwen2_style", replacing: #""merges":["Ġ t","#, with: #""merges":["Ġ zzzq","#)
        GoldenTokenizers.assertBuildFails(dir, mentioning: ["tokenizer.json", "model.merges[0]", "zzzq"])
    }

    func testDirectoryWithoutTokenizerGivesNil() throws {
        XCTAssertNil(try TokenizerSection.build(modelDirectory: FileManager.default.temporaryDirectory
            .appendingPathComponent("no-such-model-\(UUID().uuidString)")))
    }

    private func section(_ name: String) throws -> [UInt8] {
        try XCTUnwrap(try TokenizerSection.build(modelDirectory: GoldenTokenizers.directory(name))).bytes
    }

    func testCorruptSectionsAreRejected() throws {
        let good = try section("qwen2_style")
        XCTAssertNoThrow(try RuntimeTokenizer(section: good))
        var variants: [(String, [UInt8])] = [
            ("truncated header", Array(good.prefix(40))),
            ("truncated body", Array(good.dropLast(4))),
            ("bad magic", [0x58] + good.dropFirst()),
        ]
        for version: UInt8 in [2, 4] { // version 2 sections (no pair template, BPE only) are not read
            var other = good
            other[8] = version
            variants.append(("version \(version)", other))
        }
        var hugeOffset = good
        hugeOffset[68] = 0xFF; hugeOffset[69] = 0xFF; hugeOffset[70] = 0xFF // merges offset
        variants.append(("merges offset out of bounds", hugeOffset))
        var badMerge = good
        let mergesOffset = Int(good[68]) | Int(good[69]) << 8 | Int(good[70]) << 16
        badMerge[mergesOffset + 3] = 0x7F // left id of merge 0 -> huge
        variants.append(("merge id out of range", badMerge))
        var badFlags = good
        badFlags[16] |= 0x80
        variants.append(("unknown flag", badFlags))
        for (what, bytes) in variants {
            XCTAssertThrowsError(try RuntimeTokenizer(section: bytes), what) { error in
                XCTAssertTrue("\(error)".contains("tokenizer section"), "\(what): \(error)")
            }
        }
    }

    func testUnalignedSectionGivesSameIds() throws {
        let bytes = try section("llama3_style")
        let text = "Hello wörld <|eot_id|> 12345 日本"
        let expected = try RuntimeTokenizer(section: bytes).encode(text, addSpecial: true)
        for misalignment in 1...3 {
            XCTAssertEqual(try RuntimeTokenizer(section: bytes, misalignment: misalignment).encode(text, addSpecial: true),
                           expected)
        }
    }

    func testApiErrors() throws {
        let tokenizer = try RuntimeTokenizer(section: try section("smollm2"))
        XCTAssertThrowsError(try tokenizer.decode([5, 49152], skipSpecial: false)) { error in
            XCTAssertTrue("\(error)".contains("49152"), "\(error)")
        }
        XCTAssertThrowsError(try tokenizer.decode([-1], skipSpecial: false, replaced: false))
        XCTAssertThrowsError(try tokenizer.encode(bytes: [0x61, 0xC3, 0x28], addSpecial: true)) { error in
            XCTAssertTrue("\(error)".contains("invalid UTF-8 at byte 1"), "\(error)")
        }
        XCTAssertEqual(try tokenizer.encode("", addSpecial: true), [])
        XCTAssertEqual(try tokenizer.decode([], skipSpecial: false), [])
    }

    func testPairApi() throws {
        let bert = try RuntimeTokenizer(section: try section("split_variants")) // BertProcessing
        XCTAssertEqual(bert.numSpecial(pair: false), 2)
        XCTAssertEqual(bert.numSpecial(pair: true), 3)
        XCTAssertEqual(bert.tokenId("[CLS]"), 1000)
        XCTAssertEqual(bert.tokenId("[SEP]"), 1001)
        XCTAssertEqual(bert.tokenId("no such token"), -1)
        XCTAssertThrowsError(try bert.encodePair("a", "b", addSpecial: true, maxLength: 2)) { error in
            XCTAssertTrue("\(error)".contains("special tokens"), "\(error)")
        }
        let smol = try RuntimeTokenizer(section: try section("smollm2"))
        XCTAssertEqual(smol.tokenId("<|im_start|>"), 1)
        XCTAssertEqual([smol.tokenId(" the")], try smol.encode(" the", addSpecial: false), "byte-level text, not Ġthe")
    }

    func testTemplateWithoutPairRefusesPairs() throws {
        let pair = #""pair":[{"SpecialToken":{"id":"<s>","type_id":0}},{"Sequence":{"id":"A","type_id":0}},"#
            + #"{"SpecialToken":{"id":"<s>","type_id":1}},{"Sequence":{"id":"B","type_id":1}}],"#
        let dir = try modifiedTokenizer("sp_metaspace", replacing: pair, with: "")
        let tokenizer = try RuntimeTokenizer(section: try XCTUnwrap(try TokenizerSection.build(modelDirectory: dir)).bytes)
        XCTAssertEqual(tokenizer.numSpecial(pair: true), -1)
        XCTAssertThrowsError(try tokenizer.encodePair("a", "b", addSpecial: true)) { error in
            XCTAssertTrue("\(error)".contains("no template for a pair"), "\(error)")
        }
        XCTAssertEqual(try tokenizer.encodePair("a", nil, addSpecial: true).ids, try tokenizer.encode("a", addSpecial: true))
    }

    func testUnigramWithoutUnkFailsOnUnknownCharacters() throws {
        let dir = try GoldenTokenizers.modifiedCopy(
            of: "xlmr_style", replacing: #""tokenizer_class": "XLMRobertaTokenizer""#,
            with: #""tokenizer_class": "PreTrainedTokenizerFast""#, in: "tokenizer_config.json", testCase: self)
        let json = dir.appendingPathComponent("tokenizer.json")
        let text = try String(contentsOf: json, encoding: .utf8)
        XCTAssertTrue(text.contains(#""unk_id": 3,"#))
        try text.replacingOccurrences(of: #""unk_id": 3,"#, with: "").write(to: json, atomically: false, encoding: .utf8)
        let tokenizer = try RuntimeTokenizer(section: try XCTUnwrap(try TokenizerSection.build(modelDirectory: dir)).bytes)
        XCTAssertFalse(try tokenizer.encode("the license", addSpecial: false).isEmpty)
        XCTAssertThrowsError(try tokenizer.encode("the \u{20000}", addSpecial: false)) { error in
            XCTAssertTrue("\(error)".contains("no unk token"), "\(error)")
        }
    }

    /// xlm-roberta-base's tokenizer.json wraps the Precompiled map in a Sequence with a regex Replace, which
    /// XLMRobertaTokenizer drops (like its pre-tokenizer and decoder): the section is the same.
    func testXLMRobertaTokenizerKeepsOnlyThePrecompiledNormalizer() throws {
        let dir = try GoldenTokenizers.modifiedCopy(
            of: "xlmr_style", replacing: "\"normalizer\": {\n    \"type\": \"Precompiled\",",
            with: #""normalizer": {"type": "Sequence", "normalizers": [{"type": "Precompiled","#, testCase: self)
        let json = dir.appendingPathComponent("tokenizer.json")
        let text = try String(contentsOf: json, encoding: .utf8)
        let end = "\"\n  },\n  \"pre_tokenizer\": {"
        XCTAssertTrue(text.contains(end))
        let replaced = text.replacingOccurrences(
            of: end, with: #""}, {"type": "Replace", "pattern": {"Regex": " {2,}"}, "content": " "}]}, "pre_tokenizer": {"#
                + #""type": "NoSuchPreTokenizer"}, "unused": {"#)
        try replaced.write(to: json, atomically: false, encoding: .utf8)
        XCTAssertEqual(try XCTUnwrap(try TokenizerSection.build(modelDirectory: dir)).bytes, try section("xlmr_style"))
    }

    /// WordPiece (BertNormalizer, BertPreTokenizer) and Unigram (Precompiled, Viterbi) stay fast on long text.
    func testWordPieceAndUnigramThroughput() throws {
        for name in ["minilm_l6", "xlmr_style"] {
            let tokenizer = try RuntimeTokenizer(section: try section(name))
            var text = ""
            let cases = try GoldenTokenizers.golden(name).cases.map(\.text).joined(separator: " ")
            while text.utf8.count < 1_000_000 { text += cases }
            let start = Date()
            let ids = try tokenizer.encode(text, addSpecial: false)
            let mbPerSecond = Double(text.utf8.count) / Date().timeIntervalSince(start) / 1e6
            print(String(format: "%@: %d bytes -> %d ids, %.1f MB/s", name, text.utf8.count, ids.count, mbPerSecond))
            XCTAssertGreaterThan(mbPerSecond, Self.linearTimeFloor, name)
        }
    }

    func testConcurrentEncodesMatchSequential() throws {
        let tokenizer = try RuntimeTokenizer(section: try section("qwen2_style"))
        let texts = try GoldenTokenizers.golden("qwen2_style").cases.map(\.text)
        let expected = try texts.map { try tokenizer.encode($0, addSpecial: true) }
        let mismatches = Mutex(0)
        DispatchQueue.concurrentPerform(iterations: 8) { worker in
            for (i, text) in texts.enumerated() where i % 2 == worker % 2 {
                if (try? tokenizer.encode(text, addSpecial: true)) != expected[i] { mismatches.withLock { $0 += 1 } }
            }
        }
        XCTAssertEqual(mismatches.withLock { $0 }, 0)
    }

    func testEncodeThroughput() throws {
        let tokenizer = try RuntimeTokenizer(section: try section("smollm2"))
        let golden = try GoldenTokenizers.golden("smollm2")
        var text = ""
        while text.utf8.count < 1_000_000 { text += golden.cases.map(\.text).joined(separator: " ") }
        let start = Date()
        let ids = try tokenizer.encode(text, addSpecial: false)
        let seconds = Date().timeIntervalSince(start)
        let decoded = try tokenizer.decode(ids, skipSpecial: false)
        XCTAssertEqual(decoded, Array(text.utf8), "byte-level BPE round-trips")
        let mbPerSecond = Double(text.utf8.count) / seconds / 1e6
        print(String(format: "encode: %d bytes -> %d ids in %.1f ms (%.1f MB/s)", text.utf8.count, ids.count,
                     seconds * 1e3, mbPerSecond))
        XCTAssertGreaterThan(mbPerSecond, Self.linearTimeFloor)
    }
}
