import Foundation
import NGramKit
import Testing

@Suite("Corpus reading: files, gzip by content, lines")
struct CorpusReadingTests {
    private func readLines(_ bytes: [UInt8], named name: String = "text") throws -> [String] {
        let directory = try TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = try TestSupport.write(bytes, named: name, in: directory)
        return try TestSupport.lines(of: path)
    }

    @Test("One line per newline; a last line without newline counts; empty lines are lines")
    func lineSplitting() throws {
        #expect(try readLines(Array("a b\n\nc\n".utf8)) == ["a b", "", "c"])
        #expect(try readLines(Array("a\nb".utf8)) == ["a", "b"])
        #expect(try readLines(Array("\n\n".utf8)) == ["", ""])
        #expect(try readLines([]) == [])
    }

    @Test("CRLF reads like LF; a lone CR inside a line is kept")
    func crlf() throws {
        #expect(try readLines(Array("a b\r\nc\r\n".utf8)) == ["a b", "c"])
        #expect(try readLines(Array("a\rb\nc\r".utf8)) == ["a\rb", "c"])
    }

    @Test("A line longer than the read buffer arrives whole")
    func longLine() throws {
        let long = String(repeating: "word ", count: 600_000)  // 3 MB, past the 1 MiB buffer
        let lines = try readLines(Array((long + "\nshort\n").utf8))
        #expect(lines.count == 2)
        #expect(lines[0].utf8.count == long.utf8.count)
        #expect(lines[1] == "short")
    }

    @Test("gzip is recognised by its magic bytes, whatever the file is called")
    func gzipByContent() throws {
        let text = Array("first line\nsecond line\n".utf8)
        let compressed = try TestSupport.gzip(text)
        #expect(try readLines(compressed, named: "plain-looking.txt") == ["first line", "second line"])
        // And a plain file called .gz is read as plain text.
        #expect(try readLines(text, named: "not-really.gz") == ["first line", "second line"])
    }

    @Test("Concatenated gzip members read as one text")
    func multiMember() throws {
        let first = try TestSupport.gzip(Array("one\ntwo\n".utf8))
        let second = try TestSupport.gzip(Array("three\n".utf8))
        #expect(try readLines(first + second) == ["one", "two", "three"])
    }

    @Test("A truncated gzip file is an error naming the file, never a shorter text")
    func truncatedGzip() throws {
        var text: [UInt8] = []
        for i in 0..<20_000 { text += Array("line \(i) of a text that is long enough to span blocks\n".utf8) }
        let compressed = try TestSupport.gzip(text)
        let directory = try TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        for cut in [compressed.count - 4, compressed.count / 2, 12] {
            let path = try TestSupport.write(Array(compressed[..<cut]), named: "cut\(cut).gz", in: directory)
            #expect {
                try TestSupport.lines(of: path)
            } throws: { error in
                guard case let .corruptGzip(errorPath, _) = error as? NGramKitError else { return false }
                return errorPath == path
            }
        }
    }

    @Test("Corrupt gzip data is an error")
    func corruptGzip() throws {
        var compressed = try TestSupport.gzip(Array(String(repeating: "some text here\n", count: 2000).utf8))
        for i in 20..<60 { compressed[i] ^= 0x5a }
        let directory = try TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = try TestSupport.write(compressed, named: "bad.gz", in: directory)
        #expect(throws: NGramKitError.self) { try TestSupport.lines(of: path) }
    }

    @Test("A missing file and a directory are clear errors")
    func missingAndDirectory() throws {
        #expect(throws: NGramKitError.cannotOpen(path: "/nonexistent/file.txt", reason: "No such file or directory")) {
            try TestSupport.lines(of: "/nonexistent/file.txt")
        }
        let directory = try TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        #expect(throws: NGramKitError.isDirectory(path: directory.path)) { try TestSupport.lines(of: directory.path) }
    }

    @Test("The real PTB training file has the lines and tokens its manifest gives")
    func ptbTrain() throws {
        let path = try TestSupport.sharedFile("corpora/ptb/ptb.train.txt.gz")
        var lines = 0, tokens = 0
        var tokenizer = WhitespaceTokenizer()
        try LineReader.forEachLine(inFile: path) { line, _ in
            lines += 1
            try tokenizer.tokenize(line) { _ in tokens += 1 }
        }
        #expect(lines == 42068)
        #expect(tokens == 887_521)
    }
}
