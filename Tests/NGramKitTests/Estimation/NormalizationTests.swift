import Foundation
import NGramKit
import Testing

/// Every model NGramKit estimates is a distribution in every context: for any history h,
/// Σ_w p(w|h) = 1 over every word id but `<s>` (the whole vocabulary, `<unk>` and `</s>`
/// included), whether h was seen in training or not.
///
/// Trained on `fixtures/kenlm/brown.train5k.txt.gz` with minCount 2, so that rare words become
/// `<unk>` and `<unk>` occurs inside training contexts. Contexts are drawn with a fixed-seed
/// SplitMix64 (the same contexts on every run and platform), 200 per model:
///   - 60 seen: the history of a random training n-gram of the highest order;
///   - 40 seen histories that contain `<unk>`;
///   - 40 sentence starts: 20 seen histories beginning with `<s>`, 20 `<s>` + random words;
///   - 60 random word sequences (ids drawn uniformly, `</s>` and `<unk>` included): mostly unseen.
@Suite("Normalization: every context sums to 1")
struct NormalizationTests {
    enum Kind: String { case seen, withUnknown = "seen with <unk>", sentenceStart = "sentence start", random }
    struct Context { let kind: Kind; let ids: [UInt32] }

    /// Counts of the Brown training fixture, rare words (seen once) made `<unk>`.
    static func brownCounts(order: Int) throws -> NGramCounts {
        let path = try TestSupport.sharedFile("fixtures/kenlm/brown.train5k.txt.gz")
        let counter = try NGramCounter(order: order, restriction: VocabularyRestriction(minCount: 2))
        try counter.addFiles([path], configuration: TokenizerConfiguration())
        let counts = try counter.finish()
        try #require(counts.sentences == 5000)
        try #require(counts.count(of: "<unk>") > 0, "minCount 2 must put <unk> into the training text")
        return counts
    }

    /// 200 contexts of up to N-1 words for counts of order N (call before estimating: the
    /// estimate takes over the count tables).
    static func sampleContexts(_ counts: NGramCounts, seed: UInt64) throws -> [Context] {
        var rng = SplitMix64(state: seed)
        let length = counts.order - 1
        let vocabularySize = counts.vocabulary.count
        // Any id but <s>: <unk>, </s> and every word.
        func randomWord() -> UInt32 {
            let id = UInt32(rng.below(vocabularySize - 1))
            return id >= Vocabulary.beginID ? id + 1 : id
        }
        var contexts: [Context] = []
        if length == 0 {
            // A unigram model has one distribution; setContext must leave it alone whatever it is given.
            contexts.append(Context(kind: .seen, ids: []))
            for _ in 0..<20 { contexts.append(Context(kind: .random, ids: [randomWord()])) }
            return contexts
        }
        // Histories of the training n-grams of the highest order.
        let table = counts.table(order: counts.order)
        var histories: [[UInt32]] = []
        histories.reserveCapacity(table.occupied)
        for slot in 0..<table.capacity where table.isOccupied(slot) {
            histories.append(Array(counts.words(order: counts.order, slot: slot).dropLast()))
        }
        let withUnknown = histories.filter { $0.contains(Vocabulary.unknownID) }
        let atStart = histories.filter { $0.first == Vocabulary.beginID }
        try #require(!histories.isEmpty && !withUnknown.isEmpty && !atStart.isEmpty)
        for _ in 0..<60 { contexts.append(Context(kind: .seen, ids: rng.pick(histories))) }
        for _ in 0..<40 { contexts.append(Context(kind: .withUnknown, ids: rng.pick(withUnknown))) }
        for _ in 0..<20 { contexts.append(Context(kind: .sentenceStart, ids: rng.pick(atStart))) }
        for _ in 0..<20 {
            contexts.append(Context(kind: .sentenceStart, ids: [Vocabulary.beginID] + (1..<length).map { _ in randomWord() }))
        }
        for _ in 0..<60 { contexts.append(Context(kind: .random, ids: (0..<length).map { _ in randomWord() })) }
        return contexts
    }

    /// Σ_w 10^score(w | context) over every id but `<s>`, with `score` taken from `scorer`
    /// (called after `setContext` for each word, since scoring moves the history on).
    static func sums(_ model: NGramModel, _ contexts: [Context],
                     _ scorer: (ModelState, UInt32) throws -> Double = { try $0.score($1).log10Prob }) throws -> [Double] {
        let state = ModelState(model: model)
        let words = (0..<UInt32(model.vocabulary.count)).filter { $0 != Vocabulary.beginID }
        return try contexts.map { context in
            var sum = 0.0
            for w in words {
                try state.setContext(context.ids)
                sum += pow(10, try scorer(state, w))
            }
            return sum
        }
    }

    /// Expects every sum to be 1 within 1e-9, reporting the worst contexts otherwise.
    static func expectNormalized(_ model: NGramModel, _ contexts: [Context], _ label: String,
                                 sourceLocation: SourceLocation = #_sourceLocation) throws {
        let sums = try sums(model, contexts)
        let bad = zip(contexts, sums).filter { !(abs($0.1 - 1) < 1e-9) }
        let report = bad.prefix(5).map { context, sum in
            "[\(context.kind.rawValue)] \(context.ids.map { model.vocabulary.text(of: $0) }.joined(separator: " ")): Σ p = \(sum)"
        }.joined(separator: "; ")
        #expect(bad.isEmpty, "\(label): \(bad.count) of \(contexts.count) contexts do not sum to 1: \(report)", sourceLocation: sourceLocation)
        let worst = sums.map { abs($0 - 1) }.max() ?? .nan
        #expect(worst < 1e-9, "\(label): worst |Σ p − 1| = \(worst)", sourceLocation: sourceLocation)
    }

    @Test("Modified Kneser-Ney, orders 1 to 5", arguments: [1, 2, 3, 4, 5])
    func kneserNey(order: Int) throws {
        let counts = try Self.brownCounts(order: order)
        let contexts = try Self.sampleContexts(counts, seed: 0x5EED_0000 + UInt64(order))
        if order >= 3 {
            // The random histories are mostly unseen, so the backoff path is what they test.
            let random = contexts.filter { $0.kind == .random }
            let unseen = random.filter { counts.slot(of: $0.ids) == nil }.count
            #expect(unseen * 2 > random.count, "only \(unseen) of \(random.count) random histories are unseen")
        }
        var warnings: [String] = []
        let model = try NGramModel.estimate(from: counts) { warnings.append($0) }
        if order == 1 {
            // At order 1 the discounts come from raw counts, and minCount 2 leaves no word seen
            // once (n1 = 0): the fallback applies. Above, continuation counts have every n_k > 0.
            #expect(warnings.count == 1 && warnings.first?.contains("order 1") == true, "\(warnings)")
        } else {
            #expect(warnings.isEmpty, "Brown 5k has closed-form discounts at every order: \(warnings)")
        }
        try Self.expectNormalized(model, contexts, "Kneser-Ney order \(order)")
    }

    @Test("Stupid Backoff, normalized, orders 3 and 5", arguments: [3, 5])
    func stupidBackoff(order: Int) throws {
        let counts = try Self.brownCounts(order: order)
        let contexts = try Self.sampleContexts(counts, seed: 0x5B00_0000 + UInt64(order))
        let model = try NGramModel.estimate(from: counts, options: EstimationOptions(smoothing: .stupidBackoff))
        try Self.expectNormalized(model, contexts, "Stupid Backoff order \(order)")
    }

    /// The check above can fail: Stupid Backoff's raw scores S(w|h) are no distribution. For a
    /// seen history Σ_w S(w|h) = Z(h) = 1 + α·(mass left to back off to) > 1, and for an unseen
    /// one Z(h) = α·Z(h') is usually < 1.
    @Test("Negative control: raw Stupid Backoff scores do not sum to 1")
    func rawScoresAreNotNormalized() throws {
        let counts = try Self.brownCounts(order: 3)
        let contexts = try Self.sampleContexts(counts, seed: 0x5B00_0003)
        let model = try NGramModel.estimate(from: counts, options: EstimationOptions(smoothing: .stupidBackoff))
        let raw = try Self.sums(model, contexts) { state, w in try state.scoreRawStupidBackoff(w)!.log10RawScore }
        let off = zip(contexts, raw).filter { abs($0.1 - 1) > 1e-3 }
        #expect(!off.isEmpty, "every raw sum is within 1e-3 of 1")
        // Specifically, seen histories have Z(h) > 1 (mass backs off to words never seen after h).
        let seen = zip(contexts, raw).filter { $0.0.kind == .seen }
        #expect(seen.contains { $0.1 > 1 + 1e-3 })
    }
}
