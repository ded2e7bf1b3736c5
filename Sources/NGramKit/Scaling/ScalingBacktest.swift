import Foundation

/// How well a curve's law forecasts: refitted on the small slices only, how close it comes to the
/// losses measured at the larger ones.
///
/// In:  one curve's sizes D and losses (ascending in D), the bootstrap settings.
/// Out: for each k in `ScalingBacktest.holdBackFactors` (4, 8, 16, 32) that leaves at least
///      `minimumFittedPoints` points with D ≤ D_max/k: the fit of one `ScalingLawForm` on those
///      points (`ScalingLawFitter.fit(form:...)`, the run's bootstrap), and for every larger measured
///      point the prediction, its 95 % bootstrap interval, the relative error
///      (predicted − observed) / observed, and whether the interval covers the observed loss.
///
/// A law is judged by how it extrapolates, not by how it fits (Alabdulmohsin et al. 2022): a fit
/// that passes through every point can still forecast badly, and these errors are what a reader
/// of "the loss at 10× D" should expect of it.
public struct ScalingBacktest: Sendable, Equatable {
    /// One held-back point.
    public struct Check: Sendable, Equatable {
        public var tokens: Int
        public var observed: Double
        public var predicted: Double
        /// The 95 % percentile interval of the bootstrap fits' predictions; nil without intervals.
        public var interval: ClosedRange<Double>?
        /// (predicted − observed) / observed.
        public var relativeError: Double { (predicted - observed) / observed }
        /// Whether the interval holds the observed loss; nil without an interval.
        public var covered: Bool? { interval.map { $0.contains(observed) } }
    }

    /// D_max / k is the largest size fitted.
    public var holdBackFactor: Int
    /// The largest size fitted (the largest measured D ≤ D_max / k).
    public var fittedUpTo: Int
    /// Slices fitted (each with all its repeats).
    public var fittedSlices: Int
    /// The fit on the small slices; its `flags` say what is not to be trusted.
    public var fit: LawFit
    /// Every measured point past `fittedUpTo`, ascending in D.
    public var checks: [Check]

    /// The factors k of D_max / k.
    public static let holdBackFactors = [4, 8, 16, 32]
    /// Points a backtest fit needs: the fitter gives intervals from 4 points on.
    public static let minimumFittedPoints = 4

    /// The backtests of one curve under one law.
    /// - Parameters:
    ///   - form: the law.
    ///   - tokens: the curve's sizes, ascending.
    ///   - losses: its losses.
    ///   - seed: the curve's bootstrap seed (each backtest draws from its own stream of it).
    ///   - matchedTokens, matchReach: per point, the held-out tokens by matched length, and the
    ///     held-out set's reach (for the matched-length law).
    ///   - slices: per point, its slice (ascending from 0) when slices were measured under several
    ///     repeats: the cut is made by slices, the fit takes every point of the slices kept, and
    ///     each held-back slice is checked at its mean size and mean loss. Nil: every point its
    ///     own slice.
    public static func run(form: ScalingLawForm = .saturating, tokens: [Int], losses: [Double], bootstrapResamples: Int, seed: UInt64,
                           matchedTokens: [[Int]]? = nil, matchReach: [Double]? = nil, slices: [Int]? = nil) -> [ScalingBacktest] {
        guard let groups = SliceGroups(tokens: tokens, losses: losses, slices: slices) else { return [] }
        let members = groups.members
        let sliceTokens = groups.sizes.map { Int($0.rounded()) }
        let sliceLosses = groups.losses
        let largest = sliceTokens.last!
        var result: [ScalingBacktest] = []
        for k in holdBackFactors {
            let cut = Double(largest) / Double(k)
            let fittedSlices = sliceTokens.indices.filter { Double(sliceTokens[$0]) <= cut }
            let held = sliceTokens.indices.filter { Double(sliceTokens[$0]) > cut }
            guard fittedSlices.count >= minimumFittedPoints, !held.isEmpty else { continue }
            let fitted = fittedSlices.flatMap { members[$0] }
            let fit = ScalingLawFitter.fit(form: form, sizes: fitted.map { Double(tokens[$0]) }, losses: fitted.map { losses[$0] },
                                           bootstrapResamples: bootstrapResamples, seed: seed &+ UInt64(k) &* 7919,
                                           forecastSizes: held.map { Double(sliceTokens[$0]) },
                                           matchedTokens: matchedTokens.map { all in fitted.map { all[$0] } }, matchReach: matchReach,
                                           slices: slices.map { all in fitted.map { all[$0] } })
            let checks = zip(held, fit.forecasts).map { slice, forecast in
                Check(tokens: sliceTokens[slice], observed: sliceLosses[slice], predicted: forecast.predicted, interval: forecast.interval)
            }
            result.append(ScalingBacktest(holdBackFactor: k, fittedUpTo: sliceTokens[fittedSlices.last!], fittedSlices: fittedSlices.count,
                                          fit: fit, checks: checks))
        }
        return result
    }

    /// The check at the largest measured size (the longest forecast).
    public var farthest: Check? { checks.last }

    /// The mean of |relative error| over the checks.
    public var meanAbsoluteError: Double {
        checks.isEmpty ? .nan : checks.reduce(0) { $0 + abs($1.relativeError) } / Double(checks.count)
    }

    /// The checks whose interval covers the observed loss, and the checks with an interval.
    public var coverage: (covered: Int, of: Int) {
        let judged = checks.compactMap(\.covered)
        return (judged.filter { $0 }.count, judged.count)
    }
}
