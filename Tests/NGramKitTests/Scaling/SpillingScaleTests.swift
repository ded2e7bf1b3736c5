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

    @Test("A text past a quarter of the budget: the pool is kept on disk with the same ids, units, vocabulary and held-out set, in every shuffle; nothing is left behind")
    func poolOnDisk() throws {
        let temporary = try TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: temporary) }
        // Documents from an index, so that units span several sentences.
        let configuration = ScalingCorpus.Configuration(trainingPaths: [try TestSupport.sharedFile("corpora/brown/brown.txt.gz")], heldoutFraction: 0.1,
                                                        indexPath: try TestSupport.sharedFile("corpora/brown/brown.index.tsv.gz"), minCount: 2, seed: 7)
        let inMemory = try ScalingCorpus(configuration)
        #expect(!inMemory.poolIsOnDisk)
        do {
            // 4 MiB: Brown's ids (about 5 MB) are past a quarter of it.
            let onDisk = try ScalingCorpus(configuration, memory: try MemoryBudget(bytes: 4 << 20, temporaryDirectory: temporary.path))
            #expect(onDisk.poolIsOnDisk && onDisk.unit == .document && onDisk.poolUnits < 1000)
            #expect(onDisk.memoryFootprint < inMemory.memoryFootprint - 3 * inMemory.poolTokens)
            #expect(onDisk.vocabulary.count == inMemory.vocabulary.count)
            #expect((0..<onDisk.vocabulary.count).allSatisfy { onDisk.vocabulary.bytes(of: UInt32($0)).elementsEqual(inMemory.vocabulary.bytes(of: UInt32($0))) })
            #expect(onDisk.poolTokens == inMemory.poolTokens && onDisk.poolUnits == inMemory.poolUnits && onDisk.poolSentences == inMemory.poolSentences)
            #expect(onDisk.heldoutSentenceStarts == inMemory.heldoutSentenceStarts && onDisk.heldoutUnknownTokens == inMemory.heldoutUnknownTokens)
            #expect(onDisk.heldoutText() == inMemory.heldoutText())
            #expect(onDisk.heldoutOverlap() == inMemory.heldoutOverlap())
            for r in [0, 2, 1, 0] {
                try onDisk.arrangePool(forRepeat: r)
                try inMemory.arrangePool(forRepeat: r)
                let whole = try onDisk.slice(tokens: onDisk.poolTokens).streamCount
                // Read in chunks (each of whole sentences) and whole: the in-memory pool's ids.
                var chunked: [UInt32] = []
                var chunks = 0
                try onDisk.forEachChunk(streamCount: whole) { chunk in
                    #expect(chunk.last == Vocabulary.endID)
                    chunked.append(contentsOf: chunk)
                    chunks += 1
                }
                let expected = try inMemory.withSlice(streamCount: whole) { Array($0) }
                let same = chunked == expected, sameWhole = try onDisk.withSlice(streamCount: whole) { Array($0) } == expected
                #expect(same && sameWhole, "repeat \(r): the pool on disk differs")
                #expect(chunks > 1)
                let slice = onDisk.slice(tokens: 100_000)
                #expect(slice.streamCount == inMemory.slice(tokens: 100_000).streamCount)
                #expect(try onDisk.sliceText(units: slice.units) == inMemory.sliceText(units: slice.units))
            }
        }
        // The corpus let go: its files were anonymous, and none is left.
        #expect(try TestSupport.contents(temporary).isEmpty)
    }

    @Test("Scaling with the pool on disk: counted from its chunks, in memory or past the budget, every shuffle's points equal the in-memory ones")
    func samePointsFromAPoolOnDisk() throws {
        let temporary = try TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: temporary) }
        var options = ScalingOptions(smoothings: [.kneserNey], orders: [2, 5], schedule: .sizes([30_000, 300_000, 1_500_000]), threads: 2)
        options.repeats = 2
        // PTB's training text twice (1.9M ids, past a quarter of 20 MiB), PTB's validation text held out.
        let ptb = ScalingCorpus.Configuration(trainingPaths: [try TestSupport.sharedFile("corpora/ptb/ptb.train.txt.gz"), try TestSupport.sharedFile("corpora/ptb/ptb.train.txt.gz")],
                                              heldoutPaths: [try TestSupport.sharedFile("corpora/ptb/ptb.valid.txt.gz")], minCount: 1, seed: 3)
        let inMemory = try ScalingRunTests.measure(try ScalingCorpus(ptb), options)
        let budget = try MemoryBudget(bytes: 20 << 20, temporaryDirectory: temporary.path)
        let corpus = try ScalingCorpus(ptb, memory: budget)
        #expect(corpus.poolIsOnDisk)
        options.memory = budget
        let spilled = try ScalingRunTests.measure(corpus, options)
        #expect(spilled.count == inMemory.count && spilled.count == 12)
        #expect(spilled.map(Self.measurement) == inMemory.map(Self.measurement))
        // Some models were built in memory from the pool's chunks, some past the budget.
        #expect(spilled.contains { $0.modelBytes == 0 } && spilled.contains { $0.modelBytes > 0 && $0.order == 5 })
        #expect(corpus.arrangement == 0)
    }

    @Test("A classical method past the budget is not measured there, with a warning; Kneser-Ney is, and every point made equals the in-memory one")
    func classicalMethodPastBudget() throws {
        let corpus = try Self.ptb()
        let temporary = try TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: temporary) }
        var options = ScalingOptions(smoothings: [.kneserNey, .wittenBell], orders: [2, 5], schedule: .sizes([30_000, 900_000]), threads: 2)
        let inMemory = try ScalingRunTests.measure(corpus, options)
        #expect(inMemory.count == 8)
        options.memory = try MemoryBudget(bytes: corpus.memoryFootprint + (24 << 20), temporaryDirectory: temporary.path)
        var warnings: [String] = []
        var spilled: [ScalingPoint] = []
        let experiment = ScalingExperiment(corpus: corpus, options: options)
        experiment.warn = { warnings.append($0) }
        try experiment.run(skipping: []) { spilled.append($0) }
        let missing = inMemory.filter { p in !spilled.contains { $0.smoothing == p.smoothing && $0.order == p.order && $0.tokens == p.tokens } }
        #expect(!missing.isEmpty && missing.allSatisfy { $0.smoothing == .wittenBell }, "\(missing.map { ($0.smoothing, $0.order, $0.tokens) })")
        #expect(spilled.filter { $0.smoothing == .kneserNey }.count == 4)
        #expect(warnings.contains { $0.contains("witten-bell") && $0.contains("not measured") }, "\(warnings)")
        for point in spilled {
            let same = inMemory.first { $0.smoothing == point.smoothing && $0.order == point.order && $0.tokens == point.tokens }.map(Self.measurement)
            #expect(same == Self.measurement(point))
        }
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
