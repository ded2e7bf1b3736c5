import Foundation

/// The estimation that Witten-Bell, absolute discounting, Katz (Good-Turing) and additive
/// smoothing share: each order's probabilities from its counts and the finished order below,
/// as SRILM's `NgramLM::estimate` does it.
///
/// In:  `NGramCounts` of orders 1...N (raw counts), and one `Rule` per order: how much of an
///      n-gram's count it keeps (α's numerator), what a context's denominator adds, the count
///      an n-gram needs to be kept, and whether the order below is interpolated or backed off to.
/// Out: an `NGramModel` in backoff form that gives the method's probabilities exactly.
///
/// For a context h of order n − 1 with extensions w (counts c(hw), T(h) = Σ_w c(hw), E(h) the
/// number of distinct extensions), the denominator is Z(h) = T(h) + e·E(h) + z (e and z from
/// the rule), α(w|h) = kept(c(hw)) / Z(h), and λ(h) = 1 − Σ_w α(w|h) over every extension.
/// - Interpolated: p(w|h) = α(w|h) + λ(h)·p(w|h') for the kept n-grams; h's backoff weight is
///   λ(h), so an unseen `h w` gets λ(h)·p(w|h').
/// - Backoff (Katz): p(w|h) = α(w|h) for the kept n-grams. Where that leaves no mass for the
///   words h was not seen with (Σ_w α(w|h) > 1 − 3·10⁻⁶ and E(h) below the words that can
///   follow), Z(h) grows by 1 until it does, as SRILM does.
/// N-grams at or below their order's count threshold (`--prune`, SRILM's `-gtNmin` minus one)
/// are left out of the model but counted in T(h) and E(h). Where a context lost some (or in
/// backoff form), its weight is SRILM's `computeBOW`: β(h) = (1 − Σ_w p(w|h)) / (1 − Σ_w p(w|h'))
/// over the kept w, so every context sums to 1. Thresholds never decrease with the order, so the
/// context and suffix of a kept n-gram are kept.
///
/// The unigrams: h is empty, the words are every vocabulary word but `<s>` (V′; `<s>` is never
/// predicted and gets the placeholder probability 1, as in modified Kneser-Ney), and the mass α
/// leaves is spread evenly over V′ (the uniform distribution is the order below), or, with
/// `interpolateUnigrams` false, given to `<unk>` (as `lmplz --interpolate_unigrams 0`, and as
/// SRILM when `<unk>` is the only word without a count).
///
/// One thread, in slot order: every sum is added in the same order, so the model is the same
/// bits on every run.
enum ClassicalSmoothing {
    /// How an order turns counts into probabilities.
    struct Rule: Sendable, Equatable {
        enum Form: Sendable, Equatable { case interpolated, backoff }
        /// α's numerator for an n-gram seen c times.
        enum Numerator: Sendable, Equatable {
            /// c (Witten-Bell, additive).
            case count
            /// max(c − D, 0) (absolute discounting).
            case absolute(Double)
            /// d_c·c with d_c = `coefficients[c − 1]` for c up to their number, else c (Good-Turing).
            case goodTuring([Double])
        }
        var form: Form
        var numerator: Numerator
        /// Added to a context's denominator per distinct extension (Witten-Bell: 1).
        var perExtension: Double = 0
        /// Added to a context's denominator once (additive: δ·|V′|).
        var perContext: Double = 0
        /// N-grams seen fewer times are left out of the model (counted in their context's total).
        var minimumCount: UInt64 = 1

        @inline(__always)
        func kept(_ c: UInt64) -> Double {
            switch numerator {
            case .count: return Double(c)
            case .absolute(let d): return max(Double(c) - d, 0)
            case .goodTuring(let coefficients):
                return c >= 1 && c <= UInt64(coefficients.count) ? coefficients[Int(c) - 1] * Double(c) : Double(c)
            }
        }
    }

    /// SRILM's `Prob_Epsilon`: probability sums within it of 0 or 1 are taken as 0 or 1.
    static let epsilon = 3e-6

    /// Estimates the model.
    /// - Parameters:
    ///   - rules: `rules[n − 1]` for order n.
    ///   - provenance: recorded in the model (and its files).
    /// - Throws: `NGramKitError.emptyInput` for counts without a sentence.
    static func estimate(_ counts: NGramCounts, rules: [Rule], interpolateUnigrams: Bool, vocabularyPad: Int = 0,
                         provenance: ModelProvenance) throws -> NGramModel {
        guard counts.sentences > 0 else { throw NGramKitError.emptyInput(what: "the training text", hint: "pass text with at least one line (or counts of it)") }
        let order = counts.order
        precondition(rules.count == order && zip(rules, rules.dropFirst()).allSatisfy { $0.minimumCount <= $1.minimumCount })
        var logProb: [LargeBuffer<Double>] = [unigrams(counts, rule: rules[0], interpolate: interpolateUnigrams, vocabularyPad: vocabularyPad)]
        var logBackoff: [LargeBuffer<Double>] = []
        var keep: [LargeBuffer<UInt8>] = []
        var excluded = false
        var lowerSuffix: LargeBuffer<UInt32>? = nil
        if order >= 2 {
            for n in 2...order {
                let result = higherOrder(counts, order: n, rule: rules[n - 1], lower: logProb[n - 2], lowerSuffix: lowerSuffix)
                logBackoff.append(result.backoffs)
                logProb.append(result.probabilities)
                keep.append(result.keep)
                excluded = excluded || result.excluded
                lowerSuffix = result.suffixes
            }
        }
        logBackoff.append(LargeBuffer(zeroedCount: 0))
        for buffer in logProb { for i in 0..<buffer.count { buffer[i] = buffer[i] > 0 ? min(0, log10(buffer[i])) : -.infinity } }
        for buffer in logBackoff { for i in 0..<buffer.count { buffer[i] = log10(buffer[i]) } }
        let model = NGramModel(order: order, vocabulary: counts.vocabulary, tables: counts.tables,
                               logProb: logProb, logBackoff: logBackoff,
                               ngramCounts: (1...order).map { counts.uniqueCount(order: $0) }, provenance: provenance)
        guard excluded else { return model }
        return try model.keeping(keep).model
    }

    /// The least count an n-gram of order n needs to be kept: its threshold (the last given
    /// serves the orders above; none: 0) plus one.
    static func minimumCount(_ thresholds: [UInt64], order n: Int) -> UInt64 {
        (thresholds.isEmpty ? 0 : thresholds[min(n, thresholds.count) - 1]) + 1
    }

    /// Counts-of-counts of raw counts, `result[r]` for r = 1 ... `upTo` (index 0 unused); for
    /// unigrams over the words but `<s>`.
    static func countsOfCounts(_ counts: NGramCounts, order n: Int, upTo: Int) -> [UInt64] {
        var result = [UInt64](repeating: 0, count: upTo + 1)
        if n == 1 {
            for id in 0..<counts.vocabulary.count where id != Int(Vocabulary.beginID) {
                let c = counts.unigramCounts[id]
                if c >= 1 && c <= UInt64(upTo) { result[Int(c)] += 1 }
            }
            return result
        }
        let table = counts.table(order: n)
        for slot in 0..<table.capacity where table.isOccupied(slot) {
            let c = table.count(ofSlot: slot)
            if c <= UInt64(upTo) { result[Int(c)] += 1 }
        }
        return result
    }

    /// The words that can follow a context: the vocabulary but `<s>`.
    private static func predictable(_ counts: NGramCounts) -> Double { Double(counts.vocabulary.count - 1) }

    /// Z(h) from T(h), E(h) and the kept mass Σ kept(c): the rule's denominator, grown by 1 while
    /// the backoff form would leave no mass for unseen words (SRILM's retry).
    @inline(__always)
    private static func denominator(rule: Rule, total: Double, extensions: Double, keptMass: Double, words: Double) -> Double {
        var z = total + rule.perExtension * extensions + rule.perContext
        if rule.form == .backoff && extensions < words && z > 0 {
            while keptMass / z > 1 - epsilon { z += 1 }
        }
        return z
    }

    /// The unigram probabilities (plain; `<s>` 1).
    private static func unigrams(_ counts: NGramCounts, rule: Rule, interpolate: Bool, vocabularyPad: Int) -> LargeBuffer<Double> {
        let size = counts.vocabulary.count
        let begin = Int(Vocabulary.beginID)
        var total = 0.0, extensions = 0.0, keptMass = 0.0
        for id in 0..<size where id != begin {
            let c = counts.unigramCounts[id]
            guard c > 0 else { continue }
            total += Double(c)
            extensions += 1
            if c >= rule.minimumCount { keptMass += rule.kept(c) }
        }
        let z = denominator(rule: rule, total: total, extensions: extensions, keptMass: keptMass, words: predictable(counts))
        let leftOver = max(0, 1 - keptMass / z)
        let probabilities = LargeBuffer<Double>(zeroedCount: size)
        let share = interpolate ? leftOver / Double(max(size - 1, vocabularyPad)) : 0
        for id in 0..<size where id != begin {
            let c = counts.unigramCounts[id]
            probabilities[id] = (c >= rule.minimumCount ? rule.kept(c) / z : 0) + share
        }
        if !interpolate { probabilities[Int(Vocabulary.unknownID)] += leftOver }
        probabilities[begin] = 1
        return probabilities
    }

    /// Order n ≥ 2: the probabilities of its n-grams (plain), the backoff weights of order
    /// n − 1 (plain; 1 for n-grams that are no context), which n-grams are kept, and each
    /// n-gram's suffix slot in order n − 1 (for order n + 1).
    private static func higherOrder(_ counts: NGramCounts, order n: Int, rule: Rule, lower: LargeBuffer<Double>,
                                    lowerSuffix: LargeBuffer<UInt32>?)
        -> (probabilities: LargeBuffer<Double>, backoffs: LargeBuffer<Double>, keep: LargeBuffer<UInt8>, excluded: Bool, suffixes: LargeBuffer<UInt32>?) {
        let table = counts.table(order: n)
        let lowerTable = n >= 3 ? counts.table(order: n - 1) : nil
        let contextCount = lower.count
        let words = predictable(counts)
        // Per context h, six numbers side by side: T, E, Σ kept(c) over every extension and over
        // the kept ones, then (second pass) Σ p(w|h) and Σ p(w|h') over the kept ones.
        let stride = 6
        let stats = LargeBuffer<Double>(zeroedCount: stride * contextCount)
        for slot in 0..<table.capacity where table.isOccupied(slot) {
            let c = table.count(ofSlot: slot)
            let h = stride * Int(table.context(ofSlot: slot))
            let kept = rule.kept(c)
            stats[h] += Double(c)
            stats[h + 1] += 1
            stats[h + 2] += kept
            if c >= rule.minimumCount { stats[h + 3] += kept }
        }
        // Z(h) replaces T(h); λ(h) replaces E(h).
        for context in 0..<contextCount where stats[stride * context] > 0 {
            let h = stride * context
            let z = denominator(rule: rule, total: stats[h], extensions: stats[h + 1], keptMass: stats[h + 3], words: words)
            stats[h] = z
            stats[h + 1] = rule.form == .interpolated ? max(0, 1 - stats[h + 2] / z) : 0
        }
        let probabilities = LargeBuffer<Double>(zeroedCount: table.capacity)
        let keep = LargeBuffer<UInt8>(zeroedCount: table.capacity)
        let suffixes: LargeBuffer<UInt32>? = n < counts.order ? LargeBuffer(zeroedCount: table.capacity) : nil
        var excluded = false
        for slot in 0..<table.capacity where table.isOccupied(slot) {
            let word = table.word(ofSlot: slot)
            let context = Int(table.context(ofSlot: slot))
            let suffix: Int
            if let lowerTable, let lowerSuffix {
                guard let found = lowerTable.find(context: lowerSuffix[context], word: word) else {
                    preconditionFailure("order \(n): an n-gram's suffix is missing from order \(n - 1); counts are incomplete")
                }
                suffix = found
            } else {
                suffix = Int(word)
            }
            suffixes?[slot] = UInt32(suffix)
            let c = table.count(ofSlot: slot)
            guard c >= rule.minimumCount else {
                excluded = true
                continue
            }
            keep[slot] = 1
            let h = stride * context
            let p = rule.kept(c) / stats[h] + stats[h + 1] * lower[suffix]
            probabilities[slot] = p
            stats[h + 4] += p
            stats[h + 5] += lower[suffix]
        }
        let backoffs = LargeBuffer<Double>(zeroedCount: contextCount)
        var rescaled = false
        for context in 0..<contextCount {
            let h = stride * context
            if stats[h] == 0 {
                backoffs[context] = 1
            } else if rule.form == .interpolated && stats[h + 2] == stats[h + 3] {
                backoffs[context] = stats[h + 1]   // nothing left out: λ(h)
            } else {
                let weight = backoffWeight(probabilityMass: stats[h + 4], lowerMass: stats[h + 5])
                backoffs[context] = weight.value
                if weight.rescale {
                    // Marked by a negative total, read below.
                    stats[h + 4] = -stats[h + 4]
                    rescaled = true
                }
            }
        }
        if rescaled {
            // h was seen before every word the order below gives mass to, and its own
            // probabilities leave some: they are scaled to sum to 1, as SRILM does.
            for slot in 0..<table.capacity where keep[slot] != 0 {
                let h = stride * Int(table.context(ofSlot: slot))
                if stats[h + 4] < 0 { probabilities[slot] /= -stats[h + 4] }
            }
        }
        return (probabilities, backoffs, keep, excluded, suffixes)
    }

    /// SRILM's `computeBOW`: (1 − Σ p(w|h)) / (1 − Σ p(w|h')) over the kept extensions w, each
    /// side within `epsilon` of 0 taken as 0. Where nothing is left below, the weight is 1, and
    /// if something is left above, h's probabilities are to be scaled to sum to 1 (`rescale`);
    /// where nothing is left above, 0 (unseen words after h get no probability).
    static func backoffWeight(probabilityMass: Double, lowerMass: Double) -> (value: Double, rescale: Bool) {
        var numerator = 1 - probabilityMass, denominator = 1 - lowerMass
        if abs(numerator) < epsilon { numerator = 0 }
        if abs(denominator) < epsilon { denominator = 0 }
        if denominator <= 0 { return (1, numerator > 0) }
        return (max(numerator, 0) / denominator, false)
    }
}
