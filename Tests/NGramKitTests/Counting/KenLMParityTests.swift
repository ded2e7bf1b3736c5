import Foundation
import NGramKit
import Testing

/// Counts on PTB against KenLM's model (`../shared/fixtures/kenlm/discounts.tsv`): the same
/// distinct n-grams per order, and the same modified Kneser-Ney discounts from our
/// counts-of-counts of adjusted counts.
@Suite("Counting: parity with KenLM on PTB")
struct KenLMParityTests {
    struct Row { let corpus: String; let modelOrder: Int; let order: Int; let unique: Int; let discounts: [Double] }

    static func fixtureRows() throws -> [Row] {
        let path = try TestSupport.sharedFile("fixtures/kenlm/discounts.tsv")
        return try TestSupport.lines(of: path).dropFirst().filter { !$0.isEmpty }.map { line in
            let f = line.split(separator: "\t").map(String.init)
            return Row(corpus: f[0], modelOrder: Int(f[1])!, order: Int(f[2])!, unique: Int(f[3])!,
                       discounts: f[4...6].map { Double($0)! })
        }
    }

    /// PTB train with every literal `<unk>` replaced by the ordinary word `UNKTOK`, as the
    /// fixtures were made.
    static func ptbTrain(replacingUnk: Bool) throws -> String {
        let path = try TestSupport.sharedFile("corpora/ptb/ptb.train.txt.gz")
        let text = try TestSupport.lines(of: path).joined(separator: "\n") + "\n"
        return replacingUnk ? text.replacingOccurrences(of: "<unk>", with: "UNKTOK") : text
    }

    /// Modified Kneser-Ney discounts D1, D2, D3+ from counts-of-counts n1...n4.
    static func discounts(_ n: [UInt64]) -> [Double] {
        let y = Double(n[1]) / (Double(n[1]) + 2 * Double(n[2]))
        return (1...3).map { k in Double(k) - Double(k + 1) * y * Double(n[k + 1]) / Double(n[k]) }
    }

    /// True when `value` printed with 6 significant digits (C++ ostream's default) gives `printed`.
    static func matchesPrinted(_ value: Double, _ printed: Double) -> Bool {
        let magnitude = pow(10, floor(log10(abs(printed))))
        return abs(value - printed) <= 0.5e-5 * magnitude + 1e-12
    }

    /// Every fixture row of `corpus` at `modelOrder`: same distinct n-grams, same discounts.
    static func expectKenLMFigures(_ counts: NGramCounts, corpus: String, modelOrder: Int,
                                   sourceLocation: SourceLocation = #_sourceLocation) throws {
        let rows = try fixtureRows().filter { $0.corpus == corpus && $0.modelOrder == modelOrder }
        #expect(rows.count == modelOrder, sourceLocation: sourceLocation)
        // The estimator's own discounts (single precision, as lmplz computes them).
        var warnings: [String] = []
        let library = counts.kneserNeyDiscounts { warnings.append($0) }
        #expect(warnings.isEmpty, sourceLocation: sourceLocation)
        for row in rows {
            #expect(counts.uniqueCount(order: row.order) == row.unique, "order \(row.order)", sourceLocation: sourceLocation)
            let ours = discounts(try counts.kneserNeyCountsOfCounts(order: row.order))
            let d = library[row.order - 1]
            let estimator = [Double(d.d1), Double(d.d2), Double(d.d3)]
            for k in 0..<3 {
                #expect(matchesPrinted(ours[k], row.discounts[k]), "order \(row.order) D\(k + 1): \(ours[k]) vs \(row.discounts[k])",
                        sourceLocation: sourceLocation)
                #expect(matchesPrinted(estimator[k], row.discounts[k]), "estimator order \(row.order) D\(k + 1): \(estimator[k]) vs \(row.discounts[k])",
                        sourceLocation: sourceLocation)
            }
        }
    }

    @Test("Distinct n-grams per order equal KenLM's PTB order-5 model; discounts equal lmplz's")
    func ptbOrder5() throws {
        let counts = try TestSupport.count(Self.ptbTrain(replacingUnk: true), order: 5)
        #expect((1...5).map { counts.uniqueCount(order: $0) } == [10002, 264990, 586558, 717733, 737952])
        try Self.expectKenLMFigures(counts, corpus: "ptb", modelOrder: 5)
    }

    @Test("PTB order 3: discounts of the lower orders change with the model order as in lmplz")
    func ptbOrder3() throws {
        let counts = try TestSupport.count(Self.ptbTrain(replacingUnk: true), order: 3)
        try Self.expectKenLMFigures(counts, corpus: "ptb", modelOrder: 3)
    }

    @Test("With the literal <unk> left as the unknown word only the unigram figure changes")
    func ptbLiteralUnk() throws {
        let counts = try TestSupport.count(Self.ptbTrain(replacingUnk: false), order: 5)
        #expect((1...5).map { counts.uniqueCount(order: $0) } == [10001, 264990, 586558, 717733, 737952])
        #expect(counts.tokens == 887_521)
        #expect(counts.sentences == 42068)
    }

    @Test("Brown 5k sentences, order 4: distinct n-grams and discounts equal lmplz's")
    func brown() throws {
        let path = try TestSupport.sharedFile("fixtures/kenlm/brown.train5k.txt.gz")
        let counter = try NGramCounter(order: 4)
        var tokenizer = WhitespaceTokenizer()
        try counter.addFiles([path], tokenizer: &tokenizer)
        try Self.expectKenLMFigures(try counter.finish(), corpus: "brown.train5k", modelOrder: 4)
    }
}
