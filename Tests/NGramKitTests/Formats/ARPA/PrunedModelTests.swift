import Foundation
import NGramKit
import Testing

/// Pruned models: an n-gram whose suffix the file lacks is still found, as KenLM's loader makes
/// it (it fills the suffix in): every token's log10 probability and matched length equal KenLM's
/// `query` on a pruned Brown order-4 model.
@Suite("Pruned models: missing suffixes")
struct PrunedModelTests {
    @Test("'a b c' without 'b c' (sufmiss.arpa): c after 'a b' matches the trigram, length 3")
    func handCase() throws {
        let model = try ARPAReader.read(try TestSupport.sharedFile("reliability/sufmiss.arpa"))
        let state = ModelState(model: model)
        state.beginSentence()
        let ids = ["a", "b", "c"].map { model.vocabulary.lookup($0)! }
        _ = try state.score(ids[0])
        _ = try state.score(ids[1])
        let c = try state.score(ids[2])
        #expect(c.matched == 3 && c.log10Prob == -0.1)
        // The filled-in 'b c' carries the backoff form's probability, backoff(b) + p(c), and is
        // no n-gram of the file: not found by entry(), not counted, not written.
        #expect(model.entry("b c") == nil && model.ngramCounts == [6, 2, 1])
        try state.setContext([ids[1]])
        let bc = try state.score(ids[2])
        #expect(bc.matched == 2 && abs(bc.log10Prob - (-0.4 + -1.0)) < 1e-12)
        let directory = try TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let written = directory.appendingPathComponent("w.arpa").path
        try ARPAWriter.write(model, to: written)
        #expect(!(try String(contentsOfFile: written, encoding: .utf8)).contains("\tb c"))
        #expect(!(try String(contentsOfFile: written, encoding: .utf8)).contains("# ngramkit complete"))
    }

    @Test("An ARPA file NGramKit wrote as complete, then pruned by a filter that keeps its comments: the hole is still filled")
    func prunedAfterWriting() throws {
        let counter = try NGramCounter(order: 3)
        var tokenizer = WhitespaceTokenizer()
        try counter.addText("a b c\na b c\nx b y\nb c d\n", tokenizer: &tokenizer)
        let model = try NGramModel.estimate(from: try counter.finish())
        let directory = try TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let written = directory.appendingPathComponent("complete.arpa").path
        try ARPAWriter.write(model, to: written)
        let text = try String(contentsOfFile: written, encoding: .utf8)
        #expect(text.contains("# ngramkit complete n-grams="))
        // Drop 'b c' and every trigram it is the context of, keep the comments, fix the header.
        var lines = text.components(separatedBy: "\n")
        var dropped = [0, 0, 0]
        lines = lines.filter { line in
            let fields = line.split(separator: "\t")
            guard fields.count >= 2 else { return true }
            let words = fields[1].split(separator: " ")
            if words == ["b", "c"] || (words.count == 3 && words.prefix(2) == ["b", "c"]) { dropped[words.count - 1] += 1; return false }
            return true
        }
        #expect(dropped[1] == 1 && dropped[2] >= 1)
        lines = lines.map { line in
            guard line.hasPrefix("ngram "), let n = Int(line.dropFirst(6).prefix { $0 != "=" }) else { return line }
            return "ngram \(n)=\(model.ngramCounts[n - 1] - dropped[n - 1])"
        }
        let pruned = try TestSupport.write(Array(lines.joined(separator: "\n").utf8), named: "pruned.arpa", in: directory)
        for reread in [try ARPAReader.read(pruned), try ARPAReader.read(pruned, lineByLine: true)] {
            let state = ModelState(model: reread)
            state.beginSentence()
            let ids = ["a", "b", "c"].map { reread.vocabulary.lookup($0)! }
            _ = try state.score(ids[0])
            _ = try state.score(ids[1])
            let c = try state.score(ids[2])
            #expect(c.matched == 3, "'a b c' is in the file; its suffix 'b c' was pruned")
            #expect(abs(c.log10Prob - model.entry("a b c")!.logProb) < 1e-6)
        }
    }

    /// `../shared/fixtures/kenlm/brown.o4.arpa.gz` with, from orders 2 and 3, n-grams that are no
    /// context of an n-gram one order up but a suffix of one dropped with probability 1/5
    /// (`Tests/Fixtures/README.md`).
    static func prunedBrown(in directory: URL) throws -> String {
        var sections = try TestSupport.arpaSections(of: try TestSupport.sharedFile("fixtures/kenlm/brown.o4.arpa.gz"))
        let top = sections.keys.max()!
        func words(_ line: String) -> [Substring] { line.split(separator: "\t")[1].split(separator: " ") }
        var random = SplitMix64(seed: 2026)
        for n in 2..<top {
            let above = sections[n + 1]!.map(words)
            let contexts = Set(above.map { $0.dropLast().joined(separator: " ") })
            let suffixes = Set(above.map { $0.dropFirst().joined(separator: " ") })
            sections[n] = sections[n]!.filter { line in
                let key = words(line).joined(separator: " ")
                return !(!contexts.contains(key) && suffixes.contains(key) && random.next() % 5 == 0)
            }
        }
        return try TestSupport.writeARPA(sections, named: "pruned.arpa", in: directory)
    }

    @Test("A pruned Brown order-4 model: every token as KenLM's query scores it (log10 p and length)")
    func kenlmParity() throws {
        let directory = try TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let pruned = try Self.prunedBrown(in: directory)
        let digest = try TestSupport.run("/usr/bin/sha256sum", [pruned]).stdout.prefix(64)
        #expect(digest == "0102215c97dcad5f1bf2d4916b1ce56abe1303e4e2c90654bcb653025a62fa98", "not the model the reference was made from")
        let reference = try TestSupport.lines(of: TestSupport.packageRoot.appendingPathComponent("Tests/Fixtures/brown.o4.pruned.kenlm-query.txt.gz").path)
            .filter { $0.contains("Total:") }
        let test = try TestSupport.sharedFile("fixtures/kenlm/brown.test1k.txt.gz")
        for (name, model) in [("ARPA", try ARPAReader.read(pruned)), ("line by line", try ARPAReader.read(pruned, lineByLine: true))] {
            var got: [String] = []
            var current = ""
            _ = try Perplexity.evaluate(model: model, paths: [test], onToken: { token in
                current += "\(String(decoding: token.word, as: UTF8.self)) \(token.matched) \(Float(token.log10Prob))\t"
            }, onSentence: { _ in got.append(current); current = "" })
            #expect(got.count == reference.count && got.count == 1000)
            var mismatches = 0
            for (mine, theirs) in zip(got, reference) {
                let kenlm = theirs.split(separator: "\t").dropLast().map { field -> String in
                    let (word, rest) = (field[..<field.lastIndex(of: "=")!], field[field.index(after: field.lastIndex(of: "=")!)...])
                    let parts = rest.split(separator: " ")
                    return "\(word) \(parts[1]) \(parts[2])"
                }
                let ours = mine.split(separator: "\t").map(String.init)
                for (a, b) in zip(ours, kenlm) where a != b {
                    // Equal to KenLM's printed single precision, or within its rounding.
                    let x = a.split(separator: " "), y = b.split(separator: " ")
                    if x[0] != y[0] || x[1] != y[1] || abs(Double(x[2])! - Double(y[2])!) > 1e-5 { mismatches += 1 }
                }
            }
            #expect(mismatches == 0, "\(name): \(mismatches) tokens differ from KenLM's query")
        }
        // The binary model compiled from it scores alike (the fills are stored as entries).
        let binary = directory.appendingPathComponent("pruned.bin").path
        try BinaryModelWriter.write(try ARPAReader.read(pruned), to: binary)
        let a = try Perplexity.evaluate(model: try ModelFile.load(pruned), paths: [test])
        let b = try Perplexity.evaluate(model: try ModelFile.load(binary), paths: [test])
        #expect(abs(a.log10Prob - b.log10Prob) < 1e-3 && a.tokens == b.tokens)
    }
}
