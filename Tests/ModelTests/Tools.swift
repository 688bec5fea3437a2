import Foundation
import XCTest

/// Paths of the built `llmc` and the repository, and a process runner with a timeout, for end-to-end tests.
enum Tools {
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    /// `$LLMC_BIN`, else the `llmc` built beside this test bundle.
    static var llmc: String {
        if let path = ProcessInfo.processInfo.environment["LLMC_BIN"] { return path }
        return URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("llmc").path
    }

    struct Result {
        var status: Int32
        var stdout: Data
        var stderr: String
        var stdoutText: String { String(decoding: stdout, as: UTF8.self) }
    }

    /// Runs a program to completion (killed after `timeout` seconds); output goes through temporary files.
    static func run(_ program: String, _ arguments: [String], environment: [String: String] = [:],
                    timeout: TimeInterval = 600) throws -> Result {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let outURL = dir.appendingPathComponent("stdout")
        let errURL = dir.appendingPathComponent("stderr")
        FileManager.default.createFile(atPath: outURL.path, contents: nil)
        FileManager.default.createFile(atPath: errURL.path, contents: nil)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: program)
        process.arguments = arguments
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        process.standardOutput = try FileHandle(forWritingTo: outURL)
        process.standardError = try FileHandle(forWritingTo: errURL)
        process.standardInput = FileHandle.nullDevice
        try process.run()
        let deadline = Date().addingTimeInterval(timeout)
        while process.isRunning && Date() < deadline { usleep(2000) }
        if process.isRunning { process.terminate() }
        process.waitUntilExit()
        return Result(status: process.terminationStatus, stdout: try Data(contentsOf: outURL),
                      stderr: String(decoding: try Data(contentsOf: errURL), as: UTF8.self))
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
