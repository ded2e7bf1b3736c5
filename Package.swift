// swift-tools-version: 6.2
import PackageDescription

// Release builds (`swift build -c release`) compile each module whole (WMO), which the hot
// loops in Counting rely on for generic specialization across files.
let package = Package(
    name: "NGramKit",
    products: [
        .library(name: "NGramKit", targets: ["NGramKit"]),
        .executable(name: "ngramkit", targets: ["ngramkit"]),
        // The C ABI the Python package loads (python/ngramkit, through ctypes).
        .library(name: "NGramKitCABI", type: .dynamic, targets: ["NGramKitCABI"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
    ],
    targets: [
        // zlib from Debian's zlib1g-dev (libz-dev); the shim header wraps inflateInit2, a macro Swift cannot call.
        .systemLibrary(
            name: "CZlib",
            pkgConfig: "zlib",
            providers: [.apt(["zlib1g-dev"])]
        ),
        // Tiny C helpers that Swift has no spelling for (software prefetch).
        .target(name: "CNGramKitSupport"),
        .target(
            name: "NGramKit",
            dependencies: ["CZlib", "CNGramKitSupport"],
            swiftSettings: [.unsafeFlags(["-enforce-exclusivity=unchecked"], .when(configuration: .release))]
        ),
        .executableTarget(
            name: "ngramkit",
            dependencies: [
                "NGramKit",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .target(name: "NGramKitCABI", dependencies: ["NGramKit"]),
        .testTarget(
            name: "NGramKitTests",
            // The executable is a dependency so that the command-line tests find it built.
            dependencies: ["NGramKit", "ngramkit"]
        ),
    ]
)
