/// The packed weight layout shared by `MatmulKernel` and `EmbeddingKernel(.matmulPacked)`: the [n][k] matrix is cut
/// into panels of `MatmulPacking.panelWidth` output columns, the tail panel zero-padded.
/// - f32: panel p holds, for each k, the 16 values W[p*16 + 0 ..< p*16 + 16][k] contiguously (layout
///   [ceil(n/16)][k][16]). A GEMV streams each panel linearly and a GEMM micro-kernel multiplies broadcast x values
///   by whole panel rows.
/// - bf16: the same panels, but k is taken in pairs: for each pair (2q, 2q+1) the panel holds W[c][2q], W[c][2q+1]
///   for its 16 columns c in order (layout [ceil(n/16)][ceil(k/2)][16][2], an odd k padded with a zero). One 64-byte
///   row of a panel is the weight operand of AVX-512 BF16's `vdpbf16ps` (lane c += x[2q]·W[c][2q] + x[2q+1]·W[c][2q+1]);
///   widening it to f32 takes a shift (even k) and a mask (odd k).
/// The quantized formats keep the panels but lay each one out as `QuantPacking` describes.
public enum MatmulPacking {
    /// Output columns per panel (independent of the target's vector width).
    public static let panelWidth = 16

    /// Number of panels for `n` output columns.
    public static func panels(n: Int) -> Int { (n + panelWidth - 1) / panelWidth }

    /// k as stored in an f32 or bf16 panel: rounded up to whole k pairs for bf16.
    public static func storedK(_ k: Int, weight: WeightFormat) -> Int { weight == .bf16 ? k + k % 2 : k }

    /// Element index of W[j][kk] in the packed f32 or bf16 layout of a matrix with `k` inputs.
    @inline(__always)
    public static func index(j: Int, kk: Int, k: Int, weight: WeightFormat) -> Int {
        let panelStart = (j / panelWidth) * storedK(k, weight: weight) * panelWidth
        guard weight == .bf16 else { return panelStart + kk * panelWidth + j % panelWidth }
        return panelStart + (kk / 2) * 2 * panelWidth + (j % panelWidth) * 2 + kk % 2
    }

    /// Packed size in bytes.
    public static func bytes(k: Int, n: Int, weight: WeightFormat) -> Int {
        panels(n: n) * panelBytes(k: k, weight: weight)
    }

    /// Bytes of one panel (consecutive panels are this far apart).
    static func panelBytes(k: Int, weight: WeightFormat) -> Int {
        weight.isQuantized
            ? QuantPacking.panelBytes(k: k, format: weight) : storedK(k, weight: weight) * panelWidth * weight.bytes
    }

    /// Packs a row-major [n][k] f32 matrix into `dst` (which must hold `bytes(k:n:weight:)` bytes).
    public static func pack(
        _ src: UnsafeBufferPointer<Float>, k: Int, n: Int, weight: WeightFormat, into dst: UnsafeMutableRawPointer
    ) {
        precondition(src.count >= k * n, "source has \(src.count) values, need \(k * n)")
        if weight.isQuantized { return QuantPacking.pack(src, k: k, n: n, format: weight, into: dst) }
        for j in 0..<(panels(n: n) * panelWidth) {
            for kk in 0..<storedK(k, weight: weight) {
                let value = j < n && kk < k ? src[j * k + kk] : 0
                weight.store(value, at: index(j: j, kk: kk, k: k, weight: weight), into: dst)
            }
        }
    }
}
