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

    /// all-MiniLM-L6-v2's real tokenizer: BertTokenizer (BertNormalizer, BertPreTokenizer, WordPiece, pairs with
    /// token type ids).
    func testMiniLMWordPiece() throws { try check("minilm_l6") }

    /// An XLM-R-style tokenizer (XLMRobertaTokenizer: SentencePiece's nmt_nfkc Precompiled map, WhitespaceSplit +
    /// Metaspace, Unigram, <s> $A </s></s> $B </s>), trained by make_unigram_tokenizer.py.
    func testXLMRobertaStyleUnigram() throws { try check("xlmr_style") }

    /// MPNetTokenizer (BERT's WordPiece pipeline with <s> $A </s></s> $B </s>), made by make_mpnet_tokenizer.py.
    func testMPNetStyleWordPiece() throws { try check("mpnet_style") }

    /// BertTokenizer with do_lower_case false, strip_accents true, tokenize_chinese_chars false, text cleanup.
    func testBertCasedOptions() throws { try check("bert_cased_options") }
    /// tokenizer.json's own WordPiece options: max_input_chars_per_word 12, prefix "@@", no decoder cleanup,
    /// BertNormalizer without clean_text / Chinese handling, WhitespaceSplit + BertPreTokenizer, a pair template.
    func testWordPieceFromTokenizerJSON() throws { try check("wordpiece_json") }
    /// Unigram with byte fallback, Strip + Lowercase + Replace normalizers, Metaspace, ByteFallback decoder.
    func testUnigramByteFallback() throws { try check("unigram_byte_fallback") }

    func testSmolLM2KnownIds() throws {
        let tokenizer = try load("smollm2")
        XCTAssertEqual(try tokenizer.encode("In 2024, 365 days", addSpecial: true),
                       [788, 216, 34, 32, 34, 36, 28, 216, 35, 38, 37, 2009])
    }

    private func load(_ name: String) throws -> RuntimeTokenizer {
        let section = try XCTUnwrap(try TokenizerSection.build(modelDirectory: GoldenTokenizers.directory(name)))
        return try RuntimeTokenizer(section: section.bytes)
    }

    private func check(_ name: String) throws { try checkGoldenTokenizer(name) }
}
