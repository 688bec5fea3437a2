import Foundation
@testable import Frontend
import XCTest

/// The precompiled_charsmap decoded by PrecompiledCharsmap (the entries the runtime hashes) against tokenizers'
/// Precompiled normalizer (golden/tokenizer/precompiled_cases.json, made by make_unigram_tokenizer.py).
final class PrecompiledCharsmapTests: XCTestCase {
    private struct Cases: Decodable {
        let changedCodePoints: [String: String]
        let strings: [Case]

        struct Case: Decodable {
            let text: String
            let normalized: String
        }

        enum CodingKeys: String, CodingKey { case changedCodePoints = "changed_code_points", strings }
    }

    private func charsmap() throws -> PrecompiledCharsmap {
        let (pipeline, _, _) = try XCTUnwrap(try TokenizerSection.pipeline(modelDirectory: GoldenTokenizers.directory("xlmr_style")))
        for case .precompiled(let map) in pipeline.normalizers { return map }
        throw XCTSkip("xlmr_style has no Precompiled normalizer")
    }

    func testEveryBMPAndChangedCodePointMatchesTokenizers() throws {
        let map = try charsmap()
        let data = try Data(contentsOf: GoldenTokenizers.root.appendingPathComponent("precompiled_cases.json"))
        let cases = try JSONDecoder().decode(Cases.self, from: data)
        var changed: [UInt32: String] = [:]
        for (key, value) in cases.changedCodePoints { changed[try XCTUnwrap(UInt32(key))] = value }
        XCTAssertGreaterThan(changed.count, 1000)
        var mismatches = 0
        for cp in Array(0..<0x10000) + changed.keys.map(Int.init) {
            guard let scalar = Unicode.Scalar(UInt32(cp)) else { continue }
            let expected = changed[UInt32(cp)] ?? String(scalar)
            let got = map.apply(to: Array(String(scalar).utf8))
            if got != Array(expected.utf8) {
                mismatches += 1
                if mismatches < 10 { XCTFail("U+\(String(cp, radix: 16)): \(String(decoding: got, as: UTF8.self).debugDescription) != \(expected.debugDescription)") }
            }
        }
        XCTAssertEqual(mismatches, 0)
        for c in cases.strings {
            XCTAssertEqual(map.apply(to: Array(c.text.utf8)), Array(c.normalized.utf8), c.text.debugDescription)
        }
    }

    func testMalformedCharsmapIsRejected() throws {
        let node = TokenizerNode(value: .null, file: "tokenizer.json", path: "normalizer.precompiled_charsmap")
        for base64 in ["!!", "AAAA", Data([8, 0, 0, 0, 1, 2]).base64EncodedString()] {
            XCTAssertThrowsError(try PrecompiledCharsmap(base64: base64, node)) { error in
                XCTAssertTrue("\(error)".contains("precompiled_charsmap"), "\(error)")
            }
        }
    }
}
