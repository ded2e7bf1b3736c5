import Foundation

/// Stupid Backoff (Brants et al. 2007), raw and exactly normalized.
///
/// In:  raw counts of orders 1...N.
/// Out: an `NGramModel` in ARPA backoff form holding the *normalized* model
///      p(w|h) = S(w|h) / Z(h), plus log10 Z(h) of every context so that raw scores S can be
///      reported beside it.
///
/// The raw score: S(w|h) = c(h w) / c(h) when c(h w) > 0, else α·S(w|h'); unigrams S(w) = c(w)/N.
/// Here c(h) = Σ_v c(h v), the number of times h is followed by a word (for text counts this is
/// h's own count; every occurrence of a context is followed by a word or `</s>`), and
/// N = Σ_w c(w) over every word but `<s>` (tokens plus one `</s>` per sentence). S is not a
/// distribution: Σ_w S(w|h) ≠ 1.
///
/// The normalizer, without a sum over the vocabulary per context. Split the vocabulary into the
/// words seen after h, succ(h), and the rest:
///
///     Z(h) = Σ_{w ∈ succ(h)} c(h w)/c(h)  +  α · Σ_{w ∉ succ(h)} S(w|h')
///          = 1  +  α · ( Z(h') − Σ_{w ∈ succ(h)} S(w|h') ),
///
/// because the first sum is c(h)/c(h) = 1 and the second is all of Z(h') = Σ_w S(w|h') but the
/// successors of h. For w ∈ succ(h), h' w is seen too (it is a suffix of a seen n-gram), so
/// S(w|h') = c(h' w)/c(h'), and the sum is Σ_{w ∈ succ(h)} c(h' w) / c(h'): one whole-number
/// sum per context, found through the suffixes, and one division, so it does not depend on the
/// order the n-grams are visited in (a build past its memory budget visits them a partition at a
/// time, `PartitionedStupidBackoff`, and gets the same bits). Z(ε) = 1.
/// A context never seen (c(h) = 0) has S(w|h) = α·S(w|h') for every w, so Z(h) = α·Z(h') and
/// p(w|h) = p(w|h'): it needs no entry, exactly as in an ARPA model.
///
/// The ARPA form follows: for a stored `h w`, log p = log S(h w) − log Z(h); for the rest,
/// p(w|h) = α·S(w|h')/Z(h) = [α·Z(h')/Z(h)]·p(w|h'), so the backoff weight of h is
/// α·Z(h')/Z(h). Any ARPA reader then scores the normalized model; with α known (NGramKit
/// records it in a comment line), Z(h) = α·Z(h')/backoff(h) gives the raw scores back.
///
/// A word with c(w) = 0 (a closed-vocabulary word never seen, or `<unk>` when the training text
/// had no unknown word) gets S = 0 and so p = 0 in every context: Stupid Backoff has no mass
/// for it, and a perplexity over text containing it is infinite. Nothing is invented.
public enum StupidBackoff {
    /// Brants et al.'s backoff factor.
    public static let defaultAlpha = 0.4

    /// Estimates the normalized Stupid Backoff model.
    /// - Parameters:
    ///   - counts: counts of orders 1...N.
    ///   - alpha: the backoff factor, in (0, 1].
    /// - Throws: `NGramKitError.emptyInput` when there is no sentence; `invalidOption` for α
    ///   outside (0, 1].
    ///   - unigramAddOne: unigram scores (c(w) + 1) / (N + |V| − 1) instead of c(w)/N (|V| − 1:
    ///     every word but `<s>`), so that every word of a fixed vocabulary has a probability even
    ///     when the training text lacks it (the scaling harness's small slices). The derivation
    ///     of Z above holds for any unigram distribution.
    package static func estimate(_ counts: NGramCounts, alpha: Double = defaultAlpha, unigramAddOne: Bool = false) throws -> NGramModel {
        try check(sentences: counts.sentences, alpha: alpha)
        let order = counts.order
        let vocabularySize = counts.vocabulary.count
        // Raw scores S (plain numbers) of every order, by id or slot.
        var raw: [LargeBuffer<Double>] = []
        // Z of every context order 1...N-1 (plain; 0 for (n-1)-grams that are no context).
        var normalizer: [LargeBuffer<Double>] = []
        let unigrams = unigramScores(counts, unigramAddOne: unigramAddOne)
        raw.append(unigrams.scores)
        var lowerSuffix: LargeBuffer<UInt32>? = nil   // suffix slot of every slot of order n-1
        var lowerContextTotal: LargeBuffer<Double>? = nil   // c(h) of every context of order n-2 (n ≥ 3)
        // suffixOf[n - 2]: the suffix slot (one order down; word id for bigrams) of every slot of order n < N.
        var suffixOf: [LargeBuffer<UInt32>] = []
        if order >= 2 {
            for n in 2...order {
                let table = counts.table(order: n)
                let contextCount = n == 2 ? vocabularySize : counts.table(order: n - 1).capacity
                let contextTotal = LargeBuffer<Double>(zeroedCount: contextCount)
                // Σ_{w ∈ succ(h)} c(h' w): whole numbers, so the sum is exact in any order.
                let successorsBelow = LargeBuffer<Double>(zeroedCount: contextCount)
                for slot in 0..<table.capacity where table.isOccupied(slot) {
                    contextTotal[Int(table.context(ofSlot: slot))] += Double(table.count(ofSlot: slot))
                }
                let scores = LargeBuffer<Double>(zeroedCount: table.capacity)
                let suffixes: LargeBuffer<UInt32>? = n < order ? LargeBuffer(zeroedCount: table.capacity) : nil
                let lowerTable: CountTable? = n >= 3 ? counts.table(order: n - 1) : nil
                for slot in 0..<table.capacity where table.isOccupied(slot) {
                    let context = Int(table.context(ofSlot: slot))
                    let word = table.word(ofSlot: slot)
                    scores[slot] = Double(table.count(ofSlot: slot)) / contextTotal[context]
                    if let lowerTable, let lowerSuffix {
                        guard let found = lowerTable.find(context: lowerSuffix[context], word: word) else {
                            preconditionFailure("order \(n): an n-gram's suffix is missing from order \(n - 1); counts are incomplete")
                        }
                        suffixes?[slot] = UInt32(found)
                        successorsBelow[context] += Double(lowerTable.count(ofSlot: found))
                    } else {
                        suffixes?[slot] = word
                        successorsBelow[context] += unigrams.counts[Int(word)]
                    }
                }
                // Z of the contexts (order n-1).
                let z = LargeBuffer<Double>(zeroedCount: contextCount)
                for context in 0..<contextCount where contextTotal[context] > 0 {
                    if n == 2 {
                        z[context] = contextNormalizer(alpha: alpha, lowerZ: 1, successorsBelow: successorsBelow[context], lowerContextTotal: unigrams.total)
                    } else {
                        let h = Int(lowerSuffix![context])
                        z[context] = contextNormalizer(alpha: alpha, lowerZ: normalizer[n - 3][h], successorsBelow: successorsBelow[context],
                                                lowerContextTotal: lowerContextTotal![h])
                    }
                }
                normalizer.append(z)
                raw.append(scores)
                lowerSuffix = suffixes
                lowerContextTotal = contextTotal
                if let suffixes { suffixOf.append(suffixes) }
            }
        }
        // Normalized ARPA form: log p(h w) = log S(h w) − log Z(h); backoff(h) = log α + log Z(h') − log Z(h).
        let logAlpha = log10(alpha)
        var logProb: [LargeBuffer<Double>] = []
        var logBackoff: [LargeBuffer<Double>] = []
        for n in 1...order {
            let values = raw[n - 1]
            let backoff = LargeBuffer<Double>(zeroedCount: n < order ? values.count : 0)
            let table: CountTable? = n >= 2 ? counts.table(order: n) : nil
            for i in 0..<values.count {
                if let table, !table.isOccupied(i) { continue }
                let p = values[i]
                values[i] = logProbability(score: p, normalizer: table.map { normalizer[n - 2][Int($0.context(ofSlot: i))] } ?? 1)
                if n < order {
                    let zHere = normalizer[n - 1][i]
                    if zHere > 0 {
                        // Z(h') of this context h: its suffix, one order down (Z(ε) = 1 for words).
                        let zLower = n >= 2 ? normalizer[n - 2][Int(suffixOf[n - 2][i])] : 1.0
                        backoff[i] = contextLogBackoff(logAlpha: logAlpha, lowerNormalizer: zLower, normalizer: zHere)
                    }
                }
            }
            if n == 1 { values[Int(Vocabulary.beginID)] = 0 }   // placeholder: <s> is never predicted
            logProb.append(values)
            logBackoff.append(backoff)
        }
        return NGramModel(order: order, vocabulary: counts.vocabulary, tables: counts.tables,
                          logProb: logProb, logBackoff: logBackoff,
                          ngramCounts: (1...order).map { counts.uniqueCount(order: $0) },
                          provenance: .stupidBackoff(alpha: alpha))
    }

    /// Refuses counts without a sentence and α outside (0, 1].
    static func check(sentences: Int, alpha: Double) throws {
        guard sentences > 0 else { throw NGramKitError.emptyInput(what: "the training text", hint: "pass text with at least one line (or counts of it)") }
        guard alpha > 0 && alpha <= 1 else {
            throw NGramKitError.invalidOption(name: "--alpha", value: String(alpha), expected: "a number in (0, 1]")
        }
    }

    /// The unigram scores S(w) = c(w)/N (with add-one, (c(w) + 1)/N), `<s>` 0; the count each
    /// is made of, and N (Σ over every word but `<s>`): whole numbers, exact as doubles.
    static func unigramScores(_ counts: NGramCounts, unigramAddOne: Bool) -> (scores: LargeBuffer<Double>, counts: [Double], total: Double) {
        let vocabularySize = counts.vocabulary.count
        let addend = unigramAddOne ? 1.0 : 0.0
        var made = [Double](repeating: 0, count: vocabularySize)
        var total = 0.0
        for id in 0..<vocabularySize where id != Int(Vocabulary.beginID) {
            made[id] = Double(counts.unigramCounts[id]) + addend
            total += made[id]
        }
        let scores = LargeBuffer<Double>(zeroedCount: vocabularySize)
        for id in 0..<vocabularySize where id != Int(Vocabulary.beginID) { scores[id] = made[id] / total }
        return (scores, made, total)
    }

    /// Z(h) = 1 + α·(Z(h') − Σ_{w ∈ succ(h)} S(w|h')), where that sum is
    /// `successorsBelow` / `lowerContextTotal` (Σ c(h' w) over the successors w of h, over
    /// c(h')): one division of exact sums, the same in whatever order the n-grams come. Never
    /// below 1 (rounding could take the difference a hair below 0).
    @inline(__always)
    static func contextNormalizer(alpha: Double, lowerZ: Double, successorsBelow: Double, lowerContextTotal: Double) -> Double {
        1 + alpha * max(0, lowerZ - successorsBelow / lowerContextTotal)
    }

    /// log10 p(w|h) = log10 S(h w) − log10 Z(h) (−∞ for a score of 0).
    @inline(__always)
    static func logProbability(score: Double, normalizer z: Double) -> Double {
        (score > 0 ? log10(score) : -Double.infinity) - log10(z)
    }

    /// The backoff weight of context h, log10(α·Z(h')/Z(h)).
    @inline(__always)
    static func contextLogBackoff(logAlpha: Double, lowerNormalizer: Double, normalizer z: Double) -> Double {
        logAlpha + log10(lowerNormalizer) - log10(z)
    }
}
