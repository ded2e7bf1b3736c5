import Foundation
import NGramKit
import Testing

/// Parity with KenLM (`../shared/fixtures/kenlm/`): models built by NGramKit score the same
/// perplexities as `lmplz` + `query`, and KenLM's own ARPA files score them too.
@Suite struct KenLMPerplexityParityTests {
    struct Row {
        let corpus: String, order: Int, train: String, eval: String
        let tokens: Int, oovs: Int, perplexity: Double, perplexityExcludingOOVs: Double
    }

    static func rows() throws -> [Row] {
        let table = try String(contentsOfFile: try TestSupport.sharedFile("fixtures/kenlm/perplexity.tsv"), encoding: .utf8)
        return table.split(separator: "\n").dropFirst().map { line in
            let f = line.split(separator: "\t").map(String.init)
            return Row(corpus: f[0], order: Int(f[1])!, train: f[2], eval: f[3], tokens: Int(f[4])!, oovs: Int(f[5])!,
                       perplexity: Double(f[6])!, perplexityExcludingOOVs: Double(f[7])!)
        }
    }

    /// A fixture corpus path as the fixtures used it: PTB and WikiText-2 with every literal
    /// `<unk>` replaced by `UNKTOK` (lmplz refuses a literal `<unk>`).
    static func prepared(_ relative: String, in directory: URL) throws -> String {
        let path = try TestSupport.sharedFile(relative.hasPrefix("fixtures/") ? relative : "corpora/" + relative)
        if relative.hasPrefix("fixtures/") { return path }
        let text = try TestSupport.lines(of: path).map { $0.replacingOccurrences(of: "<unk>", with: "UNKTOK") }.joined(separator: "\n") + "\n"
        return try TestSupport.write(Array(text.utf8), named: URL(fileURLWithPath: relative).lastPathComponent, in: directory)
    }

    static func build(order: Int, train: String) throws -> NGramModel {
        let counter = try NGramCounter(order: order)
        try counter.addFiles([train], configuration: TokenizerConfiguration())
        return try NGramModel.estimate(from: try counter.finish())
    }

    static func relative(_ a: Double, _ b: Double) -> Double { abs(a - b) / abs(b) }

    @Test("every perplexity of perplexity.tsv, to a relative 1e-6", arguments: ["ptb", "wikitext-2", "brown"])
    func perplexities(corpus: String) throws {
        let directory = try TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        for row in try Self.rows() where row.corpus == corpus {
            let model = try Self.build(order: row.order, train: try Self.prepared(row.train, in: directory))
            let result = try Perplexity.evaluate(model: model, paths: [try Self.prepared(row.eval, in: directory)])
            #expect(result.tokens == row.tokens, "\(row.corpus) o\(row.order) \(row.eval)")
            #expect(result.oovs == row.oovs, "\(row.corpus) o\(row.order) \(row.eval)")
            #expect(Self.relative(result.perplexity, row.perplexity) < 1e-6,
                    "\(row.corpus) o\(row.order) \(row.eval): \(result.perplexity) vs KenLM \(row.perplexity)")
            #expect(Self.relative(result.perplexityExcludingOOVs, row.perplexityExcludingOOVs) < 1e-6,
                    "\(row.corpus) o\(row.order) \(row.eval): \(result.perplexityExcludingOOVs) vs KenLM \(row.perplexityExcludingOOVs)")
        }
    }

    @Test("PTB order 5 with the literal <unk> as the unknown word: Mikolov's published 141.2")
    func publishedPTB() throws {
        let model = try Self.build(order: 5, train: try TestSupport.sharedFile("corpora/ptb/ptb.train.txt.gz"))
        let result = try Perplexity.evaluate(model: model, paths: [try TestSupport.sharedFile("corpora/ptb/ptb.test.txt.gz")])
        #expect(abs(result.perplexity - 141.2) <= 0.05, "\(result.perplexity)")
        // The literal <unk> is a word of the training text, so it is no OOV... but it maps to id 0.
        let order3 = try Self.build(order: 3, train: try TestSupport.sharedFile("corpora/ptb/ptb.train.txt.gz"))
        let result3 = try Perplexity.evaluate(model: order3, paths: [try TestSupport.sharedFile("corpora/ptb/ptb.test.txt.gz")])
        #expect(abs(result3.perplexity - 148.3) <= 0.05, "\(result3.perplexity)")
    }
}

/// KenLM's `query` output, token by token.
@Suite struct KenLMQueryParityTests {
    /// (word, matched length, log10 p) of every token of `brown.o4.test1k.query.txt.gz`, and the
    /// per-sentence totals and OOV counts.
    static func kenlmTokens() throws -> (tokens: [(word: String, length: Int, log10Prob: Double)], totals: [(Double, Int)]) {
        var tokens: [(String, Int, Double)] = []
        var totals: [(Double, Int)] = []
        for line in try TestSupport.lines(of: try TestSupport.sharedFile("fixtures/kenlm/brown.o4.test1k.query.txt.gz")) {
            guard let totalRange = line.range(of: "Total: ") else { continue }
            for field in line[..<totalRange.lowerBound].split(separator: "\t") {
                let parts = field.split(separator: " ")
                let word = String(parts[0][..<parts[0].lastIndex(of: "=")!])
                tokens.append((word, Int(parts[1])!, Double(parts[2])!))
            }
            let tail = line[totalRange.upperBound...].split(separator: " ")
            totals.append((Double(tail[0])!, Int(tail[2])!))
        }
        return (tokens, totals)
    }

    @Test("Brown order 4 on brown.test1k: every token's log10 p and matched length as KenLM's query")
    func brownTokens() throws {
        let counter = try NGramCounter(order: 4)
        try counter.addFiles([try TestSupport.sharedFile("fixtures/kenlm/brown.train5k.txt.gz")], configuration: TokenizerConfiguration())
        let model = try NGramModel.estimate(from: try counter.finish())
        let expected = try Self.kenlmTokens()
        var ours: [(word: String, length: Int, log10Prob: Double)] = []
        var totals: [(Double, Int)] = []
        _ = try Perplexity.evaluate(model: model, paths: [try TestSupport.sharedFile("fixtures/kenlm/brown.test1k.txt.gz")],
                                    onToken: { ours.append((String(decoding: $0.word, as: UTF8.self), $0.matched, $0.log10Prob)) },
                                    onSentence: { totals.append(($0.log10Prob, $0.oovs)) })
        try #require(ours.count == expected.tokens.count)
        var mismatches = 0
        for (a, b) in zip(ours, expected.tokens) where a.word != b.word || a.length != b.length || abs(a.log10Prob - b.log10Prob) > 1e-5 {
            mismatches += 1
            if mismatches <= 5 { Issue.record("\(a) vs KenLM \(b)") }
        }
        #expect(mismatches == 0)
        try #require(totals.count == expected.totals.count)
        for (a, b) in zip(totals, expected.totals) {
            #expect(abs(a.0 - b.0) < 1e-4 && a.1 == b.1, "\(a) vs KenLM \(b)")
        }
    }
}

/// KenLM's per-sentence totals on the PTB test set.
@Suite struct KenLMSentenceParityTests {
    @Test("PTB order 5 (<unk> -> UNKTOK): every test sentence's log10 probability as ptb.o5.test.sentences.tsv")
    func ptbSentences() throws {
        let directory = try TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let model = try KenLMPerplexityParityTests.build(order: 5, train: try KenLMPerplexityParityTests.prepared("ptb/ptb.train.txt.gz", in: directory))
        var ours: [(line: Int, log10Prob: Double, oovs: Int)] = []
        _ = try Perplexity.evaluate(model: model, paths: [try KenLMPerplexityParityTests.prepared("ptb/ptb.test.txt.gz", in: directory)],
                                    onSentence: { ours.append(($0.line, $0.log10Prob, $0.oovs)) })
        let rows = try TestSupport.lines(of: try TestSupport.sharedFile("fixtures/kenlm/ptb.o5.test.sentences.tsv"))
            .filter { !$0.isEmpty && $0.first!.isNumber }
            .map { $0.split(separator: "\t").map(String.init) }
        try #require(rows.count == ours.count)
        var worst = 0.0
        for (row, sentence) in zip(rows, ours) {
            #expect(Int(row[0]) == sentence.line)
            #expect(Int(row[2]) == sentence.oovs)
            worst = max(worst, abs(Double(row[1])! - sentence.log10Prob))
        }
        #expect(worst < 1e-4, "largest per-sentence difference \(worst)")
    }
}
