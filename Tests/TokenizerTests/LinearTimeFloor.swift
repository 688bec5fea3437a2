import XCTest

extension XCTestCase {
    /// Lowest encode speed (MB/s, debug build) the 1 MB throughput tests accept. It only catches super-linear
    /// behaviour (a quadratic pass over 1 MB takes minutes), not speed regressions: speed is measured by benchmarks,
    /// and a loaded CI machine must not fail a test for being slow.
    static var linearTimeFloor: Double { 0.1 }
}
