/// The packed weight layout shared by `MatmulKernel` and `EmbeddingKernel(.matmulPacked)`: the [n][k] matrix is cut
/// into panels of `MatmulPacking.panelWidth` output columns; panel p holds, for each k, the 16 values
/// W[p*16 + 0 ..< p*16 + 16][k] contiguously (layout [ceil(n/16)][k][16], tail panel zero-padded). A GEMV thus
/// streams each panel linearly and a GEMM micro-kernel multiplies broadcast x values by whole panel rows. The
/// quantized formats keep the panels but lay each one out as `QuantPacking` describes.
public enum MatmulPacking {
    /// Output columns per panel (independent of the target's vector width).
    public static let panelWidth = 16

    /// Number of panels for `n` output columns.
    public static func panels(n: Int) -> Int { (n + panelWidth - 1) / panelWidth }

    /// Element index of W[j][kk] in the packed layout.
    @inline(__always)
    public static func index(j: Int, kk: Int, k: Int) -> Int {
        ((j / panelWidth) * k + kk) * panelWidth + j % panelWidth
    }

    /// Packed size in bytes.
    public static func bytes(k: Int, n: Int, weight: WeightFormat) -> Int {
        panels(n: n) * panelBytes(k: k, weight: weight)
    }

    /// Bytes of one panel (consecutive panels are this far apart).
    static func panelBytes(k: Int, weight: WeightFormat) -> Int {
        weight.isQuantized ? QuantPacking.panelBytes(k: k, format: weight) : k * panelWidth * weight.bytes
    }

    /// Packs a row-major [n][k] f32 matrix into `dst` (which must hold `bytes(k:n:weight:)` bytes).
    public static func pack(
        _ src: UnsafeBufferPointer<Float>, k: Int, n: Int, weight: WeightFormat, into dst: UnsafeMutableRawPointer
    ) {
        precondition(src.count >= k * n, "source has \(src.count) values, need \(k * n)")
        if weight.isQuantized { return QuantPacking.pack(src, k: k, n: n, format: weight, into: dst) }
        for panel in 0..<panels(n: n) {
            for lane in 0..<panelWidth {
                let j = panel * panelWidth + lane
                for kk in 0..<k {
                    let value = j < n ? src[j * k + kk] : 0
                    weight.store(value, at: (panel * k + kk) * panelWidth + lane, into: dst)
                }
            }
        }
    }
}
