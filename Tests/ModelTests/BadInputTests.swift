import Foundation
import XCTest
@testable import llmc

/// Bad model directories and bad run-time arguments give one clear line, a non-zero exit, and no output file.
final class BadInputTests: XCTestCase {
    private var dir: URL!
    private let source = Tools.repository.appendingPathComponent("golden/models/llama_gqa")

    override func setUpWithError() throws { dir = try Tools.temporaryDirectory() }
    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: dir) }

    /// A copy of a golden model that `damage` then breaks.
    private func brokenModel(_ damage: (URL) throws -> Void) throws -> URL {
        let model = dir.appendingPathComponent("model")
        try FileManager.default.copyItem(at: source, to: model)
        try damage(model)
        return model
    }

    private func expectCompileError(_ model: URL, mentions needles: [String], file: StaticString = #filePath, line: UInt = #line) throws {
        let output = dir.appendingPathComponent("out.bin")
        let result = try Tools.run(Tools.llmc, ["compile", model.path, "-o", output.path, "--quiet"])
        XCTAssertNotEqual(result.status, 0, file: file, line: line)
        let lines = result.stderr.split(separator: "\n")
        XCTAssertEqual(lines.count, 1, "expected one line, got: \(result.stderr)", file: file, line: line)
        for needle in needles {
            XCTAssertTrue(result.stderr.contains(needle), "'\(needle)' not in: \(result.stderr)", file: file, line: line)
        }
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: dir.path).filter { $0 != "model" }
        XCTAssertEqual(leftovers, [], "output or temp files left behind", file: file, line: line)
    }

    private func rewriteSafetensors(_ model: URL, _ change: (inout Data) -> Void) throws {
        let url = model.appendingPathComponent("model.safetensors")
        var data = try Data(contentsOf: url)
        change(&data)
        try data.write(to: url)
    }

    /// Replaces the JSON header with `edit(header)`, keeping its length by padding with spaces.
    private func editHeader(_ model: URL, _ edit: (String) -> String) throws {
        try rewriteSafetensors(model) { data in
            let length = Int(data.prefix(8).withUnsafeBytes { $0.loadUnaligned(as: UInt64.self) })
            let header = String(decoding: data[8..<8 + length], as: UTF8.self)
            var edited = Array(edit(header).utf8)
            precondition(edited.count <= length, "edited header grew")
            edited += Array(repeating: UInt8(ascii: " "), count: length - edited.count)
            data.replaceSubrange(8..<8 + length, with: edited)
        }
    }

    func testTruncatedSafetensors() throws {
        let model = try brokenModel { m in try rewriteSafetensors(m) { $0 = $0.prefix($0.count - 100) } }
        try expectCompileError(model, mentions: ["model.safetensors", "truncated"])
    }

    func testHeaderLengthPastEnd() throws {
        let model = try brokenModel { m in
            try rewriteSafetensors(m) { data in
                withUnsafeBytes(of: UInt64(1 << 40).littleEndian) { data.replaceSubrange(0..<8, with: $0) }
            }
        }
        try expectCompileError(model, mentions: ["model.safetensors", "header length"])
    }

    func testOverlappingOffsets() throws {
        let model = try brokenModel { m in
            try editHeader(m) { header in
                // Point the final norm at the bytes of another tensor of the same size.
                var object = try! JSONSerialization.jsonObject(with: Data(header.utf8)) as! [String: Any]
                let norm = object["model.norm.weight"] as! [String: Any]
                let other = object["model.layers.0.input_layernorm.weight"] as! [String: Any]
                var moved = norm
                moved["data_offsets"] = other["data_offsets"]
                object["model.norm.weight"] = moved
                return String(decoding: try! JSONSerialization.data(withJSONObject: object), as: UTF8.self)
            }
        }
        try expectCompileError(model, mentions: ["model.safetensors", "overlap"])
    }

    func testDTypeShapeNotMatchingBytes() throws {
        let model = try brokenModel { m in
            try editHeader(m) { $0.replacingOccurrences(of: "\"dtype\":\"F32\"", with: "\"dtype\":\"F16\"") }
        }
        try expectCompileError(model, mentions: ["model.safetensors", "F16"])
    }

    func testMissingTensor() throws {
        let model = try brokenModel { m in
            try editHeader(m) { $0.replacingOccurrences(of: "model.norm.weight", with: "model.norm.weighx") }
        }
        try expectCompileError(model, mentions: ["'model.norm.weight'"])
    }

    func testUnknownArchitecture() throws {
        let model = try brokenModel { m in
            let url = m.appendingPathComponent("config.json")
            let text = try String(contentsOf: url, encoding: .utf8).replacingOccurrences(of: "LlamaForCausalLM", with: "NopeForCausalLM")
            try text.write(to: url, atomically: true, encoding: .utf8)
        }
        try expectCompileError(model, mentions: ["NopeForCausalLM", "LlamaForCausalLM", "Qwen2ForCausalLM"])
    }

    func testMissingConfigKey() throws {
        let model = try brokenModel { m in
            let url = m.appendingPathComponent("config.json")
            var object = try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as! [String: Any]
            object["num_attention_heads"] = nil
            try JSONSerialization.data(withJSONObject: object).write(to: url)
        }
        try expectCompileError(model, mentions: ["config.json", "num_attention_heads"])
    }

    /// Unknown precisions of --dtype and the per-tensor overrides: one line naming the option, the value and the
    /// accepted values; nothing written.
    func testBadPrecisionOptions() throws {
        for (option, value) in [("--dtype", "int3"), ("--lm-head-dtype", "fp8"), ("--embed-dtype", "q4_0")] {
            let output = dir.appendingPathComponent("out.bin")
            let result = try Tools.run(Tools.llmc, ["compile", source.path, "-o", output.path, "--quiet", option, value])
            XCTAssertEqual(result.status, 1, result.stderr)
            let lines = result.stderr.split(separator: "\n")
            XCTAssertEqual(lines.count, 1, "expected one line, got: \(result.stderr)")
            for needle in [option, "'\(value)'", "f32, bf16, int8, int4"] {
                XCTAssertTrue(result.stderr.contains(needle), "'\(needle)' not in: \(result.stderr)")
            }
            XCTAssertFalse(FileManager.default.fileExists(atPath: output.path))
        }
    }

    func testBadRuntimeArguments() throws {
        let binary = dir.appendingPathComponent("gqa.bin")
        try Tools.compile(source, to: binary)
        let cases: [([String], String)] = [
            (["--prompt-ids", "1,2,999999", "-n", "2"], "999999"),
            (["--prompt-ids", "1,2", "-n", "-1"], "-n"),
            (["--prompt-ids", Array(repeating: "1", count: 300).joined(separator: ","), "-n", "1", "--max-context", "256"], "256"),
            (["--prompt-ids", "1,x"], "x"),
        ]
        for (arguments, needle) in cases {
            let result = try Tools.run(binary.path, arguments)
            XCTAssertNotEqual(result.status, 0, "\(arguments.prefix(3))")
            XCTAssertEqual(result.stderr.split(separator: "\n").count, 1, result.stderr)
            XCTAssertTrue(result.stderr.contains(needle), "'\(needle)' not in: \(result.stderr)")
            XCTAssertTrue(result.stdout.isEmpty)
        }
    }
}
