import Foundation
import NGramKit
import Testing

/// The `ngramkit` tool as a user runs it: output, summaries, and bad input.
@Suite("ngramkit command line")
struct CommandLineTests {
    static let binary = TestSupport.ngramkit

    private func run(_ arguments: [String], stdin: String? = nil, in directory: URL? = nil) throws -> (status: Int32, stdout: String, stderr: String) {
        try TestSupport.run(Self.binary, arguments, stdin: stdin.map { Data($0.utf8) }, currentDirectory: directory ?? TestSupport.packageRoot)
    }

    /// Asserts a failed run: non-zero exit, exactly one line on stderr that contains `fragment`,
    /// and nothing left in `directory` but the files that were there before.
    private func expectOneLineError(_ result: (status: Int32, stdout: String, stderr: String), contains fragment: String,
                                    directory: URL, before: Set<String>, sourceLocation: SourceLocation = #_sourceLocation) throws {
        #expect(result.status != 0, sourceLocation: sourceLocation)
        let lines = result.stderr.split(separator: "\n", omittingEmptySubsequences: false).filter { !$0.isEmpty }
        #expect(lines.count == 1, "stderr: \(result.stderr)", sourceLocation: sourceLocation)
        #expect(result.stderr.contains(fragment), "stderr: \(result.stderr)", sourceLocation: sourceLocation)
        #expect(result.stderr.hasPrefix("ngramkit: "), sourceLocation: sourceLocation)
        let after = Set(try FileManager.default.contentsOfDirectory(atPath: directory.path))
        #expect(after == before, "left behind: \(after.subtracting(before))", sourceLocation: sourceLocation)
    }

    @Test("count with --text counts the file and prints the summary")
    func bundledCorpusCount() throws {
        let result = try run(["count", "--text", "Corpora/kjv.txt.gz"])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("tokens      789634"))
        #expect(result.stdout.contains("sentences   31102"))
        #expect(result.stdout.contains("5-grams"))
        #expect(result.stderr.isEmpty)  // no progress when stderr is not a terminal
    }

    @Test("No --text reads standard input, as lmplz and query do, never the bundled corpus (from the repository root too)")
    func standardInputByDefault() throws {
        let text = "a b c\nb c d\na b\n"
        let counted = try run(["count", "--order", "2", "--json"], stdin: text)
        #expect(counted.status == 0, "\(counted.stderr)")
        let object = try #require(try JSONSerialization.jsonObject(with: Data(counted.stdout.utf8)) as? [String: Any])
        #expect(object["sentences"] as? Int == 3 && object["tokens"] as? Int == 8)
        let directory = try TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let model = directory.appendingPathComponent("m.arpa").path
        let built = try run(["build", "--order", "2", "--arpa", model], stdin: text)
        #expect(built.status == 0, "\(built.stderr)")
        #expect(built.stderr.contains("trained on  3 sentences, 8 tokens"), "\(built.stderr)")
        let scored = try run(["ppl", "--model", model, "--json"], stdin: "a b\n")
        let result = try #require(try JSONSerialization.jsonObject(with: Data(scored.stdout.utf8)) as? [String: Any])
        #expect(result["sentences"] as? Int == 1 && result["tokens"] as? Int == 3)
        #expect(try run(["tokenize"], stdin: "x  y\n").stdout == "x y\n")
        #expect(try run(["vocab"], stdin: "x y x\n").stdout == "x\t2\ny\t1\n")
    }

    // `script` (util-linux) runs the command on a pseudo-terminal; without it the case cannot be made.
    @Test("No --text with a terminal on standard input is a one-line error, not a wait for typing",
          .enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/script"), "needs /usr/bin/script"))
    func terminalInput() throws {
        let result = try TestSupport.run("/usr/bin/script", ["-qec", "\(Self.binary) count < /dev/tty", "/dev/null"])
        #expect(result.status != 0)
        #expect(result.stdout.contains("ngramkit: no --text given and standard input is a terminal"), "\(result.stdout)")
    }

    @Test("--json prints one JSON object with the summary's fields")
    func json() throws {
        let result = try run(["count", "--order", "3", "--text", "-", "--json"], stdin: "a b a\na b\n\na b a\n")
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.split(separator: "\n").count == 1)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
        #expect(object["sentences"] as? Int == 4)
        #expect(object["tokens"] as? Int == 8)
        #expect(object["vocabulary_size"] as? Int == 5)
        #expect(object["unique_ngrams"] as? [Int] == [5, 6, 4])
        #expect(object["order"] as? Int == 3)
        #expect((object["seconds"] as? Double).map { $0 >= 0 } == true)
        #expect((object["peak_memory_bytes"] as? Int).map { $0 > 0 } == true)
    }

    @Test("--out - writes the counts to stdout and the summary to stderr")
    func countsToStdout() throws {
        let result = try run(["count", "--order", "2", "--text", "-", "--out", "-"], stdin: "a b a\na b\n")
        #expect(result.status == 0)
        #expect(result.stdout == "<s>\t2\n</s>\t2\na\t3\nb\t2\n<s> a\t2\na </s>\t1\na b\t2\nb </s>\t1\nb a\t1\n")
        #expect(result.stderr.contains("tokens      5"))
    }

    @Test("A counts file written by count is complete and reads back")
    func countsFile() throws {
        let directory = try TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let out = directory.appendingPathComponent("kjv.counts").path
        let result = try run(["count", "--order", "3", "--text", "Corpora/kjv.txt.gz", "--out", out, "--json"])
        #expect(result.status == 0, "\(result.stderr)")
        let counts = try CountsFile.read(out)
        #expect(counts.tokens == 789_634)
        #expect(counts.uniqueCount(order: 3) == 458_355)
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory.path) == ["kjv.counts"])
    }

    @Test("tokenize prints what the counter sees; vocab lists words by frequency")
    func tokenizeAndVocab() throws {
        let tokenized = try run(["tokenize", "--tokenizer", "unicode", "--lowercase", "--text", "-"], stdin: "Don't stop, well-known 3.14!\n\n")
        #expect(tokenized.status == 0, "\(tokenized.stderr)")
        #expect(tokenized.stdout == "don't stop , well-known 3.14 !\n\n")
        let whitespace = try run(["tokenize", "--text", "-"], stdin: "  a\tb\u{00A0}c  \n")
        #expect(whitespace.stdout == "a b\u{00A0}c\n")
        let vocab = try run(["vocab", "--text", "-"], stdin: "b a b\nc b a\n")
        #expect(vocab.stdout == "b\t3\na\t2\nc\t1\n")
    }

    @Test("Help says what each option does and its default, once; usage lines name the options; --version")
    func help() throws {
        let result = try run(["count", "--help"])
        #expect(result.status == 0)
        #expect(result.stdout.contains("--order"))
        #expect(result.stdout.contains("(default: 5)"))
        #expect(result.stdout.contains("--tokenizer"))
        #expect(result.stdout.contains("--min-count"))
        for command in ["scale", "count", "build", "compile", "ppl", "query", "tokenize", "vocab"] {
            let help = try run([command, "--help"])
            #expect(help.status == 0)
            // Each option's text (from its "--name" to the next) mentions its default at most once.
            let blocks = help.stdout.components(separatedBy: "\n  -").dropFirst()
            for block in blocks {
                let mentions = block.lowercased().components(separatedBy: "default").count - 1
                #expect(mentions <= 1, "\(command): \(block)")
            }
            let usage = try #require(help.stdout.split(separator: "\n").first { $0.hasPrefix("USAGE:") })
            #expect(!usage.contains("<options>"), "\(command): \(usage)")
        }
        let version = try run(["--version"])
        #expect(version.status == 0 && version.stdout == NGramKitVersion.string + "\n")
    }

    @Test("Bad input: one line on stderr, non-zero exit, no output file left behind")
    func badInput() throws {
        let directory = try TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        var text: [UInt8] = []
        for i in 0..<5000 { text += Array("sentence number \(i) with a few words in it\n".utf8) }
        let gz = try TestSupport.gzip(text)
        let truncated = try TestSupport.write(Array(gz[..<(gz.count / 2)]), named: "truncated.txt.gz", in: directory)
        // Line 2 is "bad été" then the byte FF: b a d space é(2 bytes) t é(2 bytes) puts FF at byte 10 (counting from 1).
        let invalid = try TestSupport.write(Array("fine line\nbad \u{00E9}t\u{00E9}".utf8) + [0xFF, 0x0A], named: "invalid.txt", in: directory)
        let reserved = try TestSupport.write(Array("a b\nc <s> d\n".utf8), named: "reserved.txt", in: directory)
        let out = directory.appendingPathComponent("out.counts").path
        let before = Set(try FileManager.default.contentsOfDirectory(atPath: directory.path))

        try expectOneLineError(try run(["count", "--text", "/nonexistent/corpus.txt", "--out", out]),
                               contains: "/nonexistent/corpus.txt: cannot open", directory: directory, before: before)
        try expectOneLineError(try run(["count", "--text", directory.path, "--out", out]),
                               contains: "is a directory", directory: directory, before: before)
        try expectOneLineError(try run(["count", "--text", truncated, "--out", out]),
                               contains: "truncated.txt.gz: corrupt or truncated gzip", directory: directory, before: before)
        try expectOneLineError(try run(["tokenize", "--tokenizer", "unicode", "--text", invalid, "--out", out]),
                               contains: "invalid.txt:2: invalid UTF-8 at byte 10", directory: directory, before: before)
        try expectOneLineError(try run(["count", "--tokenizer", "unicode", "--text", invalid, "--out", out]),
                               contains: "invalid.txt:2: invalid UTF-8 at byte 10", directory: directory, before: before)
        try expectOneLineError(try run(["count", "--text", reserved, "--out", out]),
                               contains: "reserved.txt:2: the text contains the reserved token <s>", directory: directory, before: before)
        try expectOneLineError(try run(["count", "--order", "0", "--out", out]),
                               contains: "--order must be from 1 to 60", directory: directory, before: before)
        try expectOneLineError(try run(["count", "--order", "five", "--out", out]),
                               contains: "five", directory: directory, before: before)
        try expectOneLineError(try run(["count", "--min-count", "x", "--out", out]),
                               contains: "'x'", directory: directory, before: before)
        try expectOneLineError(try run(["count", "--tokenizer", "words", "--out", out]),
                               contains: "words", directory: directory, before: before)
        try expectOneLineError(try run(["count", "--lowercase", "--out", out]),
                               contains: "--lowercase", directory: directory, before: before)
        try expectOneLineError(try run(["count", "--json", "--out", "-"]),
                               contains: "--json and --out -", directory: directory, before: before)
        // Away from the repository root, scale without --text has no corpus: say so.
        try expectOneLineError(try run(["scale", "--out", out], in: directory),
                               contains: "run from the repository root or pass --text", directory: directory, before: before)
        // With --invalid-utf8 replace the same file goes through.
        let replaced = try run(["tokenize", "--tokenizer", "unicode", "--invalid-utf8", "replace", "--text", invalid])
        #expect(replaced.status == 0)
        #expect(replaced.stdout == "fine line\nbad été \u{FFFD}\n")  // U+FFFD is a symbol: its own token
    }
}
