import XCTest

/// A 64-byte aligned, zero-initialised raw buffer freed on deinit.
final class AlignedBuffer {
    let raw: UnsafeMutableRawPointer
    let byteCount: Int

    init(byteCount: Int) {
        self.byteCount = max(byteCount, 1)
        raw = UnsafeMutableRawPointer.allocate(byteCount: self.byteCount, alignment: 64)
        raw.initializeMemory(as: UInt8.self, repeating: 0, count: self.byteCount)
    }

    convenience init(floats: [Float]) {
        self.init(byteCount: floats.count * 4)
        floats.withUnsafeBytes { raw.copyMemory(from: $0.baseAddress!, byteCount: $0.count) }
    }

    deinit { raw.deallocate() }

    var floats: UnsafeMutablePointer<Float> { raw.assumingMemoryBound(to: Float.self) }

    func floatArray(_ count: Int) -> [Float] { Array(UnsafeBufferPointer(start: floats, count: count)) }
}

/// Asserts |actual - expected| <= relative * magnitude + absolute, element by element, naming the first failure.
func assertClose(
    _ actual: [Float], _ expected: [Double], magnitude: [Double], relative: Double, absolute: Double = 1e-6,
    _ context: String, file: StaticString = #filePath, line: UInt = #line
) {
    XCTAssertEqual(actual.count, expected.count, context, file: file, line: line)
    var failures = 0
    for index in 0..<min(actual.count, expected.count) {
        let error = abs(Double(actual[index]) - expected[index])
        let bound = relative * magnitude[index] + absolute
        if !(error <= bound) {
            failures += 1
            if failures <= 3 {
                XCTFail("\(context): element \(index) = \(actual[index]), expected \(expected[index]) (error \(error) > \(bound))",
                        file: file, line: line)
            }
        }
    }
    if failures > 3 { XCTFail("\(context): \(failures) elements out of tolerance", file: file, line: line) }
}
