import Foundation
import NGramKit
import Testing

/// Paths and helpers shared by the tests.
enum TestSupport {
    /// The package root (this file is Tests/NGramKitTests/Support/TestSupport.swift).
    static let packageRoot: URL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// `../shared` beside the repository, where the real corpora and KenLM fixtures live.
    static let shared: URL = packageRoot.deletingLastPathComponent().appendingPathComponent("shared")

    /// A path under `../shared`; the test fails loudly if it is missing (CI has it).
    static func sharedFile(_ relative: String, sourceLocation: SourceLocation = #_sourceLocation) throws -> String {
        let path = shared.appendingPathComponent(relative).path
        try #require(FileManager.default.fileExists(atPath: path), "missing \(path): the tests need ../shared beside the repository", sourceLocation: sourceLocation)
        return path
    }

    /// A fresh temporary directory.
    static func temporaryDirectory() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("ngramkit-tests-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    /// Writes `bytes` to a file in `directory` and returns its path.
    static func write(_ bytes: [UInt8], named name: String, in directory: URL) throws -> String {
        let url = directory.appendingPathComponent(name)
        try Data(bytes).write(to: url)
        return url.path
    }

    /// Runs a program and returns its exit status, stdout and stderr.
    static func run(_ executable: String, _ arguments: [String], stdin: Data? = nil, currentDirectory: URL? = nil) throws -> (status: Int32, stdout: String, stderr: String) {
        // Output goes to files rather than pipes, so a chatty child can never stall on a full pipe.
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let outURL = directory.appendingPathComponent("stdout"), errURL = directory.appendingPathComponent("stderr")
        let inURL = directory.appendingPathComponent("stdin")
        try (stdin ?? Data()).write(to: inURL)
        _ = FileManager.default.createFile(atPath: outURL.path, contents: nil)
        _ = FileManager.default.createFile(atPath: errURL.path, contents: nil)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        if let currentDirectory { process.currentDirectoryURL = currentDirectory }
        let outHandle = try FileHandle(forWritingTo: outURL), errHandle = try FileHandle(forWritingTo: errURL)
        let inHandle = try FileHandle(forReadingFrom: inURL)
        process.standardOutput = outHandle
        process.standardError = errHandle
        process.standardInput = inHandle
        try process.run()
        process.waitUntilExit()
        try outHandle.close(); try errHandle.close(); try inHandle.close()
        return (process.terminationStatus,
                String(decoding: try Data(contentsOf: outURL), as: UTF8.self),
                String(decoding: try Data(contentsOf: errURL), as: UTF8.self))
    }

    /// The built `ngramkit` beside the test bundle (the test target depends on it), or the one
    /// `NGRAMKIT_TEST_BINARY` names (to run the command-line tests against another build).
    static let ngramkit: String = {
        if let other = ProcessInfo.processInfo.environment["NGRAMKIT_TEST_BINARY"] { return other }
        let beside = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("ngramkit").path
        if FileManager.default.isExecutableFile(atPath: beside) { return beside }
        for configuration in ["release", "debug"] {
            let path = packageRoot.appendingPathComponent(".build/\(configuration)/ngramkit").path
            if FileManager.default.isExecutableFile(atPath: path) { return path }
        }
        return beside
    }()

    /// What a child process did: its exit status, or the signal that ended it.
    struct Outcome {
        var status: Int32
        var signal: Int32?
        var stdout: String
        var stderr: String
        var timedOut: Bool
        /// Exited by itself with a status below 128: not a trap (132, 133, 134, 139 are the
        /// status numbers of Swift's traps when a shell reports them) and not a signal.
        var endedCleanly: Bool { signal == nil && !timedOut && status < 128 }
        /// The lines on stderr.
        var errorLines: [Substring] { stderr.split(separator: "\n", omittingEmptySubsequences: true) }
    }

    /// Runs `ngramkit` (or `executable`) with a timeout; with `signal`, sends it that signal after `signalDelay`.
    static func runTool(_ arguments: [String], stdin: Data? = nil, in directory: URL? = nil, environment: [String: String] = [:],
                        timeout: Double = 60, signal: Int32? = nil, signalDelay: Double = 0, executable: String? = nil) throws -> Outcome {
        let scratch = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: scratch) }
        let outURL = scratch.appendingPathComponent("stdout"), errURL = scratch.appendingPathComponent("stderr")
        let inURL = scratch.appendingPathComponent("stdin")
        try (stdin ?? Data()).write(to: inURL)
        _ = FileManager.default.createFile(atPath: outURL.path, contents: nil)
        _ = FileManager.default.createFile(atPath: errURL.path, contents: nil)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable ?? ngramkit)
        process.arguments = arguments
        process.currentDirectoryURL = directory ?? packageRoot
        if !environment.isEmpty { process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 } }
        let outHandle = try FileHandle(forWritingTo: outURL), errHandle = try FileHandle(forWritingTo: errURL)
        let inHandle = try FileHandle(forReadingFrom: inURL)
        process.standardOutput = outHandle
        process.standardError = errHandle
        process.standardInput = inHandle
        let done = DispatchSemaphore(value: 0)
        process.terminationHandler = { _ in done.signal() }
        try process.run()
        if let signal {
            if done.wait(timeout: .now() + signalDelay) == .timedOut { kill(process.processIdentifier, signal) } else { done.signal() }
        }
        var timedOut = false
        if done.wait(timeout: .now() + timeout) == .timedOut {
            timedOut = true
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
        try outHandle.close(); try errHandle.close(); try inHandle.close()
        let signalled = process.terminationReason == .uncaughtSignal
        return Outcome(status: signalled ? 128 + process.terminationStatus : process.terminationStatus,
                       signal: signalled ? process.terminationStatus : nil,
                       stdout: String(decoding: try Data(contentsOf: outURL), as: UTF8.self),
                       stderr: String(decoding: try Data(contentsOf: errURL), as: UTF8.self), timedOut: timedOut)
    }

    /// The names in `directory`.
    static func contents(_ directory: URL) throws -> Set<String> {
        Set(try FileManager.default.contentsOfDirectory(atPath: directory.path))
    }

    /// gzip-compresses `bytes` with the system's gzip.
    static func gzip(_ bytes: [UInt8]) throws -> [UInt8] {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = try write(bytes, named: "data", in: directory)
        let result = try run("/bin/gzip", ["-n", "-f", path])
        try #require(result.status == 0, "gzip failed: \(result.stderr)")
        return [UInt8](try Data(contentsOf: URL(fileURLWithPath: path + ".gz")))
    }

    /// Counts `text` (lines separated by "\n") with the whitespace tokenizer.
    static func count(_ text: String, order: Int, restriction: VocabularyRestriction = .init(), vocabulary: Vocabulary? = nil) throws -> NGramCounts {
        let counter = try NGramCounter(order: order, vocabulary: vocabulary, restriction: restriction)
        var tokenizer = WhitespaceTokenizer()
        try counter.addText(text, tokenizer: &tokenizer)
        return try counter.finish()
    }

    /// Every line of a file, read through NGramKit's own reader.
    static func lines(of path: String) throws -> [String] {
        var result: [String] = []
        try LineReader.forEachLine(inFile: path) { line, _ in result.append(String(decoding: line, as: UTF8.self)) }
        return result
    }

    /// The n-gram lines of an ARPA file by order (blank lines, markers and header left out).
    static func arpaSections(of path: String) throws -> [Int: [String]] {
        var sections: [Int: [String]] = [:]
        var order: Int? = nil
        for line in try lines(of: path) {
            if line.hasPrefix("\\"), line.hasSuffix("-grams:") { order = Int(line.dropFirst().prefix { $0 != "-" }); sections[order!] = []; continue }
            if line == "\\end\\" { order = nil; continue }
            if let order, !line.trimmingCharacters(in: .whitespaces).isEmpty { sections[order]!.append(line) }
        }
        return sections
    }

    /// Writes an ARPA file of `sections` (n-gram lines by order 1...N), its header counting them.
    static func writeARPA(_ sections: [Int: [String]], named name: String, in directory: URL) throws -> String {
        let top = sections.keys.max()!
        var out = ["\\data\\"] + (1...top).map { "ngram \($0)=\(sections[$0]!.count)" } + [""]
        for n in 1...top { out += ["\\\(n)-grams:"] + sections[n]! + [""] }
        out += ["\\end\\", ""]
        return try write(Array(out.joined(separator: "\n").utf8), named: name, in: directory)
    }
}

/// The tests' helpers on NGramKit's one seeded generator, so random test inputs are the same on
/// every run and platform.
extension SplitMix64 {
    init(state: UInt64) { self.init(seed: state) }
    /// A number in 0..<n (the modulo bias is irrelevant here).
    mutating func below(_ n: Int) -> Int { Int(next() % UInt64(n)) }
    mutating func pick<T>(_ items: [T]) -> T { items[below(items.count)] }
}
