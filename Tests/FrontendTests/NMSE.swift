import XCTest

/// Normalised mean squared error of `got` against `want`: Σ(got − want)² / Σ want² (the corpus's logits and
/// hidden-state bar), failing the calling test when the lengths differ.
func nmse(_ got: [Double], _ want: [Double], file: StaticString = #filePath, line: UInt = #line) -> Double {
    XCTAssertEqual(got.count, want.count, "compared vectors differ in length", file: file, line: line)
    let error = zip(got, want).reduce(0) { $0 + ($1.0 - $1.1) * ($1.0 - $1.1) }
    return error / max(want.reduce(0) { $0 + $1 * $1 }, 1e-30)
}
