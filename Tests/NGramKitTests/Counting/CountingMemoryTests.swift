import Foundation
import NGramKit
import Testing

/// Counting keeps 4 to 12 bytes per token until the bounded-memory mode spills to disk; where the
/// machine cannot give that, the job says so in one line (the memory it needs), never a trap.
@Suite("Counting: memory it cannot get")
struct CountingMemoryTests {
    @Test("A gzip of one repeated line under a small address-space limit: a one-line error with the memory needed",
          .enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/prlimit"), "needs /usr/bin/prlimit"))
    func repeatedLine() throws {
        let directory = try TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        // 60 MB of one line repeated: 30 M tokens, a few hundred kB compressed.
        let line = Array(String(repeating: "a b c d ", count: 500).utf8) + [0x0A]
        var text: [UInt8] = []
        text.reserveCapacity(line.count * 15_000)
        for _ in 0..<15_000 { text.append(contentsOf: line) }
        let gz = try TestSupport.write(try TestSupport.gzip(text), named: "repeat.txt.gz", in: directory)
        let out = directory.appendingPathComponent("c.txt").path
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/prlimit")
        process.arguments = ["--as=300000000", TestSupport.ngramkit, "count", "--order", "5", "--text", gz, "--out", out]
        let errors = Pipe()
        process.standardError = errors
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        let stderr = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        #expect(process.terminationReason == .exit && process.terminationStatus == 1, "\(process.terminationStatus) \(stderr)")
        #expect(stderr.split(separator: "\n").count == 1 && stderr.hasPrefix("ngramkit: ") && stderr.contains("of memory"), "\(stderr)")
        #expect(try TestSupport.contents(directory) == ["repeat.txt.gz"])
        // vocab keeps no stream: the same file goes through in the same limit.
        let vocab = Process()
        vocab.executableURL = URL(fileURLWithPath: "/usr/bin/prlimit")
        vocab.arguments = ["--as=300000000", TestSupport.ngramkit, "vocab", "--text", gz]
        let words = Pipe()
        vocab.standardOutput = words
        try vocab.run()
        let listed = String(decoding: words.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        vocab.waitUntilExit()
        #expect(vocab.terminationStatus == 0 && listed == "a\t7500000\nb\t7500000\nc\t7500000\nd\t7500000\n")
    }
}
