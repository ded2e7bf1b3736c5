import Foundation
import NGramKit
import Testing

@Suite("Counts files: write, read back, identical")
struct CountsFileTests {
    private func write(_ counts: NGramCounts, to path: String) throws {
        let sink = try OutputSink(path: path)
        try CountsFile.write(counts, to: sink)
        try sink.commit()
    }

    @Test("The hand-computed text writes the expected lines in canonical order")
    func smallFile() throws {
        let directory = try TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let counts = try TestSupport.count("a b a\na b\n", order: 2)
        let path = directory.appendingPathComponent("counts").path
        try write(counts, to: path)
        // Unigrams in id order (<unk> = 0 never occurred; <s> = 1, </s> = 2, a = 3, b = 4), then
        // bigrams by their context's id, then by word id.
        #expect(try TestSupport.lines(of: path) == [
            "<s>\t2", "</s>\t2", "a\t3", "b\t2",
            "<s> a\t2", "a </s>\t1", "a b\t2", "b </s>\t1", "b a\t1",
        ])
    }

    @Test("The default corpus at order 5 round-trips byte for byte, continuation counts included")
    func roundTrip() throws {
        let directory = try TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let corpus = TestSupport.packageRoot.appendingPathComponent(DefaultCorpus.path).path
        let counter = try NGramCounter(order: 5)
        var tokenizer = WhitespaceTokenizer()
        try counter.addFiles([corpus], tokenizer: &tokenizer)
        let counts = try counter.finish()
        let first = directory.appendingPathComponent("first").path
        let second = directory.appendingPathComponent("second").path
        try write(counts, to: first)
        let readBack = try CountsFile.read(first)
        try write(readBack, to: second)
        let a = try Data(contentsOf: URL(fileURLWithPath: first))
        let b = try Data(contentsOf: URL(fileURLWithPath: second))
        #expect(a.count > 1_000_000)
        #expect(a == b)
        #expect(readBack.sentences == counts.sentences)
        #expect(readBack.tokens == counts.tokens)
        for n in 1...5 {
            #expect(readBack.uniqueCount(order: n) == counts.uniqueCount(order: n))
            #expect(readBack.countsOfCounts(order: n, adjusted: true) == counts.countsOfCounts(order: n, adjusted: true))
            #expect(readBack.countsOfCounts(order: n, adjusted: false) == counts.countsOfCounts(order: n, adjusted: false))
        }
    }

    @Test("Lines may come in any order; repeated lines add up")
    func anyOrder() throws {
        let directory = try TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = try TestSupport.write(Array("a b\t2\n<s> a\t2\n<s>\t2\na\t1\nb\t2\n</s>\t2\nb </s>\t2\na\t1\n".utf8), named: "c", in: directory)
        let counts = try CountsFile.read(path)
        #expect(counts.order == 2)
        #expect(counts.count(of: "a") == 2)
        #expect(counts.count(of: "a b") == 2)
        #expect(counts.sentences == 2)
        #expect(counts.tokens == 4)
        #expect(counts.adjustedCount(of: "b") == 1)
        #expect(counts.adjustedCount(of: "a") == 1)
    }

    @Test("Malformed lines are errors naming the line", arguments: [
        ("a\t1\nb 3\n", 2, "no TAB"),
        ("a\t1\nb\tx\n", 2, "whole number"),
        ("a\t0\n", 1, "positive"),
        ("a\t1\na </s> b\t1\n", 2, "<s> may only start"),
        ("a\t1\nb\t1\nc\t1\na b c\t1\n", 4, "context 'a b'"),
        // A suffix missing (the context is there): estimation needs it, so it is an error too.
        ("a\t1\nb\t1\nc\t1\na b\t1\na b c\t1\n", 5, "the suffix 'b c' of the n-gram 'a b c' is not in the file"),
        ("<s>\t2\n</s>\t2\na\t2\nb\t2\n<s> a\t2\na b\t2\n<s> a b\t2\na b </s>\t2\n", 8, "the suffix 'b </s>'"),
        // Counts past 2^63, alone or summed over duplicate lines.
        ("a\t18446744073709551615\n", 1, "add up to 2^63 or more"),
        ("a\t9223372036854775808\n", 1, "add up to 2^63 or more"),
        ("a\t99999999999999999999\n", 1, "too large"),
        ("a\t2\nb\t2\na b\t2\na b\t9223372036854775807\n", 4, "the counts of the 2-grams add up to 2^63 or more"),
        ("a\t2\nb\t4611686018427387904\nb\t4611686018427387904\n", 3, "the counts of the 1-grams add up"),
    ])
    func malformed(text: String, line: Int, fragment: String) throws {
        let directory = try TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = try TestSupport.write(Array(text.utf8), named: "bad", in: directory)
        do {
            _ = try CountsFile.read(path)
            Issue.record("no error for \(text)")
        } catch let error as NGramKitError {
            guard case let .malformedLine(errorPath, errorLine, reason) = error else {
                Issue.record("unexpected \(error)")
                return
            }
            #expect(errorPath == path)
            #expect(errorLine == line)
            #expect(reason.contains(fragment), "\(reason)")
        }
    }
}
