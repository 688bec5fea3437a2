import Foundation
import XCTest
@testable import Frontend
import IR

final class SafetensorsTests: XCTestCase {
    private var dir: URL!

    override func setUpWithError() throws { dir = try SafetensorsFixture.temporaryDirectory() }
    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: dir) }

    private func write(_ data: Data) throws -> String {
        let path = dir.appendingPathComponent("model.safetensors").path
        try data.write(to: URL(fileURLWithPath: path))
        return path
    }

    private func expectError(_ data: Data, containing needles: [String], file: StaticString = #filePath, line: UInt = #line) throws {
        let path = try write(data)
        XCTAssertThrowsError(try SafetensorsFile(path: path), file: file, line: line) { error in
            let text = "\(error)"
            XCTAssertTrue(text.contains(path), "error does not name the file: \(text)", file: file, line: line)
            for needle in needles { XCTAssertTrue(text.contains(needle), "'\(needle)' missing in: \(text)", file: file, line: line) }
            XCTAssertFalse(text.contains("\n"), "error spans several lines", file: file, line: line)
        }
    }

    private let a = SafetensorsFixture.Tensor(name: "a", shape: [2, 3], values: [1, 2, 3, 4, 5, 6])
    private let b = SafetensorsFixture.Tensor(name: "b", dtype: "BF16", shape: [2], values: [0.5, -2])

    func testReadsF32BF16F16() throws {
        let c = SafetensorsFixture.Tensor(name: "c", dtype: "F16", shape: [3], values: [1.5, -0.25, 8])
        _ = try write(SafetensorsFixture.bytes([a, b, c]))
        let checkpoint = try Checkpoint(directory: dir)
        XCTAssertEqual(try checkpoint.floats("a"), [1, 2, 3, 4, 5, 6])
        XCTAssertEqual(try checkpoint.floats("b"), [0.5, -2])
        XCTAssertEqual(try checkpoint.floats("c"), [1.5, -0.25, 8])
        XCTAssertEqual(try checkpoint.shape(of: "a"), [2, 3])
    }

    func testTruncatedFile() throws {
        let full = SafetensorsFixture.bytes([a, b])
        try expectError(full.prefix(full.count - 3), containing: ["'b'", "truncated"])
    }

    func testHeaderLengthPastEnd() throws {
        try expectError(SafetensorsFixture.bytes([a], headerLength: 1 << 40), containing: ["header length"])
    }

    func testShorterThanLengthField() throws {
        try expectError(Data([1, 2, 3]), containing: ["8-byte"])
    }

    func testOverlappingOffsets() throws {
        let data = SafetensorsFixture.bytes([a, SafetensorsFixture.Tensor(name: "z", shape: [2], values: [1, 2])],
                                            offsets: ["z": [16, 24]])
        try expectError(data, containing: ["overlap"])
    }

    func testShapeNotMatchingBytes() throws {
        let data = SafetensorsFixture.bytes([a], offsets: ["a": [0, 20]])
        try expectError(data, containing: ["'a'", "24 bytes"])
    }

    func testMalformedJSON() throws {
        var data = SafetensorsFixture.bytes([a])
        data[9] = UInt8(ascii: "#")
        try expectError(data, containing: ["JSON"])
    }

    func testUnsupportedDType() throws {
        try expectError(SafetensorsFixture.bytes([SafetensorsFixture.Tensor(name: "q", dtype: "X9", shape: [0], values: [])]),
                        containing: ["'q'", "X9"])
    }

    /// A tensor of a dtype llmc does not read (BERT's I64 position_ids buffer) only fails when it is asked for.
    func testUnreadableDTypeFailsOnlyWhenRead() throws {
        _ = try write(SafetensorsFixture.bytes([a, SafetensorsFixture.Tensor(name: "q", dtype: "I8", shape: [0], values: [])]))
        let checkpoint = try Checkpoint(directory: dir)
        XCTAssertEqual(try checkpoint.floats("a").count, 6)
        XCTAssertThrowsError(try checkpoint.floats("q")) { XCTAssertTrue("\($0)".contains("'q'") && "\($0)".contains("I8"), "\($0)") }
    }

    func testMissingTensorAndWrongShapeNameTheTensor() throws {
        _ = try write(SafetensorsFixture.bytes([a]))
        let checkpoint = try Checkpoint(directory: dir)
        XCTAssertThrowsError(try checkpoint.floats("nope")) { XCTAssertTrue("\($0)".contains("'nope'")) }
        XCTAssertThrowsError(try checkpoint.floats("a", expectedShape: [3, 2])) { XCTAssertTrue("\($0)".contains("[3, 2]")) }
    }

    func testShardedIndex() throws {
        try SafetensorsFixture.bytes([a]).write(to: dir.appendingPathComponent("model-00001-of-00002.safetensors"))
        try SafetensorsFixture.bytes([b]).write(to: dir.appendingPathComponent("model-00002-of-00002.safetensors"))
        let index = #"{"metadata":{},"weight_map":{"a":"model-00001-of-00002.safetensors","b":"model-00002-of-00002.safetensors"}}"#
        try Data(index.utf8).write(to: dir.appendingPathComponent("model.safetensors.index.json"))
        let checkpoint = try Checkpoint(directory: dir)
        XCTAssertEqual(checkpoint.tensorNames, ["a", "b"])
        XCTAssertEqual(try checkpoint.floats("b"), [0.5, -2])
    }

    func testMaterializeTransforms() throws {
        _ = try write(SafetensorsFixture.bytes([a, SafetensorsFixture.Tensor(name: "c", shape: [1, 3], values: [7, 8, 9])]))
        let checkpoint = try Checkpoint(directory: dir)
        let fused = WeightRef(shape: [3, 3], transform: .concatRows([.tensor("a"), .tensor("c")]))
        XCTAssertEqual(try checkpoint.materialize(fused), [1, 2, 3, 4, 5, 6, 7, 8, 9])
        let sliced = WeightRef(shape: [1, 3], transform: .scaled(.sliceRows(.tensor("a"), start: 1, count: 1), 2))
        XCTAssertEqual(try checkpoint.materialize(sliced), [8, 10, 12])
        let biasSlice = WeightRef(shape: [2], transform: .concatRows([.sliceRows(.tensor("c"), start: 0, count: 1),
                                                                      .sliceRows(.tensor("c"), start: 2, count: 1)]))
        XCTAssertEqual(try checkpoint.materialize(biasSlice), [7, 9], "1-D slices count single elements")
        XCTAssertThrowsError(try checkpoint.materialize(WeightRef(shape: [4, 3], transform: .sliceRows(.tensor("a"), start: 1, count: 4))))
        let transposed = WeightRef(shape: [3, 2], transform: .transposed(.tensor("a"), rows: 2, cols: 3))
        XCTAssertEqual(try checkpoint.materialize(transposed), [1, 4, 2, 5, 3, 6])
    }

    /// A sub-transform read twice (rows 0 and 2 of one transposed tensor) is found as repeated, and the weight built
    /// from its once-evaluated result is the same as from two evaluations.
    func testRepeatedSubTransform() throws {
        _ = try write(SafetensorsFixture.bytes([a]))
        let checkpoint = try Checkpoint(directory: dir)
        let shared = WeightTransform.transposed(.tensor("a"), rows: 2, cols: 3)
        let rows = WeightTransform.concatRows([.sliceRows(shared, start: 0, count: 1), .sliceRows(shared, start: 2, count: 1)])
        XCTAssertEqual(rows.repeatedOperands, [shared])
        XCTAssertEqual(WeightTransform.concatRows([.tensor("a"), .tensor("a")]).repeatedOperands, [], "tensors are cached as loaded")
        XCTAssertEqual(try checkpoint.materialize(WeightRef(shape: [2, 2], transform: rows)), [1, 4, 3, 6])
    }
}
