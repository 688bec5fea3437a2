import Foundation

/// SentencePiece's precompiled normalization map (tokenizer.json's `Precompiled` normalizer, `precompiled_charsmap`,
/// base64): a Darts double-array trie from UTF-8 strings to offsets into a pool of NUL-terminated replacement strings.
/// Decoded at compile time into the plain list of (string, replacement) pairs that the runtime hashes
/// (tokenizer_precompiled.c).
struct PrecompiledCharsmap: Equatable {
    /// Every key of the trie with its replacement, sorted by key.
    let entries: [(key: [UInt8], value: [UInt8])]
    /// The entries by key.
    private let table: [[UInt8]: [UInt8]]

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
            return UInt32(bytes[at]) | UInt32(bytes[at + 1]) << 8 | UInt32(bytes[at + 2]) << 16
                | UInt32(bytes[at + 3]) << 24
        }
        let pool = Array(bytes[(4 + trieBytes)...])
        var entries: [(key: [UInt8], value: [UInt8])] = []
        var malformed = false
        // Darts-clone units: a unit with label c (1...255) at index i is the child c of the node whose base is i ^ c
        // (what a walk from the root checks); a node's base is its index ^ its offset; the value of a key sits at the
        // base of the node the key leads to. Every key is found by following parents from each labelled unit.
        func offset(_ u: UInt32) -> Int { Int((u >> 10) << ((u & (1 << 9)) >> 6)) }
        func label(_ u: UInt32) -> Int { Int(u & ((1 << 31) | 0xFF)) }
        // Unused units also carry labels, so a base may have several candidate nodes: the one reachable from the
        // root is the real one.
        var nodesOfBase: [Int: [Int]] = [offset(units[0]): [0]]
        for (i, u) in units.enumerated() where (1...255).contains(label(u)) {
            nodesOfBase[i ^ offset(u), default: []].append(i)
        }
        var keys: [Int: [UInt8]?] = [0: []]
        /// The key that leads to unit i, or nil when i is not reachable from the root.
        func key(_ i: Int, depth: Int = 0) -> [UInt8]? {
            if let known = keys[i] { return known }
            let c = label(units[i])
            var result: [UInt8]? = nil
            if (1...255).contains(c), depth < 64 {
                for parent in nodesOfBase[i ^ c] ?? [] where parent != i {
                    if let prefix = key(parent, depth: depth + 1) {
                        result = prefix + [UInt8(c)]
                        break
                    }
                }
            }
            keys[i] = .some(result)
            return result
        }
        for (i, u) in units.enumerated() where (1...255).contains(label(u)) && (u >> 8) & 1 == 1 {
            guard let k = key(i) else { continue }
            let base = i ^ offset(u)
            guard base < units.count else { malformed = true; break }
            let start = Int(units[base] & ((1 << 31) - 1))
            guard start < pool.count else { malformed = true; break }
            let end = pool[start...].firstIndex(of: 0) ?? pool.count
            entries.append((k, Array(pool[start..<end])))
        }
        guard !malformed else { throw node.bad("precompiled_charsmap trie is malformed") }
        self.entries = entries.sorted { $0.key.lexicographicallyPrecedes($1.key) }
        table = Dictionary(entries.map { ($0.key, $0.value) }, uniquingKeysWith: { first, _ in first })
    }

    /// The map applied to UTF-8 text (for the contents of normalized added tokens), grapheme by grapheme like the
    /// runtime (tokenizer_precompiled.c), with Swift's grapheme breaks.
    func apply(to text: [UInt8]) -> [UInt8] {
        func shortestPrefix(_ s: [UInt8]) -> [UInt8]? {
            (1...max(s.count, 1)).lazy.compactMap { s.count >= $0 ? table[Array(s[..<$0])] : nil }.first
        }
        var out: [UInt8] = []
        for grapheme in String(decoding: text, as: UTF8.self) {
            let bytes = Array(grapheme.utf8)
            if bytes.count < 6, let value = shortestPrefix(bytes) {
                out += value
                continue
            }
            for scalar in grapheme.unicodeScalars {
                let char = Array(String(scalar).utf8)
                out += shortestPrefix(char) ?? char
            }
        }
        return out
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
