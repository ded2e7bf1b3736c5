import Foundation

/// The estimators NGramKit offers, chosen at run time (`ngramkit build --smoothing`).
public enum SmoothingMethod: String, CaseIterable, Sendable {
    /// Interpolated modified Kneser-Ney (`ModifiedKneserNey`), KenLM's and SRILM's default.
    case kneserNey = "kneser-ney"
    /// Stupid Backoff (`StupidBackoff`), stored exactly normalized.
    case stupidBackoff = "stupid-backoff"
}

/// Settings of an estimation.
public struct EstimationOptions: Sendable, Equatable {
    public var smoothing: SmoothingMethod
    /// Stupid Backoff's backoff factor.
    public var alpha: Double
    /// Modified Kneser-Ney discounts for orders whose closed-form discounts do not exist.
    public var discountFallback: KneserNeyDiscount
    /// Threads for estimation; the model is the same for any number.
    public var threads: Int
    /// Stupid Backoff: add one to every unigram count (see `StupidBackoff.estimate`).
    public var unigramAddOne: Bool

    public init(smoothing: SmoothingMethod = .kneserNey, alpha: Double = StupidBackoff.defaultAlpha,
                discountFallback: KneserNeyDiscount = .fallbackDefault,
                threads: Int = ProcessInfo.processInfo.activeProcessorCount, unigramAddOne: Bool = false) {
        self.smoothing = smoothing
        self.alpha = alpha
        self.discountFallback = discountFallback
        self.threads = threads
        self.unigramAddOne = unigramAddOne
    }
}

extension NGramModel {
    /// Estimates a model of order `counts.order` from counts.
    /// - Parameters:
    ///   - counts: from `NGramCounter.finish()` or `CountsFile.read`; its tables become the
    ///     model's (do not use `counts` for anything else afterwards).
    ///   - options: smoothing and its parameters.
    ///   - warn: receives warning lines (fallback discounts).
    /// - Throws: `NGramKitError.emptyInput` for counts without sentences.
    public static func estimate(from counts: NGramCounts, options: EstimationOptions = .init(),
                                warn: (String) -> Void = { _ in }) throws -> NGramModel {
        switch options.smoothing {
        case .kneserNey:
            return try ModifiedKneserNey.estimate(counts, fallback: options.discountFallback, warn: warn, threads: options.threads)
        case .stupidBackoff:
            return try StupidBackoff.estimate(counts, alpha: options.alpha, unigramAddOne: options.unigramAddOne)
        }
    }
}
