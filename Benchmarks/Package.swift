// swift-tools-version: 6.1
import PackageDescription

// NGramKit's performance suite: its own package, so that the main package's build and tests
// never see it or its dependencies. Run from this folder with `swift package benchmark`
// (see README.md here).
// SwiftPM names a path dependency after its folder (`/work/main` is "main", a CI checkout may be
// "NGramKit"), so the main package's identity is taken from the folder this one sits in.
let mainPackage = Context.packageDirectory.split(separator: "/").dropLast().last.map { String($0).lowercased() } ?? "ngramkit"

let package = Package(
    name: "NGramKitBenchmarks",
    platforms: [.macOS(.v13)],
    dependencies: [
        .package(path: ".."),
        // The "MallocInterposer" trait alone: it gives the malloc metrics and leaves out the
        // package's other default trait (the Swift 6.3 ARC runtime interposer on Linux).
        .package(url: "https://github.com/ordo-one/benchmark", from: "1.38.1", traits: ["MallocInterposer"]),
    ],
    targets: [
        .executableTarget(
            name: "NGramKitBenchmarks",
            dependencies: [
                .product(name: "NGramKit", package: mainPackage),
                .product(name: "Benchmark", package: "benchmark"),
            ],
            path: "NGramKitBenchmarks",
            plugins: [
                .plugin(name: "BenchmarkPlugin", package: "benchmark"),
            ]
        ),
    ]
)
