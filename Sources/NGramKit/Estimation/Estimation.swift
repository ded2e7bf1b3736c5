import Foundation

/// The estimators NGramKit offers, chosen at run time (`ngramkit build --smoothing`).
public enum SmoothingMethod: String, CaseIterable, Sendable {
    /// Interpolated modified Kneser-Ney (`ModifiedKneserNey`), KenLM's and SRILM's default.
    case kneserNey = "kneser-ney"
    /// Stupid Backoff (`StupidBackoff`), stored exactly normalized.
    case stupidBackoff = "stupid-backoff"
    /// Katz backoff with Good-Turing discounts and SRILM's defaults (`KatzBackoff`).
    case katz = "katz"
    /// Interpolated Witten-Bell (`WittenBell`), as SRILM's `-wbdiscount -interpolate`.
    case wittenBell = "witten-bell"
    /// Witten-Bell in backoff form (`WittenBell`), as SRILM's `-wbdiscount`.
    case wittenBellBackoff = "witten-bell-backoff"
    /// Interpolated absolute discounting, one discount per order (`AbsoluteDiscounting`).
    case absoluteDiscounting = "absolute-discounting"
    /// Interpolated Kneser-Ney with one discount per order (`OriginalKneserNey`): what
    /// BerkeleyLM and NLTK call Kneser-Ney.
    case originalKneserNey = "kneser-ney-original"
    /// Additive (Lidstone) smoothing, add-δ at every order (`AdditiveSmoothing`).
    case additive = "additive"

    /// The short name in reports and curve names ("KN 5-gram").
    public var shortName: String {
        switch self {
        case .kneserNey: return "KN"
        case .stupidBackoff: return "SB"
        case .katz: return "Katz"
        case .wittenBell: return "WB"
        case .wittenBellBackoff: return "WB-backoff"
        case .absoluteDiscounting: return "AD"
        case .originalKneserNey: return "KN-original"
        case .additive: return "Add"
        }
    }

    /// The name in legends.
    public var displayName: String {
        switch self {
        case .kneserNey: return "Kneser-Ney"
        case .stupidBackoff: return "Stupid Backoff"
        case .katz: return "Katz (Good-Turing)"
        case .wittenBell: return "Witten-Bell"
        case .wittenBellBackoff: return "Witten-Bell, backoff"
        case .absoluteDiscounting: return "absolute discounting"
        case .originalKneserNey: return "original Kneser-Ney"
        case .additive: return "additive"
        }
    }

    /// Whether estimation past the memory budget (a partition at a time) is built for it.
    public var estimatesPastBudget: Bool { self == .kneserNey || self == .stupidBackoff || self == .originalKneserNey }

    /// What estimating a model in memory keeps per distinct n-gram beside the count tables:
    /// the `bytesPerNGram` with which `build` and `scale` decide whether a model fits. The
    /// classical methods keep six sums per context, a probability, a flag and a suffix per
    /// n-gram, and (with cutoffs) a copy of what is kept.
    public var bytesPerNGramInMemory: Int { estimatesPastBudget ? NGramCounter.modelBytesPerNGram : 112 }
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
    /// Whether the unigram distribution is interpolated with the uniform distribution over the
    /// vocabulary (the default, as lmplz); false gives what the discounts leave to `<unk>`
    /// alone (`lmplz --interpolate_unigrams 0`; SRILM when `<unk>` is the only unseen word).
    /// Not for Stupid Backoff.
    public var interpolateUnigrams = true
    /// Additive smoothing's δ (1: add-one), > 0.
    public var additiveDelta = 1.0
    /// With interpolated unigrams, the uniform distribution is over this many words when the
    /// vocabulary (without `<s>`) has fewer, as if padded with `<unk>`s (`lmplz --vocab_pad`):
    /// models of different vocabularies then give an OOV the same share. 0: none.
    public var vocabularyPad = 0

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
        guard additiveDelta > 0 && additiveDelta.isFinite else {
            throw NGramKitError.invalidOption(name: "--delta", value: String(additiveDelta), expected: "a positive number (1 is add-one)")
        }
        guard vocabularyPad >= 0 && (vocabularyPad == 0 || interpolateUnigrams && smoothing != .stupidBackoff) else {
            throw NGramKitError.invalidOption(name: "--vocab-pad", value: String(vocabularyPad),
                                              expected: "0, or a number of words with interpolated unigrams (--interpolate-unigrams true, as lmplz requires) and a smoothing other than stupid-backoff")
        }
        guard interpolateUnigrams || smoothing != .stupidBackoff else {
            throw NGramKitError.invalidOption(name: "--interpolate-unigrams", value: "false", expected: "true for Stupid Backoff (its unigrams are relative frequencies, with --unigram-add-one for unseen words)")
        }
        for (k, d) in [discountFallback.d1, discountFallback.d2, discountFallback.d3].enumerated() where !(d >= 0 && d <= Float(k + 1)) {
            throw NGramKitError.invalidOption(name: "--discount-fallback", value: String(d),
                                              expected: "D\(k == 2 ? "3+" : String(k + 1)) in [0, \(k + 1)]")
        }
        guard !countThresholds.isEmpty else { return }
        let text = countThresholds.map(String.init).joined(separator: " ")
        guard smoothing != .stupidBackoff else {
            throw NGramKitError.invalidOption(name: "--prune", value: text, expected: "a smoothing other than stupid-backoff (count thresholds leave out rare n-grams and give their mass to the order below; prune Stupid Backoff with --prune-entropy)")
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
                                                  interpolateUnigrams: options.interpolateUnigrams, vocabularyPad: options.vocabularyPad,
                                                  warn: warn, threads: ThreadCount.usable(threads))
        case .stupidBackoff:
            return try StupidBackoff.estimate(counts, alpha: options.alpha, unigramAddOne: options.unigramAddOne)
        case .originalKneserNey:
            return try OriginalKneserNey.estimate(counts, fallback: options.discountFallback,
                                                  countThresholds: (1...counts.order).map(options.countThreshold(order:)),
                                                  interpolateUnigrams: options.interpolateUnigrams, vocabularyPad: options.vocabularyPad,
                                                  warn: warn, threads: ThreadCount.usable(threads))
        case .katz:
            return try KatzBackoff.estimate(counts, countThresholds: options.countThresholds, interpolateUnigrams: options.interpolateUnigrams, vocabularyPad: options.vocabularyPad, warn: warn)
        case .wittenBell, .wittenBellBackoff:
            return try WittenBell.estimate(counts, interpolated: options.smoothing == .wittenBell, countThresholds: options.countThresholds,
                                           interpolateUnigrams: options.interpolateUnigrams, vocabularyPad: options.vocabularyPad)
        case .absoluteDiscounting:
            return try AbsoluteDiscounting.estimate(counts, fallback: Double(options.discountFallback.d1), countThresholds: options.countThresholds,
                                                    interpolateUnigrams: options.interpolateUnigrams, vocabularyPad: options.vocabularyPad, warn: warn)
        case .additive:
            return try AdditiveSmoothing.estimate(counts, delta: options.additiveDelta, countThresholds: options.countThresholds,
                                                  interpolateUnigrams: options.interpolateUnigrams, vocabularyPad: options.vocabularyPad)
        }
    }
}
