import Foundation

/// Links a model object with RuntimeLib into an executable, using the system C compiler driver.
///
/// RuntimeLib's C sources are compiled once per source hash and CPU into a cache
/// (`$LLMC_CACHE`, else `$XDG_CACHE_HOME/llmc`, else `~/.cache/llmc`) and reused by every later compile.
public struct Linker {
    /// The C compiler driver: `$LLMC_CC`, else `clang`, else `cc` from PATH.
    public let compiler: String
    /// Folder holding RuntimeLib's `.c` files and `include/`.
    public let runtimeSources: URL
    public let cacheRoot: URL

    public init(environment: [String: String] = ProcessInfo.processInfo.environment) throws {
        let path = (environment["PATH"] ?? "/usr/bin:/bin").split(separator: ":").map(String.init)
        let candidates = [environment["LLMC_CC"]].compactMap { $0 } + ["clang", "cc"]
        guard let found = candidates.lazy.compactMap({ name -> String? in
            if name.contains("/") { return FileManager.default.isExecutableFile(atPath: name) ? name : nil }
            return path.map { "\($0)/\(name)" }.first { FileManager.default.isExecutableFile(atPath: $0) }
        }).first else { throw CompileError.tool("no C compiler found (set LLMC_CC, or install clang)") }
        compiler = found
        runtimeSources = environment["LLMC_RUNTIME_DIR"].map { URL(fileURLWithPath: $0) }
            ?? URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
                .appendingPathComponent("RuntimeLib")
        let home = environment["HOME"] ?? NSHomeDirectory()
        cacheRoot = URL(fileURLWithPath: environment["LLMC_CACHE"] ?? environment["XDG_CACHE_HOME"].map { $0 + "/llmc" } ?? home + "/.cache/llmc")
    }

    /// Links `object` (which defines `main`) with RuntimeLib built for `cpu` into the executable `output`.
    public func link(object: String, cpu: String, output: String) throws {
        let runtime = try runtimeObjects(cpu: cpu)
        try run(compiler, ["-o", output, object] + runtime + ["-lm", "-lpthread"])
    }

    /// RuntimeLib's objects for `cpu`, compiled on first use and cached by source hash.
    func runtimeObjects(cpu: String) throws -> [String] {
        let fm = FileManager.default
        let sources = try fm.contentsOfDirectory(atPath: runtimeSources.path).filter { $0.hasSuffix(".c") }.sorted()
        guard !sources.isEmpty else {
            throw CompileError.tool("RuntimeLib sources not found in \(runtimeSources.path) (set LLMC_RUNTIME_DIR)")
        }
        let headers = try [runtimeSources, runtimeSources.appendingPathComponent("include")].flatMap { dir in
            try fm.contentsOfDirectory(atPath: dir.path).filter { $0.hasSuffix(".h") }.sorted().map { dir.appendingPathComponent($0) }
        }
        let flags = ["-c", "-O2", "-std=gnu11", "-fPIC", "-march=\(cpu)", "-I", runtimeSources.appendingPathComponent("include").path]
        var hasher = FNV1a()
        hasher.combine(flags.joined(separator: " ") + compiler)
        for file in sources.map({ runtimeSources.appendingPathComponent($0) }) + headers {
            hasher.combine(file.lastPathComponent)
            hasher.combine(try Data(contentsOf: file))
        }
        let dir = cacheRoot.appendingPathComponent("runtime-\(hasher.hex)")
        let objects = sources.map { dir.appendingPathComponent($0 + ".o").path }
        if objects.allSatisfy({ fm.fileExists(atPath: $0) }) { return objects }

        let staging = cacheRoot.appendingPathComponent("staging-\(ProcessInfo.processInfo.processIdentifier)-\(hasher.hex)")
        try? fm.removeItem(at: staging)
        try fm.createDirectory(at: staging, withIntermediateDirectories: true)
        for source in sources {
            try run(compiler, flags + [runtimeSources.appendingPathComponent(source).path,
                                       "-o", staging.appendingPathComponent(source + ".o").path])
        }
        if fm.fileExists(atPath: dir.path) { try? fm.removeItem(at: dir) }
        do {
            try fm.moveItem(at: staging, to: dir)
        } catch where fm.fileExists(atPath: dir.path) {
            try? fm.removeItem(at: staging)  // another compile cached the same runtime first
        }
        return objects
    }

    private func run(_ tool: String, _ arguments: [String]) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: tool)
        process.arguments = arguments
        let errors = Pipe()
        process.standardError = errors
        process.standardOutput = errors
        try process.run()
        let output = errors.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            let text = String(decoding: output, as: UTF8.self).split(separator: "\n").prefix(5).joined(separator: " | ")
            throw CompileError.tool("\(URL(fileURLWithPath: tool).lastPathComponent) failed: \(text)")
        }
    }
}

/// 64-bit FNV-1a, for cache keys.
public struct FNV1a {
    public private(set) var value: UInt64 = 0xcbf2_9ce4_8422_2325

    public init() {}

    public mutating func combine(_ data: Data) {
        data.withUnsafeBytes { raw in
            for byte in raw { value = (value ^ UInt64(byte)) &* 0x100_0000_01b3 }
        }
    }

    public mutating func combine(_ string: String) { combine(Data(string.utf8)) }

    public var hex: String { String(value, radix: 16) }
}
