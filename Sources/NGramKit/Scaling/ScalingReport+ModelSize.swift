import Foundation

/// The model-size axis in the report (`scale --prune`): the pruned models, the joint law
/// L(N, D), the frontier of loss against model bytes, and its plot.
extension ScalingReport {
    /// A threshold for tables: "none" for an unpruned model.
    static func threshold(_ value: Double) -> String { value == 0 ? "none" : String(format: "%.0e", value) }

    func modelSizeSection() -> [String] {
        guard let study = modelSizeStudy else { return [] }
        var lines = ["", "## Model size: pruning, L(N, D) and the frontier", "",
                     "Every model of order 2 and up built in memory was also pruned by relative entropy (Stolcke 1998, as `ngramkit prune --prune-entropy`) at \(study.thresholds.map { ScalingReport.threshold($0) }.joined(separator: ", ")); each pruned model is a point of its own. N is the model's n-grams of orders ≥ 2 (the unigrams are the fixed vocabulary at every point); bytes are those of its binary file. Losses are means over the repeats.", ""]
        lines += ["| model | D (tokens) | threshold | n-grams (orders ≥ 2) | kept | binary bytes | loss (nats) | vs unpruned |",
                  "|---|---:|---:|---:|---:|---:|---:|---:|"]
        for e in study.entries {
            let kept = e.unprunedNGrams.map { ScalingReport.percent(Double(e.ngrams) / Double(max($0, 1))) } ?? ""
            let versus = e.pruneThreshold == 0 ? "" : e.unprunedLossNats.map { ScalingReport.signedPercent(e.lossNats / $0 - 1) } ?? ""
            lines.append("| \(e.name) | \(e.tokens) | \(ScalingReport.threshold(e.pruneThreshold)) | \(e.ngrams) | \(kept) | \(e.bytes.map { ScalingReport.bytes($0) } ?? "") | \(ScalingReport.sig(e.lossNats, 5)) | \(versus) |")
        }

        lines += ["", "### The joint law L(N, D) = E + A·N^−α + B·D^−β", "",
                  "Fitted per curve on every point (every slice, repeat and pruning level): summed Huber loss of log residuals, a grid over (α, β) and Levenberg–Marquardt, 95% bootstrap intervals over the points. Backtests refit on D ≤ D_max/k and predict every larger point at every pruning level.", "",
                  "| curve | points | E [95%] | A [95%] | α [95%] | B [95%] | β [95%] | rms residual | flags |", "|---|---:|---|---|---|---|---|---:|---|"]
        for curve in study.curves {
            guard let fit = curve.fit else { lines.append("| \(curve.name) | | too few points or sizes | | | | | | |"); continue }
            func cell(_ value: Double, _ name: String) -> String {
                ScalingLawFit.format(value, fit.intervals[name], digits: 4)
            }
            lines.append("| \(curve.name) | \(fit.points) | \(cell(fit.e, "e")) | \(cell(fit.a, "a")) | \(cell(fit.alpha, "alpha")) | \(cell(fit.b, "b")) | \(cell(fit.beta, "beta")) | \(ScalingReport.percent(fit.rmsRelativeResidual)) | \(fit.flags.joined(separator: "; ")) |")
        }
        let backtests = study.curves.flatMap { curve in (curve.fit?.backtests ?? []).map { (curve.name, $0) } }
        if backtests.isEmpty {
            lines += ["", "No curve has \(ScalingBacktest.minimumFittedPoints) slices at or below D_max/\(ScalingBacktest.holdBackFactors.first!): no backtest of the joint law."]
        } else {
            lines += ["", "| curve | fitted on D ≤ | points predicted | mean abs. error | worst error | 95% interval covers |", "|---|---:|---:|---:|---:|---:|"]
            for (name, test) in backtests {
                let worst = test.checks.max { abs($0.relativeError) < abs($1.relativeError) }!
                lines.append("| \(name) | \(test.fittedUpTo) (D_max/\(test.holdBackFactor)) | \(test.checks.count) | \(ScalingReport.percent(test.meanAbsoluteError)) | \(ScalingReport.signedPercent(worst.relativeError)) (D \(worst.tokens), \(ScalingReport.threshold(worst.pruneThreshold))) | \(test.covered)/\(test.checks.count) |")
            }
        }

        for smoothing in options.smoothings {
            let frontier = study.frontier(smoothing)
            guard !frontier.isEmpty else { continue }
            let method = smoothing.displayName
            lines += ["", "### The frontier (\(method)): the lowest loss for a budget of model bytes", "",
                      "Per budget: the slice whose models give the lowest loss at exactly that many bytes (each slice's models, unpruned and pruned, joined in log bytes, so a threshold between the measured ones is taken as read off the line; above its largest model a slice keeps that model's loss); the largest slice pruned to fit, likewise; the best model measured within the budget; and the lowest loss a curve's joint law gives at its largest slice for an N that fits the budget (bytes ≈ a + b·N from the curve's own models; N within the range its models there span).", "",
                      "| budget | best slice: model | D | loss | largest slice: model | loss | best measured: model | D | threshold | bytes | loss | fitted: curve | loss |",
                      "|---:|---|---:|---:|---|---:|---|---:|---:|---:|---:|---|---:|"]
            let budgets = study.budgets(smoothing)
            for budget in budgets {
                let m = budget.measured, best = budget.bestSlice, top = budget.largestSlice
                lines.append("| \(ScalingReport.bytes(budget.bytes)) | \(best?.name ?? "none") | \(best.map { String($0.tokens) } ?? "") | \(best.map { ScalingReport.sig($0.lossNats, 5) } ?? "") | \(top?.name ?? "none this small") | \(top.map { ScalingReport.sig($0.lossNats, 5) } ?? "") | \(m?.name ?? "none fits") | \(m.map { String($0.tokens) } ?? "") | \(m.map { ScalingReport.threshold($0.pruneThreshold) } ?? "") | \(m?.bytes.map { ScalingReport.bytes($0) } ?? "") | \(m.map { ScalingReport.sig($0.lossNats, 5) } ?? "") | \(budget.fitted?.curve ?? "") | \(budget.fitted.map { ScalingReport.sig($0.lossNats, 5) } ?? "") |")
            }
            lines += [""] + findings(study, smoothing, budgets: budgets)
        }
        return lines
    }

    /// What the frontier says, in sentences: whether the best model for a budget trains on the
    /// largest slice (prune harder on more data) or on a smaller one; and how the heaviest pruning
    /// compares with a smaller unpruned model (Chelba et al. 2010 found Kneser-Ney poorly suited
    /// to pruning below 1% of its size).
    private func findings(_ study: ModelSizeStudy, _ smoothing: SmoothingMethod, budgets: [ModelSizeStudy.Budget]) -> [String] {
        var lines: [String] = []
        // The largest slice among the models with bytes, as the budgets take it.
        let sized = study.entries.filter { $0.smoothing == smoothing && $0.bytes != nil }
        let largest = sized.max { $0.requestedTokens < $1.requestedTokens }?.tokens ?? 0
        let judged = budgets.filter { $0.bestSlice != nil && $0.largestSlice != nil }
        let smaller = judged.filter { $0.bestSlice!.tokens != $0.largestSlice!.tokens }
        if !judged.isEmpty {
            lines.append("- Prune harder on more data, or train on less? Of the \(judged.count) budgets where the largest slice (\(largest) tokens) has a model small enough, "
                         + (smaller.isEmpty ? "at every one the largest slice pruned to fit is best."
                            : "the largest slice pruned to fit is best at \(judged.count - smaller.count); a smaller slice is best at "
                              + smaller.map { "\(ScalingReport.bytes($0.bytes)) (\($0.bestSlice!.name) at \($0.bestSlice!.tokens) tokens: \(ScalingReport.sig($0.bestSlice!.lossNats, 5)) against \(ScalingReport.sig($0.largestSlice!.lossNats, 5)))" }.joined(separator: ", ") + "."))
        }
        // The heaviest pruning of each curve's largest slice, against the unpruned lower orders of about its size.
        for order in Set(study.entries.filter { $0.smoothing == smoothing }.map(\.order)).sorted() {
            let atLargest = study.entries.filter { $0.smoothing == smoothing && $0.order == order && $0.tokens == largest }
            guard let heaviest = atLargest.filter({ $0.pruneThreshold > 0 }).min(by: { $0.ngrams < $1.ngrams }),
                  let full = heaviest.unprunedNGrams, let fullLoss = heaviest.unprunedLossNats else { continue }
            var sentence = "- \(heaviest.name) at the largest slice, pruned at \(ScalingReport.threshold(heaviest.pruneThreshold)), keeps \(ScalingReport.percent(Double(heaviest.ngrams) / Double(max(full, 1)))) of its n-grams; its loss is \(ScalingReport.signedPercent(heaviest.lossNats / fullLoss - 1)) against the unpruned model's"
            // Lower orders of the same slice at the same bytes (their lines interpolated, as the budgets).
            if let bytes = heaviest.bytes {
                for lower in Set(study.entries.map(\.order)).filter({ $0 < order }).sorted() {
                    let line = study.entries.filter { $0.smoothing == smoothing && $0.order == lower && $0.requestedTokens == heaviest.requestedTokens && $0.bytes != nil }
                        .sorted { $0.bytes! < $1.bytes! }
                    guard let loss = ModelSizeStudy.interpolated(line, at: bytes) else { continue }
                    sentence += "; at the same bytes (\(ScalingReport.bytes(bytes))), the \(line[0].name) of that slice pruned to fit has loss \(ScalingReport.sig(loss, 5)) against \(ScalingReport.sig(heaviest.lossNats, 5))"
                }
            }
            lines.append(sentence + ".")
        }
        return lines
    }


    /// The joint fits for fits.json (an empty list without `--prune`).
    func jointFitsJSON() -> String {
        guard let study = modelSizeStudy else { return "[]" }
        let fits = study.curves.compactMap { curve -> String? in
            guard let fit = curve.fit else { return nil }
            let intervals = ["e", "a", "alpha", "b", "beta"].map { "\"\($0)_interval95\": \(ScalingReport.jsonRange(fit.intervals[$0]))" }
            let backtests = fit.backtests.map { test in
                "{\"hold_back_factor\": \(test.holdBackFactor), \"fitted_up_to_tokens\": \(test.fittedUpTo), \"mean_abs_relative_error\": \(JSON.exact(test.meanAbsoluteError)), \"checks\": ["
                    + test.checks.map { "{\"tokens\": \($0.tokens), \"ngrams\": \($0.ngrams), \"prune_threshold\": \(JSON.exact($0.pruneThreshold)), \"observed\": \(JSON.exact($0.observed)), \"predicted\": \(JSON.exact($0.predicted)), \"interval95\": \(ScalingReport.jsonRange($0.interval))}" }.joined(separator: ", ")
                    + "]}"
            }
            return "    {\"smoothing\": \(JSON.quote(curve.smoothing.rawValue)), \"order\": \(curve.order), \"model\": \"L(N, D) = E + A*N^-alpha + B*D^-beta, N = n-grams of orders >= 2\", "
                + "\"E\": \(JSON.exact(fit.e)), \"A\": \(JSON.exact(fit.a)), \"alpha\": \(JSON.exact(fit.alpha)), \"B\": \(JSON.exact(fit.b)), \"beta\": \(JSON.exact(fit.beta)), "
                + intervals.joined(separator: ", ") + ", \"points\": \(fit.points), \"rms_relative_residual\": \(JSON.exact(fit.rmsRelativeResidual)), "
                + "\"flags\": [\(fit.flags.map(JSON.quote).joined(separator: ", "))], \"backtests\": [\(backtests.joined(separator: ", "))]}"
        }
        return "[\n" + fits.joined(separator: ",\n") + "\n  ]"
    }

    /// Loss against binary bytes: per curve and slice, its models from unpruned to the heaviest
    /// pruning joined; each method's measured frontier drawn over them.
    func pruningPlot() -> SVGPlot? {
        guard let study = modelSizeStudy else { return nil }
        var series: [SVGPlot.Series] = []
        // One colour a slice, and the last colour for the frontier: at most nine slices drawn,
        // spread over the schedule, the largest always.
        let all = Array(Set(study.entries.map(\.requestedTokens))).sorted()
        let slices = all.count <= 9 ? all : (0..<9).map { all[($0 * (all.count - 1) + 4) / 8] }
        let orders = Array(Set(study.entries.map(\.order))).sorted()
        for smoothing in options.smoothings {
            for order in orders {
                for (index, requested) in slices.enumerated() {
                    let line = study.entries.filter { $0.smoothing == smoothing && $0.order == order && $0.requestedTokens == requested && $0.bytes != nil }
                        .sorted { $0.bytes! < $1.bytes! }
                    guard !line.isEmpty else { continue }
                    series.append(SVGPlot.Series(name: "\(line[0].name), D \(ScalingExperiment.abbreviated(line[0].tokens))",
                                                 points: line.map { (Double($0.bytes!), $0.lossNats) }, joinPoints: true, style: index,
                                                 dashed: ScalingReport.dashed(smoothing),
                                                 marker: orders.count > 1 && order == orders.last! ? .triangle : ScalingReport.marker(smoothing)))
                }
            }
            let frontier = study.frontier(smoothing)
            if frontier.count >= 2 {
                series.append(SVGPlot.Series(name: "frontier", curve: frontier.map { (Double($0.bytes!), $0.lossNats) }, style: 9,
                                             dashed: ScalingReport.dashed(smoothing)))
            }
        }
        var legend = slices.enumerated().compactMap { index, requested -> SVGPlot.LegendEntry? in
            guard let tokens = study.entries.first(where: { $0.requestedTokens == requested })?.tokens else { return nil }
            return SVGPlot.LegendEntry(name: "D \(ScalingExperiment.abbreviated(tokens))", color: SVGPlot.color(index))
        }
        for order in orders {
            legend.append(SVGPlot.LegendEntry(name: "\(order)-gram", color: "#555555", line: false,
                                              marker: orders.count > 1 && order == orders.last! ? .triangle : .circle))
        }
        legend.append(SVGPlot.LegendEntry(name: "frontier", color: SVGPlot.color(9)))
        return SVGPlot(title: "Held-out loss against model bytes (per slice: unpruned, then pruned harder)",
                       xLabel: "binary model bytes", yLabel: "held-out cross-entropy (nats per token)", series: series, legend: legend)
    }
}
