/// GPT-2's byte-to-unicode table, used by byte-level BPE vocabularies: every byte is written as one printable
/// character (printable Latin-1 bytes as themselves, the others as U+0100 + n), so "Ġ" is a space.
enum ByteLevelAlphabet {
    /// Byte of each alphabet character, keyed by its scalar value.
    static let byteOfScalar: [UInt32: UInt8] = {
        var printable = Array(UInt32(0x21)...0x7E) + Array(UInt32(0xA1)...0xAC) + Array(UInt32(0xAE)...0xFF)
        var table: [UInt32: UInt8] = [:]
        for b in printable { table[b] = UInt8(b) }
        var next: UInt32 = 0x100
        for b in UInt32(0)...255 where !printable.contains(b) {
            table[next] = UInt8(b)
            printable.append(b)
            next += 1
        }
        return table
    }()

    /// The 256 characters of the alphabet.
    static var characters: [String] { byteOfScalar.keys.compactMap { Unicode.Scalar($0).map { String($0) } } }

    /// The bytes a token stands for, or nil when one of its characters is not in the alphabet.
    static func bytes(of token: String) -> [UInt8]? {
        var out: [UInt8] = []
        out.reserveCapacity(token.utf8.count)
        for scalar in token.unicodeScalars {
            guard let b = byteOfScalar[scalar.value] else { return nil }
            out.append(b)
        }
        return out
    }

    /// What the ByteLevel decoder turns a token into: its bytes, or its own UTF-8 when a character is outside the
    /// alphabet (tokenizers' decoder falls back to the token text then).
    static func decodedBytes(of token: String) -> [UInt8] {
        bytes(of: token) ?? Array(token.utf8)
    }
}
