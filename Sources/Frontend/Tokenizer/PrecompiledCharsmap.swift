import Foundation

/// SentencePiece's precompiled normalization map (tokenizer.json's `Precompiled` normalizer, `precompiled_charsmap`,
/// base64): a Darts double-array trie from UTF-8 strings to offsets into a pool of NUL-terminated replacement strings.
/// Decoded at compile time into the plain list of (string, replacement) pairs that the runtime hashes
/// (tokenizer_precompiled.c).
struct PrecompiledCharsmap: Equatable {
    /// Every key of the trie with its replacement, sorted by key.
    let entries: [(key: [UInt8], value: [UInt8])]

    static func == (a: PrecompiledCharsmap, b: PrecompiledCharsmap) -> Bool {
        a.entries.elementsEqual(b.entries) { $0.key == $1.key && $0.value == $1.value }
    }

    /// Decodes the map; `node` names the key in errors.
    init(base64: String, _ node: TokenizerNode) throws(TokenizerError) {
        guard let data = Data(base64Encoded: base64) else { throw node.bad("precompiled_charsmap is not base64") }
        let bytes = [UInt8](data)
        guard bytes.count >= 4 else { throw node.bad("precompiled_charsmap is too short") }
        let trieBytes = Int(bytes[0]) | Int(bytes[1]) << 8 | Int(bytes[2]) << 16 | Int(bytes[3]) << 24
        guard trieBytes % 4 == 0, trieBytes >= 4, 4 + trieBytes <= bytes.count else {
            throw node.bad("precompiled_charsmap trie size \(trieBytes) does not fit")
        }
        let units = (0..<trieBytes / 4).map { i -> UInt32 in
            let at = 4 + 4 * i
            return UInt32(bytes[at]) | UInt32(bytes[at + 1]) << 8 | UInt32(bytes[at + 2]) << 16 | UInt32(bytes[at + 3]) << 24
        }
        let pool = Array(bytes[(4 + trieBytes)...])
        var entries: [(key: [UInt8], value: [UInt8])] = []
        var malformed = false
        /// Darts-clone unit fields.
        func offset(_ unit: UInt32) -> Int { Int((unit >> 10) << ((unit & (1 << 9)) >> 6)) }
        func label(_ unit: UInt32) -> UInt32 { unit & ((1 << 31) | 0xFF) }
        func hasLeaf(_ unit: UInt32) -> Bool { (unit >> 8) & 1 == 1 }
        func value(_ unit: UInt32) -> Int { Int(unit & ((1 << 31) - 1)) }
        // Depth-first walk from the root over every byte label.
        var stack: [(pos: Int, key: [UInt8])] = [(offset(units[0]), [])]
        while let (pos, key) = stack.popLast() {
            guard key.count < 64 else { malformed = true; break }
            for c in 1...255 {
                let child = pos ^ c
                guard child < units.count, label(units[child]) == UInt32(c) else { continue }
                let next = child ^ offset(units[child])
                guard next < units.count else { malformed = true; continue }
                let childKey = key + [UInt8(c)]
                if hasLeaf(units[child]) {
                    let start = value(units[next])
                    guard start < pool.count else { malformed = true; continue }
                    let end = pool[start...].firstIndex(of: 0) ?? pool.count
                    entries.append((childKey, Array(pool[start..<end])))
                }
                stack.append((next, childKey))
            }
        }
        guard !malformed else { throw node.bad("precompiled_charsmap trie is malformed") }
        self.entries = entries.sorted { $0.key.lexicographicallyPrecedes($1.key) }
    }

    /// The runtime's form: u32 count, then per entry u16 key length, u16 replacement length, the key, the
    /// replacement (little-endian, unaligned).
    var serialized: [UInt8] {
        var out: [UInt8] = []
        let count = UInt32(entries.count)
        out += [UInt8(count & 0xFF), UInt8(count >> 8 & 0xFF), UInt8(count >> 16 & 0xFF), UInt8(count >> 24)]
        for (key, value) in entries {
            out += [UInt8(key.count & 0xFF), UInt8(key.count >> 8), UInt8(value.count & 0xFF), UInt8(value.count >> 8)]
            out += key + value
        }
        return out
    }
}
