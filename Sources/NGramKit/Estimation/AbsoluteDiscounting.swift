/// Interpolated absolute discounting (Ney, Essen and Kneser 1994; Chen and Goodman 1998,
/// section 2.6): one discount per order, as IRSTLM's shift-beta and NLTK's
/// `AbsoluteDiscountingInterpolated` (with its discount set to the same value).
///
/// In:  raw counts of orders 1...N.
/// Out: an `NGramModel` (`ClassicalSmoothing`) with p(w|h) = max(c(hw) − D, 0) / T(h) + λ(h)·p(w|h'),
///      λ(h) = D·E(h) / T(h), where D = n1 / (n1 + 2·n2) of the order (n_k: its n-grams seen k
///      times; for unigrams, the words but `<s>`).
public enum AbsoluteDiscounting {
    /// - Parameters:
    ///   - fallback: the discount of an order without n-grams seen once or twice (tiny data).
    ///   - warn: receives one line per order that uses `fallback`.
    package static func estimate(_ counts: NGramCounts, fallback: Double, countThresholds: [UInt64] = [],
                                 interpolateUnigrams: Bool = true, vocabularyPad: Int = 0, warn: (String) -> Void = { _ in }) throws -> NGramModel {
        let discounts = (1...counts.order).map { n in
            discount(countsOfCounts: ClassicalSmoothing.countsOfCounts(counts, order: n, upTo: 2), order: n, fallback: fallback, warn: warn)
        }
        let rules = (1...counts.order).map { n in
            ClassicalSmoothing.Rule(form: .interpolated, numerator: .absolute(discounts[n - 1]),
                                    minimumCount: ClassicalSmoothing.minimumCount(countThresholds, order: n))
        }
        return try ClassicalSmoothing.estimate(counts, rules: rules, interpolateUnigrams: interpolateUnigrams, vocabularyPad: vocabularyPad,
                                               provenance: ModelProvenance(smoothing: .absoluteDiscounting, discounts: discounts.map {
                                                   let d = Float($0)
                                                   return KneserNeyDiscount(d, d, d)
                                               }))
    }

    /// D = n1 / (n1 + 2·n2), or `fallback` (with a warning) when n1 or n2 is 0.
    static func discount(countsOfCounts n: [UInt64], order: Int, fallback: Double, warn: (String) -> Void) -> Double {
        guard n[1] > 0 && n[2] > 0 else {
            warn("warning: order \(order): no absolute discount n1/(n1+2·n2) (n1 = \(n[1]), n2 = \(n[2]); tiny data?); using \(fallback) (set it with --discount-fallback)")
            return fallback
        }
        return Double(n[1]) / (Double(n[1]) + 2 * Double(n[2]))
    }
}
