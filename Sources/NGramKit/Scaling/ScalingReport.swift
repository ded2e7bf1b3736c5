import Foundation

/// The results of a scaling run: fits per curve, `fits.json`, `report.md`, and the plots.
///
/// In:  the points of a run (those of the current plan: smoothing methods, orders, sizes), the
///      corpus they were measured on, and the bootstrap settings.
/// Out: per (smoothing, order) with at least three sizes: the fit of L(D) = E + B·D^−β
///      (`ScalingLawFitter.fit`, summed Huber loss of log residuals, bootstrap intervals), the
///      power law of model size (unique n-grams ∝ D^γ), successive log-log slopes of perplexity
///      and of the loss, and every law form fitted and backtested (refitted on D ≤ D_max/k,
///      checked against the larger slices), the headline law the one that forecast best
///      (`ScalingLawSelection`), with its extrapolations to 10× and 100× the largest slice. Written
///      as `fits.json`, `report.md`, `loss.svg`, `model-size.svg`, `backtest.svg` and `residuals.svg`.
///
/// Every number comes from the points and the seed: the same points and seed give the same
/// files byte for byte, except the seconds and memory columns of `points.csv`, and the cost
/// table and L(C) of `report.md`, which measure this machine.
public struct ScalingReport {
    /// One curve: the points of one smoothing method and order, ascending in D, and their fits.
    public struct Curve {
        public var smoothing: SmoothingMethod
        public var order: Int
        /// Per slice size, ascending in D: its point, or with repeats their mean (`ScalingPoint.mean`).
        public var points: [ScalingPoint]
        /// Per slice size, every repeat's point (what the fits take).
        public var repeats: [[ScalingPoint]]
        public var loss: ScalingLawFit?
        public var modelSize: PowerLawFit?
        /// Successive log-log slopes of perplexity and of the loss against D.
        public var perplexitySlopes: [Double]
        public var lossSlopes: [Double]
        /// Every law form fitted and backtested, and the headline form.
        public var laws: ScalingLawSelection?
        /// The headline law's backtests.
        public var backtests: [ScalingBacktest] { laws?.chosen.backtests ?? [] }
        /// L(C) = E + B·C^−β, C the CPU seconds of counting the slice and estimating the model
        /// (`ScalingPoint.computeSeconds`), and C = a·D^κ: nil without those seconds. They
        /// measure this machine, so these fits are in report.md beside its cost table, not in
        /// fits.json.
        public var computeLaw: ScalingLawFit?
        public var computeGrowth: PowerLawFit?
        /// Per slice, the standard deviation of the loss over its repeats (nil with one).
        public var lossSpread: [Double?] { repeats.map(ScalingPoint.lossSpread) }
        /// How the headline law meets the slices against their spread; nil without repeats or a law.
        public var goodness: GoodnessOfFit? { laws?.chosen.goodness }
        public var name: String { "\(smoothing.shortName) \(order)-gram" }
    }

    /// Kaplan et al. (2020): the data exponent of neural language models, L(D) ∝ D^−0.095.
    public static let neuralDataExponent = 0.095

    public let corpus: ScalingCorpus
    public let options: ScalingOptions
    public let curves: [Curve]
    public let bootstrapResamples: Int
    public let seed: UInt64
    public let warnings: [String]
    public let plan: [(requested: Int, units: Int, tokens: Int, streamCount: Int)]
    /// How many held-out sentences also occur in the pool.
    public let heldoutOverlap: ScalingCorpus.HeldoutOverlap
    /// What became of the requested sizes (`ScalingExperiment.scheduleNotes`).
    public let scheduleNotes: [String]
    /// The pruned models, L(N, D) and the frontier (nil without `--prune`).
    public let modelSizeStudy: ModelSizeStudy?

    /// Fits every curve of the plan.
    public init(corpus: ScalingCorpus, options: ScalingOptions, points: [ScalingPoint],
                plan: [(requested: Int, units: Int, tokens: Int, streamCount: Int)],
                bootstrapResamples: Int, seed: UInt64, warnings: [String], scheduleNotes: [String] = []) {
        self.corpus = corpus
        self.scheduleNotes = scheduleNotes
        self.options = options
        self.bootstrapResamples = bootstrapResamples
        self.seed = seed
        self.warnings = warnings
        self.plan = plan
        heldoutOverlap = corpus.heldoutOverlap()
        let planned = Set(plan.map(\.requested))
        var curves: [Curve] = []
        for smoothing in options.smoothings {
            for order in options.orders.sorted() {
                // The latest measurement of each planned size under each repeat of the run.
                var bySize: [Int: [Int: ScalingPoint]] = [:]
                for p in points where p.smoothing == smoothing && p.order == order && planned.contains(p.requestedTokens)
                    && p.repeatIndex < options.repeats && !p.isPruned {
                    bySize[p.requestedTokens, default: [:]][p.repeatIndex] = p
                }
                let repeats = bySize.keys.sorted().map { size in bySize[size]!.keys.sorted().map { bySize[size]![$0]! } }
                let curvePoints = repeats.map(ScalingPoint.mean)
                // The fits take every repeat's point; slices are the groups the backtests cut by.
                let all = repeats.flatMap { $0 }
                let slices = repeats.indices.flatMap { i in repeats[i].map { _ in i } }
                let sizes = all.map { Double($0.tokens) }
                let losses = all.map(\.lossNats)
                let finite = losses.allSatisfy(\.isFinite)
                // Fits need three sizes; the per-curve seed keeps curves independent of each other.
                let curveSeed = seed &* 1_000_003 &+ UInt64(order) &* 31 &+ (smoothing == .kneserNey ? 0 : 17 &* UInt64(SmoothingMethod.allCases.firstIndex(of: smoothing)!))
                let lossFit = curvePoints.count >= 3 && finite
                    ? ScalingLawFitter.fit(sizes: sizes, losses: losses, bootstrapResamples: bootstrapResamples, seed: curveSeed, slices: slices) : nil
                // Unigram models hold the whole fixed vocabulary at every size: nothing to fit.
                // Model size: the n-grams of orders ≥ 2 (unigrams are the fixed vocabulary, a
                // constant that bends a power law at small D).
                let sizeVaries = Set(curvePoints.map(\.higherOrderNGrams)).count > 1
                let sizeFit = curvePoints.count >= 3 && sizeVaries
                    ? ScalingLawFitter.fitPowerLaw(sizes: sizes, values: all.map { Double($0.higherOrderNGrams) },
                                                   bootstrapResamples: bootstrapResamples, seed: curveSeed &+ 1) : nil
                let meanSizes = curvePoints.map { Double($0.tokens) }
                let compute = all.map(\.computeSeconds)
                let computeKnown = curvePoints.count >= 3 && finite && compute.allSatisfy { $0.isFinite && $0 > 0 }
                curves.append(Curve(smoothing: smoothing, order: order, points: curvePoints, repeats: repeats, loss: lossFit, modelSize: sizeFit,
                                  perplexitySlopes: finite ? ScalingLawFitter.logLogSlopes(sizes: meanSizes, values: curvePoints.map(\.perplexity)) : [],
                                  lossSlopes: finite ? ScalingLawFitter.logLogSlopes(sizes: meanSizes, values: curvePoints.map(\.lossNats)) : [],
                                  laws: lossFit.map { ScalingLawSelection.select(tokens: all.map(\.tokens), losses: losses, saturatingFit: $0,
                                                                                 bootstrapResamples: bootstrapResamples, seed: curveSeed,
                                                                                 matchedTokens: all.allSatisfy(\.hasMatchedLengths) ? all.map(\.matchedTokens) : nil,
                                                                                 matchReach: corpus.matchReach(order: order),
                                                                                 slices: slices) },
                                    computeLaw: computeKnown ? ScalingLawFitter.fit(sizes: compute, losses: losses, bootstrapResamples: bootstrapResamples,
                                                                                    seed: curveSeed &+ 5) : nil,
                                    computeGrowth: computeKnown ? ScalingLawFitter.fitPowerLaw(sizes: sizes, values: compute, bootstrapResamples: bootstrapResamples,
                                                                                               seed: curveSeed &+ 6) : nil))
            }
        }
        self.curves = curves
        modelSizeStudy = ModelSizeStudy(points: points.filter { planned.contains($0.requestedTokens) }, options: options,
                                        bootstrapResamples: bootstrapResamples, seed: seed)
    }

    /// Writes `fits.json`, `report.md`, `loss.svg`, `model-size.svg`, `backtest.svg` and
    /// `residuals.svg` into the run's folder.
    public func write(to run: ScalingRun) throws {
        try ScalingRun.writeAtomically(fitsJSON(), to: run.path("fits.json"))
        try ScalingRun.writeAtomically(lossPlot().render(), to: run.path("loss.svg"))
        try ScalingRun.writeAtomically(modelSizePlot().render(), to: run.path("model-size.svg"))
        try ScalingRun.writeAtomically(backtestPlot().render(), to: run.path("backtest.svg"))
        try ScalingRun.writeAtomically(residualPlot().render(), to: run.path("residuals.svg"))
        if let plot = pruningPlot() { try ScalingRun.writeAtomically(plot.render(), to: run.path("pruning.svg")) }
        if let plot = methodsPlot() { try ScalingRun.writeAtomically(plot.render(), to: run.path("methods.svg")) }
        try ScalingRun.writeAtomically(markdown(), to: run.path("report.md"))
    }

    // MARK: Formatting

    /// A number with `digits` significant digits.
    static func sig(_ value: Double, _ digits: Int = 4) -> String {
        guard value.isFinite else { return value.isNaN ? "n/a" : (value > 0 ? "∞" : "−∞") }
        return String(format: "%.\(digits)g", value)
    }

    static func interval(_ range: ClosedRange<Double>?, _ digits: Int = 3) -> String {
        guard let range else { return "n/a" }
        return "[\(sig(range.lowerBound, digits)), \(sig(range.upperBound, digits))]"
    }

    static func jsonRange(_ range: ClosedRange<Double>?) -> String {
        guard let range else { return "null" }
        return "[\(JSON.exact(range.lowerBound)), \(JSON.exact(range.upperBound))]"
    }

    // MARK: fits.json

    /// `{"B": 1.2, "beta": 0.3}` for a law's parameters.
    static func parametersJSON(_ fit: LawFit) -> String {
        "{" + zip(fit.parameterNames, fit.parameters).map { "\(JSON.quote($0)): \(JSON.exact($1))" }.joined(separator: ", ") + "}"
    }

    /// One law form on one curve: its fit on all points, extrapolations and backtests.
    static func lawJSON(_ candidate: ScalingLawSelection.Candidate, curve: Curve) -> String {
        let fit = candidate.fit
        let residuals = curve.points.map { JSON.exact(fit.relativeResidual(observed: $0.lossNats, at: Double($0.tokens))) }
        let extrapolations = fit.extrapolations.map {
            "{\"factor\": \(JSON.exact($0.factor)), \"tokens\": \(JSON.exact($0.size)), \"loss_nats\": \(JSON.exact($0.predicted)), \"interval95\": \(ScalingReport.jsonRange($0.interval))}"
        }
        let intervals = "{" + zip(fit.parameterNames, fit.intervals).map { "\(JSON.quote($0)): \(ScalingReport.jsonRange($1))" }.joined(separator: ", ") + "}"
        let backtests = candidate.backtests.map { test -> String in
            let checks = test.checks.map {
                "{\"tokens\": \($0.tokens), \"observed_loss_nats\": \(JSON.exact($0.observed)), \"predicted_loss_nats\": \(JSON.exact($0.predicted)), \"interval95\": \(ScalingReport.jsonRange($0.interval)), \"relative_error\": \(JSON.exact($0.relativeError)), \"covered\": \($0.covered.map(String.init) ?? "null")}"
            }
            return """
            {"hold_back_factor": \(test.holdBackFactor), "fitted_up_to_tokens": \(test.fittedUpTo), "fitted_slices": \(test.fittedSlices), \
            "parameters": \(parametersJSON(test.fit)), "flags": [\(test.fit.flags.map(JSON.quote).joined(separator: ", "))], \
            "mean_abs_relative_error": \(JSON.exact(test.meanAbsoluteError)), "checks": [\(checks.joined(separator: ", "))]}
            """
        }
        let (covered, judged) = candidate.coverage
        return """
        {"form": \(JSON.quote(candidate.form.rawValue)), "model": \(JSON.quote("L(D) = " + candidate.form.formula)), \
        "parameters": \(parametersJSON(fit)), "parameter_intervals95": \(intervals), "huber_loss": \(JSON.exact(fit.huberLoss)), \
        "bootstrap_resamples": \(fit.bootstrapResamples), "flags": [\(fit.flags.map(JSON.quote).joined(separator: ", "))], \
        "not_identified": [\(fit.notIdentified.map(JSON.quote).joined(separator: ", "))], \
        "relative_residuals": [\(residuals.joined(separator: ", "))], \
        "goodness_of_fit": \(candidate.goodness.map { "{\"rms_relative_residual\": \(JSON.exact($0.rmsResidual)), \"standard_error\": \(JSON.exact($0.standardError)), \"slices\": \($0.slices), \"misses\": \($0.misses)}" } ?? "null"), \
        "extrapolations": [\(extrapolations.joined(separator: ", "))], \
        "backtest_error": \(JSON.exact(candidate.backtestError)), "backtest_intervals_covering": \(covered), "backtest_intervals": \(judged), \
        "backtests": [\(backtests.joined(separator: ", "))]}
        """
    }

    func fitsJSON() -> String {
        var entries: [String] = []
        for curve in curves {
            var fields: [String] = [
                "\"smoothing\": \(JSON.quote(curve.smoothing.rawValue))",
                "\"order\": \(curve.order)",
                "\"points\": \(curve.points.count)",
                "\"repeats\": [\(curve.repeats.map { String($0.count) }.joined(separator: ", "))]",
                "\"tokens\": [\(curve.points.map { String($0.tokens) }.joined(separator: ", "))]",
                "\"loss_nats\": [\(curve.points.map { JSON.exact($0.lossNats) }.joined(separator: ", "))]",
                "\"loss_spread_nats\": [\(curve.lossSpread.map { $0.map(JSON.exact) ?? "null" }.joined(separator: ", "))]",
                "\"perplexity_loglog_slopes\": [\(curve.perplexitySlopes.map(JSON.exact).joined(separator: ", "))]",
                "\"loss_loglog_slopes\": [\(curve.lossSlopes.map(JSON.exact).joined(separator: ", "))]",
            ]
            if let fit = curve.loss {
                let extrapolations = fit.extrapolations.map {
                    "{\"factor\": \(JSON.exact($0.factor)), \"tokens\": \(JSON.exact($0.size)), \"loss_nats\": \(JSON.exact($0.predicted)), \"interval95\": \(ScalingReport.jsonRange($0.interval))}"
                }
                fields.append("""
                "loss_fit": {"model": "L(D) = E + B*D^-beta", "objective": "summed Huber (delta \(ScalingLawFitter.huberDelta)) of log residuals", \
                "E": \(JSON.exact(fit.e)), "B": \(JSON.exact(fit.b)), "beta": \(JSON.exact(fit.beta)), \
                "E_interval95": \(ScalingReport.jsonRange(fit.eInterval)), "B_interval95": \(ScalingReport.jsonRange(fit.bInterval)), \
                "beta_interval95": \(ScalingReport.jsonRange(fit.betaInterval)), "huber_loss": \(JSON.exact(fit.huberLoss)), \
                "bootstrap_resamples": \(fit.bootstrapResamples), "E_at_bound": \(fit.eAtBound), "intervals_unbounded": \(fit.intervalsUnbounded), \
                "not_identified": [\(fit.notIdentified.map { JSON.quote($0.rawValue) }.joined(separator: ", "))], \
                "flags": [\(fit.flags.map(JSON.quote).joined(separator: ", "))], \
                "reducible_loss_power_law": {"B": \(JSON.exact(fit.b)), "beta": \(JSON.exact(fit.beta))}, \
                "extrapolations": [\(extrapolations.joined(separator: ", "))]}
                """)
            } else {
                fields.append("\"loss_fit\": null")
            }
            if let size = curve.modelSize {
                let extrapolations = size.extrapolations.map {
                    "{\"factor\": \(JSON.exact($0.factor)), \"tokens\": \(JSON.exact($0.size)), \"ngrams\": \(JSON.exact($0.predicted)), \"interval95\": \(ScalingReport.jsonRange($0.interval))}"
                }
                fields.append("""
                "model_size_fit": {"model": "ngrams of orders >= 2 = a*D^gamma", "a": \(JSON.exact(size.a)), "gamma": \(JSON.exact(size.gamma)), \
                "gamma_interval95": \(ScalingReport.jsonRange(size.gammaInterval)), "extrapolations": [\(extrapolations.joined(separator: ", "))]}
                """)
            } else {
                fields.append("\"model_size_fit\": null")
            }
            if let laws = curve.laws {
                fields.append("\"headline_law\": \(JSON.quote(laws.headline.rawValue))")
                fields.append("\"headline_reason\": \(JSON.quote(laws.reason))")
                fields.append("\"laws\": [\(laws.candidates.map { ScalingReport.lawJSON($0, curve: curve) }.joined(separator: ", "))]")
            } else {
                fields.append("\"headline_law\": null")
                fields.append("\"laws\": []")
            }
            entries.append("    {" + fields.joined(separator: ", ") + "}")
        }
        return """
        {
          "loss": "held-out cross-entropy, nats per token (words and </s>)",
          "tokens": "word tokens of the training slice",
          "seed": \(seed),
          "bootstrap_resamples": \(bootstrapResamples),
          "heldout_sentences_in_pool": \(heldoutOverlap.sentencesInPool),
          "heldout_sentences": \(heldoutOverlap.heldoutSentences),
          "heldout_words_in_pool_sentences": \(heldoutOverlap.tokensInPool),
          "neural_data_exponent_kaplan2020": \(ScalingReport.neuralDataExponent),
          "curves": [
        \(entries.joined(separator: ",\n"))
          ],
          "joint_fits": \(jointFitsJSON())
        }

        """
    }
}
