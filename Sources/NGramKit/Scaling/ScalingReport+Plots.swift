import Foundation

/// The two plots of a scaling run: held-out loss and model size against D, log-log, one line
/// per curve (Kneser-Ney solid, Stupid Backoff dashed, one colour per order), the fitted law
/// drawn through the points and on to 10× the largest slice.
extension ScalingReport {
    /// D values at which a fitted curve is drawn: log-spaced from the smallest slice to 10× the largest.
    static func curveSizes(_ points: [ScalingPoint]) -> [Double] {
        guard let first = points.first, let last = points.last else { return [] }
        let low = log(Double(first.tokens)), high = log(Double(last.tokens) * 10)
        return (0...80).map { exp(low + (high - low) * Double($0) / 80) }
    }

    func lossPlot() -> SVGPlot {
        var series: [SVGPlot.Series] = []
        for curve in curves where !curve.points.isEmpty {
            let fitted = curve.loss.map { fit in ScalingReport.curveSizes(curve.points).map { ($0, fit.predict($0)) } }
            let label = curve.loss.map { "\(curve.name): β = \($0.formatted(.beta, digits: 3))" } ?? curve.name
            series.append(SVGPlot.Series(name: label, points: curve.points.map { (Double($0.tokens), $0.lossNats) },
                                         curve: fitted, style: curve.order - 1, dashed: curve.smoothing == .stupidBackoff))
        }
        return SVGPlot(title: "Held-out loss against training data (lines: fitted E + B·D^−β)",
                       xLabel: "training tokens D (words)", yLabel: "held-out cross-entropy (nats per token)", series: series)
    }

    func modelSizePlot() -> SVGPlot {
        var series: [SVGPlot.Series] = []
        for curve in curves where !curve.points.isEmpty {
            let fitted = curve.modelSize.map { fit in ScalingReport.curveSizes(curve.points).map { ($0, fit.predict($0)) } }
            let label = curve.modelSize.map { "\(curve.name): γ = \($0.formattedGamma(digits: 3))" } ?? curve.name
            series.append(SVGPlot.Series(name: label, points: curve.points.map { (Double($0.tokens), Double($0.totalNGrams)) },
                                         curve: fitted, style: curve.order - 1, dashed: curve.smoothing == .stupidBackoff))
        }
        return SVGPlot(title: "Model size against training data (lines: fitted a·D^γ)",
                       xLabel: "training tokens D (words)", yLabel: "unique n-grams in the model", series: series)
    }
}
