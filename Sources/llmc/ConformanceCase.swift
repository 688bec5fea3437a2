import Foundation

/// One golden case: a model directory with the outputs transformers produced for it.
struct ConformanceCase {
    /// What expected.json says about the case (besides the outputs).
    struct Header: Decodable {
        var architecture: String?
        var family: String?
        var status: String?
        var task: String?
    }

    var name: String
    var directory: URL
    var header: Header
    /// Why expected.json could not be read, when it could not.
    var unreadable: String?

    var architecture: String { header.architecture ?? "?" }
    var family: String { header.family ?? "?" }
    var task: String { header.task ?? "generate" }

    /// Every directory below `root` (or `root` itself) holding config.json and expected.json, sorted by path.
    static func discover(in root: URL) throws -> [ConformanceCase] {
        let fm = FileManager.default
        var found: [ConformanceCase] = []
        let base = root.standardizedFileURL.path
        var directories = [root]
        if let enumerator = fm.enumerator(at: root, includingPropertiesForKeys: [.isDirectoryKey]) {
            for case let url as URL in enumerator where (try? url.resourceValues(forKeys: [.isDirectoryKey]).isDirectory) == true {
                directories.append(url)
            }
        }
        for dir in directories {
            let expected = dir.appendingPathComponent("expected.json")
            guard fm.fileExists(atPath: expected.path), fm.fileExists(atPath: dir.appendingPathComponent("config.json").path) else { continue }
            var name = String(dir.standardizedFileURL.path.dropFirst(base.count))
            while name.hasPrefix("/") { name.removeFirst() }
            var header = Header()
            var unreadable: String?
            do {
                header = try JSONDecoder().decode(Header.self, from: Data(contentsOf: expected))
            } catch {
                unreadable = "\(expected.path): not a valid expected.json"
            }
            found.append(ConformanceCase(name: name.isEmpty ? dir.lastPathComponent : name, directory: dir, header: header,
                                         unreadable: unreadable))
        }
        return found.sorted { $0.name < $1.name }
    }
}

/// The verdict on one case.
struct ConformanceResult: Encodable {
    enum Status: String, Encodable {
        case pass, fail, unsupported
    }

    var name: String
    var architecture: String
    var family: String
    var task: String
    var status: Status
    /// First mismatch, the compiler's error, or empty.
    var detail: String
    var seconds: Double
}
