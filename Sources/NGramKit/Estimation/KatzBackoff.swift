import Foundation

/// Katz backoff with Good-Turing discounts (Katz 1987), with SRILM's defaults (`ngram-count`
/// with no smoothing option; the formulas of its `ngram-discount` manual and `Discount.cc`).
///
/// In:  raw counts of orders 1...N.
/// Out: an `NGramModel` (`ClassicalSmoothing`, backoff form) with p(w|h) = d_c·c / T(h) for the
///      n-grams seen c = c(hw) times and kept, and Katz's backoff weight for the rest.
///
/// The discount of count c ≤ k (k = 1 for unigrams and 7 above, SRILM's `-gt1max 1 -gtNmax 7`):
/// d_c = (c*/c − A) / (1 − A), c* = (c+1)·n_{c+1}/n_c, A = (k+1)·n_{k+1}/n_1 (n_r: the order's
/// n-grams seen r times; for unigrams, the words but `<s>`); counts above k are not discounted.
/// As SRILM: k falls while n_{k+1} is 0; an order without singletons is not discounted; a
/// coefficient that is not finite, at most 3·10⁻⁶, or whose c*/c exceeds 1 is 1 (and, unlike
/// SRILM, one above 1, which tiny data with A > 1 can give and which would break normalization;
/// with k = 1 for
/// unigrams the formula gives 0 there, so unigrams are not discounted). The cutoffs are SRILM's
/// `-gt3min 2` and up: n-grams of order 3 and above seen once are left out unless count
/// thresholds are given (`--prune`, each SRILM's minimum minus one).
public enum KatzBackoff {
    /// SRILM's `-gtNmax`: the largest count discounted at order n.
    static func maximumDiscounted(order n: Int) -> Int { n == 1 ? 1 : 7 }

    /// SRILM's default count thresholds (`-gtNmin` − 1): 0 for orders 1 and 2, 1 above.
    static func defaultThresholds(order: Int) -> [UInt64] { (1...order).map { $0 >= 3 ? 1 : 0 } }

    /// - Parameters:
    ///   - countThresholds: per order, n-grams seen at most this often are left out; empty for
    ///     SRILM's defaults.
    ///   - warn: receives one line per order whose discounting is off.
    package static func estimate(_ counts: NGramCounts, countThresholds: [UInt64] = [], interpolateUnigrams: Bool = true, vocabularyPad: Int = 0,
                                 warn: (String) -> Void = { _ in }) throws -> NGramModel {
        let thresholds = countThresholds.isEmpty ? defaultThresholds(order: counts.order) : countThresholds
        let coefficients = (1...counts.order).map { n in
            goodTuring(countsOfCounts: ClassicalSmoothing.countsOfCounts(counts, order: n, upTo: maximumDiscounted(order: n) + 1),
                       maximum: maximumDiscounted(order: n), order: n, warn: warn)
        }
        let rules = (1...counts.order).map { n in
            ClassicalSmoothing.Rule(form: .backoff, numerator: .goodTuring(coefficients[n - 1]),
                                    minimumCount: ClassicalSmoothing.minimumCount(thresholds, order: n))
        }
        return try ClassicalSmoothing.estimate(counts, rules: rules, interpolateUnigrams: interpolateUnigrams, vocabularyPad: vocabularyPad,
                                               provenance: ModelProvenance(smoothing: .katz))
    }

    /// The Good-Turing coefficients of one order, with a warning when there are none.
    static func goodTuring(countsOfCounts n: [UInt64], maximum: Int, order: Int, warn: (String) -> Void) -> [Double] {
        // (Unigrams are not discounted anyway with k = 1.)
        if n[1] == 0 && order > 1 { warn("warning: order \(order): no n-gram seen once, so no Good-Turing discount (tiny or deduplicated data?); its probabilities are relative frequencies, and unseen words get mass only where a context's total grows by one") }
        return goodTuringCoefficients(countsOfCounts: n, maximum: maximum)
    }

    /// The Good-Turing coefficients d_1 ... d_k of one order (empty: no discounting).
    /// - Parameter n: counts-of-counts, `n[r]` for r = 1 ... maximum + 1.
    public static func goodTuringCoefficients(countsOfCounts n: [UInt64], maximum: Int) -> [Double] {
        guard n[1] > 0 else { return [] }
        var k = maximum
        while k > 0 && n[k + 1] == 0 { k -= 1 }
        guard k > 0 else { return [] }
        let common = Double(k + 1) * Double(n[k + 1]) / Double(n[1])
        return (1...k).map { r in
            guard n[r] > 0 else { return 1 }
            let ratio = Double(r + 1) * Double(n[r + 1]) / (Double(r) * Double(n[r]))
            let coefficient = (ratio - common) / (1 - common)
            // SRILM's test, and also a coefficient above 1 (possible when A > 1, on tiny data), which
            // SRILM keeps and which would leave a context more than all the mass.
            return !coefficient.isFinite || coefficient <= ClassicalSmoothing.epsilon || ratio > 1 || coefficient > 1 ? 1 : coefficient
        }
    }
}
