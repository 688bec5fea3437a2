import Foundation
import RuntimeLib
import XCTest

/// llmc_cpu_missing_feature (behind the produced executables' start-up check) against the kernel's view of the
/// CPU: the flags of /proc/cpuinfo.
final class CPUFeatureTests: XCTestCase {
    /// LLVM feature names and the /proc/cpuinfo flag of each.
    private let linuxFlags = [
        "sse3": "pni", "ssse3": "ssse3", "sse4.1": "sse4_1", "sse4.2": "sse4_2", "popcnt": "popcnt", "avx": "avx",
        "avx2": "avx2", "fma": "fma", "f16c": "f16c", "bmi": "bmi1", "bmi2": "bmi2", "lzcnt": "abm", "movbe": "movbe",
        "avx512f": "avx512f", "avx512bw": "avx512bw", "avx512cd": "avx512cd", "avx512dq": "avx512dq",
        "avx512vl": "avx512vl", "avx512vnni": "avx512_vnni", "avx512bf16": "avx512_bf16", "avx512vbmi": "avx512vbmi",
        "avx512vbmi2": "avx512_vbmi2", "avx512ifma": "avx512ifma", "avx512bitalg": "avx512_bitalg",
        "avx512vpopcntdq": "avx512_vpopcntdq", "avxvnni": "avx_vnni", "gfni": "gfni", "vaes": "vaes",
        "vpclmulqdq": "vpclmulqdq", "sha": "sha_ni", "adx": "adx",
    ]

    private func missing(_ features: String) -> String? {
        var buffer = [CChar](repeating: 0, count: 32)
        guard llmc_cpu_missing_feature(features, &buffer, buffer.count) != 0 else { return nil }
        return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    func testEachFeatureMatchesProcCpuinfo() throws {
        let cpuinfo = try String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8)
        guard let line = cpuinfo.split(separator: "\n").first(where: { $0.hasPrefix("flags") }) else {
            throw XCTSkip("/proc/cpuinfo has no flags line")
        }
        let flags = Set(line.split(separator: ":").last?.split(separator: " ").map(String.init) ?? [])
        for (name, flag) in linuxFlags {
            XCTAssertEqual(missing(name), flags.contains(flag) ? nil : name, "\(name) (cpuinfo \(flag))")
        }
    }

    func testListsReportTheFirstMissingAndSkipUnknownNames() throws {
        let cpuinfo = try String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8)
        XCTAssertNil(missing("sse3,avx,no-such-feature,avx2"), "a baseline list on an AVX2 machine")
        XCTAssertNil(missing(""))
        guard let absent = linuxFlags.sorted(by: { $0.key < $1.key }).first(where: { !cpuinfo.contains(" \($0.value)") }) else {
            throw XCTSkip("this CPU has every feature of the table")
        }
        XCTAssertEqual(missing("avx2,\(absent.key),avx"), absent.key)
    }
}
