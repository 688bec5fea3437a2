import Foundation
@testable import Frontend
import XCTest

/// Builds golden tokenizer `name`'s section with the Swift frontend, loads it with the C runtime, and compares
/// encode / decode with what transformers produced (golden/tokenizer/<name>.json): ids with and without special
/// tokens, decode with and without skip_special_tokens, and for the decode cases also the bytes before U+FFFD
/// replacement (llmc_tokenizer_decode_bytes).
func checkGoldenTokenizer(_ name: String, file: StaticString = #filePath, line: UInt = #line) throws {
    let golden = try GoldenTokenizers.golden(name)
    let section = try XCTUnwrap(try TokenizerSection.build(modelDirectory: GoldenTokenizers.directory(name)))
    XCTAssertEqual(section.vocabSize, golden.vocabSize, file: file, line: line)
    XCTAssertEqual(section.bosId, golden.bosTokenId, file: file, line: line)
    XCTAssertEqual(section.eosIds, golden.eosTokenId.map { [$0] } ?? [], file: file, line: line)
    let tokenizer = try RuntimeTokenizer(section: section.bytes)
    XCTAssertEqual(tokenizer.vocabSize, golden.vocabSize, file: file, line: line)
    XCTAssertGreaterThanOrEqual(golden.cases.count, 200, file: file, line: line)

    var failures = 0
    for c in golden.cases {
        let label = "\(name): \(c.text.debugDescription)"
        let ids = try tokenizer.encode(c.text, addSpecial: true)
        let plain = try tokenizer.encode(c.text, addSpecial: false)
        let decoded = try tokenizer.decode(c.ids, skipSpecial: false)
        let skipped = try tokenizer.decode(c.ids, skipSpecial: true)
        XCTAssertEqual(ids, c.ids, label, file: file, line: line)
        XCTAssertEqual(plain, c.idsNoSpecial, label, file: file, line: line)
        XCTAssertEqual(decoded, Array(c.decoded.utf8), "\(label) decoded as \(String(decoding: decoded, as: UTF8.self))",
                       file: file, line: line)
        XCTAssertEqual(skipped, Array(c.decodedSkipSpecial.utf8), label, file: file, line: line)
        if ids != c.ids || plain != c.idsNoSpecial || decoded != Array(c.decoded.utf8) ||
            skipped != Array(c.decodedSkipSpecial.utf8) {
            failures += 1
        }
    }
    var pairFailures = 0
    for c in golden.pairCases {
        let label = "\(name): pair \(c.a.debugDescription) / \(c.b.map(\.debugDescription) ?? "nil") max \(c.maxLength ?? 0)"
        let result = Result { try tokenizer.encodePair(c.a, c.b, addSpecial: !c.noSpecial, maxLength: c.maxLength ?? 0) }
        guard let ids = c.ids, let typeIds = c.typeIds, let truncated = c.truncated else {
            XCTAssertThrowsError(try result.get(), "\(label): transformers refuses it (\(c.error ?? ""))", file: file,
                                 line: line)
            continue
        }
        let expected = RuntimeTokenizer.PairEncoding(ids: ids, typeIds: typeIds, truncated: truncated)
        let got = try result.get()
        XCTAssertEqual(got, expected, label, file: file, line: line)
        if got != expected { pairFailures += 1 }
    }
    XCTAssertGreaterThanOrEqual(golden.pairCases.count, 200, file: file, line: line)
    for c in golden.decodeCases {
        let label = "\(name): decode \(c.ids)"
        XCTAssertEqual(try tokenizer.decode(c.ids, skipSpecial: false), Array(c.text.utf8), label, file: file, line: line)
        XCTAssertEqual(try tokenizer.decode(c.ids, skipSpecial: true), Array(c.textSkipSpecial.utf8), label,
                       file: file, line: line)
        XCTAssertEqual(try tokenizer.decode(c.ids, skipSpecial: false, replaced: false), c.bytes, label,
                       file: file, line: line)
    }
    print("\(name): \(golden.cases.count - failures)/\(golden.cases.count) text cases, "
          + "\(golden.pairCases.count - pairFailures)/\(golden.pairCases.count) pair cases and "
          + "\(golden.decodeCases.count) decode cases checked against transformers")
}
