import Foundation
@testable import Frontend
import XCTest

/// SentencePiece-style BPE ("▁" for spaces, byte fallback): the Llama-2 / Mistral / Metaspace / Gemma layouts against
/// transformers, the pipeline transformers' tokenizer classes run, and decode_bytes' prefix property that streaming
/// relies on.
final class SentencePieceTokenizerTests: XCTestCase {
    static let names = ["mistral_v1", "llama2_class", "sp_legacy", "sp_legacy_llama_always", "sp_legacy_llama_no_prefix",
                        "sp_metaspace", "sp_metaspace_split", "gemma_style"]
    static let byteLevelNames = ["smollm2", "llama3_style", "qwen2_style", "llama3_add_eos", "gpt2_prefix_space",
                                 "split_variants", "qwen2_config_specials"]

    /// Mistral-7B-v0.1's real SentencePiece model in the Llama-2 tokenizer.json layout (Prepend + Replace
    /// normalizer, Strip decoder), which transformers loads as it is for model_type mistral.
    func testMistralV1() throws { try checkGoldenTokenizer("mistral_v1") }
    /// The same tokenizer.json under LlamaTokenizer with model_type llama and legacy false (Llama-2-7b-hf's
    /// configuration): transformers replaces the normalizer by Metaspace(prepend_scheme first, split false).
    func testLlama2Class() throws { try checkGoldenTokenizer("llama2_class") }
    /// A small Llama-2-style tokenizer (byte fallback on CJK and emoji) with added tokens of every kind.
    func testLegacyNormalizer() throws { try checkGoldenTokenizer("sp_legacy") }
    /// LlamaTokenizer with legacy true: Metaspace prepend_scheme always.
    func testLlamaClassLegacy() throws { try checkGoldenTokenizer("sp_legacy_llama_always") }
    /// LlamaTokenizer with add_prefix_space false: prepend_scheme never and no Strip decoder.
    func testLlamaClassWithoutPrefixSpace() throws { try checkGoldenTokenizer("sp_legacy_llama_no_prefix") }
    /// Metaspace pre-tokenizer (first, no split) after a Split on "-", NFC, ignore_merges.
    func testMetaspaceFirst() throws { try checkGoldenTokenizer("sp_metaspace") }
    /// Metaspace(always, split) with the Metaspace decoder; missing byte tokens make characters <unk> (fused).
    func testMetaspaceSplitWithUnk() throws { try checkGoldenTokenizer("sp_metaspace_split") }
    /// Gemma's layout under GemmaTokenizer: Replace(" ", "▁") without Prepend, no Strip decoder.
    func testGemmaStyle() throws { try checkGoldenTokenizer("gemma_style") }

    /// The Mistral tokenizer gives SentencePiece's own ids (checked with sentencepiece 0.2.3 on tokenizer.model.v1).
    func testMistralMatchesSentencePiece() throws {
        let section = try XCTUnwrap(try TokenizerSection.build(modelDirectory: GoldenTokenizers.directory("mistral_v1")))
        let tokenizer = try RuntimeTokenizer(section: section.bytes)
        XCTAssertEqual(try tokenizer.encode("Hello world 你好😀", addSpecial: true),
                       [1, 22557, 1526, 28705, 29383, 29530, 30575])
    }

    /// The normalizer, pre-tokenizer, decoder and BPE options llmc compiles are those of the tokenizer object
    /// transformers built for the golden directory (its class may have replaced tokenizer.json's).
    func testPipelineIsTheOneTransformersRan() throws {
        for name in Self.names + Self.byteLevelNames {
            let (pipeline, _, _) = try XCTUnwrap(try TokenizerSection.pipeline(modelDirectory: GoldenTokenizers.directory(name)))
            let url = GoldenTokenizers.root.appendingPathComponent("\(name).json")
            let golden = TokenizerNode(value: try TokenizerJSON.parse([UInt8](try Data(contentsOf: url)), file: url.path),
                                       file: url.path, path: "")
            let effective = try golden.required("effective_pipeline")
            XCTAssertEqual(pipeline.normalizers, try NormalizerStep.parse(effective.optional("normalizer")), name)
            XCTAssertEqual(pipeline.preTokenizer, try PreTokenizerStep.parsePipeline(effective), name)
            XCTAssertEqual(pipeline.decoder, try TokenizerDecoder.parse(effective), name)
            let model = try effective.required("model")
            XCTAssertEqual(pipeline.model.byteFallback, try model.bool("byte_fallback", default: false), name)
            XCTAssertEqual(pipeline.model.fuseUnk, try model.bool("fuse_unk", default: false), name)
            XCTAssertEqual(pipeline.model.ignoreMerges, try model.bool("ignore_merges", default: false), name)
            let unk = try model.optional("unk_token").map { node throws(TokenizerError) in try node.string() }
            XCTAssertEqual(pipeline.model.unkId, unk.flatMap { pipeline.model.idOfToken[Array($0.utf8)] }, name)
        }
    }

    /// The tokenizer class AutoTokenizer picked for combinations of tokenizer_class, model_type and tokenizer.json
    /// kind (golden/tokenizer/class_resolution.json).
    func testClassResolutionMatchesTransformers() throws {
        struct Row: Decodable {
            let tokenizer_json: String
            let tokenizer_class: String?
            let model_type: String?
            let `class`: String
        }
        struct Table: Decodable { let rows: [Row] }
        let data = try Data(contentsOf: GoldenTokenizers.root.appendingPathComponent("class_resolution.json"))
        let table = try JSONDecoder().decode(Table.self, from: data)
        XCTAssertGreaterThan(table.rows.count, 100)
        func node(_ key: String, _ value: String?) throws -> TokenizerNode? {
            guard let value else { return nil }
            let json = Array(#"{"\#(key)": "\#(value)"}"#.utf8)
            return TokenizerNode(value: try TokenizerJSON.parse(json, file: key), file: key, path: "")
        }
        for row in table.rows {
            let resolved = try TransformersTokenizerClass.resolve(
                tokenizerConfig: try node("tokenizer_class", row.tokenizer_class),
                modelConfig: try node("model_type", row.model_type),
                tokenizerJSONMentionsByteLevel: row.tokenizer_json == "llama3_style")
            let expected: TransformersTokenizerClass = switch row.class {
            case "LlamaTokenizer": .llama(addPrefixSpace: true, legacy: false)
            case "GemmaTokenizer": .gemma
            default: .tokenizerJSON
            }
            XCTAssertEqual(resolved, expected, "\(row)")
        }
    }

    /// Decoding more ids extends the bytes of fewer (the streaming printer in generate.c relies on it), also through
    /// Strip, Metaspace's first token and byte-fallback runs.
    func testDecodeBytesOfAPrefixIsAPrefix() throws {
        for name in Self.names {
            let section = try XCTUnwrap(try TokenizerSection.build(modelDirectory: GoldenTokenizers.directory(name)))
            let tokenizer = try RuntimeTokenizer(section: section.bytes)
            for c in try GoldenTokenizers.golden(name).cases where c.ids.count > 1 {
                let full = try tokenizer.decode(c.ids, skipSpecial: true, replaced: false)
                for k in 1..<c.ids.count {
                    let part = try tokenizer.decode(Array(c.ids[..<k]), skipSpecial: true, replaced: false)
                    XCTAssertEqual(Array(full.prefix(part.count)), part, "\(name): \(c.text.debugDescription) at \(k)")
                }
            }
        }
    }

    /// 1 MB through the Llama-2-style pipeline (one BPE word per piece between added tokens) and back.
    func testEncodeThroughputAndRoundTrip() throws {
        let section = try XCTUnwrap(try TokenizerSection.build(modelDirectory: GoldenTokenizers.directory("mistral_v1")))
        let tokenizer = try RuntimeTokenizer(section: section.bytes)
        let texts = try GoldenTokenizers.golden("mistral_v1").cases.map(\.text)
            .filter { !$0.contains("<") && !$0.unicodeScalars.contains("\u{2581}") }
        var text = ""
        while text.utf8.count < 1_000_000 { text += texts.joined(separator: " ") }
        let start = Date()
        let ids = try tokenizer.encode(text, addSpecial: false)
        let seconds = Date().timeIntervalSince(start)
        XCTAssertEqual(try tokenizer.decode(ids, skipSpecial: false), Array(text.utf8), "byte fallback round-trips")
        let mbPerSecond = Double(text.utf8.count) / seconds / 1e6
        print(String(format: "mistral_v1 encode: %d bytes -> %d ids in %.1f ms (%.1f MB/s)", text.utf8.count,
                     ids.count, seconds * 1e3, mbPerSecond))
        XCTAssertGreaterThan(mbPerSecond, Self.linearTimeFloor)
    }
}
