import Foundation

/// Draws sentences from a backoff model: `ngramkit generate` (SRILM's `ngram -gen`).
///
/// In:  a model, a seed, and optionally a prefix, a length limit and a temperature.
/// Out: sentences, each word drawn from p(w | the words before it), up to `</s>`; the same
///      sentences for the same seed.
///
/// How, at temperature 1: with h_1...h_m the stored suffixes of the history, a word is drawn at
/// order m from the successors of h_m by their stored probabilities (the index's list, most
/// probable first, so the walk is short); the probability left over, 1 − Σ p(h_m w), is the
/// backoff's mass bow(h_m) · Σ_{w not after h_m} p(w | h_{m−1}), so with that probability a word
/// is drawn from order m − 1 the same way and drawn again while it is one of h_m's successors
/// (rejection keeps it exact: what is left is p(· | h_{m−1}) restricted to the other words). The
/// unigrams are drawn by a binary search in their cumulative distribution. No step enumerates the
/// vocabulary. `<s>` is never drawn (a draw of it is drawn again).
///
/// At a temperature T ≠ 1 the distribution is p(w | h)^(1/T) normalized, which needs its sum:
/// the successors of every h_k are walked (the words first stored after each, with their exact
/// probabilities), and the rest of the vocabulary's mass comes from the unigrams' precomputed sum
/// of p^(1/T) less that of the words already counted. Still no loop over the vocabulary per word.
///
/// Probabilities are read as the index ranks them (`Float`, the binary format's precision).
public final class SentenceSampler {
    public let model: NGramModel
    let index: SuccessorIndex
    /// 1/T.
    let inverseTemperature: Double
    /// Cumulative unigram weights p(w)^(1/T) in the index's ranking order (`<s>` weighs 0).
    private let cumulative: [Double]
    /// Draws from the lower order when backing off must exclude the higher order's successors.
    /// Only the tests turn it off, to check that the chi-square test catches the wrong sampler.
    package var excludesSuccessorsOnBackoff = true
    /// Draws after which a backoff gives up: only a model whose backoff mass is far from its
    /// normalization (not a proper model) gets near it.
    static let rejectionLimit = 1_000_000

    /// - Parameter temperature: T > 0; 1 samples the model as it is.
    /// - Throws: `NGramKitError.invalidOption` for T ≤ 0 or not finite.
    public init(model: NGramModel, temperature: Double = 1) throws {
        guard temperature > 0, temperature.isFinite else {
            throw NGramKitError.invalidOption(name: "--temperature", value: String(temperature), expected: "a number above 0 (1 samples the model as it is)")
        }
        self.model = model
        index = SuccessorIndex.of(model)
        inverseTemperature = 1 / temperature
        var running = 0.0
        var cumulative = [Double](repeating: 0, count: index.words)
        for i in 0..<index.words {
            let word = index.ranking[i]
            if word != Vocabulary.beginID {
                running += pow(10, model.storedLogProb(order: 1, slot: Int(word)) * (1 / temperature))
            }
            cumulative[i] = running
        }
        self.cumulative = cumulative
    }

    /// A uniform number in [0, 1).
    @inline(__always)
    private static func uniform(_ rng: inout SplitMix64) -> Double { Double(rng.next() >> 11) * 0x1p-53 }

    /// One word drawn from p(· | `context`) (word ids, oldest first).
    /// - Throws: `NGramKitError.malformedModel` for a damaged index or a model far from normalized.
    package func draw(after context: [UInt32], using rng: inout SplitMix64) throws -> UInt32 {
        let entries = model.storedSuffixes(of: context)
        if inverseTemperature == 1 {
            return try draw(order: entries.count, entries, &rng)
        }
        return try drawTempered(entries, &rng)
    }

    /// A unigram drawn by its weight (never `<s>`, which weighs 0).
    private func drawUnigram(_ rng: inout SplitMix64) throws -> UInt32 {
        guard let total = cumulative.last, total > 0 else { throw notNormalized("its unigrams have no probability") }
        let target = SentenceSampler.uniform(&rng) * total
        var low = 0, high = cumulative.count - 1
        while low < high {
            let middle = (low + high) / 2
            if cumulative[middle] > target { high = middle } else { low = middle + 1 }
        }
        return try index.checked(index.ranking[low])
    }

    /// Whether `word` after h_k is stored and not a blank.
    @inline(__always)
    private func follows(_ word: UInt32, _ entries: [UInt32], order k: Int) -> Bool {
        guard let slot = model.find(order: k + 1, context: entries[k - 1], word: word) else { return false }
        return !model.storedLogProb(order: k + 1, slot: slot).isNaN
    }

    /// A word from p(· | h_k) at temperature 1 (see the type's comment).
    private func draw(order k: Int, _ entries: [UInt32], _ rng: inout SplitMix64) throws -> UInt32 {
        if k == 0 { return try drawUnigram(&rng) }
        for _ in 0..<SentenceSampler.rejectionLimit {
            let u = SentenceSampler.uniform(&rng)
            var mass = 0.0
            var drawn: UInt32? = nil
            for record in try index.successors(order: k + 1, context: entries[k - 1]) {
                mass += pow(10, Double(SuccessorIndex.log10Prob(ofKey: UInt32(truncatingIfNeeded: record >> 32))))
                if u < mass {
                    drawn = try index.checked(SuccessorIndex.word(of: record))
                    break
                }
            }
            if let drawn {
                if drawn == Vocabulary.beginID { continue }
                return drawn
            }
            // The backoff's share: a word of the lower order that does not follow h_k.
            for _ in 0..<SentenceSampler.rejectionLimit {
                let word = try draw(order: k - 1, entries, &rng)
                if !excludesSuccessorsOnBackoff || !follows(word, entries, order: k) { return word }
            }
            throw notNormalized("a backoff found no word outside its context's successors in \(SentenceSampler.rejectionLimit) draws")
        }
        throw notNormalized("\(SentenceSampler.rejectionLimit) draws gave only <s>")
    }

    /// A word from p(· | h)^(1/T), normalized (see the type's comment).
    private func drawTempered(_ entries: [UInt32], _ rng: inout SplitMix64) throws -> UInt32 {
        let m = entries.count
        var words: [UInt32] = [], weights: [Double] = []
        var counted = Set<UInt32>()
        var countedUnigramWeight = 0.0
        var backoffs = 0.0
        for k in stride(from: m, through: 1, by: -1) {
            for record in try index.successors(order: k + 1, context: entries[k - 1]) {
                let word = try index.checked(SuccessorIndex.word(of: record))
                guard word != Vocabulary.beginID, !counted.contains(word) else { continue }
                counted.insert(word)
                countedUnigramWeight += pow(10, model.storedLogProb(order: 1, slot: Int(word)) * inverseTemperature)
                let p = Double(SuccessorIndex.log10Prob(ofKey: UInt32(truncatingIfNeeded: record >> 32))) + backoffs
                words.append(word)
                weights.append(pow(10, p * inverseTemperature))
            }
            backoffs += model.storedLogBackoff(order: k, slot: Int(entries[k - 1]))
        }
        let rest = max(0, (cumulative.last ?? 0) - countedUnigramWeight) * pow(10, backoffs * inverseTemperature)
        let total = weights.reduce(0, +) + rest
        guard total > 0 else { throw notNormalized("the distribution after this context has no mass") }
        var target = SentenceSampler.uniform(&rng) * total
        for (word, weight) in zip(words, weights) {
            if target < weight { return word }
            target -= weight
        }
        for _ in 0..<SentenceSampler.rejectionLimit {
            let word = try drawUnigram(&rng)
            if !counted.contains(word) { return word }
        }
        throw notNormalized("a backoff found no word outside the counted successors in \(SentenceSampler.rejectionLimit) draws")
    }

    /// A sentence after `prefix` (word ids after `<s>`, which is added): words drawn until
    /// `</s>` or `maxWords` words (the prefix included).
    /// - Returns: the drawn words (without the prefix and `</s>`), their log10 probability under
    ///   the model (`</s>` included), and whether `</s>` ended it.
    package func sentence(prefix: [UInt32], maxWords: Int, using rng: inout SplitMix64) throws -> (words: [UInt32], log10Prob: Double, ended: Bool) {
        let state = ModelState(model: model)
        state.beginSentence()
        var context: [UInt32] = [Vocabulary.beginID]
        var log10Prob = 0.0
        for word in prefix {
            log10Prob += try state.score(word).log10Prob
            context.append(word)
        }
        var words: [UInt32] = []
        let keep = max(model.order - 1, 1)
        while prefix.count + words.count < maxWords {
            let word = try draw(after: Array(context.suffix(keep)), using: &rng)
            log10Prob += state.step(word).log10Prob
            if word == Vocabulary.endID { return (words, log10Prob, true) }
            words.append(word)
            context.append(word)
            if context.count > 2 * keep { context.removeFirst(context.count - keep) }
        }
        return (words, log10Prob, false)
    }

    @inline(never)
    private func notNormalized(_ what: String) -> NGramKitError {
        .malformedModel(path: model.binary?.path ?? "the model", line: nil,
                        reason: "cannot sample it: \(what); its probabilities and backoffs do not form a normalized model")
    }
}

extension SuccessorIndex {
    /// The index of `model`: the one its binary file stores, or one built in memory.
    static func of(_ model: NGramModel) -> SuccessorIndex {
        model.binary?.successors ?? SuccessorIndex(building: model)
    }
}
