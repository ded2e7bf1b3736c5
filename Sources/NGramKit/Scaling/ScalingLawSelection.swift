import Foundation

/// Every law form fitted to one curve and backtested, and the one whose forecasts held up best.
///
/// In:  one curve's sizes and losses (ascending in D), the bootstrap settings.
/// Out: per `ScalingLawForm`: the fit on all points (with its extrapolations) and its backtests;
///      the headline form: the one with the smallest backtest error, the mean over the backtests
///      (k = 4, 8, 16, 32) of |relative error| of the forecast of the largest slice. Not the
///      smallest residual: a form with more freedom always fits the measured points better, and
///      only the backtests show whether that freedom forecasts or merely bends to the noise.
///      Ties go to the form with fewer parameters. With repeats, a form whose fit misses the
///      slices by more than their spread (`GoodnessOfFit`) heads the curve only when all do.
///      Without a backtest (too few slices) the headline is the saturating law, and the
///      selection says it is untested.
public struct ScalingLawSelection: Sendable, Equatable {
    /// One form on one curve.
    public struct Candidate: Sendable, Equatable {
        public var form: ScalingLawForm
        /// The fit on all points.
        public var fit: LawFit
        public var backtests: [ScalingBacktest]
        /// How the fit meets the slices against their spread (nil without repeats).
        public var goodness: GoodnessOfFit?

        /// The mean over backtests of |relative error| at the largest slice; ∞ when a backtest
        /// gave no forecast, NaN without backtests.
        public var backtestError: Double {
            guard !backtests.isEmpty else { return .nan }
            var total = 0.0
            for test in backtests {
                guard let far = test.farthest, far.relativeError.isFinite else { return .infinity }
                total += abs(far.relativeError)
            }
            return total / Double(backtests.count)
        }

        /// Whether this form's forecasts were tested: it fitted, and every backtest forecast.
        public var isTested: Bool { fit.succeeded && !backtests.isEmpty && backtestError.isFinite }

        /// The backtest error for a report: "0.26%", or "untested".
        public var formattedBacktestError: String { isTested ? ScalingReport.percent(backtestError) : "untested" }

        /// The backtest error at one hold-back factor k, or nil without that backtest.
        public func error(atHoldBack k: Int) -> Double? {
            backtests.first { $0.holdBackFactor == k }?.farthest?.relativeError
        }

        /// Held-back points whose 95 % interval covers the observed loss, and those with an interval.
        public var coverage: (covered: Int, of: Int) {
            backtests.reduce((0, 0)) { sum, test in (sum.0 + test.coverage.covered, sum.1 + test.coverage.of) }
        }
    }

    /// Every form, in `ScalingLawForm.allCases` order.
    public var candidates: [Candidate]
    /// The form whose backtests erred least (of those that meet the slices, with repeats).
    public var headline: ScalingLawForm
    /// Why: the errors compared, or that there was no backtest.
    public var reason: String

    /// The headline form's candidate.
    public var chosen: Candidate { candidates.first { $0.form == headline }! }

    /// Whether the headline's forecasts were tested: false when no form's were (the headline
    /// is then the saturating law by default).
    public var tested: Bool { chosen.isTested }

    public func candidate(_ form: ScalingLawForm) -> Candidate? { candidates.first { $0.form == form } }

    /// Fits and backtests every form on one curve and picks the headline.
    /// - Parameters:
    ///   - tokens: the curve's sizes, ascending (every repeat's point).
    ///   - losses: its losses.
    ///   - saturatingFit: the saturating law's fit on all points when already made (the report's
    ///     E and β); made here otherwise.
    ///   - bootstrapResamples: resamples per fit.
    ///   - seed: the curve's seed; each form and backtest draws from its own stream of it.
    ///   - matchedTokens: per point, the held-out tokens by matched length (for the
    ///     matched-length law; without them it reports no fit).
    ///   - matchReach: the held-out set's reach per context length (`ScalingCorpus.matchReach`).
    ///   - slices: per point, its slice, when slices were measured under several repeats
    ///     (`ScalingBacktest.run`).
    public static func select(tokens: [Int], losses: [Double], saturatingFit: ScalingLawFit? = nil,
                              bootstrapResamples: Int, seed: UInt64, matchedTokens: [[Int]]? = nil, matchReach: [Double]? = nil,
                              slices: [Int]? = nil) -> ScalingLawSelection {
        let sizes = tokens.map(Double.init)
        var candidates: [Candidate] = []
        for (index, form) in ScalingLawForm.allCases.enumerated() {
            // The saturating law keeps the streams it had before the other forms existed.
            let formSeed = seed &+ UInt64(index) &* 1_000_033
            let fit = form == .saturating && saturatingFit != nil ? LawFit(saturatingFit!)
                : ScalingLawFitter.fit(form: form, sizes: sizes, losses: losses, bootstrapResamples: bootstrapResamples, seed: formSeed,
                                       matchedTokens: matchedTokens, matchReach: matchReach, slices: slices)
            let backtests = ScalingBacktest.run(form: form, tokens: tokens, losses: losses, bootstrapResamples: bootstrapResamples,
                                                seed: formSeed &+ 2, matchedTokens: matchedTokens, matchReach: matchReach, slices: slices)
            let goodness = slices.flatMap { GoodnessOfFit(fit: fit, tokens: tokens, losses: losses, slices: $0) }
            candidates.append(Candidate(form: form, fit: fit, backtests: backtests, goodness: goodness))
        }
        let tested = candidates.filter(\.isTested)
        // A law that misses the measured slices by more than their spread is not a description of
        // the curve, whatever its few backtests say: it heads the curve only when every law does.
        let fitting = tested.filter { $0.goodness?.misses != true }
        let eligible = fitting.isEmpty ? tested : fitting
        guard let best = eligible.min(by: { ($0.backtestError, $0.form.minimumDistinctSizes) < ($1.backtestError, $1.form.minimumDistinctSizes) }) else {
            let anyBacktest = candidates.contains { !$0.backtests.isEmpty }
            return ScalingLawSelection(
                candidates: candidates, headline: .saturating,
                reason: anyBacktest
                    ? "no form forecast every backtest (a fit on the small slices failed): the saturating law by default, its forecasts untested"
                    : "no backtest (fewer than \(ScalingBacktest.minimumFittedPoints) slices at or below D_max/\(ScalingBacktest.holdBackFactors.first!)): the saturating law by default, its forecasts untested")
        }
        let others = tested.filter { $0.form != best.form }
            .map { "\($0.form.rawValue) \(ScalingReport.percent($0.backtestError))\(fitting.count < tested.count && $0.goodness?.misses == true ? " (misses the slices)" : "")" }
        let reason = "smallest backtest error\(fitting.count < tested.count && !fitting.isEmpty ? " of the laws that meet the slices within their spread" : ""): \(ScalingReport.percent(best.backtestError)) mean |error| at D_max over \(best.backtests.count) backtests"
            + (others.isEmpty ? "" : " (against \(others.joined(separator: ", ")))")
        return ScalingLawSelection(candidates: candidates, headline: best.form, reason: reason)
    }
}
