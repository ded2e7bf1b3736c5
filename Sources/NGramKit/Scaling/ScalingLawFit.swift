import Foundation

/// A fit of the saturating power law `L(D) = E + B·D^(−β)` to losses measured at data sizes D,
/// with bootstrap intervals and the reasons, if any, not to trust them.
///
/// `E` is the irreducible loss, `B·D^(−β)` the reducible part (itself a plain power law of D).
/// Made by `ScalingLawFitter.fit`.
public struct ScalingLawFit: Sendable, Codable, Equatable {
    /// One parameter of the law, for `isIdentified` and `formatted`.
    public enum Parameter: String, Sendable, Codable, CaseIterable {
        case e, b, beta
    }

    /// A prediction beyond the data: at `size = factor × (largest fitted D)`.
    public struct Extrapolation: Sendable, Codable, Equatable {
        /// The multiple of the largest fitted size (10 and 100).
        public var factor: Double
        /// The size predicted at.
        public var size: Double
        /// The fitted curve's value there.
        public var predicted: Double
        /// The 95 % percentile interval of the bootstrap fits' predictions; nil without a bootstrap.
        public var interval: ClosedRange<Double>?

        /// The prediction for a report: "3.12 [3.05, 3.2]" (value and 95 % interval), or the
        /// value alone without an interval.
        public func formatted(digits: Int = 4) -> String {
            ScalingLawFit.format(predicted, interval, digits: digits)
        }

        public init(factor: Double, size: Double, predicted: Double, interval: ClosedRange<Double>?) {
            self.factor = factor
            self.size = size
            self.predicted = predicted
            self.interval = interval
        }
    }

    /// Irreducible loss, ≥ 0.
    public var e: Double
    /// Scale of the reducible loss, > 0.
    public var b: Double
    /// Exponent of the reducible loss, > 0.
    public var beta: Double
    /// The summed Huber loss of the log residuals at the optimum.
    public var huberLoss: Double
    /// Points fitted (pairs with finite, positive size and loss).
    public var points: Int
    /// Distinct sizes among them (three are needed to identify three parameters).
    public var distinctSizes: Int
    /// 95 % percentile bootstrap intervals; nil with fewer than 4 points or no bootstrap.
    public var eInterval: ClosedRange<Double>?
    public var bInterval: ClosedRange<Double>?
    public var betaInterval: ClosedRange<Double>?
    /// Bootstrap resamples that gave a fit (the intervals' sample size).
    public var bootstrapResamples: Int
    /// Resamples skipped for having fewer than 3 distinct sizes, or whose fit failed.
    public var skippedResamples: Int
    /// Resamples whose fit put E at its bound 0.
    public var resamplesWithEAtZero: Int = 0
    /// Why the fit, or part of it, is not to be trusted; empty when it is.
    public var flags: [String]
    /// E sits at its bound 0 (E < 10⁻⁶ × the smallest loss): the data do not show the floor.
    public var eAtBound: Bool
    /// β is within one grid step of an end of its search range.
    public var betaAtEdge: Bool
    /// An interval is not a real interval: β's reaches the search edge, E's reaches 0, or more
    /// than 10 % of the resamples were skipped or failed.
    public var intervalsUnbounded: Bool
    /// Parameters whose value (and interval) should be reported as "not identified".
    public var notIdentified: [Parameter]
    /// Predictions at 10× and 100× the largest fitted size.
    public var extrapolations: [Extrapolation]
    /// Predictions at the sizes the fit was asked for (`forecastSizes`), in that order; `factor`
    /// is each size over the largest fitted size.
    public var forecasts: [Extrapolation] = []

    /// The fitted loss at size `d`: `E + B·d^(−β)`.
    public func predict(_ d: Double) -> Double { e + b * pow(d, -beta) }

    /// The fitted reducible loss at size `d`: `B·d^(−β)`, the plain power-law part.
    public func predictReducible(_ d: Double) -> Double { b * pow(d, -beta) }

    /// Whether `parameter` is determined by the data well enough to print as a number.
    public func isIdentified(_ parameter: Parameter) -> Bool { !notIdentified.contains(parameter) }

    /// `parameter` for a report: "0.3012 [0.2950, 0.3081]" (value and 95 % interval, `digits`
    /// significant digits), just the value without an interval, or "not identified".
    public func formatted(_ parameter: Parameter, digits: Int = 4) -> String {
        guard isIdentified(parameter) else { return "not identified" }
        let (value, interval): (Double, ClosedRange<Double>?) = switch parameter {
        case .e: (e, eInterval)
        case .b: (b, bInterval)
        case .beta: (beta, betaInterval)
        }
        return ScalingLawFit.format(value, interval, digits: digits)
    }

    static func format(_ value: Double, _ interval: ClosedRange<Double>?, digits: Int) -> String {
        let number = { (x: Double) in String(format: "%.\(max(1, digits))g", x) }
        guard let interval else { return number(value) }
        return "\(number(value)) [\(number(interval.lowerBound)), \(number(interval.upperBound))]"
    }
}

/// A plain power law `y = a·D^γ`, fitted by least squares in log–log (used for model size,
/// e.g. unique n-grams ∝ D^γ, and for perplexity slopes). Made by `ScalingLawFitter.fitPowerLaw`.
public struct PowerLawFit: Sendable, Codable, Equatable {
    public var a: Double
    public var gamma: Double
    /// 95 % percentile bootstrap interval of γ; nil with fewer than 4 points or no bootstrap.
    public var gammaInterval: ClosedRange<Double>?
    /// Predictions at 10× and 100× the largest fitted size.
    public var extrapolations: [ScalingLawFit.Extrapolation]
    /// Points fitted (pairs with finite, positive size and value).
    public var points: Int
    /// Bootstrap resamples that gave a fit.
    public var bootstrapResamples: Int
    /// Why the fit is not to be trusted; empty when it is.
    public var flags: [String]

    /// The fitted value at size `d`: `a·d^γ`.
    public func predict(_ d: Double) -> Double { a * pow(d, gamma) }

    /// γ for a report: value and 95 % interval, or "not identified" with fewer than 2 distinct sizes.
    public func formattedGamma(digits: Int = 4) -> String {
        gamma.isFinite ? ScalingLawFit.format(gamma, gammaInterval, digits: digits) : "not identified"
    }
}

/// Fitting data-scaling laws with honest uncertainty (Hoffmann et al. 2022, as corrected by
/// Besiroglu et al. 2024).
///
/// The saturating law is fitted by minimizing the summed (not averaged: averaging lets an
/// optimizer stop early) Huber loss, δ = 10⁻³, of the log residuals
/// `log(E + B·D_i^(−β)) − log L_i`: a log-spaced grid of 300 values of β in [0.005, 3], for each
/// a closed-form (E, B), then Levenberg–Marquardt refinement of the best grid minima.
/// Uncertainty: a bootstrap over points (resampled with replacement, seeded), 95 % percentile
/// intervals. Results are deterministic and do not depend on the number of threads.
public enum ScalingLawFitter {
    /// The Huber threshold on log residuals.
    public static let huberDelta = 1e-3
    /// The extrapolation factors (times the largest fitted size).
    public static let extrapolationFactors: [Double] = [10, 100]
    /// Fewer points than this get no intervals: a bootstrap of three points mostly redraws
    /// fewer than three distinct sizes.
    public static let minimumPointsForIntervals = 4
    /// The share of resamples (failed or skipped; with E at 0) above which intervals are flagged.
    public static let unboundedShare = 0.1

    /// The range searched for β (a log-spaced grid of 300 values, then refinement inside it).
    public static let betaSearchRange: ClosedRange<Double> =
        SaturatingPowerLawSolver.betaLower...SaturatingPowerLawSolver.betaUpper

    /// The fit's objective at given parameters: the summed Huber loss (δ = `huberDelta`) of
    /// `log(E + B·D_i^(−β)) − log L_i` over the usable pairs.
    /// - Parameters:
    ///   - sizes: the sizes D.
    ///   - losses: the losses L.
    ///   - e: E.
    ///   - b: B.
    ///   - beta: β.
    /// - Returns: the objective (∞ where a prediction is not positive).
    public static func huberObjective(sizes: [Double], losses: [Double], e: Double, b: Double, beta: Double) -> Double {
        let (keptSizes, keptLosses) = usablePairs(sizes, losses)
        let points = WeightedPoints(sizes: keptSizes, values: keptLosses,
                                    weights: [Double](repeating: 1, count: keptSizes.count))
        return SaturatingPowerLawSolver.objective(e: e, b: b, beta: beta, points: points, delta: huberDelta)
    }

    /// Fits `L(D) = E + B·D^(−β)` on all cores. See `fit(sizes:losses:bootstrapResamples:seed:threads:)`.
    public static func fit(sizes: [Double], losses: [Double], bootstrapResamples: Int = 1000,
                           seed: UInt64 = 0, forecastSizes: [Double] = [], slices: [Int]? = nil) -> ScalingLawFit {
        fit(sizes: sizes, losses: losses, bootstrapResamples: bootstrapResamples, seed: seed,
            threads: ProcessInfo.processInfo.activeProcessorCount, forecastSizes: forecastSizes, slices: slices)
    }

    /// Fits `L(D) = E + B·D^(−β)`, `E ≥ 0, B > 0, β > 0`, with bootstrap intervals.
    /// - Parameters:
    ///   - sizes: the data sizes D (pairs with a non-finite or non-positive size or loss are left out).
    ///   - losses: the losses L at those sizes.
    ///   - bootstrapResamples: resamples to draw (0 for none).
    ///   - seed: the bootstrap's seed.
    ///   - threads: threads for the bootstrap; the result is the same for any number.
    ///   - forecastSizes: further sizes to predict at, with intervals from the same bootstrap
    ///     (`forecasts`; the backtests' held-back points).
    ///   - slices: per point, its slice, when slices were measured under several repeats: a
    ///     slice counts as one size (nil: every distinct size its own).
    /// - Returns: the fit; its `flags` say what is not to be trusted.
    public static func fit(sizes: [Double], losses: [Double], bootstrapResamples: Int = 1000,
                           seed: UInt64 = 0, threads: Int, forecastSizes: [Double] = [], slices: [Int]? = nil) -> ScalingLawFit {
        let kept = usableIndices(sizes, losses)
        let keptSizes = kept.map { sizes[$0] }, keptLosses = kept.map { losses[$0] }
        var weighted = WeightedPoints(sizes: keptSizes, values: keptLosses,
                                      weights: [Double](repeating: 1, count: kept.count))
        if let slices { weighted.slices = kept.map { slices[$0] } }
        let points = weighted
        let distinct = points.distinctSizes
        let largest = keptSizes.max() ?? .nan
        // The extrapolations' sizes, then the forecasts': predicted by every bootstrap fit alike.
        let factorSizes = extrapolationFactors.map { $0 * largest } + forecastSizes
        var flags: [String] = []
        var notIdentified: Set<ScalingLawFit.Parameter> = []

        guard let best = SaturatingPowerLawSolver.fit(points, delta: huberDelta) else {
            return ScalingLawFit(
                e: .nan, b: .nan, beta: .nan, huberLoss: .nan, points: 0, distinctSizes: 0,
                eInterval: nil, bInterval: nil, betaInterval: nil, bootstrapResamples: 0, skippedResamples: 0,
                flags: ["no points with finite, positive size and loss"], eAtBound: false, betaAtEdge: false,
                intervalsUnbounded: true, notIdentified: ScalingLawFit.Parameter.allCases, extrapolations: [])
        }
        let eAtBound = isAtZero(best.e, losses: keptLosses)
        let betaAtEdge = isAtEdge(best.beta)
        if distinct < 3 {
            flags.append("fewer than 3 distinct sizes (\(distinct)): E, B and β are not identified")
            notIdentified.formUnion(ScalingLawFit.Parameter.allCases)
        }
        if eAtBound {
            flags.append("E at its bound 0: the data do not show an irreducible loss")
            notIdentified.insert(.e)
        }
        if betaAtEdge {
            flags.append("β = \(String(format: "%.4g", best.beta)) at the edge of its search range "
                         + "[\(SaturatingPowerLawSolver.betaLower), \(SaturatingPowerLawSolver.betaUpper)]")
            notIdentified.formUnion([.beta, .b])
        }

        var eInterval: ClosedRange<Double>?, bInterval: ClosedRange<Double>?, betaInterval: ClosedRange<Double>?
        var predictionIntervals = [ClosedRange<Double>?](repeating: nil, count: factorSizes.count)
        var used = 0, skipped = 0, eAtZeroCount = 0
        var intervalsUnbounded = false
        if keptSizes.count < minimumPointsForIntervals {
            flags.append("fewer than \(minimumPointsForIntervals) points (\(keptSizes.count)): no intervals")
        } else if bootstrapResamples > 0 && distinct >= 3 {
            let replicates = Bootstrap.map(count: bootstrapResamples, threads: threads) { index -> Replicate? in
                let drawn = points.resampled(Bootstrap.multiplicities(count: points.count, seed: seed, index: index))
                guard drawn.distinctSizes >= 3,
                      let fit = SaturatingPowerLawSolver.fit(drawn, delta: huberDelta),
                      fit.e.isFinite, fit.b.isFinite, fit.beta.isFinite, fit.loss.isFinite else { return nil }
                return Replicate(e: fit.e, b: fit.b, beta: fit.beta,
                                 eAtZero: isAtZero(fit.e, losses: drawn.values),
                                 predictions: factorSizes.map { fit.e + fit.b * pow($0, -fit.beta) })
            }
            let successes = replicates.compactMap { $0 }
            used = successes.count
            skipped = bootstrapResamples - used
            eInterval = Bootstrap.percentileInterval(successes.map(\.e))
            bInterval = Bootstrap.percentileInterval(successes.map(\.b))
            betaInterval = Bootstrap.percentileInterval(successes.map(\.beta))
            for k in factorSizes.indices {
                predictionIntervals[k] = Bootstrap.percentileInterval(successes.map { $0.predictions[k] })
            }
            let skippedShare = Double(skipped) / Double(bootstrapResamples)
            if skippedShare > unboundedShare || betaInterval == nil {
                flags.append("\(percent(skippedShare)) of bootstrap resamples skipped (fewer than 3 distinct sizes) or failed")
                intervalsUnbounded = true
                notIdentified.formUnion(ScalingLawFit.Parameter.allCases)
            }
            if let betaInterval, isAtEdge(betaInterval.lowerBound) || isAtEdge(betaInterval.upperBound) {
                flags.append("β's bootstrap interval reaches the edge of its search range: β is not bounded by the data")
                intervalsUnbounded = true
                notIdentified.formUnion([.beta, .b])
            }
            // One rule for E, as for β: identified only when its whole interval is inside its
            // range; an interval reaching the bound 0 prints as "not identified", however few
            // resamples put it there.
            eAtZeroCount = successes.filter(\.eAtZero).count
            let eZeroShare = used > 0 ? Double(eAtZeroCount) / Double(used) : 0
            if let eInterval, isAtZero(eInterval.lowerBound, losses: keptLosses) {
                flags.append("E's 95% interval reaches 0 (\(percent(eZeroShare)) of bootstrap fits put E at 0): E is not bounded below by the data")
                intervalsUnbounded = true
                notIdentified.insert(.e)
            }
        }
        let predictions = factorSizes.indices.map { k in
            ScalingLawFit.Extrapolation(factor: factorSizes[k] / largest, size: factorSizes[k],
                                        predicted: best.e + best.b * pow(factorSizes[k], -best.beta),
                                        interval: predictionIntervals[k])
        }
        var extrapolations = Array(predictions.prefix(extrapolationFactors.count))
        for k in extrapolations.indices { extrapolations[k].factor = extrapolationFactors[k] }
        return ScalingLawFit(
            e: best.e, b: best.b, beta: best.beta, huberLoss: best.loss, points: keptSizes.count,
            distinctSizes: distinct, eInterval: eInterval, bInterval: bInterval, betaInterval: betaInterval,
            bootstrapResamples: used, skippedResamples: skipped, resamplesWithEAtZero: eAtZeroCount, flags: flags, eAtBound: eAtBound,
            betaAtEdge: betaAtEdge, intervalsUnbounded: intervalsUnbounded,
            notIdentified: ScalingLawFit.Parameter.allCases.filter(notIdentified.contains),
            extrapolations: extrapolations, forecasts: Array(predictions.dropFirst(extrapolationFactors.count)))
    }

    /// Fits `y = a·D^γ` by least squares in log–log, on all cores.
    /// See `fitPowerLaw(sizes:values:bootstrapResamples:seed:threads:)`.
    public static func fitPowerLaw(sizes: [Double], values: [Double], bootstrapResamples: Int = 1000,
                                   seed: UInt64 = 0) -> PowerLawFit {
        fitPowerLaw(sizes: sizes, values: values, bootstrapResamples: bootstrapResamples, seed: seed,
                    threads: ProcessInfo.processInfo.activeProcessorCount)
    }

    /// Fits `y = a·D^γ` by least squares on `(log D, log y)`, with a bootstrap interval of γ
    /// and of the extrapolations.
    /// - Parameters:
    ///   - sizes: the sizes D (pairs with a non-finite or non-positive size or value are left out).
    ///   - values: the values y.
    ///   - bootstrapResamples: resamples to draw (0 for none).
    ///   - seed: the bootstrap's seed.
    ///   - threads: threads for the bootstrap; the result is the same for any number.
    /// - Returns: the fit; γ is NaN with fewer than 2 distinct sizes.
    public static func fitPowerLaw(sizes: [Double], values: [Double], bootstrapResamples: Int = 1000,
                                   seed: UInt64 = 0, threads: Int) -> PowerLawFit {
        let (keptSizes, keptValues) = usablePairs(sizes, values)
        let points = WeightedPoints(sizes: keptSizes, values: keptValues,
                                    weights: [Double](repeating: 1, count: keptSizes.count))
        let factorSizes = extrapolationFactors.map { $0 * (keptSizes.max() ?? .nan) }
        let (logA, gamma) = logLogLine(points)
        var flags: [String] = []
        if points.distinctSizes < 2 {
            flags.append("fewer than 2 distinct sizes: γ is not identified")
        }
        var gammaInterval: ClosedRange<Double>?
        var predictionIntervals = [ClosedRange<Double>?](repeating: nil, count: factorSizes.count)
        var used = 0
        if keptSizes.count < minimumPointsForIntervals {
            flags.append("fewer than \(minimumPointsForIntervals) points (\(keptSizes.count)): no intervals")
        } else if bootstrapResamples > 0 && points.distinctSizes >= 2 {
            let replicates = Bootstrap.map(count: bootstrapResamples, threads: threads) { index -> [Double]? in
                let drawn = points.resampled(Bootstrap.multiplicities(count: points.count, seed: seed, index: index))
                guard drawn.distinctSizes >= 2 else { return nil }
                let (logA, gamma) = logLogLine(drawn)
                return [gamma] + factorSizes.map { exp(logA + gamma * log($0)) }
            }
            let successes = replicates.compactMap { $0 }
            used = successes.count
            gammaInterval = Bootstrap.percentileInterval(successes.map { $0[0] })
            for k in factorSizes.indices {
                predictionIntervals[k] = Bootstrap.percentileInterval(successes.map { $0[k + 1] })
            }
            let skippedShare = Double(bootstrapResamples - used) / Double(bootstrapResamples)
            if skippedShare > unboundedShare {
                flags.append("\(percent(skippedShare)) of bootstrap resamples had fewer than 2 distinct sizes")
            }
        }
        let a = exp(logA)
        let extrapolations = factorSizes.indices.map { k in
            ScalingLawFit.Extrapolation(factor: extrapolationFactors[k], size: factorSizes[k],
                                        predicted: a * pow(factorSizes[k], gamma), interval: predictionIntervals[k])
        }
        return PowerLawFit(a: a, gamma: gamma, gammaInterval: gammaInterval, extrapolations: extrapolations,
                           points: keptSizes.count, bootstrapResamples: used, flags: flags)
    }

    /// The log–log slope between each pair of consecutive points, in the order given:
    /// `(log y[i+1] − log y[i]) / (log D[i+1] − log D[i])`.
    /// - Parameters:
    ///   - sizes: the sizes D, normally ascending.
    ///   - values: the values y.
    /// - Returns: `min(sizes.count, values.count) − 1` slopes (none for fewer than 2 points);
    ///   NaN where a size or value is not positive or two sizes are equal.
    public static func logLogSlopes(sizes: [Double], values: [Double]) -> [Double] {
        let count = min(sizes.count, values.count)
        guard count >= 2 else { return [] }
        return (0..<(count - 1)).map { i in
            guard sizes[i] > 0, sizes[i + 1] > 0, values[i] > 0, values[i + 1] > 0, sizes[i] != sizes[i + 1] else {
                return .nan
            }
            return (log(values[i + 1]) - log(values[i])) / (log(sizes[i + 1]) - log(sizes[i]))
        }
    }

    // MARK: - Internals

    /// One bootstrap fit of the saturating law.
    private struct Replicate {
        var e: Double
        var b: Double
        var beta: Double
        var eAtZero: Bool
        var predictions: [Double]
    }

    /// The indices of the pairs with finite, positive size and value, in input order.
    static func usableIndices(_ sizes: [Double], _ values: [Double]) -> [Int] {
        (0..<min(sizes.count, values.count)).filter { sizes[$0].isFinite && sizes[$0] > 0 && values[$0].isFinite && values[$0] > 0 }
    }

    /// Those pairs.
    static func usablePairs(_ sizes: [Double], _ values: [Double]) -> ([Double], [Double]) {
        let kept = usableIndices(sizes, values)
        return (kept.map { sizes[$0] }, kept.map { values[$0] })
    }

    /// E counts as at its bound when it is below 10⁻⁶ of the smallest loss.
    static func isAtZero(_ e: Double, losses: [Double]) -> Bool {
        e < 1e-6 * (losses.min() ?? 0)
    }

    /// β within one grid step of an end of the search range.
    static func isAtEdge(_ beta: Double) -> Bool {
        beta <= SaturatingPowerLawSolver.betaLower * SaturatingPowerLawSolver.gridRatio
            || beta >= SaturatingPowerLawSolver.betaUpper / SaturatingPowerLawSolver.gridRatio
    }

    /// Weighted least squares of log y on log D: (intercept log a, slope γ); γ is NaN with
    /// fewer than 2 distinct sizes.
    static func logLogLine(_ points: WeightedPoints) -> (logA: Double, gamma: Double) {
        var sw = 0.0, sx = 0.0, sy = 0.0
        for i in 0..<points.count {
            sw += points.weights[i]; sx += points.weights[i] * points.logSizes[i]
            sy += points.weights[i] * points.logValues[i]
        }
        let meanX = sx / sw, meanY = sy / sw
        var sxx = 0.0, sxy = 0.0
        for i in 0..<points.count {
            let dx = points.logSizes[i] - meanX
            sxx += points.weights[i] * dx * dx
            sxy += points.weights[i] * dx * (points.logValues[i] - meanY)
        }
        guard sxx > 0 else { return (meanY, .nan) }
        let gamma = sxy / sxx
        return (meanY - gamma * meanX, gamma)
    }

    private static func percent(_ share: Double) -> String { String(format: "%.1f %%", 100 * share) }
}
