import Foundation
@testable import NGramKit
import Testing

/// `ngramkit scale` past its memory budget: the slices whose models do not fit are built a
/// partition at a time, and their points are the in-memory points, bit for bit.
@Suite("Scaling past the memory budget")
struct SpillingScaleTests {
    /// A point without the columns that measure the machine (seconds, memory, model bytes).
    static func measurement(_ p: ScalingPoint) -> ScalingPoint {
        var copy = ScalingRunTests.measurement(p)
        copy.modelBytes = 0
        return copy
    }

    static func ptb() throws -> ScalingCorpus {
        try ScalingCorpus(.init(trainingPaths: [try TestSupport.sharedFile("corpora/ptb/ptb.train.txt.gz")],
                                heldoutPaths: [try TestSupport.sharedFile("corpora/ptb/ptb.valid.txt.gz")], minCount: 1, seed: 3))
    }

    @Test("PTB, both smoothings, orders 1-5 at three sizes: with a few MB beside the corpus, the points equal the in-memory ones",
          arguments: [1, 2])
    func samePoints(threads: Int) throws {
        let corpus = try Self.ptb()
        let temporary = try TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: temporary) }
        var options = ScalingOptions(smoothings: [.kneserNey, .stupidBackoff], orders: [1, 2, 3, 4, 5], schedule: .sizes([30_000, 300_000, 900_000]),
                                     threads: threads)
        let inMemory = try ScalingRunTests.measure(corpus, options)
        options.memory = try MemoryBudget(bytes: corpus.memoryFootprint + (24 << 20), temporaryDirectory: temporary.path)
        let spilled = try ScalingRunTests.measure(corpus, options)
        #expect(spilled.count == 30)
        #expect(spilled.map(Self.measurement) == inMemory.map(Self.measurement))
        // The largest slice's higher orders did spill (no model in memory), the smallest did not.
        for smoothing in [SmoothingMethod.kneserNey, .stupidBackoff] {
            #expect(spilled.filter { $0.smoothing == smoothing && $0.modelBytes == 0 }.count >= 3, "\(spilled.map { ($0.tokens, $0.order, $0.modelBytes) })")
        }
        #expect(spilled.filter { $0.tokens < 100_000 }.allSatisfy { $0.modelBytes > 0 })
        #expect(try TestSupport.contents(temporary).isEmpty)
    }

    @Test("Repeats past the budget: every shuffle's points equal the in-memory ones")
    func repeatsPastBudget() throws {
        let corpus = try Self.ptb()
        let temporary = try TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: temporary) }
        var options = ScalingOptions(smoothings: [.kneserNey], orders: [2, 4], schedule: .sizes([300_000, 900_000]), threads: 2)
        options.repeats = 2
        let inMemory = try ScalingRunTests.measure(corpus, options)
        options.memory = try MemoryBudget(bytes: corpus.memoryFootprint + (24 << 20), temporaryDirectory: temporary.path)
        let spilled = try ScalingRunTests.measure(corpus, options)
        #expect(spilled.count == 8 && Set(spilled.map(\.repeatIndex)) == [0, 1])
        #expect(spilled.map(Self.measurement) == inMemory.map(Self.measurement))
        #expect(spilled.contains { $0.repeatIndex == 1 && $0.modelBytes == 0 }, "no model of the second shuffle was built past the budget")
        #expect(corpus.arrangement == 0)
        #expect(try TestSupport.contents(temporary).isEmpty)
    }

    @Test("The part of a model the held-out set needs scores it as the whole model does (Stupid Backoff's raw scores too)",
          arguments: [SmoothingMethod.kneserNey, .stupidBackoff])
    func restrictedModel(smoothing: SmoothingMethod) throws {
        let corpus = try ScalingCorpus(.init(trainingPaths: [ScalingRunTests.kjv], heldoutFraction: 0.05, seed: 4))
        let whole = try corpus.withSlice(streamCount: corpus.slice(tokens: 200_000).streamCount) {
            try NGramModel.estimate(from: try NGramCounter.count(ids: $0, vocabulary: corpus.vocabulary, order: 4, threads: 1),
                                    options: EstimationOptions(smoothing: smoothing, unigramAddOne: true), threads: 1)
        }
        let heldout = try corpus.withHeldout { try NGramCounter.count(ids: $0, vocabulary: corpus.vocabulary, order: 4, threads: 1) }
        let flags = (1...3).map { NGramModel.contextFlags(order: $0, tables: whole.tables, logProb: whole.logProb, filled: []) }
        let builder = RestrictedModelBuilder(text: heldout, unigramLogProb: whole.logProb[0], unigramLogBackoff: whole.logBackoff[0],
                                             unigramFlags: flags[0])
        // Every n-gram of the whole model offered, order by order.
        for n in 2...4 {
            try builder.beginOrder(n)
            let table = whole.tables[n - 2]
            for slot in 0..<table.capacity where table.isOccupied(slot) {
                var ngram = [table.word(ofSlot: slot)]
                var context = table.context(ofSlot: slot)
                for m in stride(from: n - 1, through: 2, by: -1) {
                    let below = whole.tables[m - 2]
                    ngram.insert(below.word(ofSlot: Int(context)), at: 0)
                    context = below.context(ofSlot: Int(context))
                }
                ngram.insert(context, at: 0)
                try ngram.withUnsafeBufferPointer {
                    try builder.offer($0.baseAddress!, logProb: whole.logProb[n - 1][slot], logBackoff: n < 4 ? whole.logBackoff[n - 1][slot] : 0,
                                      isContext: n < 4 && flags[n - 1][slot] != 0)
                }
            }
            builder.endOrder()
        }
        let restricted = builder.finish(ngramCounts: whole.ngramCounts, provenance: whole.provenance)
        let kept = restricted.tables.reduce(0) { $0 + $1.occupied }
        #expect(kept > 1000 && kept < whole.totalNGrams / 4, "\(kept) of \(whole.totalNGrams)")
        // Known before the model is made, from the slice and the held-out counts.
        let expected = try corpus.withSlice(streamCount: corpus.slice(tokens: 200_000).streamCount) {
            RestrictedModelBuilder.keptEntries(text: heldout, in: $0)
        }
        #expect(expected == kept)
        let a = try corpus.withHeldout { try HeldOutScorer.score(model: whole, ids: $0, sentenceStarts: corpus.heldoutSentenceStarts, threads: 2) }
        let b = try corpus.withHeldout { try HeldOutScorer.score(model: restricted, ids: $0, sentenceStarts: corpus.heldoutSentenceStarts, threads: 2) }
        #expect(a.log10Prob == b.log10Prob && a.tokens == b.tokens)
        #expect(a.rawLog10Score == b.rawLog10Score && (smoothing == .stupidBackoff) == (a.rawLog10Score != nil))
    }

    @Test("A budget smaller than the corpus: one line naming --memory, before any point")
    func refusal() throws {
        let directory = try TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let text = try TestSupport.sharedFile("corpora/ptb/ptb.train.txt.gz")
        let out = directory.appendingPathComponent("run").path
        let tiny = try TestSupport.runTool(["scale", "--text", text, "--smoothing", "kneser-ney", "--orders", "3", "--memory", "4M", "--out", out])
        #expect(tiny.status != 0)
        #expect(tiny.stderr.contains("--memory") && tiny.stderr.contains("corpus"), "\(tiny.stderr)")
        #expect(tiny.stderr.split(separator: "\n").count == 1)
        let points = (try? String(contentsOfFile: out + "/points.csv", encoding: .utf8)) ?? ""
        #expect(points.split(separator: "\n").count <= 1)
    }
}
