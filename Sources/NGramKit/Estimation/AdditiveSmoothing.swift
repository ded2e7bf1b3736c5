/// Additive (Lidstone) smoothing, add-δ (δ = 1: add-one, Laplace), at every order
/// (Chen and Goodman 1998, section 2.1).
///
/// In:  raw counts of orders 1...N and δ > 0.
/// Out: an `NGramModel` (`ClassicalSmoothing`) with p(w) = (c(w) + δ) / (T + δ·|V′|) for the
///      unigrams (V′: the vocabulary but `<s>`), and for a context h of order n ≥ 2
///      p(w|h) = (c(hw) + δ·|V′|·p(w|h')) / (T(h) + δ·|V′|): add-δ with the order below as the
///      prior instead of the uniform distribution, which a backoff model can hold exactly (every
///      unseen word of h gets λ(h)·p(w|h'), λ(h) = δ·|V′| / (T(h) + δ·|V′|)). A context never seen
///      is the order below, as in every other method here. The unigrams are exactly Lidstone's.
public enum AdditiveSmoothing {
    package static func estimate(_ counts: NGramCounts, delta: Double, countThresholds: [UInt64] = [],
                                 interpolateUnigrams: Bool = true, vocabularyPad: Int = 0) throws -> NGramModel {
        let words = Double(counts.vocabulary.count - 1)
        let rules = (1...counts.order).map { n in
            ClassicalSmoothing.Rule(form: .interpolated, numerator: .count, perContext: delta * words,
                                    minimumCount: ClassicalSmoothing.minimumCount(countThresholds, order: n))
        }
        return try ClassicalSmoothing.estimate(counts, rules: rules, interpolateUnigrams: interpolateUnigrams, vocabularyPad: vocabularyPad,
                                               provenance: ModelProvenance(smoothing: .additive))
    }
}
