/// Witten-Bell smoothing (Witten and Bell 1991; Chen and Goodman 1998, section 2.5), as SRILM's
/// `ngram-count -wbdiscount` (backoff) and `-wbdiscount -interpolate` (interpolated).
///
/// In:  raw counts of orders 1...N (every order: Witten-Bell uses no continuation counts).
/// Out: an `NGramModel` (`ClassicalSmoothing`) with p(w|h) = c(hw) / (T(h) + E(h)) for the
///      n-grams seen, and the weight E(h) / (T(h) + E(h)) on the order below: added to every
///      word (interpolated), or given to the unseen words alone through Katz's backoff weight.
///      T(h) is the count of h's extensions, E(h) their number.
public enum WittenBell {
    /// - Parameters:
    ///   - interpolated: interpolate every order with the one below (SRILM `-interpolate`).
    ///   - countThresholds: per order, n-grams seen at most this often are left out (counted in
    ///     T and E), as SRILM's `-gtNmin` minus one; empty for none.
    package static func estimate(_ counts: NGramCounts, interpolated: Bool, countThresholds: [UInt64] = [],
                                 interpolateUnigrams: Bool = true, vocabularyPad: Int = 0) throws -> NGramModel {
        let rules = (1...counts.order).map { n in
            ClassicalSmoothing.Rule(form: interpolated ? .interpolated : .backoff, numerator: .count, perExtension: 1,
                                    minimumCount: ClassicalSmoothing.minimumCount(countThresholds, order: n))
        }
        return try ClassicalSmoothing.estimate(counts, rules: rules, interpolateUnigrams: interpolateUnigrams, vocabularyPad: vocabularyPad,
                                               provenance: ModelProvenance(smoothing: interpolated ? .wittenBell : .wittenBellBackoff))
    }
}
