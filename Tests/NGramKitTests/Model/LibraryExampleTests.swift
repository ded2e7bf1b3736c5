import Foundation
import NGramKit
import Testing

/// The README's "Using NGramKit as a library" example: the same lines as `example()` below,
/// which this test runs; and, compiled on their own against the built module (as a user's
/// program would be, without this package's `package` declarations), they type-check.
@Suite("The README's library example")
struct LibraryExampleTests {
    // example begins
    static func example() throws {
        let counter = try NGramCounter(order: 3)
        var tokenizer = WhitespaceTokenizer()
        try counter.addText("the cat sat on the mat\nthe dog sat on the log\n", tokenizer: &tokenizer)
        let model = try NGramModel.estimate(from: try counter.finish())
        // Score sentences as the kenlm module does: log10 p with <s> and </s>, per token, perplexity.
        print(try model.score("the cat sat on the log"))
        for token in try model.fullScores("the dog sat") { print(token.word, token.log10Prob, token.matched) }
        print(try model.perplexity("the mat"))
        // Write it as ARPA and read it back: the same scores, to the file's single precision.
        try ARPAWriter.write(model, to: "/tmp/ngramkit-example.arpa")
        print(try ModelFile.load("/tmp/ngramkit-example.arpa").score("the cat sat on the log"))
    }
    // example ends

    /// The lines between the markers of this file, without their indentation.
    static func exampleLines() throws -> [String] {
        let source = try String(contentsOfFile: #filePath, encoding: .utf8).components(separatedBy: "\n")
        let first = try #require(source.firstIndex { $0.contains("// example begins") }) + 2
        let last = try #require(source.firstIndex { $0.contains("// example ends") }) - 1
        return source[first..<last].map { $0.trimmingCharacters(in: .whitespaces) }
    }

    /// The README's example block, without the import line.
    static func readmeLines() throws -> [String] {
        let readme = try String(contentsOf: TestSupport.packageRoot.appendingPathComponent("README.md"), encoding: .utf8)
        let section = try #require(readme.components(separatedBy: "## Using NGramKit as a library").dropFirst().first)
        let block = try #require(section.components(separatedBy: "```swift\n").dropFirst().first?.components(separatedBy: "```").first)
        return block.components(separatedBy: "\n").filter { !$0.isEmpty && $0 != "import NGramKit" }
    }

    @Test("The README shows exactly this example, in at most 15 lines")
    func readmeMatches() throws {
        let readme = try Self.readmeLines()
        #expect(readme == (try Self.exampleLines()))
        #expect(readme.count + 1 <= 15)
    }

    @Test("The example runs, and its two scores agree (model in memory, and read back from ARPA)")
    func runs() throws {
        defer { try? FileManager.default.removeItem(atPath: "/tmp/ngramkit-example.arpa") }
        try Self.example()
        let counter = try NGramCounter(order: 3)
        var tokenizer = WhitespaceTokenizer()
        try counter.addText("the cat sat on the mat\nthe dog sat on the log\n", tokenizer: &tokenizer)
        let model = try NGramModel.estimate(from: try counter.finish())
        let loaded = try ModelFile.load("/tmp/ngramkit-example.arpa")
        #expect(abs(try model.score("the cat sat on the log") - loaded.score("the cat sat on the log")) < 1e-5)
        #expect(try model.fullScores("the dog sat").map(\.word) == ["the", "dog", "sat", "</s>"])
    }

    @Test("The example type-checks on its own, against the public API only")
    func publicOnly() throws {
        let build = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        let modules = build.appendingPathComponent("Modules")
        guard FileManager.default.fileExists(atPath: modules.appendingPathComponent("NGramKit.swiftmodule").path),
              let swiftc = ["/usr/bin/swiftc", "/opt/swift/usr/bin/swiftc"].first(where: { FileManager.default.isExecutableFile(atPath: $0) })
                ?? ProcessInfo.processInfo.environment["PATH"]?.split(separator: ":").map({ "\($0)/swiftc" })
                    .first(where: { FileManager.default.isExecutableFile(atPath: $0) }) else {
            Issue.record("no swiftc or no built NGramKit module beside the test bundle (\(modules.path))")
            return
        }
        let directory = try TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let file = directory.appendingPathComponent("main.swift")
        try (["import NGramKit"] + (try Self.readmeLines())).joined(separator: "\n").write(to: file, atomically: true, encoding: .utf8)
        let root = TestSupport.packageRoot.path
        // The C modules NGramKit imports, as SwiftPM made them for this build.
        let flags = ["-typecheck", "-I", modules.path, "-I", root + "/Sources/CZlib",
                     "-Xcc", "-fmodule-map-file=" + build.appendingPathComponent("CNGramKitSupport.build/module.modulemap").path]
        let result = try TestSupport.run(swiftc, flags + [file.path])
        #expect(result.status == 0, "\(result.stderr)")
        // And the check can fail: a package declaration is refused.
        try "import NGramKit\nlet x = LargeBuffer<UInt8>(zeroedCount: 1)\n".write(to: file, atomically: true, encoding: .utf8)
        let refused = try TestSupport.run(swiftc, flags + [file.path])
        #expect(refused.status != 0)
    }
}
