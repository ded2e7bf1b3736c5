import Foundation
import NGramKit
import Testing

/// Options out of range are refused before any work, in one line that gives the range; too many
/// threads are clamped with a note; messages say what is wrong in NGramKit's words.
@Suite("Option bounds and messages")
struct OptionBoundsTests {
    static let text = Array("a b c d\nb c d a\nc d a b\n".utf8)

    private func expectRefused(_ arguments: [String], _ fragment: String, in directory: URL,
                               sourceLocation: SourceLocation = #_sourceLocation) throws {
        let before = try TestSupport.contents(directory)
        let result = try TestSupport.runTool(arguments, in: directory, timeout: 20)
        #expect(!result.timedOut && result.status != 0 && result.endedCleanly, "\(arguments): \(result.status)", sourceLocation: sourceLocation)
        #expect(result.errorLines.count == 1 && result.stderr.hasPrefix("ngramkit: "), "\(arguments): \(result.stderr)", sourceLocation: sourceLocation)
        #expect(result.stderr.contains(fragment), "\(arguments): \(result.stderr)", sourceLocation: sourceLocation)
        #expect(try TestSupport.contents(directory) == before, "\(arguments) left files", sourceLocation: sourceLocation)
    }

    @Test("Orders, threads and the other numbers of build, count, ppl and query")
    func buildAndScoring() throws {
        let directory = try TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let text = try TestSupport.write(Self.text, named: "t.txt", in: directory)
        let model = directory.appendingPathComponent("m.arpa").path
        #expect(try TestSupport.runTool(["build", "--order", "3", "--text", text, "--arpa", model]).status == 0)
        for order in ["1099511627776", "61", "1000", "0", "-1"] {
            try expectRefused(["build", "--order", order, "--text", text, "--arpa", "A", "--binary", "B"], "--order must be from 1 to 60", in: directory)
            try expectRefused(["count", "--order", order, "--text", text], "--order must be from 1 to 60", in: directory)
        }
        try expectRefused(["build", "--order", "3", "--text", text, "--arpa", "A", "--threads", "-3"], "--threads must be at least 1, not -3", in: directory)
        try expectRefused(["build", "--order", "3", "--text", text, "--arpa", "A", "--discount-fallback", "-1", "-1", "-1"],
                          "D1 must be in [0, 1], not -1.0", in: directory)
        try expectRefused(["build", "--order", "3", "--text", text, "--arpa", "A", "--discount-fallback", "0.5", "-1", "1.5"],
                          "D2 must be in [0, 2], not -1.0", in: directory)
        try expectRefused(["build", "--order", "3", "--text", text, "--arpa", "A", "--alpha", "-0.5"], "--alpha must be in (0, 1]", in: directory)
        try expectRefused(["build", "--order", "3", "--text", text, "--arpa", "A", "--min-count", "-2"], "--min-count must be at least 1", in: directory)
        try expectRefused(["ppl", "--model", model, "--text", text, "--threads", "0"], "--threads must be at least 1", in: directory)
        // Many threads: clamped, with a note, the same results.
        for arguments in [["ppl", "--model", model, "--text", text, "--threads", "100000"],
                          ["query", "--model", model, "--text", text, "--threads", "9223372036854775807"],
                          ["build", "--order", "3", "--text", text, "--arpa", directory.appendingPathComponent("n.arpa").path, "--threads", "100000"],
                          ["count", "--text", text, "--threads", "9223372036854775807"]] {
            let result = try TestSupport.runTool(arguments, timeout: 30)
            #expect(!result.timedOut && result.status == 0, "\(arguments): \(result.stderr)")
            #expect(result.stderr.contains("ngramkit: note: --threads") && result.stderr.contains("using"), "\(arguments): \(result.stderr)")
        }
        #expect(try TestSupport.runTool(["ppl", "--model", model, "--text", text, "--threads", "100000"]).stdout
                == (try TestSupport.runTool(["ppl", "--model", model, "--text", text, "--threads", "1"])).stdout)
        #expect(try Data(contentsOf: URL(fileURLWithPath: directory.appendingPathComponent("n.arpa").path)) == Data(contentsOf: URL(fileURLWithPath: model)))
    }

    @Test("scale: sizes, factor, bootstrap, fractions; each before any corpus is read")
    func scale() throws {
        let directory = try TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let text = try TestSupport.write(Self.text, named: "t.txt", in: directory)
        let out = directory.appendingPathComponent("s").path
        let base = ["scale", "--text", text, "--out", out]
        for size in ["inf", "1e400k", "18446744073709551616", "2e15", "0", "-5", "nan", "10x", "-inf", "-nan"] {
            try expectRefused(base + ["--sizes", size], "is not a token count from 1 to 1e15", in: directory)
            try expectRefused(base + ["--start", size], "is not a token count from 1 to 1e15", in: directory)
        }
        for factor in ["inf", "1.0000001", "1", "0.5", "-2", "1e9", "nan", "-inf", "-Infinity"] {
            try expectRefused(base + ["--factor", factor], "--factor must be from 1.05 to 1000", in: directory)
        }
        for count in ["1099511627776", "99", "-1", "100001"] {
            try expectRefused(base + ["--bootstrap", count], "--bootstrap must be from 100 to 100000", in: directory)
        }
        try expectRefused(base + ["--heldout-fraction", "1.5"], "--heldout-fraction must be in (0, 1)", in: directory)
        try expectRefused(base + ["--heldout-fraction", "-0.1"], "--heldout-fraction must be in (0, 1)", in: directory)
        try expectRefused(base + ["--orders", "11"], "is not an order from 1 to 10", in: directory)
        for repeats in ["0", "101", "-1"] {
            try expectRefused(base + ["--repeats", repeats], "for --repeats: expected from 1 to 100 shuffles of the pool", in: directory)
        }
    }

    @Test("scale's empty inputs say which: no index row for these files, or an empty held-out set")
    func scaleEmptyInputs() throws {
        let directory = try TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let text = try TestSupport.write(Self.text, named: "corpus.shard03.txt", in: directory)
        let index = try TestSupport.write(Array("first_line\tshard\n1\t7\n2\t7\n".utf8), named: "index.tsv", in: directory)
        let empty = try TestSupport.write([], named: "empty.txt", in: directory)
        let out = directory.appendingPathComponent("s").path
        for (arguments, fragment) in [
            (["scale", "--text", text, "--index", index, "--out", out], "none of the index's 2 rows applies to the --text files (corpus.shard03.txt)"),
            (["scale", "--text", text, "--heldout", empty, "--out", out], "the held-out text (\(empty)) is empty"),
            (["scale", "--text", empty, "--out", out], "the training text (\(empty)) is empty"),
            (["scale", "--text", text, "--heldout-fraction", "0.01", "--out", out, "--index",
              try TestSupport.write(Array("first_line\n1\n".utf8), named: "one.tsv", in: directory)], "took no whole unit with words"),
        ] {
            let result = try TestSupport.runTool(arguments)
            #expect(result.status == 1 && result.errorLines.count == 1 && result.stderr.contains(fragment), "\(arguments): \(result.stderr)")
            #expect(!result.stderr.contains("--counts"), "scale has no --counts: \(result.stderr)")
        }
    }

    @Test("Messages: a byte-order mark before \\data\\, invalid UTF-8 counted from 1, empty text to score, /proc output")
    func messages() throws {
        let directory = try TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let text = try TestSupport.write(Self.text, named: "t.txt", in: directory)
        let model = directory.appendingPathComponent("m.arpa").path
        #expect(try TestSupport.runTool(["build", "--order", "3", "--text", text, "--arpa", model]).status == 0)
        let bom = try TestSupport.write([0xEF, 0xBB, 0xBF] + Array(try Data(contentsOf: URL(fileURLWithPath: model))), named: "bom.arpa", in: directory)
        #expect(try TestSupport.runTool(["ppl", "--model", bom, "--text", text]).stdout == (try TestSupport.runTool(["ppl", "--model", model, "--text", text])).stdout)
        let bad = try TestSupport.write([0xFF] + Array("abc\n".utf8), named: "bad.txt", in: directory)
        let utf8 = try TestSupport.runTool(["count", "--tokenizer", "unicode", "--text", bad])
        #expect(utf8.stderr.contains("bad.txt:1: invalid UTF-8 at byte 1 of the line"), "\(utf8.stderr)")
        for arguments in [["ppl", "--model", model], ["ppl", "--model", model, "--json"], ["query", "--model", model]] {
            let empty = try TestSupport.runTool(arguments, stdin: Data())
            #expect(empty.status == 1 && !empty.stdout.contains("nan") && empty.stderr.contains("the text to score (standard input) is empty"),
                    "\(arguments): \(empty.stdout) \(empty.stderr)")
        }
        let proc = try TestSupport.runTool(["count", "--text", text, "--out", "/proc/sc"])
        #expect(proc.status == 1 && proc.errorLines.count == 1 && !proc.stderr.contains("The file"), "\(proc.stderr)")
    }

    @Test("compile states bytes per n-gram of the n-gram tables and of the whole file")
    func sizeClaim() throws {
        let directory = try TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let model = directory.appendingPathComponent("m.arpa").path
        #expect(try TestSupport.runTool(["build", "--order", "3", "--text", try TestSupport.sharedFile("fixtures/kenlm/brown.train5k.txt.gz"),
                                         "--arpa", model]).status == 0)
        let result = try TestSupport.runTool(["compile", model, directory.appendingPathComponent("m.bin").path])
        let line = result.stderr
        #expect(line.contains("bytes/n-gram in the n-gram tables") && line.contains("with the vocabulary"), "\(line)")
        let afterCount = try #require(line.components(separatedBy: "n-grams: ").dropFirst().first)
        let afterTables = try #require(line.components(separatedBy: "tables, ").dropFirst().first)
        let tables = try #require(afterCount.split(separator: " ").first.flatMap { Double($0) })
        let whole = try #require(afterTables.split(separator: " ").first.flatMap { Double($0) })
        #expect(tables < whole && tables > 8 && tables < 30)
    }
}
