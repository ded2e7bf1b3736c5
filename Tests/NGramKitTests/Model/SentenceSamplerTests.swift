import Foundation
@testable import NGramKit
import Testing

/// `SentenceSampler`: words drawn with the model's probabilities (a chi-square test at a fixed
/// seed and threshold, which a sampler with the classic backoff bug fails), at temperatures too,
/// and sentences reproducible for a seed.
@Suite struct SentenceSamplerTests {
    /// The chi-square statistic of `observed` counts against `probabilities` (over every word;
    /// cells expected below 10 are pooled into one) and its degrees of freedom.
    static func chiSquare(observed: [UInt32: Int], probabilities: [(word: UInt32, p: Double)], draws: Int) -> (statistic: Double, freedom: Int) {
        var statistic = 0.0, cells = 0
        var pooledExpected = 0.0, pooledObserved = 0
        for (word, p) in probabilities {
            let expected = p * Double(draws)
            let seen = observed[word] ?? 0
            if expected >= 10 {
                statistic += (Double(seen) - expected) * (Double(seen) - expected) / expected
                cells += 1
            } else {
                pooledExpected += expected
                pooledObserved += seen
            }
        }
        if pooledExpected > 0 {
            statistic += (Double(pooledObserved) - pooledExpected) * (Double(pooledObserved) - pooledExpected) / pooledExpected
            cells += 1
        }
        return (statistic, cells - 1)
    }

    /// The chi-square quantile at 1 − 10⁻⁴ (Wilson and Hilferty's approximation): the test's
    /// fixed threshold, which a correct sampler exceeds once in 10,000 seeds.
    static func threshold(freedom k: Int) -> Double {
        let k = Double(k), z = 3.719
        let c = 1 - 2 / (9 * k) + z * (2 / (9 * k)).squareRoot()
        return k * c * c * c
    }

    static let model: NGramModel = {
        // Brown's first 5,000 sentences, trigrams: contexts with many successors and backoffs.
        try! NextWordsTests.model(.kneserNey, order: 3)
    }()

    /// Draws `draws` words after each context and returns the summed statistic and freedom.
    static func test(_ sampler: SentenceSampler, contexts: [[UInt32]], draws: Int, temperature: Double = 1) throws -> (Double, Int) {
        let finder = NextWords(model: sampler.model)
        var statistic = 0.0, freedom = 0
        for (i, context) in contexts.enumerated() {
            var rng = SplitMix64(seed: 2026, stream: UInt64(i))
            var observed: [UInt32: Int] = [:]
            for _ in 0..<draws { observed[try sampler.draw(after: context, using: &rng), default: 0] += 1 }
            let exact = try finder.exhaustive(after: context)
            let weights = exact.map { pow(10, $0.log10Prob / temperature) }
            let total = weights.reduce(0, +)
            let (s, f) = chiSquare(observed: observed, probabilities: zip(exact, weights).map { ($0.word, $1 / total) }, draws: draws)
            statistic += s
            freedom += f
        }
        return (statistic, freedom)
    }

    static func contexts() throws -> [[UInt32]] {
        let v = model.vocabulary
        func ids(_ text: String, start: Bool = false) throws -> [UInt32] { try model.contextIDs(text, sentenceStart: start) }
        return [try ids("", start: true), try ids("of the"), try ids("in a"), try ids("he said"), try ids("the"),
                [v.lookup("zebra") ?? Vocabulary.unknownID, Vocabulary.unknownID], []]
    }

    @Test("Drawn words agree with p(w | context) (chi-square, fixed seed and threshold); without the backoff's exclusion they do not")
    func chiSquareAtTemperatureOne() throws {
        let sampler = try SentenceSampler(model: Self.model)
        let (statistic, freedom) = try Self.test(sampler, contexts: try Self.contexts(), draws: 10_000)
        #expect(statistic < Self.threshold(freedom: freedom), "chi-square \(statistic) with \(freedom) degrees of freedom")
        // The negative control: backing off without excluding the context's successors draws
        // those words too often. The same test must reject it.
        let wrong = try SentenceSampler(model: Self.model)
        wrong.excludesSuccessorsOnBackoff = false
        let (bad, badFreedom) = try Self.test(wrong, contexts: try Self.contexts(), draws: 10_000)
        #expect(bad > Self.threshold(freedom: badFreedom), "the wrong sampler passed: \(bad) with \(badFreedom)")
    }

    @Test("At temperature T the words follow p^(1/T), normalized", arguments: [0.5, 2.0])
    func chiSquareTempered(temperature: Double) throws {
        let sampler = try SentenceSampler(model: Self.model, temperature: temperature)
        let (statistic, freedom) = try Self.test(sampler, contexts: try Self.contexts(), draws: 6_000, temperature: temperature)
        #expect(statistic < Self.threshold(freedom: freedom), "chi-square \(statistic) with \(freedom) degrees of freedom")
        // And it is not the untempered distribution.
        let (plain, plainFreedom) = try Self.test(sampler, contexts: Array(try Self.contexts().prefix(2)), draws: 2_000)
        #expect(plain > Self.threshold(freedom: plainFreedom))
    }

    @Test("Bigrams of generated sentences agree with the model's probabilities (a bigram model)")
    func sentencesFollowTheModel() throws {
        let model = try NextWordsTests.model(.kneserNey, order: 2)
        let sampler = try SentenceSampler(model: model)
        var transitions: [UInt32: [UInt32: Int]] = [:]
        for i in 0..<3_000 {
            var rng = SplitMix64(seed: 11, stream: UInt64(i))
            let sentence = try sampler.sentence(prefix: [], maxWords: 200, using: &rng)
            var previous = Vocabulary.beginID
            for word in sentence.words + (sentence.ended ? [Vocabulary.endID] : []) {
                transitions[previous, default: [:]][word, default: 0] += 1
                previous = word
            }
        }
        let finder = NextWords(model: model)
        // The ten most frequent previous words (and <s>), each a test of its own.
        let busiest = transitions.sorted { $0.value.values.reduce(0, +) > $1.value.values.reduce(0, +) }.prefix(10)
        var statistic = 0.0, freedom = 0
        for (previous, observed) in busiest {
            let exact = try finder.exhaustive(after: [previous])
            let (s, f) = Self.chiSquare(observed: observed, probabilities: exact.map { ($0.word, pow(10, $0.log10Prob)) },
                                        draws: observed.values.reduce(0, +))
            statistic += s
            freedom += f
        }
        #expect(statistic < Self.threshold(freedom: freedom), "chi-square \(statistic) with \(freedom) degrees of freedom")
    }

    @Test("The same seed gives the same sentences; sentence i does not depend on the count; a binary model gives the same")
    func reproducible() throws {
        let directory = try TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        var first: [String] = [], again: [String] = []
        try GenerateJob.run(model: Self.model, count: 20, seed: 5, prefix: "the", maxWords: 30, temperature: 1, json: true) { first.append($0) }
        try GenerateJob.run(model: Self.model, count: 5, seed: 5, prefix: "the", maxWords: 30, temperature: 1, json: true) { again.append($0) }
        #expect(Array(first.prefix(5)) == again)
        #expect(Set(first).count > 10)
        #expect(first.allSatisfy { $0.hasPrefix("{\"text\":\"the") })
        let path = directory.appendingPathComponent("m.bin").path
        try BinaryModelWriter.write(Self.model, to: path, successors: true)
        var mapped: [String] = []
        // The binary stores Float values: the draws are the same, the log10 sums differ in the last digits.
        try GenerateJob.run(model: try ModelFile.load(path), count: 20, seed: 5, prefix: "the", maxWords: 30, temperature: 1, json: false) { mapped.append($0) }
        var plain: [String] = []
        try GenerateJob.run(model: Self.model, count: 20, seed: 5, prefix: "the", maxWords: 30, temperature: 1, json: false) { plain.append($0) }
        #expect(mapped == plain)
        #expect(throws: NGramKitError.self) { try GenerateJob.run(model: Self.model, count: 1, seed: 1, prefix: "a b c", maxWords: 3, temperature: 1, json: false) { _ in } }
        #expect(throws: NGramKitError.self) { try SentenceSampler(model: Self.model, temperature: 0) }
    }
}
