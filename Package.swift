// swift-tools-version:6.1
import PackageDescription

let llvmInclude = "/usr/lib/llvm-19/include"
let llvmLib = "/usr/lib/llvm-19/lib"

let package = Package(
    name: "llmc",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "llmc", targets: ["llmc"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
    ],
    targets: [
        .systemLibrary(name: "CLLVM", path: "Sources/CLLVM"),
        .target(name: "IR"),
        .target(name: "Frontend", dependencies: ["IR"]),
        .target(name: "Passes", dependencies: ["IR"]),
        .target(
            name: "Codegen",
            dependencies: ["IR", "CLLVM", "RuntimeLib"],
            cSettings: [.unsafeFlags(["-I\(llvmInclude)"])],
            swiftSettings: [.unsafeFlags(["-Xcc", "-I\(llvmInclude)"])],
            linkerSettings: [.unsafeFlags(["-L\(llvmLib)", "-Xlinker", "-rpath", "-Xlinker", llvmLib])]
        ),
        .target(
            name: "RuntimeLib",
            cSettings: [.unsafeFlags(["-O2", "-march=x86-64-v3"])],
            linkerSettings: [.linkedLibrary("m"), .linkedLibrary("pthread")]
        ),
        .executableTarget(
            name: "llmc",
            dependencies: [
                "Frontend", "IR", "Passes", "Codegen",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: [.unsafeFlags(["-Xcc", "-I\(llvmInclude)"])]
        ),
        .systemLibrary(name: "CBLAS", path: "Tests/CBLAS"),
        .testTarget(
            name: "CodegenTests",
            dependencies: ["Codegen", "CLLVM", "CBLAS", "IR"],
            swiftSettings: [.unsafeFlags(["-Xcc", "-I\(llvmInclude)"])],
            linkerSettings: [.linkedLibrary("openblas")]
        ),
        .executableTarget(
            name: "KernelBench",
            dependencies: ["Codegen", "CLLVM", "CBLAS", "RuntimeLib"],
            path: "Benchmarks/KernelBench",
            swiftSettings: [.unsafeFlags(["-Xcc", "-I\(llvmInclude)"])],
            linkerSettings: [.linkedLibrary("openblas")]
        ),
        .testTarget(name: "FrontendTests", dependencies: ["Frontend", "IR"]),
        .testTarget(name: "PassesTests", dependencies: ["Passes", "Frontend", "IR"]),
        .testTarget(name: "RuntimeTests", dependencies: ["RuntimeLib"]),
        .testTarget(name: "TokenizerTests", dependencies: ["Frontend", "RuntimeLib"]),
        .testTarget(name: "ModelTests", dependencies: ["llmc"]),
    ]
)
