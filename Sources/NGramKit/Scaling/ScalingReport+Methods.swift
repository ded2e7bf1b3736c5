import Foundation

/// How the smoothing methods of a run rank against modified Kneser-Ney as the data grow: the
/// held-out cross-entropy of each method minus Kneser-Ney's, per order and slice, in bits per
/// token, as the figures of Chen and Goodman (1998) draw it. Only for runs that measure
/// `kneser-ney` beside another method.
///
/// In:  the curves (means over repeats per slice).
/// Out: a table per order and the methods' ranking at the smallest and largest slice
///      (`methodsSection`), and `methods.svg` (`methodsPlot`).
extension ScalingReport {
    /// One method's difference to Kneser-Ney at one order: per slice D, L(method) − L(KN) in bits.
    struct MethodDifference {
        var smoothing: SmoothingMethod
        var order: Int
        var differences: [(tokens: Int, bits: Double)]
    }

    /// The differences of every method measured beside Kneser-Ney, at every order both have.
    var methodDifferences: [MethodDifference] {
        guard options.smoothings.contains(.kneserNey) else { return [] }
        var result: [MethodDifference] = []
        for curve in curves where curve.smoothing != .kneserNey {
            guard let reference = curves.first(where: { $0.smoothing == .kneserNey && $0.order == curve.order }) else { continue }
            let differences = curve.points.compactMap { point -> (tokens: Int, bits: Double)? in
                guard let kn = reference.points.first(where: { $0.tokens == point.tokens }) else { return nil }
                return (point.tokens, (point.lossNats - kn.lossNats) / M_LN2)
            }
            if !differences.isEmpty { result.append(MethodDifference(smoothing: curve.smoothing, order: curve.order, differences: differences)) }
        }
        return result
    }

    /// The report's section; empty without a method beside Kneser-Ney.
    func methodsSection() -> [String] {
        let all = methodDifferences
        guard !all.isEmpty else { return [] }
        var lines = ["", "## Methods against modified Kneser-Ney", "",
                     "Held-out cross-entropy of each method minus modified Kneser-Ney's, in bits per token (positive: worse than Kneser-Ney), per slice" + (options.repeats > 1 ? " (means over the repeats)" : "") + ": Chen and Goodman (1998) found the training-data size the most important factor in how smoothing methods rank. Plotted in `methods.svg`."]
        for order in Array(Set(all.map(\.order))).sorted() {
            let rows = all.filter { $0.order == order }
            let sizes = Array(Set(rows.flatMap { $0.differences.map(\.tokens) })).sorted()
            lines += ["", "Order \(order):", "", "| D (tokens) | " + rows.map(\.smoothing.rawValue).joined(separator: " | ") + " |",
                      "|---:|" + String(repeating: "---:|", count: rows.count)]
            for d in sizes {
                let cells = rows.map { row in row.differences.first { $0.tokens == d }.map { String(format: "%+.4f", $0.bits) } ?? "" }
                lines.append("| \(d) | " + cells.joined(separator: " | ") + " |")
            }
            // The ranking (Kneser-Ney at 0) at the smallest and the largest slice.
            func ranking(at d: Int) -> String {
                var scored: [(String, Double)] = [("kneser-ney", 0)]
                for row in rows { if let x = row.differences.first(where: { $0.tokens == d }) { scored.append((row.smoothing.rawValue, x.bits)) } }
                return scored.sorted { $0.1 < $1.1 }.map(\.0).joined(separator: " < ")
            }
            if let first = sizes.first, let last = sizes.last, first != last {
                let small = ranking(at: first), large = ranking(at: last)
                lines += ["", "From best to worst at \(ScalingExperiment.abbreviated(first)) tokens: \(small); at \(ScalingExperiment.abbreviated(last)): \(large)" + (small == large ? " (the same order)." : ".")]
            }
        }
        return lines
    }

    /// `methods.svg`: the differences against D, one line per method and order; nil without a
    /// method beside Kneser-Ney.
    func methodsPlot() -> SVGPlot? {
        let all = methodDifferences
        guard !all.isEmpty else { return nil }
        let series = all.map { row in
            SVGPlot.Series(name: "\(row.smoothing.shortName) \(row.order)-gram", points: row.differences.map { (Double($0.tokens), $0.bits) },
                           joinPoints: true, style: row.order - 1, dashed: ScalingReport.dashed(row.smoothing), marker: ScalingReport.marker(row.smoothing))
        }
        let methods = options.smoothings.filter { $0 != .kneserNey }
        var legend = ScalingReport.curveLegend(orders: Array(Set(all.map(\.order))).sorted(), methods: [])
        for method in methods {
            legend.append(SVGPlot.LegendEntry(name: method.displayName, color: SVGPlot.color(9), dashed: ScalingReport.dashed(method),
                                              marker: ScalingReport.marker(method)))
        }
        return SVGPlot(title: "Each method's held-out cross-entropy minus modified Kneser-Ney's", xLabel: "training tokens D (words)",
                       yLabel: "difference (bits per token)", series: series, yScale: .linear, legend: legend)
    }
}
