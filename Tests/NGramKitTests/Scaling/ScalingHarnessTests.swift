import Foundation
import NGramKit
import Testing

/// The scaling harness's protocol: slices, held-out set, vocabulary, and the points it measures.
@Suite("Scaling harness")
struct ScalingHarnessTests {
    static let kjv = TestSupport.packageRoot.appendingPathComponent("Corpora/kjv.txt.gz").path
    static let kjvIndex = TestSupport.packageRoot.appendingPathComponent("Corpora/kjv.index.tsv").path

    /// A small text whose every detail is known: 10 sentences, sentence i has i+1 words.
    static func tinyText(in directory: URL) throws -> String {
        let lines = (0..<10).map { i in (0...i).map { "w\(($0 * 7 + i) % 5)" }.joined(separator: " ") }
        return try TestSupport.write(Array((lines.joined(separator: "\n") + "\n").utf8), named: "tiny.txt", in: directory)
    }

    /// The sentences (as text) of the first `units` pool units.
    static func sentences(_ corpus: ScalingCorpus, units: Int) throws -> [String] {
        try corpus.sliceText(units: units).split(separator: "\n", omittingEmptySubsequences: false).dropLast().map(String.init)
    }

    @Test("Geometric schedule: start, start·f, ... below the pool, then the whole pool")
    func schedule() {
        #expect(SliceSchedule.geometric(start: 10, factor: 2).sizes(poolTokens: 100) == [10, 20, 40, 80, 100])
        // A last size within 10% of the pool is replaced by the pool.
        #expect(SliceSchedule.geometric(start: 10, factor: 3).sizes(poolTokens: 95) == [10, 30, 95])
        #expect(SliceSchedule.sizes([500, 5, 50, 50]).sizes(poolTokens: 100) == [5, 50, 100])
    }

    @Test("Slices are nested prefixes of whole units, cut at the first unit reaching the size")
    func slicesAreNestedPrefixes() throws {
        let directory = try TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let corpus = try ScalingCorpus(.init(trainingPaths: [try Self.tinyText(in: directory)], heldoutFraction: 0.2, minCount: 1, seed: 7))
        // 55 words in all; the held-out units take at least 20% of them.
        #expect(corpus.poolTokens + corpus.heldoutTokens == 55)
        #expect(corpus.heldoutTokens >= 11)
        #expect(corpus.poolUnits + corpus.heldoutUnits == 10)
        var previous: [String] = []
        for size in [1, 5, 12, 30, 1000] {
            let slice = corpus.slice(tokens: size)
            let text = try Self.sentences(corpus, units: slice.units)
            #expect(Array(text.prefix(previous.count)) == previous, "slice \(size) does not extend the previous one")
            let words = text.reduce(0) { $0 + $1.split(separator: " ").count }
            #expect(words == slice.tokens)
            #expect(slice.tokens >= min(size, corpus.poolTokens))
            // One unit fewer would be too small.
            if slice.units > 1 {
                let shorter = try Self.sentences(corpus, units: slice.units - 1).reduce(0) { $0 + $1.split(separator: " ").count }
                #expect(shorter < size)
            }
            previous = text
        }
        #expect(corpus.slice(tokens: 1000).units == corpus.poolUnits)
    }

    @Test("The held-out set is disjoint from the pool, and the same seed gives the same slices")
    func heldoutDisjointAndSeeded() throws {
        let directory = try TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = try Self.tinyText(in: directory)
        let a = try ScalingCorpus(.init(trainingPaths: [path], heldoutFraction: 0.2, minCount: 1, seed: 3))
        let b = try ScalingCorpus(.init(trainingPaths: [path], heldoutFraction: 0.2, minCount: 1, seed: 3))
        let c = try ScalingCorpus(.init(trainingPaths: [path], heldoutFraction: 0.2, minCount: 1, seed: 4))
        let pool = try Self.sentences(a, units: a.poolUnits)
        let heldout = a.heldoutText().split(separator: "\n").map(String.init)
        // Every sentence of the tiny text is distinct, so disjoint sentences mean disjoint units.
        #expect(Set(pool).isDisjoint(with: heldout))
        #expect(Set(pool).union(heldout).count == 10)
        #expect(try Self.sentences(b, units: b.poolUnits) == pool)
        #expect(b.heldoutText() == a.heldoutText())
        #expect(try Self.sentences(c, units: c.poolUnits) != pool)
    }

    @Test("Documents from an index are the units: KJV books stay whole in slices and in the held-out set")
    func documentsFromIndex() throws {
        let corpus = try ScalingCorpus(.init(trainingPaths: [Self.kjv], heldoutFraction: 0.1, indexPath: Self.kjvIndex, seed: 1))
        #expect(corpus.unit == .document)
        #expect(corpus.poolUnits + corpus.heldoutUnits == 66)
        // Books' word counts from the index: every slice's size is a sum of whole books.
        let rows = try TestSupport.lines(of: Self.kjvIndex).dropFirst().map { $0.split(separator: "\t") }
        let bookWords = Set(rows.map { Int($0[3])! })
        let first = corpus.slice(tokens: 1)
        #expect(first.units == 1)
        #expect(bookWords.contains(first.tokens))
        #expect(corpus.poolTokens + corpus.heldoutTokens == 789_634)
    }

    @Test("A malformed index is a one-line error naming the file and line")
    func badIndex() throws {
        let directory = try TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let text = try Self.tinyText(in: directory)
        let index = try TestSupport.write(Array("book\tfirst_line\nA\t1\nB\tx\n".utf8), named: "index.tsv", in: directory)
        #expect(throws: NGramKitError.malformedLine(path: index, line: 3, reason: "first_line is not a positive integer; fix the index file")) {
            try ScalingCorpus(.init(trainingPaths: [text], indexPath: index))
        }
    }

    @Test("The vocabulary is fixed: the pool's words seen twice, the same at every slice")
    func fixedVocabulary() throws {
        let directory = try TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = try TestSupport.write(Array("a b c\na b\nd a\ne e\nf\n".utf8), named: "t.txt", in: directory)
        let heldout = try TestSupport.write(Array("a z b\n".utf8), named: "h.txt", in: directory)
        let corpus = try ScalingCorpus(.init(trainingPaths: [path], heldoutPaths: [heldout], minCount: 2, seed: 1))
        // a (3), b (2), e (2) are kept; c, d, f (once) and z (held out only) are <unk>.
        #expect(corpus.vocabulary.count == 6)
        for word in ["a", "b", "e"] { #expect(corpus.vocabulary.lookup(word) != nil) }
        for word in ["c", "d", "f", "z"] { #expect(corpus.vocabulary.lookup(word) == nil) }
        #expect(corpus.heldoutText() == "a <unk> b\n")
        #expect(corpus.heldoutUnknownTokens == 1)
        // Counting any slice keeps every vocabulary word (count 0 when the slice lacks it).
        for size in [1, 3, 100] {
            let slice = corpus.slice(tokens: size)
            let counts = try corpus.withSlice(streamCount: slice.streamCount) {
                try NGramCounter.count(ids: $0, vocabulary: corpus.vocabulary, order: 3, threads: 2)
            }
            #expect(counts.vocabulary.count == 6)
            #expect(counts.tokens == slice.tokens)
        }
    }

    @Test("Lower orders estimated from higher-order counts are the models of counting at that order")
    func truncatedCountsGiveTheSameModels() throws {
        let lines = try TestSupport.lines(of: try TestSupport.sharedFile("corpora/ptb/ptb.valid.txt.gz")).prefix(1500).joined(separator: "\n")
        let five = try TestSupport.count(lines, order: 5)
        for smoothing in SmoothingMethod.allCases {
            for k in 1...5 {
                let options = EstimationOptions(smoothing: smoothing)
                let viaView = try NGramModel.estimate(from: try five.truncated(toOrder: k), options: options, threads: 2)
                let direct = try NGramModel.estimate(from: try TestSupport.count(lines, order: k), options: options, threads: 2)
                #expect(try arpa(viaView) == arpa(direct), "\(smoothing) order \(k)")
            }
        }
        // The counts survive: estimating again gives the same model.
        let again = try NGramModel.estimate(from: try five.truncated(toOrder: 5), options: .init(), threads: 1)
        #expect(try arpa(again) == arpa(try NGramModel.estimate(from: try TestSupport.count(lines, order: 5), options: .init(), threads: 1)))
    }

    private func arpa(_ model: NGramModel) throws -> [UInt8] {
        let directory = try TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("m.arpa").path
        let sink = try OutputSink(path: path)
        try ARPAWriter.write(model, to: sink, threads: 2)
        try sink.commit()
        return [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
    }

    @Test("Held-out scoring in memory is the same on 1 and 5 threads")
    func scoringThreads() throws {
        let corpus = try ScalingCorpus(.init(trainingPaths: [Self.kjv], heldoutFraction: 0.1, seed: 2))
        let counts = try corpus.withSlice(streamCount: corpus.slice(tokens: 200_000).streamCount) {
            try NGramCounter.count(ids: $0, vocabulary: corpus.vocabulary, order: 3, threads: 2)
        }
        for smoothing in SmoothingMethod.allCases {
            let model = try NGramModel.estimate(from: counts, options: .init(smoothing: smoothing, unigramAddOne: true))
            let one = try corpus.withHeldout { try HeldOutScorer.score(model: model, ids: $0, sentenceStarts: corpus.heldoutSentenceStarts, threads: 1) }
            let five = try corpus.withHeldout { try HeldOutScorer.score(model: model, ids: $0, sentenceStarts: corpus.heldoutSentenceStarts, threads: 5) }
            #expect(one == five)
            #expect(one.tokens == corpus.heldoutTokens + corpus.heldoutSentences)
            #expect(one.zeroProbabilityTokens == 0)
        }
    }
}
