import Foundation
import XCTest
@testable import llmc

/// Paths of the built `llmc` and the repository, and a process runner with a timeout, for end-to-end tests.
enum Tools {
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    /// `$LLMC_BIN`, else the `llmc` built beside this test bundle.
    static var llmc: String {
        if let path = ProcessInfo.processInfo.environment["LLMC_BIN"] { return path }
        return URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("llmc").path
    }

    /// Runs a program to completion (killed after `timeout` seconds).
    static func run(_ program: String, _ arguments: [String], environment: [String: String] = [:],
                    timeout: TimeInterval = 600) throws -> Subprocess.Result {
        try Subprocess.run(program, arguments, environment: environment, timeout: timeout)
    }

    /// A fresh temporary directory.
    static func temporaryDirectory() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("llmc-e2e-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    /// Compiles a model directory; fails the test with llmc's error when compiling fails.
    static func compile(_ model: URL, to output: URL, extra: [String] = [], file: StaticString = #filePath, line: UInt = #line) throws {
        let result = try run(llmc, ["compile", model.path, "-o", output.path, "--quiet"] + extra)
        guard result.status == 0 else {
            XCTFail("llmc compile \(model.lastPathComponent) failed: \(result.stderr)", file: file, line: line)
            throw XCTSkip("compile failed")
        }
    }
}
