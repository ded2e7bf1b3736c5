import Foundation

/// Interpolated Kneser-Ney with one discount per order (Kneser and Ney 1995; Chen and Goodman
/// 1998, section 2.7): what BerkeleyLM and NLTK's `KneserNeyInterpolated` estimate, and SRILM's
/// `-ukndiscount -interpolate`.
///
/// In:  counts of orders 1...N with their adjusted (continuation) counts.
/// Out: the model `ModifiedKneserNey` makes with D1 = D2 = D3+ = D for every order, where
///      D = n1 / (n1 + 2·n2) of the order's adjusted counts (the Y of modified Kneser-Ney, in
///      single precision as KenLM computes it).
public enum OriginalKneserNey {
    package static func estimate(_ counts: NGramCounts, fallback: KneserNeyDiscount, countThresholds: [UInt64] = [],
                                 interpolateUnigrams: Bool = true, vocabularyPad: Int = 0, warn: (String) -> Void = { _ in },
                                 threads: Int = ProcessInfo.processInfo.activeProcessorCount) throws -> NGramModel {
        let discounts = (1...counts.order).map {
            KneserNeyDiscount.original(countsOfCounts: counts.kneserNeyCountsOfCounts(checkedOrder: $0), order: $0, fallback: fallback, warn: warn)
        }
        let model = try ModifiedKneserNey.estimate(counts, discounts: discounts, countThresholds: countThresholds,
                                                   interpolateUnigrams: interpolateUnigrams, vocabularyPad: vocabularyPad, warn: warn, threads: threads)
        model.provenance = ModelProvenance(smoothing: .originalKneserNey, discounts: discounts)
        return model
    }
}
