import Foundation
import RuntimeLib
import XCTest

final class JSONEscapeTests: XCTestCase {
    private func escape(_ bytes: [UInt8]) -> String {
        let raw = bytes.withUnsafeBufferPointer { buf in
            buf.baseAddress!.withMemoryRebound(to: CChar.self, capacity: max(bytes.count, 1)) {
                llmc_json_escape($0, UInt64(bytes.count))!
            }
        }
        defer { free(raw) }
        return String(cString: raw)
    }

    /// Reference: Swift's own UTF-8 repair (one U+FFFD per maximal ill-formed subsequence, like Python's
    /// errors="replace"), then RFC 8259 escaping.
    private func reference(_ bytes: [UInt8]) -> String {
        var out = "\""
        for scalar in String(decoding: bytes, as: UTF8.self).unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case "\u{08}": out += "\\b"
            case "\u{0C}": out += "\\f"
            default:
                if scalar.value < 0x20 || scalar.value == 0x7F {
                    out += String(format: "\\u%04x", scalar.value)
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        return out + "\""
    }

    func testSpecialCharacters() {
        XCTAssertEqual(escape(Array("a\"b\\c\nd\te\r\u{01}\u{1F}\u{7F}/é€😀".utf8)),
                       "\"a\\\"b\\\\c\\nd\\te\\r\\u0001\\u001f\\u007f/é€😀\"")
        XCTAssertEqual(escape([]), "\"\"")
        XCTAssertEqual(escape([0x61, 0x00, 0x62]), "\"a\\u0000b\"")
    }

    func testInvalidUTF8BecomesReplacementCharacters() {
        XCTAssertEqual(escape([0x61, 0xFF, 0x62]), "\"a\u{FFFD}b\"")
        XCTAssertEqual(escape([0xE2, 0x82]), "\"\u{FFFD}\"")  // truncated 3-byte sequence: one replacement
        XCTAssertEqual(escape([0xE0, 0x80, 0x41]), "\"\u{FFFD}\u{FFFD}A\"")  // overlong: lead and trail separately
        XCTAssertEqual(escape([0xED, 0xA0, 0x80]), "\"\u{FFFD}\u{FFFD}\u{FFFD}\"")  // surrogate
        XCTAssertEqual(escape([0xF0, 0x9F, 0x98]), "\"\u{FFFD}\"")
        XCTAssertEqual(escape([0xF4, 0x90, 0x80, 0x80]), "\"\u{FFFD}\u{FFFD}\u{FFFD}\u{FFFD}\"")  // > U+10FFFF
        XCTAssertEqual(escape([0xC0, 0xAF]), "\"\u{FFFD}\u{FFFD}\"")
    }

    func testRandomBytesMatchReference() {
        var rng = TestRNG(state: 99)
        let alphabet: [UInt8] = [0x00, 0x0A, 0x22, 0x5C, 0x41, 0x7F, 0x80, 0x9F, 0xA0, 0xBF, 0xC2, 0xDF, 0xE0, 0xED,
                                 0xEF, 0xF0, 0xF4, 0xF5, 0xFF]
        for _ in 0..<3000 {
            let bytes = (0..<Int.random(in: 0...12, using: &rng)).map { _ in alphabet.randomElement(using: &rng)! }
            XCTAssertEqual(escape(bytes), reference(bytes), "\(bytes)")
        }
    }

    func testOutputIsParsableJSON() throws {
        let bytes: [UInt8] = Array("x\u{2028}\"\\\u{01}".utf8) + [0xFF, 0xE2, 0x82]
        let json = "[" + escape(bytes) + "]"
        let parsed = try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String]
        XCTAssertEqual(parsed, [String(decoding: bytes, as: UTF8.self)])
    }
}
