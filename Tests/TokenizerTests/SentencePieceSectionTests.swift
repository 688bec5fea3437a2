import Foundation
@testable import Frontend
import XCTest

/// Compile-time errors and section validation for the SentencePiece-style parts (normalizers, Metaspace, decoders,
/// tokenizer classes).
final class SentencePieceSectionTests: XCTestCase {
    private func fails(_ name: String, replacing original: String, with replacement: String,
                       in file: String = "tokenizer.json", mentioning parts: [String], line: UInt = #line) throws {
        let dir = try GoldenTokenizers.modifiedCopy(of: name, replacing: original, with: replacement, in: file,
                                                    testCase: self)
        GoldenTokenizers.assertBuildFails(dir, mentioning: [file] + parts, line: line)
    }

    func testRegexReplaceNormalizerIsUnsupported() throws {
        try fails("sp_legacy", replacing: #"{"type":"Replace","pattern":{"String":" "}"#,
                  with: #"{"type":"Replace","pattern":{"Regex":" "}"#,
                  mentioning: ["normalizer.normalizers[1].pattern", "String"])
    }

    func testUnknownDecoderNamesKey() throws {
        try fails("sp_metaspace", replacing: #"{"type":"Fuse"}"#, with: #"{"type":"CTC"}"#,
                  mentioning: ["decoder.decoders[2]", "CTC"])
    }

    func testByteLevelDecoderInASequenceIsUnsupported() throws {
        try fails("sp_metaspace", replacing: #"{"type":"ByteFallback"}"#, with: #"{"type":"ByteLevel"}"#,
                  mentioning: ["decoder.decoders[1]", "ByteLevel"])
    }

    func testByteLevelDecoderNeedsByteLevelPreTokenizer() throws {
        try fails("sp_metaspace", replacing: #""decoder":{"type":"Sequence""#, with: #""decoder":{"type":"ByteLevel""#,
                  mentioning: ["decoder", "ByteLevel decoder without a ByteLevel pre-tokenizer"])
    }

    func testMetaspaceAddPrefixSpaceMustAgreeWithScheme() throws {
        try fails("sp_metaspace", replacing: #""prepend_scheme":"first""#,
                  with: #""add_prefix_space":false,"prepend_scheme":"first""#,
                  mentioning: ["pre_tokenizer.pretokenizers[1].add_prefix_space", "first"])
    }

    func testStripNeedsOneCharacter() throws {
        try fails("sp_legacy", replacing: #"{"type":"Strip","content":" ""#, with: #"{"type":"Strip","content":"  ""#,
                  mentioning: ["decoder.decoders[3].content", "one character"])
    }

    func testCodeLlamaTokenizerIsUnsupported() throws {
        try fails("sp_legacy_llama_always", replacing: #""LlamaTokenizer""#, with: #""CodeLlamaTokenizer""#,
                  in: "tokenizer_config.json", mentioning: ["tokenizer_class", "CodeLlamaTokenizer"])
    }

    func testByteFallbackNeedsTheWholeByteAlphabetInByteLevelBPE() throws {
        try fails("split_variants", replacing: #""byte_fallback":false"#, with: #""byte_fallback":true"#,
                  mentioning: ["model.byte_fallback", "incomplete byte alphabet"])
    }

    /// With every byte-alphabet character in the vocabulary, byte fallback never applies and is accepted.
    func testByteFallbackWithCompleteByteAlphabetIsIgnored() throws {
        let dir = try GoldenTokenizers.modifiedCopy(of: "llama3_style", replacing: #""byte_fallback":false"#,
                                                    with: #""byte_fallback":true"#, testCase: self)
        let section = try XCTUnwrap(try TokenizerSection.build(modelDirectory: dir))
        let ids = try RuntimeTokenizer(section: section.bytes).encode("Hello wörld 日本 😀", addSpecial: true)
        let golden = try XCTUnwrap(try TokenizerSection.build(modelDirectory: GoldenTokenizers.directory("llama3_style")))
        XCTAssertEqual(ids, try RuntimeTokenizer(section: golden.bytes).encode("Hello wörld 日本 😀", addSpecial: true))
    }

    /// config.json is read for model_type; Python's json writes NaN and Infinity into some.
    func testConfigWithNonFiniteNumbersIsRead() throws {
        let dir = try GoldenTokenizers.modifiedCopy(
            of: "sp_legacy_llama_always", replacing: #""model_type": "llama""#,
            with: #""model_type": "llama", "a": Infinity, "b": -Infinity, "c": [NaN]"#, in: "config.json",
            testCase: self)
        let section = try XCTUnwrap(try TokenizerSection.build(modelDirectory: dir))
        // Leading spaces tell LlamaTokenizer's Metaspace from tokenizer.json's Prepend normalizer.
        let golden = try XCTUnwrap(try GoldenTokenizers.golden("sp_legacy_llama_always").cases
            .first { $0.text == "   leading spaces" })
        XCTAssertEqual(try RuntimeTokenizer(section: section.bytes).encode(golden.text, addSpecial: true), golden.ids)
    }

    private func word(_ bytes: [UInt8], _ at: Int) -> Int {
        Int(bytes[at]) | Int(bytes[at + 1]) << 8 | Int(bytes[at + 2]) << 16 | Int(bytes[at + 3]) << 24
    }

    private func setWord(_ bytes: inout [UInt8], _ at: Int, _ value: UInt32) {
        for k in 0..<4 { bytes[at + k] = UInt8(value >> (8 * UInt32(k)) & 0xFF) }
    }

    /// Step records are checked at load: kinds, arguments and string references.
    func testCorruptStepRecordsAreRejected() throws {
        let good = try XCTUnwrap(try TokenizerSection.build(modelDirectory: GoldenTokenizers.directory("sp_legacy"))).bytes
        XCTAssertNoThrow(try RuntimeTokenizer(section: good))
        let normalizers = word(good, 84), decoders = word(good, 92)
        XCTAssertEqual(word(good, 36), 2, "Prepend, Replace")
        XCTAssertEqual(word(good, 44), 4, "Replace, ByteFallback, Fuse, Strip")
        var variants: [(String, [UInt8])] = []
        var kind = good
        setWord(&kind, decoders, 99)
        variants.append(("decoder kind", kind))
        var normalizerKind = good
        setWord(&normalizerKind, normalizers, 7)
        variants.append(("normalizer kind", normalizerKind))
        var string = good
        setWord(&string, normalizers + 4, 0x7FFF_FFFF) // Prepend's string offset
        variants.append(("string out of the pool", string))
        var strip = good
        setWord(&strip, decoders + 3 * 24 + 8, 0) // Strip's character: empty
        variants.append(("empty Strip character", strip))
        for (what, bytes) in variants {
            XCTAssertThrowsError(try RuntimeTokenizer(section: bytes), what) { error in
                XCTAssertTrue("\(error)".contains("tokenizer section: bad"), "\(what): \(error)")
            }
        }
    }
}
