import Foundation

/// A fit of one `ScalingLawForm` to a curve's losses, with bootstrap intervals of its
/// predictions: what the forms have in common, so they can be backtested and compared alike.
/// The saturating law's own fit, with E and β's identification, is `ScalingLawFit`.
public struct LawFit: Sendable, Equatable {
    public var form: ScalingLawForm
    /// The parameters, in `parameterNames` order; NaN when the fit failed.
    public var parameters: [Double]
    /// Their 95 % percentile bootstrap intervals (nil without a bootstrap).
    public var intervals: [ClosedRange<Double>?]
    /// The summed Huber loss of the log residuals at the optimum.
    public var huberLoss: Double
    /// Points fitted.
    public var points: Int
    /// Bootstrap resamples that gave a fit.
    public var bootstrapResamples: Int
    /// Why the fit, or part of it, is not to be trusted; empty when it is.
    public var flags: [String]
    /// Parameters (by name) the data do not pin down, printed as "not identified".
    public var notIdentified: [String] = []
    /// Predictions at 10× and 100× the largest fitted size.
    public var extrapolations: [ScalingLawFit.Extrapolation]
    /// Predictions at the sizes the fit was asked for, in that order.
    public var forecasts: [ScalingLawFit.Extrapolation]

    /// The parameters' names (the matched-length law has three per context length).
    public var parameterNames: [String] {
        form.parameterNames(order: MatchedLengthLaw.order(parameterCount: parameters.count))
    }

    /// Whether the fit gave parameters at all.
    public var succeeded: Bool { parameters.allSatisfy(\.isFinite) }

    /// The fitted loss at size `d`.
    public func predict(_ d: Double) -> Double { form.predict(parameters, d) }

    /// (observed − fitted) / fitted at size `d`.
    public func relativeResidual(observed: Double, at d: Double) -> Double { observed / predict(d) - 1 }

    /// The parameters for a report: "B 10.4 [9.9, 22.8], β 0.093 [0.081, 0.19]". The
    /// matched-length law shows E and w (its rate curves' parameters are in fits.json).
    public func formattedParameters(digits: Int = 4) -> String {
        guard succeeded else { return "no fit" }
        let shown = form == .matchedLength ? 2 : parameters.count
        return zip(parameterNames, zip(parameters, intervals)).prefix(shown).map { name, value in
            notIdentified.contains(name) ? "\(LawFit.displayName(name)) not identified"
                : "\(LawFit.displayName(name)) \(ScalingLawFit.format(value.0, value.1, digits: digits))"
        }.joined(separator: ", ") + (shown < parameters.count ? " (rate curves in fits.json)" : "")
    }

    static func displayName(_ name: String) -> String {
        switch name {
        case "beta": "β"
        case "beta1": "β₁"
        case "beta2": "β₂"
        default: name
        }
    }

    /// The saturating law's fit in the common shape.
    init(_ fit: ScalingLawFit) {
        form = .saturating
        parameters = [fit.e, fit.b, fit.beta]
        intervals = [fit.eInterval, fit.bInterval, fit.betaInterval]
        huberLoss = fit.huberLoss
        points = fit.points
        bootstrapResamples = fit.bootstrapResamples
        flags = fit.flags
        notIdentified = zip(ScalingLawFit.Parameter.allCases, form.parameterNames(order: 0)).filter { fit.notIdentified.contains($0.0) }.map(\.1)
        extrapolations = fit.extrapolations
        forecasts = fit.forecasts
    }

    init(form: ScalingLawForm, parameters: [Double], intervals: [ClosedRange<Double>?], huberLoss: Double, points: Int,
         bootstrapResamples: Int, flags: [String], extrapolations: [ScalingLawFit.Extrapolation], forecasts: [ScalingLawFit.Extrapolation]) {
        self.form = form
        self.parameters = parameters
        self.intervals = intervals
        self.huberLoss = huberLoss
        self.points = points
        self.bootstrapResamples = bootstrapResamples
        self.flags = flags
        self.extrapolations = extrapolations
        self.forecasts = forecasts
    }
}

extension ScalingLawFitter {
    /// Fits `form` to the losses, with a bootstrap over points for intervals: the saturating law
    /// through `fit(sizes:losses:...)`, the others through `LogLinearHuberSolver`.
    ///
    /// A resample needs as many distinct sizes as the form has parameters; one with fewer is
    /// drawn again (from the next stream of the same seed, up to `maximumRedraws` times), so a
    /// four-parameter law on five points still gets its intervals, conditional on being
    /// identifiable. More than 10 % of resamples failing is flagged.
    /// - Parameters:
    ///   - form: the law.
    ///   - sizes: the sizes D (pairs with a non-finite or non-positive size or loss are left out).
    ///   - losses: the losses.
    ///   - bootstrapResamples: resamples to draw (0 for none).
    ///   - seed: the bootstrap's seed.
    ///   - threads: threads for the bootstrap; the result is the same for any number.
    ///   - forecastSizes: further sizes to predict at, with intervals from the same bootstrap.
    ///   - matchedTokens: per point, the held-out tokens by matched length
    ///     (`ScalingPoint.matchedTokens`); the matched-length law needs them, the others ignore them.
    ///   - matchReach: per context length m = 2 ... N, the share of held-out tokens whose position
    ///     allows m words (`ScalingCorpus.matchReach`; nil: all of them).
    ///   - slices: per point, its slice, when slices were measured under several repeats: a
    ///     slice counts as one size.
    /// - Returns: the fit; `succeeded` is false when the points cannot determine the form.
    public static func fit(form: ScalingLawForm, sizes: [Double], losses: [Double], bootstrapResamples: Int = 1000,
                           seed: UInt64 = 0, threads: Int = ProcessInfo.processInfo.activeProcessorCount,
                           forecastSizes: [Double] = [], matchedTokens: [[Int]]? = nil, matchReach: [Double]? = nil,
                           slices: [Int]? = nil) -> LawFit {
        if form == .saturating {
            return LawFit(fit(sizes: sizes, losses: losses, bootstrapResamples: bootstrapResamples, seed: seed,
                              threads: threads, forecastSizes: forecastSizes, slices: slices))
        }
        let kept = usableIndices(sizes, losses)
        let keptSizes = kept.map { sizes[$0] }
        var weighted = WeightedPoints(sizes: keptSizes, values: kept.map { losses[$0] },
                                      weights: [Double](repeating: 1, count: kept.count))
        if let slices { weighted.slices = kept.map { slices[$0] } }
        let largest = keptSizes.max() ?? .nan
        let predictionSizes = extrapolationFactors.map { $0 * largest } + forecastSizes
        var order = 0
        if form == .matchedLength {
            let tallies = matchedTokens.map { all in kept.map { all[$0] } } ?? []
            order = tallies.first?.count ?? 0
            weighted.matchedLogits = tallies.map { MatchedLengthLaw.matchedLogits($0, reach: matchReach) }
            weighted.matchReach = matchReach
        }
        let points = weighted
        let names = form.parameterNames(order: order)
        func failed(_ why: String) -> LawFit {
            let nan = predictionSizes.map { ScalingLawFit.Extrapolation(factor: $0 / largest, size: $0, predicted: .nan, interval: nil) }
            return LawFit(form: form, parameters: names.map { _ in .nan }, intervals: names.map { _ in nil }, huberLoss: .nan,
                          points: keptSizes.count, bootstrapResamples: 0, flags: [why],
                          extrapolations: Array(nan.prefix(extrapolationFactors.count)), forecasts: Array(nan.dropFirst(extrapolationFactors.count)))
        }
        if form == .matchedLength {
            if matchedTokens == nil || (points.count > 0 && order == 0) || !points.matchedLogits.allSatisfy({ $0.count == order - 1 })
                || (matchReach != nil && matchReach!.count != max(order - 1, 0)) {
                return failed("the points lack the held-out tokens by matched length (a points.csv from an earlier version: pass --fresh to measure them)")
            }
            if order < 2 { return failed("an order-1 model matches no context: the matched-length law does not apply") }
        }
        guard points.distinctSizes >= form.minimumDistinctSizes else {
            return failed("fewer than \(form.minimumDistinctSizes) distinct sizes (\(points.distinctSizes)): the \(form.rawValue) law is not identified")
        }
        guard let best = solve(form, points) else { return failed("no fit: the points do not fall with D under this law") }
        var flags: [String] = []
        var notIdentified: [String] = []
        switch best.breakEdge {
        case .lower?:
            notIdentified = ["B", "beta1", "D_b"]
            flags.append("the break is at the low end of its range (D_min/\(Int(LogLinearHuberSolver.breakBelowRange))): over the data the law is D^−β₂ with a correction fading like D_b/D; β₁, B and D_b are not identified apart")
        case .upper?:
            flags.append("the break is at D_max, the edge of the data: the forecasts rest on the slope of the last slices alone")
        case nil:
            break
        }
        var intervals = [ClosedRange<Double>?](repeating: nil, count: names.count)
        var predictionIntervals = [ClosedRange<Double>?](repeating: nil, count: predictionSizes.count)
        var used = 0
        if keptSizes.count < minimumPointsForIntervals {
            flags.append("fewer than \(minimumPointsForIntervals) points (\(keptSizes.count)): no intervals")
        } else if bootstrapResamples > 0 {
            let needed = form.minimumDistinctSizes
            let replicates = Bootstrap.map(count: bootstrapResamples, threads: threads) { index -> [Double]? in
                for attempt in 0...maximumRedraws {
                    let stream = index &+ attempt &* bootstrapResamples
                    let drawn = points.resampled(Bootstrap.multiplicities(count: points.count, seed: seed, index: stream))
                    guard drawn.distinctSizes >= needed else { continue }
                    guard let fit = solve(form, drawn) else { return nil }
                    return fit.parameters + predictionSizes.map { form.predict(fit.parameters, $0) }
                }
                return nil
            }
            let successes = replicates.compactMap { $0 }
            used = successes.count
            for k in names.indices { intervals[k] = Bootstrap.percentileInterval(successes.map { $0[k] }) }
            for k in predictionSizes.indices {
                predictionIntervals[k] = Bootstrap.percentileInterval(successes.map { $0[names.count + k] })
            }
            let failedShare = Double(bootstrapResamples - used) / Double(bootstrapResamples)
            if failedShare > unboundedShare {
                flags.append(String(format: "%.1f %% of bootstrap resamples gave no fit", 100 * failedShare))
            }
        }
        let predictions = predictionSizes.indices.map { k in
            ScalingLawFit.Extrapolation(factor: predictionSizes[k] / largest, size: predictionSizes[k],
                                        predicted: form.predict(best.parameters, predictionSizes[k]), interval: predictionIntervals[k])
        }
        var extrapolations = Array(predictions.prefix(extrapolationFactors.count))
        for k in extrapolations.indices { extrapolations[k].factor = extrapolationFactors[k] }
        // The saturating law's rule for an irreducible loss, applied to the matched-length law's
        // E (kept ≥ 0): at its bound, or an interval reaching it, E is not identified.
        if form == .matchedLength {
            let losses = kept.map { losses[$0] }
            if isAtZero(best.parameters[0], losses: losses) {
                flags.append("E at its bound 0: the data do not show a loss that full matches leave")
                notIdentified.append("E")
            } else if let interval = intervals[0], isAtZero(interval.lowerBound, losses: losses) {
                flags.append("E's 95% interval reaches 0: E is not bounded below by the data")
                notIdentified.append("E")
            }
        }
        var fit = LawFit(form: form, parameters: best.parameters, intervals: intervals, huberLoss: best.loss, points: keptSizes.count,
                         bootstrapResamples: used, flags: flags, extrapolations: extrapolations,
                         forecasts: Array(predictions.dropFirst(extrapolationFactors.count)))
        fit.notIdentified = notIdentified
        return fit
    }

    /// Redraws of a resample with too few distinct sizes.
    static let maximumRedraws = 50

    /// The point fit of a form other than the saturating law.
    private static func solve(_ form: ScalingLawForm, _ points: WeightedPoints)
        -> (parameters: [Double], loss: Double, breakEdge: LogLinearHuberSolver.BreakEdge?)? {
        switch form {
        case .saturating:
            return SaturatingPowerLawSolver.fit(points, delta: huberDelta).map { ([$0.e, $0.b, $0.beta], $0.loss, nil) }
        case .powerLaw:
            return LogLinearHuberSolver.fitPowerLaw(points, delta: huberDelta).map { ($0.parameters, $0.loss, nil) }
        case .brokenPowerLaw:
            return LogLinearHuberSolver.fitBrokenPowerLaw(points, delta: huberDelta)
        case .matchedLength:
            return MatchedLengthLaw.fit(points, delta: huberDelta).map { ($0.parameters, $0.loss, nil) }
        }
    }
}
