import Foundation

/// ALiBi slopes per head, computed in f32 as transformers does.
enum AlibiSlopes {
    /// BLOOM and Falcon (`build_alibi_tensor`): powers of 2^(-8/n) for the largest power of two n <= heads, then odd
    /// powers of 2^(-4/n) for the remaining heads.
    static func bloom(heads: Int) -> [Float] {
        let closest = 1 << Int(log2(Double(heads)).rounded(.down))
        func base(_ n: Int) -> Float { Float(pow(2, -pow(2, -(log2(Double(n)) - 3)))) }
        let slopes = (1...closest).map { powf(base(closest), Float($0)) }
        let remaining = min(closest, heads - closest)
        let extra = stride(from: 1, to: 2 * remaining, by: 2).map { powf(base(2 * closest), Float($0)) }
        return slopes + extra
    }

    /// MPT (`build_mpt_alibi_tensor`): 1 / 2^(i · maxBias / n) for i in 1...n, n the power of two >= heads; for other
    /// head counts the odd-indexed slopes, then the even-indexed ones, cut to `heads`.
    static func mpt(heads: Int, maxBias: Float) -> [Float] {
        let n = 1 << Int(log2(Double(heads)).rounded(.up))
        let step = maxBias / Float(n)
        let slopes = (1...n).map { 1 / powf(2, Float($0) * step) }
        guard n != heads else { return slopes }
        let reordered = stride(from: 1, to: n, by: 2).map { slopes[$0] } + stride(from: 0, to: n, by: 2).map { slopes[$0] }
        return Array(reordered.prefix(heads))
    }
}
