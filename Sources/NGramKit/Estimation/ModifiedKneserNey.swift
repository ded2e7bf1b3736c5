import Foundation

/// Interpolated modified Kneser-Ney (Chen and Goodman 1998), as KenLM's `lmplz` and SRILM's
/// `ngram-count -kndiscount -interpolate` estimate it.
///
/// In:  `NGramCounts` of orders 1...N (raw counts, and the adjusted counts of counting:
///      distinct left extensions for orders below N, raw counts for order N and for n-grams that
///      start with `<s>`).
/// Out: an `NGramModel` whose ARPA backoff form gives exactly the interpolated probabilities.
///
/// The stages, one file each, as in `lmplz`:
///   1. discounts (`Discounts.swift`): D1, D2, D3+ per order from counts-of-counts;
///   2. initial probabilities (`InitialProbabilities.swift`): per context h of order n,
///      the denominator Σ_w a(h w) and γ(h) = (D1·N1(h·) + D2·N2(h·) + D3+·N3+(h·)) / Σ_w a(h w);
///      per n-gram the discounted, uninterpolated u(w|h) = (a(h w) − D(a(h w))) / Σ_w a(h w);
///   3. interpolation (`Interpolate.swift`): p(w|h) = u(w|h) + γ(h)·p(w|h'), from the unigrams
///      (interpolated with the uniform distribution over the vocabulary without `<s>`, so
///      `<unk>` and any word never seen get γ(ε)/|V|) up to order N. The backoff weight of a
///      context is γ(h): for an unseen `h w`, p(w|h) = γ(h)·p(w|h') exactly.
///
/// Count thresholds (`lmplz --prune`): an n-gram of order n ≥ 2 whose raw count is at most t_n is
/// pruned, as KenLM's `AdjustCounts` and `InitialProbabilities` do it: the discounts still come
/// from every n-gram's counts-of-counts, the denominators of stage 2 still sum every extension,
/// but a pruned extension gives its whole adjusted count to γ(h) instead of its discount, and is
/// left out of the model. So p(w|h) = γ(h)·p(w|h') for it, and every context still sums to 1.
/// Thresholds never decrease with the order, so a kept n-gram's context and suffix (whose counts
/// are at least its own) are kept.
///
/// Probabilities are computed in double precision (KenLM uses single precision; the results
/// agree to about 1e-7 relative), which keeps Σ_w p(w|h) = 1 to about 1e-15.
public enum ModifiedKneserNey {
    /// Estimates a model from counts.
    /// - Parameters:
    ///   - counts: counts of orders 1...N; N is the model's order.
    ///   - fallback: discounts for orders whose closed-form discounts do not exist.
    ///   - discounts: the discounts of every order instead of the closed form (`OriginalKneserNey`).
    ///   - interpolateUnigrams: false gives γ(ε) to `<unk>` instead of spreading it over the
    ///     vocabulary (`lmplz --interpolate_unigrams 0`).
    ///   - warn: receives one line per order that uses `fallback`.
    ///   - threads: threads for the interpolation; the model is the same for any number.
    /// - Returns: the model. The count tables become the model's key tables (they are shared,
    ///   not copied), and their continuation counts are released.
    /// - Throws: `NGramKitError.emptyInput` when the counts hold no sentence.
    package static func estimate(_ counts: NGramCounts, fallback: KneserNeyDiscount = .fallbackDefault,
                                discounts given: [KneserNeyDiscount]? = nil,
                                countThresholds: [UInt64] = [], interpolateUnigrams: Bool = true, vocabularyPad: Int = 0,
                                warn: (String) -> Void = { _ in },
                                threads: Int = ProcessInfo.processInfo.activeProcessorCount) throws -> NGramModel {
        guard counts.sentences > 0 else { throw NGramKitError.emptyInput(what: "the training text", hint: "pass text with at least one line (or counts of it)") }
        let discounts = given ?? counts.kneserNeyDiscounts(fallback: fallback, warn: warn)
        let order = counts.order
        var logProb: [LargeBuffer<Double>] = []
        var logBackoff: [LargeBuffer<Double>] = []
        // Stage 2 and 3 for unigrams.
        let unigrams = InitialProbabilities.unigrams(counts, discount: discounts[0], interpolate: interpolateUnigrams, vocabularyPad: vocabularyPad)
        logProb.append(unigrams.probabilities)
        logBackoff.append(LargeBuffer(zeroedCount: order >= 2 ? counts.vocabulary.count : 0))
        // Then order by order: order n needs the interpolated probabilities of order n-1.
        var lowerSuffix: LargeBuffer<UInt32>? = nil
        if order >= 2 {
            for n in 2...order {
                let stage = InitialProbabilities.contexts(counts, order: n, discount: discounts[n - 1],
                                                          contextCount: logBackoff[n - 2].count,
                                                          prunedAtOrBelow: n - 1 < countThresholds.count ? countThresholds[n - 1] : 0,
                                                          threads: threads)
                let result = Interpolate.order(counts, order: n, discount: discounts[n - 1], contexts: stage,
                                               lowerProbabilities: logProb[n - 2], lowerSuffix: lowerSuffix,
                                               threads: threads)
                // Order n-1 is final: its probabilities and backoffs go to log10.
                Interpolate.finishLog10(probabilities: logProb[n - 2], backoffs: logBackoff[n - 2], contexts: stage, threads: threads)
                logProb.append(result.probabilities)
                logBackoff.append(LargeBuffer(zeroedCount: n < order ? counts.table(order: n).capacity : 0, populatingThreads: threads))
                lowerSuffix = result.suffix
                // Continuation counts of order n-1 have served their only purpose.
                if n >= 3 { counts.table(order: n - 1).continuation = nil }
            }
        }
        Interpolate.finishLog10(probabilities: logProb[order - 1], backoffs: nil, contexts: nil, threads: threads)
        for table in counts.tables { table.continuation = nil }
        let model = NGramModel(order: order, vocabulary: counts.vocabulary, tables: counts.tables,
                               logProb: logProb, logBackoff: logBackoff,
                               ngramCounts: (1...order).map { counts.uniqueCount(order: $0) },
                               provenance: .kneserNey(discounts))
        guard countThresholds.dropFirst().contains(where: { $0 > 0 }) else { return model }
        // The n-grams above their order's threshold.
        let keep = counts.tables.map { table in
            let threshold = countThresholds[table.order - 1]
            let flags = LargeBuffer<UInt8>(zeroedCount: table.capacity)
            for slot in 0..<table.capacity where table.isOccupied(slot) && table.count(ofSlot: slot) > threshold { flags[slot] = 1 }
            return flags
        }
        return try model.keeping(keep).model
    }
}
