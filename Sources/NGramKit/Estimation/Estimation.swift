import Foundation

/// The estimators NGramKit offers, chosen at run time (`ngramkit build --smoothing`).
public enum SmoothingMethod: String, CaseIterable, Sendable {
    /// Interpolated modified Kneser-Ney (`ModifiedKneserNey`), KenLM's and SRILM's default.
    case kneserNey = "kneser-ney"
    /// Stupid Backoff (`StupidBackoff`), stored exactly normalized.
    case stupidBackoff = "stupid-backoff"
}

/// Settings of an estimation (the thread count is the job's: `estimate(from:options:threads:)`).
public struct EstimationOptions: Sendable, Equatable {
    public var smoothing: SmoothingMethod
    /// Stupid Backoff's backoff factor, in (0, 1].
    public var alpha: Double
    /// Modified Kneser-Ney discounts for orders whose closed-form discounts do not exist; each
    /// Dk in [0, k].
    public var discountFallback: KneserNeyDiscount
    /// Stupid Backoff: add one to every unigram count (see `StupidBackoff.estimate`).
    public var unigramAddOne: Bool
    /// Modified Kneser-Ney only: count thresholds per order, as `lmplz --prune` (element n − 1
    /// for order n; the last value serves the orders above it; empty: no pruning). An n-gram of
    /// order n ≥ 2 whose count is at most its order's threshold is left out of the model, its
    /// discounted mass given to its context's backoff (see `ModifiedKneserNey`). Non-decreasing,
    /// 0 for unigrams.
    public var countThresholds: [UInt64] = []

    public init(smoothing: SmoothingMethod = .kneserNey, alpha: Double = StupidBackoff.defaultAlpha,
                discountFallback: KneserNeyDiscount = .fallbackDefault, unigramAddOne: Bool = false, countThresholds: [UInt64] = []) {
        self.countThresholds = countThresholds
        self.smoothing = smoothing
        self.alpha = alpha
        self.discountFallback = discountFallback
        self.unigramAddOne = unigramAddOne
    }

    /// Checks the settings' ranges.
    /// - Throws: `NGramKitError.invalidOption` naming the option and its range.
    public func validate() throws {
        guard alpha > 0 && alpha <= 1 else {
            throw NGramKitError.invalidOption(name: "--alpha", value: String(alpha), expected: "a number in (0, 1]")
        }
        for (k, d) in [discountFallback.d1, discountFallback.d2, discountFallback.d3].enumerated() where !(d >= 0 && d <= Float(k + 1)) {
            throw NGramKitError.invalidOption(name: "--discount-fallback", value: String(d),
                                              expected: "D\(k == 2 ? "3+" : String(k + 1)) in [0, \(k + 1)]")
        }
        guard !countThresholds.isEmpty else { return }
        let text = countThresholds.map(String.init).joined(separator: " ")
        guard smoothing == .kneserNey else {
            throw NGramKitError.invalidOption(name: "--prune", value: text, expected: "--smoothing kneser-ney (count thresholds are lmplz's, for Kneser-Ney; prune other models with --prune-entropy)")
        }
        guard countThresholds[0] == 0 else {
            throw NGramKitError.invalidOption(name: "--prune", value: text, expected: "0 for unigrams (the vocabulary is set by --min-count, --max-vocab or --vocab)")
        }
        guard zip(countThresholds, countThresholds.dropFirst()).allSatisfy({ $0 <= $1 }) else {
            throw NGramKitError.invalidOption(name: "--prune", value: text, expected: "non-decreasing thresholds, one per order (as lmplz: 0 1 1 prunes singletons of orders 2 and up)")
        }
    }

    /// The count threshold of order `n` (the last one given serves the orders above; 0: none).
    func countThreshold(order n: Int) -> UInt64 {
        countThresholds.isEmpty ? 0 : countThresholds[min(n, countThresholds.count) - 1]
    }
}

extension NGramModel {
    /// Estimates a model of order `counts.order` from counts.
    /// - Parameters:
    ///   - counts: from `NGramCounter.finish()` or `CountsFile.read`. The model shares their
    ///     tables (read-only); `counts` stays as it was and can serve other estimates.
    ///   - options: smoothing and its parameters.
    ///   - threads: threads for estimation (nil: all cores); the model is the same for any number.
    ///   - warn: receives warning lines (fallback discounts).
    /// - Throws: `NGramKitError.emptyInput` for counts without sentences; `invalidOption` for
    ///   settings out of range.
    public static func estimate(from counts: NGramCounts, options: EstimationOptions = .init(), threads: Int? = nil,
                                warn: (String) -> Void = { _ in }) throws -> NGramModel {
        // A view of the counts: estimation drops continuation counts it is done with, and the
        // caller's counts keep theirs.
        try estimate(consuming: try counts.truncated(toOrder: counts.order), options: options, threads: threads, warn: warn)
    }

    /// `estimate(from:options:threads:warn:)` on counts that are used for nothing else: their
    /// tables become the model's, and each order's continuation counts are freed as soon as
    /// estimation is done with them (what a build, which owns its counts, wants for its peak).
    package static func estimate(consuming counts: NGramCounts, options: EstimationOptions, threads: Int? = nil,
                                 warn: (String) -> Void = { _ in }) throws -> NGramModel {
        try options.validate()
        switch options.smoothing {
        case .kneserNey:
            return try ModifiedKneserNey.estimate(counts, fallback: options.discountFallback,
                                                  countThresholds: (1...counts.order).map(options.countThreshold(order:)),
                                                  warn: warn, threads: ThreadCount.usable(threads))
        case .stupidBackoff:
            return try StupidBackoff.estimate(counts, alpha: options.alpha, unigramAddOne: options.unigramAddOne)
        }
    }
}
