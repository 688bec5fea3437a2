import Codegen
import XCTest

final class ObjectEmissionTests: XCTestCase {
    func testEmitsELFObjectForEachTarget() throws {
        for target in [TargetSpec.avx512, .avx2, .native] {
            let module = ModuleBuilder(name: "emit_\(target.name)")
            MatmulKernel(k: 40, n: 50, weight: .bf16, bias: true, accumulate: false).emit(in: module, target: target)
            let bytes = try ObjectEmitter(target: target).emitObjectBytes(module)
            XCTAssertGreaterThan(bytes.count, 64, target.name)
            XCTAssertEqual(Array(bytes.prefix(4)), [0x7f, 0x45, 0x4c, 0x46], "\(target.name): not ELF")
            XCTAssertEqual(bytes[4], 2, "\(target.name): not ELF64")
            XCTAssertEqual(bytes[16], 1, "\(target.name): not a relocatable object (ET_REL)")

            let path = FileManager.default.temporaryDirectory.appendingPathComponent("llmc-kern-\(target.name).o").path
            let fileModule = ModuleBuilder(name: "file_\(target.name)")
            CopyRowsKernel(width: 33).emit(in: fileModule, target: target)
            try ObjectEmitter(target: target).emitObject(fileModule, to: path)
            let size = try FileManager.default.attributesOfItem(atPath: path)[.size] as? Int ?? 0
            XCTAssertGreaterThan(size, 64)
            try? FileManager.default.removeItem(atPath: path)
        }
    }

    func testVerifierRejectsBrokenModule() {
        let module = ModuleBuilder(name: "broken")
        module.defineFunction("f", module.functionType(module.i64Type, []), target: .avx2) { _ in
            module.retVoid()  // wrong return type
        }
        XCTAssertThrowsError(try ObjectEmitter(target: .avx2).verify(module))
    }

    func testNativeTargetWidth() {
        let native = TargetSpec.native
        XCTAssertFalse(native.cpu.isEmpty)
        XCTAssertTrue(native.vectorWidth == 8 || native.vectorWidth == 16)
        XCTAssertEqual(native.vectorWidth == 16, native.features.split(separator: ",").contains("+avx512f"))
    }
}
