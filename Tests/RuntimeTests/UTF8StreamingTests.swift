import RuntimeLib
import XCTest

/// The streaming printer's rule: hold back only a trailing sequence that later bytes could still complete.
final class UTF8StreamingTests: XCTestCase {
    /// Proper prefixes (1 to 3 bytes) of the UTF-8 encodings of all Unicode scalars.
    private static let unfinishedSequences: Set<[UInt8]> = {
        var prefixes = Set<[UInt8]>()
        for value in UInt32(0x80)...0x10FFFF {
            guard let scalar = Unicode.Scalar(value) else { continue }
            let bytes = Array(String(Character(scalar)).utf8)
            for length in 1..<bytes.count { prefixes.insert(Array(bytes.prefix(length))) }
        }
        return prefixes
    }()

    func testStreamingHoldsBackOnlyUnfinishedSequences() {
        func prefix(_ bytes: [UInt8]) -> Int {
            bytes.withUnsafeBufferPointer { buf in
                buf.baseAddress!.withMemoryRebound(to: CChar.self, capacity: max(bytes.count, 1)) {
                    Int(llmc_utf8_complete_prefix($0, UInt64(bytes.count)))
                }
            }
        }
        func reference(_ bytes: [UInt8]) -> Int {
            for k in 1...3 where k <= bytes.count && Self.unfinishedSequences.contains(Array(bytes.suffix(k))) {
                return bytes.count - k
            }
            return bytes.count
        }
        XCTAssertEqual(prefix(Array("h€".utf8).dropLast()), 1)
        XCTAssertEqual(prefix([0x61, 0xF0, 0x9F, 0x98]), 1)
        XCTAssertEqual(prefix([0x61, 0xF0, 0x9F, 0x98, 0x80]), 5)
        XCTAssertEqual(prefix([0x61, 0xE0, 0x80]), 3)  // can never become valid: nothing held back
        XCTAssertEqual(prefix([]), 0)
        var rng = TestRNG(state: 123)
        let alphabet: [UInt8] = [0x41, 0x80, 0x8F, 0x90, 0x9F, 0xA0, 0xBF, 0xC0, 0xC2, 0xDF, 0xE0, 0xE1, 0xED, 0xEF,
                                 0xF0, 0xF1, 0xF4, 0xF5, 0xFF]
        for _ in 0..<20_000 {
            let bytes = (0..<Int.random(in: 0...6, using: &rng)).map { _ in alphabet.randomElement(using: &rng)! }
            XCTAssertEqual(prefix(bytes), reference(bytes), "\(bytes)")
        }
    }
}
