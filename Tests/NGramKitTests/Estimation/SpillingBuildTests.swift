import Foundation
import NGramKit
import Testing

/// Modified Kneser-Ney and Stupid Backoff past the memory budget: counted, estimated and written
/// a partition at a time, the ARPA file is the in-memory build's, byte for byte.
@Suite("Building past the memory budget")
struct SpillingBuildTests {
    /// `ngramkit build` in memory and with `memory`, to ARPA and binary; checks that the binary
    /// models are the same bytes; returns both ARPA files and the spilled run's summary.
    static func buildBothWays(_ arguments: [String], memory: String, in directory: URL) throws -> (Data, Data, [String: Any]) {
        let inMemory = directory.appendingPathComponent("memory.arpa").path
        let spilled = directory.appendingPathComponent("spilled.arpa").path
        let inMemoryBinary = directory.appendingPathComponent("memory.bin").path
        let spilledBinary = directory.appendingPathComponent("spilled.bin").path
        let temporary = directory.appendingPathComponent("tmp")
        try FileManager.default.createDirectory(at: temporary, withIntermediateDirectories: true)
        // The timeouts guard against a hang, not speed: a debug build of PTB order 5 at 8M takes
        // most of a minute alone, several at once on two cores take longer.
        let a = try TestSupport.runTool(["build"] + arguments + ["--arpa", inMemory, "--binary", inMemoryBinary], timeout: 600)
        #expect(a.status == 0, "\(a.stderr)")
        let b = try TestSupport.runTool(["build"] + arguments + ["--arpa", spilled, "--binary", spilledBinary, "--memory", memory,
                                                                 "--temp-dir", temporary.path, "--json"], timeout: 600)
        #expect(b.status == 0, "\(b.stderr)")
        #expect(try TestSupport.contents(temporary).isEmpty)
        #expect(try Data(contentsOf: URL(fileURLWithPath: inMemoryBinary)) == Data(contentsOf: URL(fileURLWithPath: spilledBinary)),
                "\(arguments): the binary models differ")
        let summary = try #require(try JSONSerialization.jsonObject(with: Data(b.stdout.utf8)) as? [String: Any])
        return (try Data(contentsOf: URL(fileURLWithPath: inMemory)), try Data(contentsOf: URL(fileURLWithPath: spilled)), summary)
    }

    @Test("PTB at --memory 8M: the in-memory ARPA file and binary model, byte for byte",
          arguments: [["--order", "2"], ["--order", "3"], ["--order", "5"], ["--order", "4", "--min-count", "2"],
                      ["--order", "3", "--tokenizer", "unicode", "--lowercase"],
                      ["--order", "2", "--smoothing", "stupid-backoff"], ["--order", "5", "--smoothing", "stupid-backoff"],
                      ["--order", "4", "--smoothing", "stupid-backoff", "--alpha", "0.7", "--min-count", "2"],
                      ["--order", "3", "--smoothing", "stupid-backoff", "--unigram-add-one"],
                      ["--order", "4", "--smoothing", "kneser-ney-original"]])
    func ptb(_ arguments: [String]) throws {
        let directory = try TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let text = try TestSupport.sharedFile("corpora/ptb/ptb.train.txt.gz")
        let (memory, spilled, summary) = try Self.buildBothWays(["--text", text] + arguments, memory: "8M", in: directory)
        #expect(memory == spilled, "\(arguments): the ARPA files differ")
        #expect((summary["partitions"] as? Int ?? 0) > 10, "\(summary)")
        #expect((summary["ngrams"] as? [Int])?.count == Int(arguments[1]))
    }

    @Test("Tiny and odd texts (fallback discounts, empty lines, one-word sentences, a closed vocabulary): the same bytes")
    func handMade() throws {
        let directory = try TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        var lines: [String] = []
        var random = SplitMix64(seed: 11)
        for i in 0..<120_000 {
            switch i % 9 {
            case 0: lines.append("w\(random.below(3))")
            case 1: lines.append("")
            case 2: lines.append("a line that repeats")
            default: lines.append((0..<(1 + random.below(10))).map { _ in "w\(random.below(300))" }.joined(separator: " "))
            }
        }
        let text = try TestSupport.write(Array((lines.joined(separator: "\n") + "\n").utf8), named: "t.txt", in: directory)
        let vocabulary = try TestSupport.write(Array((0..<200).map { "w\($0)" }.joined(separator: "\n").utf8), named: "v.txt", in: directory)
        for arguments in [["--order", "3"], ["--order", "6"], ["--order", "4", "--vocab", vocabulary],
                          ["--order", "6", "--smoothing", "stupid-backoff"],
                          ["--order", "4", "--vocab", vocabulary, "--smoothing", "stupid-backoff", "--alpha", "1"]] {
            let (memory, spilled, summary) = try Self.buildBothWays(["--text", text] + arguments, memory: "4M", in: directory)
            #expect(memory == spilled, "\(arguments)")
            #expect((summary["partitions"] as? Int ?? 0) > 1, "\(arguments) did not spill")
        }
        // Every line four times: no bigram is seen once, so the closed-form discounts of the
        // highest order fail and the fallback is used, spilled or not.
        let distinct = (0..<30_000).map { _ in (0..<8).map { _ in "w\(random.below(5000))" }.joined(separator: " ") }
        let repeated = try TestSupport.write(Array((Array(repeating: distinct, count: 4).joined().joined(separator: "\n") + "\n").utf8),
                                             named: "repeated.txt", in: directory)
        let (memory, spilled, summary) = try Self.buildBothWays(["--text", repeated, "--order", "2"], memory: "4M", in: directory)
        #expect(memory == spilled)
        #expect((summary["partitions"] as? Int ?? 0) > 1, "did not spill")
        #expect(String(decoding: spilled.prefix(200), as: UTF8.self).contains(" 0.5,1.0,1.5\n"), "no fallback discounts")
    }

    @Test("A binary model alone past the budget: the in-memory bytes, Kneser-Ney and Stupid Backoff")
    func binaryAlone() throws {
        let directory = try TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let text = try TestSupport.sharedFile("corpora/ptb/ptb.train.txt.gz")
        let expected = directory.appendingPathComponent("memory.bin").path, binary = directory.appendingPathComponent("m.bin").path
        #expect(try TestSupport.runTool(["build", "--order", "4", "--text", text, "--binary", expected]).status == 0)
        let result = try TestSupport.runTool(["build", "--order", "4", "--text", text, "--binary", binary, "--memory", "6M", "--json"])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(!result.stdout.contains("\"partitions\":1,"), "did not spill: \(result.stdout)")
        #expect(try Data(contentsOf: URL(fileURLWithPath: binary)) == Data(contentsOf: URL(fileURLWithPath: expected)))
        let sbExpected = directory.appendingPathComponent("sb-memory.bin").path, sbBinary = directory.appendingPathComponent("sb.bin").path
        #expect(try TestSupport.runTool(["build", "--order", "3", "--text", text, "--binary", sbExpected, "--smoothing", "stupid-backoff"]).status == 0)
        let sb = try TestSupport.runTool(["build", "--order", "3", "--text", text, "--binary", sbBinary, "--smoothing", "stupid-backoff",
                                          "--memory", "6M", "--json"])
        #expect(sb.status == 0, "\(sb.stderr)")
        #expect(!sb.stdout.contains("\"partitions\":1,"), "did not spill: \(sb.stdout)")
        #expect(try Data(contentsOf: URL(fileURLWithPath: sbBinary)) == Data(contentsOf: URL(fileURLWithPath: sbExpected)))
    }
}

/// Spilled jobs run their partitions on several threads: the same bytes for any number (also
/// run under Thread Sanitizer in `.ci/run`, so kept small).
@Suite("Spilling: threads")
struct SpillingThreadsTests {
    @Test("count and build (Kneser-Ney and Stupid Backoff) past the budget on 1, 2 and 3 threads: the in-memory files, byte for byte")
    func threads() throws {
        let directory = try TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        var random = SplitMix64(seed: 5)
        let lines = (0..<20_000).map { _ in (0..<(1 + random.below(9))).map { _ in "w\(random.below(2000))" }.joined(separator: " ") }
        let text = try TestSupport.write(Array((lines.joined(separator: "\n") + "\n").utf8), named: "t.txt", in: directory)
        let expectedCounts = directory.appendingPathComponent("memory.counts").path
        let expectedModel = directory.appendingPathComponent("memory.arpa").path
        let expectedBinary = directory.appendingPathComponent("memory.bin").path
        #expect(try TestSupport.runTool(["count", "--order", "4", "--text", text, "--out", expectedCounts]).status == 0)
        #expect(try TestSupport.runTool(["build", "--order", "4", "--text", text, "--arpa", expectedModel, "--binary", expectedBinary]).status == 0)
        let expectedBackoff = directory.appendingPathComponent("memory-sb.arpa").path
        #expect(try TestSupport.runTool(["build", "--order", "4", "--text", text, "--arpa", expectedBackoff, "--smoothing", "stupid-backoff"]).status == 0)
        for threads in ["1", "2", "3"] {
            let counts = directory.appendingPathComponent("c\(threads)").path, model = directory.appendingPathComponent("m\(threads)").path
            let binary = directory.appendingPathComponent("b\(threads)").path
            let c = try TestSupport.runTool(["count", "--order", "4", "--text", text, "--out", counts, "--memory", "4M", "--threads", threads, "--json"])
            let b = try TestSupport.runTool(["build", "--order", "4", "--text", text, "--arpa", model, "--binary", binary, "--memory", "4M",
                                             "--threads", threads, "--json"])
            #expect(c.status == 0 && b.status == 0, "\(c.stderr) \(b.stderr)")
            #expect(c.stdout.contains("\"partitions\":") && !c.stdout.contains("\"partitions\":1,"), "\(c.stdout)")
            #expect(try Data(contentsOf: URL(fileURLWithPath: counts)) == Data(contentsOf: URL(fileURLWithPath: expectedCounts)), "count, \(threads) threads")
            #expect(try Data(contentsOf: URL(fileURLWithPath: model)) == Data(contentsOf: URL(fileURLWithPath: expectedModel)), "build, \(threads) threads")
            #expect(try Data(contentsOf: URL(fileURLWithPath: binary)) == Data(contentsOf: URL(fileURLWithPath: expectedBinary)), "binary, \(threads) threads")
            let backoff = directory.appendingPathComponent("sb\(threads)").path
            let s = try TestSupport.runTool(["build", "--order", "4", "--text", text, "--arpa", backoff, "--smoothing", "stupid-backoff",
                                             "--memory", "4M", "--threads", threads])
            #expect(s.status == 0, "\(s.stderr)")
            #expect(try Data(contentsOf: URL(fileURLWithPath: backoff)) == Data(contentsOf: URL(fileURLWithPath: expectedBackoff)), "Stupid Backoff, \(threads) threads")
        }
    }
}
