import Foundation

/// `report.md` and the summary printed at the end of `ngramkit scale`.
extension ScalingReport {
    private var corpusDescription: [String] {
        let c = corpus.configuration
        let heldout = c.heldoutPaths.isEmpty
            ? "the first \(corpus.heldoutUnits) \(corpus.unit.rawValue)s of the shuffled training units (--heldout-fraction \(c.heldoutFraction))"
            : c.heldoutPaths.joined(separator: ", ")
        let vocabulary = c.vocabularyPath.map { "the words of \($0)" } ?? "the pool's words seen at least \(c.minCount) times"
        return [
            "- Training pool: \(c.trainingPaths.joined(separator: ", ")) (tokenizer \(c.tokenizer.kind.rawValue)\(c.tokenizer.lowercase ? ", lower-cased" : "")): \(corpus.poolTokens) word tokens, \(corpus.poolSentences) sentences, \(corpus.poolUnits) \(corpus.unit.rawValue) units\(c.indexPath.map { " (documents from \($0))" } ?? "").",
            "- Held out: \(heldout): \(corpus.heldoutTokens) words + \(corpus.heldoutSentences) `</s>` = \(corpus.heldoutTokens + corpus.heldoutSentences) scored tokens; \(ScalingReport.percent(Double(corpus.heldoutUnknownTokens) / Double(corpus.heldoutTokens))) of the words are `<unk>` under the fixed vocabulary.",
            "- Held-out sentences that also occur in the pool (the same ids under the fixed vocabulary): \(heldoutOverlap.sentencesInPool) of \(heldoutOverlap.heldoutSentences) (\(ScalingReport.percent(heldoutOverlap.share))), holding \(ScalingReport.percent(heldoutOverlap.tokenShare)) of the held-out words."
                + (overlapWarning.map { " **Warning:** \($0)" } ?? ""),
            "- Vocabulary (the same for every slice): \(vocabulary): \(corpus.vocabulary.count) entries with `<unk>`, `<s>`, `</s>`.",
            "- Slices: nested prefixes of the units shuffled with seed \(c.seed)"
                + (options.repeats > 1 ? ", and again under \(options.repeats - 1) more shuffles of the same units (`--repeats \(options.repeats)`: each slice size measured \(options.repeats) times, the same held-out set and vocabulary; tables show the mean ± the standard deviation over the repeats, and every fit and backtest takes every repeat's point)" : "")
                + "; sizes measured: \(plan.map { ScalingExperiment.abbreviated($0.requested) }.joined(separator: ", ")) word tokens (each slice is whole units, so its real size, the D below, is at least that)"
                + (scheduleNotes.isEmpty ? "." : "; " + scheduleNotes.joined(separator: "; ") + ".")
                + (noisySlicesWarning.map { " **Warning:** \($0)" } ?? ""),
            "- Loss: held-out cross-entropy in nats per token, every word (an OOV as `<unk>`) and every `</s>` counted; bits = nats / ln 2; perplexity = e^loss. Modified Kneser-Ney is exactly `ngramkit build`'s (as KenLM's lmplz); Stupid Backoff (α = \(options.alpha)) is scored exactly normalized, with add-one unigrams so that every vocabulary word has a probability (`ngramkit build --smoothing stupid-backoff --unigram-add-one`); its raw score, not a probability, is in `points.csv` (`sb_raw_score_nats`).",
            "- Fits: \(ScalingLawForm.allCases.map { "L(D) = \($0.formula)" }.joined(separator: "; ")), each minimizing the summed Huber loss (δ = \(ScalingLawFitter.huberDelta)) of log residuals (Hoffmann et al. 2022, as corrected by Besiroglu et al. 2024); the broken power law has one break (Caballero et al. 2022) searched in [D_min/\(Int(LogLinearHuberSolver.breakBelowRange)), D_max]; the matched-length law's rates by least squares on empirical logits of the held-out tokens matched at least m words, then E and w by the same Huber loss on relative residuals; 95% intervals from \(bootstrapResamples) bootstrap resamples of the points (seed \(seed); a resample with too few distinct slices for the law, fewer than its parameters or 4 for the matched-length law, is drawn again). The headline law of each curve is the one whose backtests erred least, of those that meet the slices within their spread when there are repeats. Model size: unique n-grams of orders ≥ 2 = a·D^γ.",
        ]
    }

    static func percent(_ value: Double) -> String { String(format: "%.2f%%", value * 100) }

    /// Relative spread of a slice's loss over its repeats above which the slice is called noisy.
    static let noisySliceSpread = 0.01

    /// With repeats, a warning naming the slice sizes whose loss scatters between shuffles by
    /// more than `noisySliceSpread` (relative standard deviation, the largest over the curves of
    /// order ≥ 2): a law fitted on them carries that scatter into every forecast made from them.
    var noisySlicesWarning: String? {
        var worst: [Int: Double] = [:]
        for curve in curves where curve.order >= 2 {
            for (mean, spread) in zip(curve.points, curve.lossSpread) {
                guard let spread else { continue }
                worst[mean.requestedTokens] = max(worst[mean.requestedTokens] ?? 0, spread / mean.lossNats)
            }
        }
        let noisy = worst.filter { $0.value > ScalingReport.noisySliceSpread }.sorted { $0.key < $1.key }
        guard !noisy.isEmpty else { return nil }
        return "the slices of \(noisy.map { ScalingExperiment.abbreviated($0.key) }.joined(separator: ", ")) tokens scatter between the \(options.repeats) shuffles by up to \(noisy.map { ScalingReport.percent($0.value) }.joined(separator: ", ")) of their loss (above \(ScalingReport.percent(ScalingReport.noisySliceSpread))): laws fitted on them, and the backtests that start from them, carry that scatter into their forecasts; start the schedule above them (--start) or measure more repeats."
    }

    /// A warning when more than `ScalingCorpus.overlapWarningShare` of the held-out sentences
    /// occur in the pool, or nil.
    var overlapWarning: String? {
        guard heldoutOverlap.share > ScalingCorpus.overlapWarningShare else { return nil }
        return "\(ScalingReport.percent(heldoutOverlap.share)) of the held-out sentences (\(ScalingReport.percent(heldoutOverlap.tokenShare)) of its words) also occur in the training pool (above \(ScalingReport.percent(ScalingCorpus.overlapWarningShare))): the held-out loss partly measures memorized text and falls faster with D than on new text; deduplicate the text, or hold out by larger units (--index)."
    }

    /// The Markdown report.
    func markdown() -> String {
        var lines: [String] = ["# Data-scaling report", "", "## Setup", ""]
        lines += corpusDescription
        let sizes = Array(Set(curves.flatMap { $0.points.map(\.tokens) })).sorted()
        func table(_ title: String, _ note: String?, _ value: (Curve, Int) -> String) {
            lines += ["", "## \(title)", ""]
            if let note { lines += [note, ""] }
            lines.append("| D (tokens) | " + curves.map(\.name).joined(separator: " | ") + " |")
            lines.append("|---:|" + String(repeating: "---:|", count: curves.count))
            for d in sizes {
                let cells = curves.map { curve in curve.points.firstIndex { $0.tokens == d }.map { value(curve, $0) } ?? "" }
                lines.append("| \(d) | " + cells.joined(separator: " | ") + " |")
            }
        }
        table("Held-out loss (nats per token)", nil) { curve, i in
            ScalingReport.sig(curve.points[i].lossNats, 5) + (curve.lossSpread[i].map { " ± " + ScalingReport.sig($0, 2) } ?? "")
        }
        table("Held-out perplexity", nil) { curve, i in ScalingReport.sig(curve.points[i].perplexity, 5) }

        lines += ["", "## Fits of L(D) = E + B·D^−β", "",
                  "A quantity the data do not pin down (E at its bound 0, or an interval that runs to the edge of the search) is written \"not identified\" rather than as a number.",
                  "", "| curve | points | E (nats) [95%] | B [95%] | β [95%] | flags |",
                  "|---|---:|---|---|---|---|"]
        for curve in curves {
            guard let fit = curve.loss else {
                lines.append("| \(curve.name) | \(curve.repeats.reduce(0) { $0 + $1.count }) | n/a | n/a | n/a | \(curve.points.count < 3 ? "fewer than 3 sizes" : "a loss is infinite") |")
                continue
            }
            lines.append("| \(curve.name) | \(fit.points) | \(fit.formatted(.e)) | \(fit.formatted(.b)) | \(fit.formatted(.beta)) | \(fit.flags.isEmpty ? "" : fit.flags.joined(separator: "; ")) |")
        }
        lines += ["", "For comparison: neural language models' data exponent is α_D ≈ \(ScalingReport.neuralDataExponent) (Kaplan et al. 2020, L(D) ∝ D^−α_D without an irreducible term); the closest number here is the log-log slope of the loss (below), while β is the exponent of the reducible part L − E."]

        lines += forecastSection()
        lines += lawComparisonSection()
        lines += residualSection()
        lines += backtestSection()

        lines += methodsSection()

        lines += ["", "## Log-log slopes between successive slices", "",
                  "d log(perplexity) / d log D (Mikolov 2012, Table 5.2: KN5 on WSJ/NYT with a 20k vocabulary falls from 415 to 212 between 0.22M and 37M tokens, about −0.135) and d log(loss) / d log D.", "",
                  "| curve | perplexity slopes | loss slopes | perplexity slope, first to last slice |", "|---|---|---|---:|"]
        for curve in curves where curve.points.count >= 2 {
            let first = curve.points.first!, last = curve.points.last!
            let overall = log(last.perplexity / first.perplexity) / log(Double(last.tokens) / Double(first.tokens))
            lines.append("| \(curve.name) | \(curve.perplexitySlopes.map { ScalingReport.sig($0, 3) }.joined(separator: ", ")) | \(curve.lossSlopes.map { ScalingReport.sig($0, 3) }.joined(separator: ", ")) | \(ScalingReport.sig(overall, 3)) |")
        }

        lines += ["", "## Model size: unique n-grams of orders ≥ 2 = a·D^γ", "",
                  "The unigrams are the fixed vocabulary at every D: a constant that would bend the power law at small D, so the law is fitted to the n-grams of orders 2 and up.", "",
                  "| curve | n-grams at D_max (all orders) | of orders ≥ 2 | γ [95%] | n-grams of orders ≥ 2 at 10× D_max [95%] | at 100× [95%] |", "|---|---:|---:|---|---|---|"]
        for curve in curves {
            guard let last = curve.points.last else { continue }
            guard let fit = curve.modelSize else {
                let constant = Set(curve.points.map(\.higherOrderNGrams)).count == 1
                lines.append("| \(curve.name) | \(last.totalNGrams) | \(last.higherOrderNGrams) | \(constant ? "0 (none: a unigram model is the fixed vocabulary)" : "n/a (fewer than 3 sizes)") | | |")
                continue
            }
            let extrapolated = fit.extrapolations.map { "\(ScalingReport.sig($0.predicted, 3)) \(ScalingReport.interval($0.interval))" }
            lines.append("| \(curve.name) | \(last.totalNGrams) | \(last.higherOrderNGrams) | \(fit.formattedGamma()) | \(extrapolated.first ?? "n/a") | \(extrapolated.dropFirst().first ?? "n/a") |")
        }

        lines += ["", "## Held-out words unseen in each slice", "", "| D (tokens) | units | held-out words never seen in the slice (`<unk>` included) |", "|---:|---:|---:|"]
        for d in sizes {
            if let p = curves.lazy.compactMap({ $0.points.first { $0.tokens == d } }).first {
                lines.append("| \(d) | \(p.units) | \(ScalingReport.percent(p.heldoutUnseenRate)) |")
            }
        }

        lines += modelSizeSection()

        lines += ["", "## Cost on this machine", "",
                  "Seconds to count the slice (all orders at once), then per model to estimate and to score the held-out set in memory; peak resident memory of the process while the slice was counted and its models built (reset per slice); bytes the largest model holds.", "",
                  "| D (tokens) | count s | estimate s (all models) | score s (all models) | peak memory | largest model |", "|---:|---:|---:|---:|---:|---:|"]
        for d in sizes {
            let atD = curves.compactMap { $0.points.first { $0.tokens == d } }
            guard let first = atD.first else { continue }
            lines.append("| \(d) | \(String(format: "%.2f", first.countSeconds)) | \(String(format: "%.2f", atD.reduce(0) { $0 + $1.estimateSeconds })) | \(String(format: "%.2f", atD.reduce(0) { $0 + $1.scoreSeconds })) | \(ScalingReport.bytes(atD.map(\.peakResidentBytes).max() ?? 0)) | \(ScalingReport.bytes(atD.map(\.modelBytes).max() ?? 0)) |")
        }

        lines += computeSection()

        if !warnings.isEmpty {
            lines += ["", "## Warnings", ""]
            lines += warnings.map { "- \($0)" }
        }
        lines += ["", "## Plots", "", "![Held-out loss against training tokens](loss.svg)", "", "![Model size against training tokens](model-size.svg)", "",
                  "![Backtests: predicted against observed loss](backtest.svg)", "", "![Residuals of the headline laws](residuals.svg)", ""]
        if modelSizeStudy != nil { lines += ["![Held-out loss against model bytes, and the frontier](pruning.svg)", ""] }
        if !methodDifferences.isEmpty { lines += ["![Each method's cross-entropy minus modified Kneser-Ney's](methods.svg)", ""] }
        return lines.joined(separator: "\n")
    }

    /// The backtests: per curve and hold-back factor, the forecast of the largest slice from the
    /// small ones, the mean error over every held-back slice, and how many intervals cover.
    private func backtestSection() -> [String] {
        var lines = ["", "## Backtests of the headline laws, slice by slice", "",
                     "Each curve's headline law refitted on the slices with D ≤ D_max/k (k = \(ScalingBacktest.holdBackFactors.map(String.init).joined(separator: ", ")), where at least \(ScalingBacktest.minimumFittedPoints) slices remain) and used to predict every larger slice; error = (predicted − observed) / observed. These errors, not the fit's residuals, are what to expect of the forecasts above.", ""]
        let tested = curves.filter { !$0.backtests.isEmpty }
        guard !tested.isEmpty else {
            return lines + ["No curve has \(ScalingBacktest.minimumFittedPoints) slices at or below D_max/\(ScalingBacktest.holdBackFactors.first!): no backtest."]
        }
        lines += ["| curve | law | k | fitted on D ≤ | at D_max: predicted [95%] | observed | error | mean abs error, all held back | intervals covering |",
                  "|---|---|---:|---:|---|---:|---:|---:|---:|"]
        var errors: [Double] = []
        for curve in tested {
            for test in curve.backtests {
                guard let far = test.farthest else { continue }
                let (covered, judged) = test.coverage
                errors += test.checks.map(\.relativeError)
                lines.append("| \(curve.name) | \(test.fit.form.rawValue) | \(test.holdBackFactor) | \(ScalingExperiment.abbreviated(test.fittedUpTo)) (\(test.fittedSlices) slices) | \(ScalingReport.sig(far.predicted)) \(ScalingReport.interval(far.interval)) | \(ScalingReport.sig(far.observed)) | \(ScalingReport.signedPercent(far.relativeError)) | \(ScalingReport.percent(test.meanAbsoluteError)) | \(judged == 0 ? "n/a" : "\(covered)/\(judged)") |")
            }
        }
        let high = errors.filter { $0 > 0 }.count
        lines += ["", "Over all \(errors.count) forecasts: \(high) too high, \(errors.count - high) too low or exact; median error \(ScalingReport.signedPercent(ScalingReport.median(errors)))."]
        return lines
    }

    /// The headline forecasts: per curve the law whose backtests erred least (of those that meet
    /// the slices, with repeats), and its predictions.
    private func forecastSection() -> [String] {
        var lines = ["", "## Forecasts", "",
                     "Per curve, the law whose forecasts held up best: of the forms compared below, the one with the smallest backtest error (the mean over k of |relative error| when the law, fitted on D ≤ D_max/k, predicts the largest slice), not the one with the smallest residuals. The backtest error is the size of error to expect of these forecasts (if anything on the low side: it is the smallest of the forms' errors, measured on the same few backtests, so compare it with the other forms' below); the 95% intervals come from the bootstrap of the points and say how well the law is pinned down, not whether it is the right law.", "",
                     "| curve | law | backtest error | backtest intervals covering | L at 10× D_max [95%] | L at 100× D_max [95%] | flags |",
                     "|---|---|---:|---:|---|---|---|"]
        for curve in curves {
            guard let laws = curve.laws else {
                lines.append("| \(curve.name) | n/a | | | | | \(curve.points.count < 3 ? "fewer than 3 sizes" : "a loss is infinite") |")
                continue
            }
            let chosen = laws.chosen
            let (covered, judged) = chosen.coverage
            let extrapolated = chosen.fit.extrapolations.map { curve.forecastText($0, "\(ScalingReport.sig($0.predicted)) \(ScalingReport.interval($0.interval))") }
            let flags = [laws.tested ? nil : laws.reason, curve.goodness?.misses == true ? curve.goodness!.flag : nil].compactMap { $0 } + chosen.fit.flags
            lines.append("| \(curve.name) | \(chosen.form.formula) | \(chosen.formattedBacktestError) | \(judged == 0 ? "n/a" : "\(covered)/\(judged)") | \(extrapolated.first ?? "n/a") | \(extrapolated.dropFirst().first ?? "n/a") | \(flags.joined(separator: "; ")) |")
        }
        return lines
    }

    /// Every law form on every curve: parameters, the backtest error at each k, and the 10× forecast.
    private func lawComparisonSection() -> [String] {
        let factors = ScalingBacktest.holdBackFactors
        var lines = ["", "## Laws compared by how they forecast", "",
                     "The first three forms fitted by the same objective (summed Huber loss of log residuals); the matched-length law (this project's: the loss as a price w per context word the model cannot match, M the matched length, with one curve per context length m of the measured share of held-out tokens matched fewer than m words, each extrapolated on its own) fitted to those shares and then to the losses. All backtested alike. Error at k: the law fitted on D ≤ D_max/k, its prediction of the largest slice, (predicted − observed) / observed. The headline law (**bold**) has the smallest mean |error| (with repeats: of the laws that meet the slices within their spread, see the residuals below).", "",
                     "| curve | law | parameters [95%] | " + factors.map { "error, k = \($0)" }.joined(separator: " | ") + " | mean abs error | intervals covering | L at 10× D_max |",
                     "|---|---|---|" + String(repeating: "---:|", count: factors.count) + "---:|---:|---:|"]
        for curve in curves {
            guard let laws = curve.laws else { continue }
            for candidate in laws.candidates {
                let bold = candidate.form == laws.headline ? "**" : ""
                let errors = factors.map { k in candidate.error(atHoldBack: k).map(ScalingReport.signedPercent) ?? "" }
                let (covered, judged) = candidate.coverage
                let tenfold = candidate.fit.extrapolations.first.map { ScalingReport.sig($0.predicted) } ?? "n/a"
                lines.append("| \(curve.name) | \(bold)\(candidate.form.formula)\(bold) | \(candidate.fit.formattedParameters(digits: 3)) | " + errors.joined(separator: " | ")
                             + " | \(candidate.backtests.isEmpty ? "" : candidate.backtestError.isFinite ? ScalingReport.percent(candidate.backtestError) : "no forecast") | \(judged == 0 ? "" : "\(covered)/\(judged)") | \(tenfold) |")
            }
        }
        return lines
    }

    /// L(C) beside L(D): the loss against the CPU seconds its model cost.
    private func computeSection() -> [String] {
        let fitted = curves.filter { $0.computeLaw != nil }
        guard !fitted.isEmpty else { return [] }
        var lines = ["", "## Compute: L(C)", "",
                     "C = CPU seconds (all threads) of counting the slice and estimating the model, on this machine (one count serves every order of a slice, so C overstates the lower orders' cost). C = a·D^κ says how compute grows with data; L(C) = E + B·C^−β is fitted as L(D) is (summed Huber loss of log residuals, \(bootstrapResamples) bootstrap resamples). Timings are noisy, and these numbers differ from run to run.", "",
                     "| curve | C at D_max (s) | κ [95%] | E [95%] | β [95%] | L at 10× C [95%] | β of L(D), for comparison |",
                     "|---|---:|---|---|---|---|---|"]
        for curve in fitted {
            let law = curve.computeLaw!
            let growth = curve.computeGrowth.map { $0.formattedGamma(digits: 3) } ?? "n/a"
            let tenfold = law.extrapolations.first.map { $0.formatted(digits: 4) } ?? "n/a"
            lines.append("| \(curve.name) | \(curve.points.last.map { String(format: "%.2f", $0.computeSeconds) } ?? "") | \(growth) | \(law.formatted(.e)) | \(law.formatted(.beta)) | \(tenfold) | \(curve.loss.map { $0.formatted(.beta) } ?? "n/a") |")
        }
        return lines
    }

    /// The headline laws' residuals, slice by slice.
    private func residualSection() -> [String] {
        let fitted = curves.filter { $0.laws != nil }
        guard !fitted.isEmpty else { return [] }
        var lines = ["", "## Residuals of the headline laws", "",
                     "(observed − fitted) / fitted at each slice, the law fitted on all slices. A run of residuals of one sign is a bend the law does not follow; the backtests above say what it costs a forecast.", "",
                     "| D (tokens) | " + fitted.map(\.name).joined(separator: " | ") + " |",
                     "|---:|" + String(repeating: "---:|", count: fitted.count)]
        let sizes = Array(Set(fitted.flatMap { $0.points.map(\.tokens) })).sorted()
        for d in sizes {
            let cells = fitted.map { curve -> String in
                guard let point = curve.points.first(where: { $0.tokens == d }), let fit = curve.laws?.chosen.fit, fit.succeeded else { return "" }
                return ScalingReport.signedPercent(fit.relativeResidual(observed: point.lossNats, at: Double(d)))
            }
            lines.append("| \(d) | " + cells.joined(separator: " | ") + " |")
        }
        guard fitted.contains(where: { $0.repeats.contains { $0.count > 1 } }) else {
            return lines + ["", "One measurement per slice: how far the points scatter about a law is not known, so whether a law misses them is not judged (run with `--repeats 3` or more)."]
        }
        lines.append("| rms residual against the standard error of the means | " + fitted.map { curve in
            curve.goodness.map { "\(ScalingReport.percent($0.rmsResidual)) / \(ScalingReport.percent($0.standardError))\($0.misses ? " **misses**" : "")" } ?? ""
        }.joined(separator: " | ") + " |")
        lines += ["", "With repeats, a law that is right misses each slice's mean by about its standard error (the spread over the repeats / √repeats); a law whose residuals are more than \(Int(GoodnessOfFit.threshold)) times that, in root mean square, **misses** the slices: it heads its curve only when every law does, and its forecasts are printed as approximate (≈), without intervals, in the Forecasts table and the summary."]
        return lines
    }

    static func signedPercent(_ value: Double) -> String {
        guard value.isFinite else { return "n/a" }
        return String(format: "%+.2f%%", value * 100)
    }

    static func median(_ values: [Double]) -> Double {
        let sorted = values.sorted()
        guard !sorted.isEmpty else { return .nan }
        return sorted.count % 2 == 1 ? sorted[sorted.count / 2] : (sorted[sorted.count / 2 - 1] + sorted[sorted.count / 2]) / 2
    }

    static func bytes(_ value: Int) -> String {
        let v = Double(value)
        if value >= 1 << 30 { return String(format: "%.2f GiB", v / Double(1 << 30)) }
        return String(format: "%.1f MiB", v / Double(1 << 20))
    }

    /// The lines `ngramkit scale` prints at the end.
    public func summary(wallSeconds: Double, resumedPoints: Int, directory: String) -> String {
        let total = curves.reduce(0) { $0 + $1.repeats.reduce(0) { $0 + $1.count } }
        let pruned = (modelSizeStudy?.entries.filter { $0.pruneThreshold > 0 }.count ?? 0) * options.repeats
        var lines = [
            "ngramkit scale: \(plan.count) slices x \(options.orders.count) orders x \(options.smoothings.count) methods\(options.repeats > 1 ? " x \(options.repeats) repeats" : "") = \(total) points\(pruned > 0 ? " + \(pruned) pruned" : "") (\(resumedPoints) from an earlier run) in \(String(format: "%.1f", wallSeconds)) s",
            "pool      \(corpus.configuration.trainingPaths.joined(separator: " ")): \(corpus.poolTokens) tokens, \(corpus.poolUnits) \(corpus.unit.rawValue) units"
                + (corpus.poolIsOnDisk ? ", kept in the temporary folder (its ids take more than a quarter of the memory budget)" : ""),
            "held out  \(corpus.heldoutTokens + corpus.heldoutSentences) tokens (words and </s>), \(ScalingReport.percent(Double(corpus.heldoutUnknownTokens) / Double(corpus.heldoutTokens))) <unk>; vocabulary \(corpus.vocabulary.count)",
        ]
        lines.append("slices    \(plan.map { ScalingExperiment.abbreviated($0.requested) }.joined(separator: ", ")) (sizes asked for; D_max is the real size of the last)")
        lines += scheduleNotes.map { "          \($0)" }
        if let warning = overlapWarning { lines.append("warning   \(warning)") }
        if let warning = noisySlicesWarning { lines.append("warning   \(warning)") }
        lines += [
            "",
            "curve          D_max    loss(nats)  ppl       headline law      backtest error  L at 10x D_max [95%]",
        ]
        for curve in curves {
            guard let last = curve.points.last else { continue }
            let name = curve.name.padding(toLength: 14, withPad: " ", startingAt: 0)
            let dmax = ScalingExperiment.abbreviated(last.tokens).padding(toLength: 8, withPad: " ", startingAt: 0)
            let loss = ScalingReport.sig(last.lossNats, 5).padding(toLength: 11, withPad: " ", startingAt: 0)
            let ppl = ScalingReport.sig(last.perplexity, 5).padding(toLength: 9, withPad: " ", startingAt: 0)
            var fitText = "(fewer than 3 sizes)"
            if let chosen = curve.laws?.chosen {
                fitText = chosen.form.rawValue.padding(toLength: 17, withPad: " ", startingAt: 0) + " "
                    + chosen.formattedBacktestError.padding(toLength: 15, withPad: " ", startingAt: 0) + " "
                    + (chosen.fit.extrapolations.first.map { curve.forecastText($0, $0.formatted(digits: 4)) } ?? "n/a")
            }
            lines.append("\(name) \(dmax) \(loss) \(ppl) \(fitText)")
        }
        if let study = modelSizeStudy {
            lines.append("")
            lines.append("pruned    \(study.entries.filter { $0.pruneThreshold > 0 }.count) models at \(study.thresholds.count) relative-entropy thresholds: L(N, D) and the frontier of loss against model bytes in the report")
        }
        lines += ["", "report: \((directory as NSString).appendingPathComponent("report.md")) (also points.csv, fits.json, loss.svg, model-size.svg, backtest.svg, residuals.svg\(modelSizeStudy == nil ? "" : ", pruning.svg")\(methodDifferences.isEmpty ? "" : ", methods.svg"))"]
        return lines.joined(separator: "\n")
    }
}

extension ScalingReport.Curve {
    /// A forecast of the headline law as printed: `text` (its value and interval), or
    /// "≈4.513 (misfit)" when the law misses the slices by more than their spread (`Goodness`).
    func forecastText(_ forecast: ScalingLawFit.Extrapolation, _ text: String) -> String {
        goodness?.misses == true ? "≈\(ScalingReport.sig(forecast.predicted)) (misfit)" : text
    }
}
