import Foundation

/// The two plots of a scaling run: held-out loss and model size against D, log-log, one line
/// per curve (Kneser-Ney solid, Stupid Backoff dashed, one colour per order), the curve's
/// headline law (or the model-size power law) drawn through the points and on to 10× the largest
/// slice; and the headline laws' backtests.
extension ScalingReport {
    /// D values at which a fitted curve is drawn: log-spaced from the smallest slice to 10× the largest.
    static func curveSizes(_ points: [ScalingPoint]) -> [Double] {
        guard let first = points.first, let last = points.last else { return [] }
        let low = log(Double(first.tokens)), high = log(Double(last.tokens) * 10)
        return (0...80).map { exp(low + (high - low) * Double($0) / 80) }
    }

    /// Kneser-Ney circles, Stupid Backoff squares, Katz and absolute discounting triangles,
    /// Witten-Bell diamonds: the methods differ in shape, not only in dash.
    static func marker(_ smoothing: SmoothingMethod) -> SVGPlot.Marker {
        switch smoothing {
        case .kneserNey, .originalKneserNey: return .circle
        case .stupidBackoff, .additive: return .square
        case .katz, .absoluteDiscounting: return .triangle
        case .wittenBell, .wittenBellBackoff: return .diamond
        }
    }

    /// Of two methods that share a marker, the second's lines are dashed (Stupid Backoff's, as
    /// before there were more methods).
    static func dashed(_ smoothing: SmoothingMethod) -> Bool {
        switch smoothing {
        case .kneserNey, .additive, .katz, .wittenBell: return false
        case .originalKneserNey, .stupidBackoff, .absoluteDiscounting, .wittenBellBackoff: return true
        }
    }

    /// The legend of the per-curve plots: one line per order (its colour), one per method (its
    /// marker and dash), instead of one per curve.
    /// With `drawnForBoth`, one method's curves stand for every method's (the same models).
    static func curveLegend(orders: [Int], methods: [SmoothingMethod], drawnForBoth: SmoothingMethod? = nil) -> [SVGPlot.LegendEntry] {
        let ink = "#555555"
        var entries = orders.map { SVGPlot.LegendEntry(name: "\($0)-gram", color: SVGPlot.color($0 - 1)) }
        if let drawn = drawnForBoth {
            entries.append(SVGPlot.LegendEntry(name: "all methods", color: ink, dashed: dashed(drawn), marker: marker(drawn)))
        } else {
            for method in methods {
                entries.append(SVGPlot.LegendEntry(name: method.displayName, color: ink, dashed: dashed(method), marker: marker(method)))
            }
        }
        return entries
    }

    /// The legend of the loss and residual plots: every order and method of the run.
    private var curvesLegend: [SVGPlot.LegendEntry] {
        ScalingReport.curveLegend(orders: Array(Set(curves.map(\.order))).sorted(), methods: options.smoothings)
    }

    func lossPlot() -> SVGPlot {
        var series: [SVGPlot.Series] = []
        for curve in curves where !curve.points.isEmpty {
            let fit = curve.laws?.chosen.fit
            let fitted = fit.map { fit in ScalingReport.curveSizes(curve.points).map { ($0, fit.predict($0)) } }
            let label = fit.map { "\(curve.name) (\($0.form.shortName))" } ?? curve.name
            series.append(SVGPlot.Series(name: label, points: curve.points.map { (Double($0.tokens), $0.lossNats) },
                                         curve: fitted, style: curve.order - 1, dashed: ScalingReport.dashed(curve.smoothing),
                                         marker: ScalingReport.marker(curve.smoothing),
                                         extrapolatedBeyond: curve.points.last.map { Double($0.tokens) }))
        }
        return SVGPlot(title: "Held-out loss against training data (lines: headline laws; dotted: forecast)",
                       xLabel: "training tokens D (words)", yLabel: "held-out cross-entropy (nats per token)", series: series,
                       legend: curvesLegend)
    }

    /// Model size (n-grams of orders ≥ 2: the unigrams are the fixed vocabulary at every D) and
    /// its power law. One curve per distinct model: a method whose models hold the n-grams of
    /// another's at every slice (Stupid Backoff and Kneser-Ney keep the same n-grams) is not
    /// drawn twice.
    func modelSizePlot() -> SVGPlot {
        var series: [SVGPlot.Series] = []
        var drawn: [[[Int]]] = []
        var merged = false
        for curve in curves where curve.order >= 2 && !curve.points.isEmpty {
            let sizes = curve.points.map(\.ngrams)
            if drawn.contains(sizes) { merged = true; continue }
            drawn.append(sizes)
            let fitted = curve.modelSize.map { fit in ScalingReport.curveSizes(curve.points).map { ($0, fit.predict($0)) } }
            series.append(SVGPlot.Series(name: curve.name, points: curve.points.map { (Double($0.tokens), Double($0.higherOrderNGrams)) },
                                         curve: fitted, style: curve.order - 1, dashed: ScalingReport.dashed(curve.smoothing),
                                         marker: ScalingReport.marker(curve.smoothing),
                                         extrapolatedBeyond: curve.points.last.map { Double($0.tokens) }))
        }
        let allMerged = merged && Set(series.map(\.dashed)).count == 1
        return SVGPlot(title: "Model size against training data (lines: fitted a·D^γ)",
                       xLabel: "training tokens D (words)", yLabel: "unique n-grams of orders 2 and up", series: series,
                       legend: ScalingReport.curveLegend(orders: Array(Set(curves.map(\.order).filter { $0 >= 2 })).sorted(),
                                                         methods: options.smoothings,
                                                         drawnForBoth: allMerged && options.smoothings.count > 1 ? options.smoothings.first : nil))
    }

    /// The headline laws' relative residuals, (observed − fitted) / fitted, against D: a run of
    /// one sign is a bend the law does not follow.
    func residualPlot() -> SVGPlot {
        var series: [SVGPlot.Series] = []
        for curve in curves {
            guard let fit = curve.laws?.chosen.fit, fit.succeeded else { continue }
            series.append(SVGPlot.Series(name: curve.name, points: curve.points.map { (Double($0.tokens), 100 * fit.relativeResidual(observed: $0.lossNats, at: Double($0.tokens))) },
                                         joinPoints: true, style: curve.order - 1, dashed: ScalingReport.dashed(curve.smoothing),
                                         marker: ScalingReport.marker(curve.smoothing)))
        }
        return SVGPlot(title: "Residuals of the headline laws", xLabel: "training tokens D (words)",
                       yLabel: "(observed − fitted) / fitted (%)", series: series, yScale: .linear, legend: curvesLegend)
    }

    /// Backtests: each held-back slice's predicted loss against the loss measured there, one
    /// series per hold-back factor k; points on the diagonal are perfect forecasts.
    func backtestPlot() -> SVGPlot {
        var series: [SVGPlot.Series] = []
        var low = Double.infinity, high = -Double.infinity
        for (index, k) in ScalingBacktest.holdBackFactors.enumerated() {
            let points = curves.flatMap { curve in
                curve.backtests.filter { $0.holdBackFactor == k }.flatMap { $0.checks.map { (x: $0.observed, y: $0.predicted) } }
            }.filter { $0.x.isFinite && $0.y.isFinite }
            guard !points.isEmpty else { continue }
            for p in points { low = min(low, p.x, p.y); high = max(high, p.x, p.y) }
            series.append(SVGPlot.Series(name: "fitted on D ≤ D_max/\(k)", points: points, style: index))
        }
        if low < high { series.append(SVGPlot.Series(name: "predicted = observed", curve: [(low, low), (high, high)], style: 9)) }
        return SVGPlot(title: "Backtests: the headline laws fitted on the small slices, at the larger ones",
                       xLabel: "observed held-out loss (nats per token)", yLabel: "predicted held-out loss (nats per token)",
                       series: series, xScale: .linear, yScale: .linear)
    }
}
