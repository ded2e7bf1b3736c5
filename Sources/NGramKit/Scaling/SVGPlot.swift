import Foundation

/// A small writer of standalone SVG charts for scaling results: measured points as markers
/// (joined or not) and fitted curves as lines, on log–log axes (or a linear y axis), with
/// decade ticks, minor ticks at 2…9, gridlines, a legend, a title and axis labels.
///
/// `render()` returns a complete SVG document that opens in a browser. Points that cannot be
/// drawn (non-finite, or not positive on a log axis) are left out.
package struct SVGPlot: Sendable {
    /// How an axis maps values to positions.
    package enum Scale: String, Sendable, Codable {
        case log, linear
    }

    /// One named set of data on the chart.
    package struct Series: Sendable {
        /// The legend entry.
        package var name: String
        /// Measured points, drawn as markers.
        package var points: [(x: Double, y: Double)]
        /// Whether the markers are joined by a line (in order of x).
        package var joinPoints: Bool
        /// A curve drawn as a line without markers (e.g. the fitted law); nil for none.
        package var curve: [(x: Double, y: Double)]?
        /// Index into the palette of `SVGPlot.palette` (taken modulo its size).
        package var style: Int
        /// Whether the lines are dashed (e.g. a second smoothing method).
        package var dashed: Bool
        /// The markers' shape (e.g. one per smoothing method, so the methods differ without colour).
        package var marker: Marker
        /// Where the curve leaves the data: past this x it is drawn faint and dotted (an
        /// extrapolation); nil draws it all alike.
        package var extrapolatedBeyond: Double?

        package init(name: String, points: [(x: Double, y: Double)] = [], joinPoints: Bool = false,
                    curve: [(x: Double, y: Double)]? = nil, style: Int = 0, dashed: Bool = false,
                    marker: Marker = .circle, extrapolatedBeyond: Double? = nil) {
            self.name = name
            self.points = points
            self.joinPoints = joinPoints
            self.curve = curve
            self.style = style
            self.dashed = dashed
            self.marker = marker
            self.extrapolatedBeyond = extrapolatedBeyond
        }
    }

    /// A marker's shape.
    package enum Marker: Sendable {
        case circle, square, triangle, diamond
    }

    /// One line of the legend: a swatch (a line, a marker, or both) and a name.
    package struct LegendEntry: Sendable {
        package var name: String
        package var color: String
        package var dashed: Bool
        package var line: Bool
        package var marker: Marker?

        package init(name: String, color: String, dashed: Bool = false, line: Bool = true, marker: Marker? = nil) {
            self.name = name
            self.color = color
            self.dashed = dashed
            self.line = line
            self.marker = marker
        }
    }

    package var title: String
    /// The x axis' label, units included (e.g. "training tokens D").
    package var xLabel: String
    /// The y axis' label, units included (e.g. "held-out loss (nats/token)").
    package var yLabel: String
    package var series: [Series]
    package var xScale: Scale
    package var yScale: Scale
    /// The document's size in pixels.
    package var width: Double
    package var height: Double
    /// The legend's lines; nil for one per series (its name, colour, line and marker). A chart
    /// of many series that vary along two dimensions (order by colour, method by marker and
    /// dash) reads better with one line per value of each than one per series.
    package var legend: [LegendEntry]?

    /// Ten colours told apart by most readers (Tableau 10).
    package static let palette = ["#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f",
                                 "#edc948", "#b07aa1", "#ff9da7", "#9c755f", "#bab0ac"]

    package init(title: String, xLabel: String, yLabel: String, series: [Series] = [],
                xScale: Scale = .log, yScale: Scale = .log, width: Double = 800, height: Double = 500, legend: [LegendEntry]? = nil) {
        self.legend = legend
        self.title = title
        self.xLabel = xLabel
        self.yLabel = yLabel
        self.series = series
        self.xScale = xScale
        self.yScale = yScale
        self.width = width
        self.height = height
    }

    // MARK: - Rendering

    /// The colour of palette entry `style` (taken modulo the palette's size).
    package static func color(_ style: Int) -> String {
        palette[((style % palette.count) + palette.count) % palette.count]
    }

    /// The legend's lines: `legend`, or one per series.
    private var legendEntries: [LegendEntry] {
        legend ?? series.map { series in
            LegendEntry(name: series.name, color: Self.color(series.style), dashed: series.dashed,
                        line: series.curve != nil || series.joinPoints, marker: series.points.isEmpty ? nil : series.marker)
        }
    }

    /// The chart as a standalone SVG document.
    package func render() -> String {
        let entries = legendEntries
        let legendWidth = entries.isEmpty ? 0.0 : min(300, 60 + 7 * Double(entries.map(\.name.count).max() ?? 0))
        let plot = (left: 80.0, top: 50.0, right: width - 20 - legendWidth, bottom: height - 60)
        let drawable = series.map { series in
            (points: series.points.filter { isDrawable($0) }, curve: (series.curve ?? []).map { isDrawable($0) ? $0 : nil })
        }
        let allPoints = drawable.flatMap { $0.points + $0.curve.compactMap { $0 } }
        let xAxis = Axis(values: allPoints.map(\.x), scale: xScale)
        let yAxis = Axis(values: allPoints.map(\.y), scale: yScale)
        let px = { (x: Double) in plot.left + xAxis.fraction(x) * (plot.right - plot.left) }
        let py = { (y: Double) in plot.bottom - yAxis.fraction(y) * (plot.bottom - plot.top) }

        var svg = """
        <?xml version="1.0" encoding="UTF-8"?>
        <svg xmlns="http://www.w3.org/2000/svg" width="\(n(width))" height="\(n(height))" \
        viewBox="0 0 \(n(width)) \(n(height))" font-family="Helvetica, Arial, sans-serif" font-size="12">
        <rect x="0" y="0" width="\(n(width))" height="\(n(height))" fill="white"/>
        <defs><clipPath id="plot-area"><rect x="\(n(plot.left))" y="\(n(plot.top))" \
        width="\(n(plot.right - plot.left))" height="\(n(plot.bottom - plot.top))"/></clipPath></defs>

        """
        // Gridlines and ticks: minor ones faint and unlabeled, major ones labeled.
        for tick in xAxis.ticks {
            let x = px(tick.value)
            svg += line(x, plot.top, x, plot.bottom, stroke: tick.major ? "#d0d0d0" : "#eeeeee")
            svg += line(x, plot.bottom, x, plot.bottom + (tick.major ? 6 : 3), stroke: "#333333")
            if let label = tick.label {
                svg += text(label, x: x, y: plot.bottom + 20, anchor: "middle")
            }
        }
        for tick in yAxis.ticks {
            let y = py(tick.value)
            svg += line(plot.left, y, plot.right, y, stroke: tick.major ? "#d0d0d0" : "#eeeeee")
            svg += line(plot.left - (tick.major ? 6 : 3), y, plot.left, y, stroke: "#333333")
            if let label = tick.label {
                svg += text(label, x: plot.left - 9, y: y + 4, anchor: "end")
            }
        }
        svg += "<rect x=\"\(n(plot.left))\" y=\"\(n(plot.top))\" width=\"\(n(plot.right - plot.left))\" "
            + "height=\"\(n(plot.bottom - plot.top))\" fill=\"none\" stroke=\"#333333\"/>\n"

        // Data, clipped to the plot area.
        svg += "<g clip-path=\"url(#plot-area)\">\n"
        for (index, series) in series.enumerated() {
            let color = Self.color(series.style)
            let dash = series.dashed ? " stroke-dasharray=\"7 4\"" : ""
            let name = escape(series.name)
            svg += "<g id=\"series-\(index)\"><title>\(name)</title>\n"
            // A curve breaks where a point cannot be drawn; past `extrapolatedBeyond` it is faint.
            var segment: [(x: Double, y: Double)] = []
            let limit = series.extrapolatedBeyond ?? .infinity
            func flush() {
                guard segment.count >= 2 else { return }
                let inside = segment.filter { $0.x <= limit }, outside = segment.filter { $0.x > limit }
                if inside.count >= 2 { svg += polyline(inside.map { (px($0.x), py($0.y)) }, color: color, width: 2, dash: dash) }
                // The faint part starts at the last point inside, so the line does not gap.
                let joined = (inside.last.map { [$0] } ?? []) + outside
                if joined.count >= 2 {
                    svg += polyline(joined.map { (px($0.x), py($0.y)) }, color: color, width: 1.5,
                                    dash: " stroke-dasharray=\"2 3\" stroke-opacity=\"0.6\"")
                }
            }
            for point in drawable[index].curve + [nil] {
                if let point { segment.append(point); continue }
                flush()
                segment = []
            }
            let points = drawable[index].points
            if series.joinPoints && points.count >= 2 {
                svg += polyline(points.sorted { $0.x < $1.x }.map { (px($0.x), py($0.y)) }, color: color, width: 1.2, dash: dash)
            }
            for point in points {
                svg += marker(series.marker, x: px(point.x), y: py(point.y), color: color)
            }
            svg += "</g>\n"
        }
        svg += "</g>\n"

        // Title, axis labels, legend.
        // Centred on the document, not the plot area, so a long title is not cut at the left edge.
        svg += text(title, x: width / 2, y: 28, anchor: "middle", extra: " font-size=\"16\" font-weight=\"bold\"")
        svg += text(xLabel, x: (plot.left + plot.right) / 2, y: height - 18, anchor: "middle", extra: " font-size=\"13\"")
        let yMiddle = (plot.top + plot.bottom) / 2
        svg += text(yLabel, x: 20, y: yMiddle, anchor: "middle",
                    extra: " font-size=\"13\" transform=\"rotate(-90 20 \(n(yMiddle)))\"")
        if !entries.isEmpty {
            let left = plot.right + 15, top = plot.top
            svg += "<g id=\"legend\"><rect x=\"\(n(left))\" y=\"\(n(top))\" width=\"\(n(legendWidth - 5))\" "
                + "height=\"\(n(10 + 20 * Double(entries.count)))\" fill=\"white\" stroke=\"#999999\"/>\n"
            for (index, entry) in entries.enumerated() {
                let y = top + 17 + 20 * Double(index)
                let dash = entry.dashed ? " stroke-dasharray=\"7 4\"" : ""
                if entry.line {
                    svg += "<line x1=\"\(n(left + 8))\" y1=\"\(n(y - 4))\" x2=\"\(n(left + 36))\" y2=\"\(n(y - 4))\" "
                        + "stroke=\"\(entry.color)\" stroke-width=\"2\"\(dash)/>\n"
                }
                if let shape = entry.marker {
                    svg += marker(shape, x: left + 22, y: y - 4, color: entry.color)
                }
                svg += text(entry.name, x: left + 44, y: y, anchor: "start")
            }
            svg += "</g>\n"
        }
        svg += "</svg>\n"
        return svg
    }

    // MARK: - Pieces

    private func isDrawable(_ point: (x: Double, y: Double)) -> Bool {
        point.x.isFinite && point.y.isFinite && (xScale == .linear || point.x > 0) && (yScale == .linear || point.y > 0)
    }

    /// One marker centred on (x, y), white-rimmed so that overlapping markers stay apart.
    private func marker(_ shape: Marker, x: Double, y: Double, color: String) -> String {
        let rim = " fill=\"\(color)\" stroke=\"white\" stroke-width=\"0.8\"/>\n"
        switch shape {
        case .circle:
            return "<circle cx=\"\(n(x))\" cy=\"\(n(y))\" r=\"3.5\"" + rim
        case .square:
            return "<rect x=\"\(n(x - 3.3))\" y=\"\(n(y - 3.3))\" width=\"6.6\" height=\"6.6\"" + rim
        case .triangle:
            return "<polygon points=\"\(n(x)),\(n(y - 4.4)) \(n(x - 4)),\(n(y + 3)) \(n(x + 4)),\(n(y + 3))\"" + rim
        case .diamond:
            return "<polygon points=\"\(n(x)),\(n(y - 4.6)) \(n(x - 4.2)),\(n(y)) \(n(x)),\(n(y + 4.6)) \(n(x + 4.2)),\(n(y))\"" + rim
        }
    }

    private func line(_ x1: Double, _ y1: Double, _ x2: Double, _ y2: Double, stroke: String) -> String {
        "<line x1=\"\(n(x1))\" y1=\"\(n(y1))\" x2=\"\(n(x2))\" y2=\"\(n(y2))\" stroke=\"\(stroke)\" stroke-width=\"1\"/>\n"
    }

    private func polyline(_ points: [(Double, Double)], color: String, width: Double, dash: String) -> String {
        let coordinates = points.map { "\(n($0.0)),\(n($0.1))" }.joined(separator: " ")
        return "<polyline points=\"\(coordinates)\" fill=\"none\" stroke=\"\(color)\" stroke-width=\"\(n(width))\"\(dash) "
            + "stroke-linejoin=\"round\"/>\n"
    }

    private func text(_ content: String, x: Double, y: Double, anchor: String, extra: String = "") -> String {
        "<text x=\"\(n(x))\" y=\"\(n(y))\" text-anchor=\"\(anchor)\"\(extra)>\(escape(content))</text>\n"
    }

    /// A coordinate with two decimals (enough for a pixel, short enough to keep files small).
    private func n(_ value: Double) -> String { String(format: "%.2f", value) }

    /// `text` safe inside XML text and attribute values.
    static func escape(_ text: String) -> String {
        var escaped = ""
        for character in text {
            switch character {
            case "&": escaped += "&amp;"
            case "<": escaped += "&lt;"
            case ">": escaped += "&gt;"
            case "\"": escaped += "&quot;"
            case "'": escaped += "&apos;"
            default: escaped.append(character)
            }
        }
        return escaped
    }

    private func escape(_ text: String) -> String { Self.escape(text) }

    /// A tick label: "10k", "2M", "1B" for large values, "0.5", "300" otherwise.
    static func tickLabel(_ value: Double) -> String {
        let suffixes: [(Double, String)] = [(1e12, "T"), (1e9, "B"), (1e6, "M"), (1e3, "k")]
        for (scale, suffix) in suffixes where abs(value) >= scale {
            return String(format: "%g", (value / scale * 1e6).rounded() / 1e6) + suffix
        }
        return String(format: "%g", (value * 1e9).rounded() / 1e9)
    }

    // MARK: - Axes

    struct Tick: Equatable {
        var value: Double
        var major: Bool
        var label: String?
    }

    /// An axis' domain and ticks, from the values it must show.
    struct Axis {
        let scale: Scale
        /// The domain's ends (log10 of them on a log axis).
        let lower: Double
        let upper: Double
        let ticks: [Tick]

        init(values: [Double], scale: Scale) {
            self.scale = scale
            let mapped = values.map { scale == .log ? log10($0) : $0 }
            var low = mapped.min() ?? 0, high = mapped.max() ?? 1
            if high - low < 1e-12 {
                // One value (or none): a range around it.
                let half = scale == .log ? 0.5 : max(abs(low) * 0.1, 0.5)
                low -= half; high += half
            }
            // 4 % of padding on either side so markers are not cut by the frame.
            let pad = (high - low) * 0.04
            lower = low - pad
            upper = high + pad
            ticks = scale == .log ? Axis.logTicks(lower, upper) : Axis.linearTicks(lower, upper)
        }

        /// Where `value` sits between the domain's ends, 0…1.
        func fraction(_ value: Double) -> Double {
            ((scale == .log ? log10(value) : value) - lower) / (upper - lower)
        }

        /// Decades labeled, 2…9 × decade as minor ticks. When fewer than two decades fall in the
        /// domain (a range under a decade) the 2 and 5 multiples are labeled too, and if that is
        /// still fewer than two labels, every multiple; under 4 labels even then, nice linear steps.
        static func logTicks(_ lower: Double, _ upper: Double) -> [Tick] {
            var candidates: [(value: Double, multiple: Int)] = []
            for decade in Int(lower.rounded(.down))...Int(upper.rounded(.up)) {
                for multiple in 1...9 {
                    let exponent = Double(decade) + log10(Double(multiple))
                    if exponent >= lower - 1e-12 && exponent <= upper + 1e-12 {
                        candidates.append((pow(10, exponent), multiple))
                    }
                }
            }
            let decades = candidates.filter { $0.multiple == 1 }.count
            let oneTwoFive = candidates.filter { [1, 2, 5].contains($0.multiple) }.count
            let labeled: Set<Int> = decades >= 2 ? [1] : oneTwoFive >= 2 ? [1, 2, 5] : Set(1...9)
            // A range under a decade too narrow for even that to give 4 labels (a loss axis from
            // 4.4 to 6.7 has only 5 and 6): nice linear steps, still placed on the log scale.
            // Wider ranges keep their decades (10k, 100k, 1M), however few.
            if upper - lower < 1 && candidates.filter({ labeled.contains($0.multiple) }).count < 4 {
                let (low, high) = (pow(10, lower), pow(10, upper))
                // The largest 1-2-5 step that fits four times in the range.
                let rough = (high - low) / 4
                let magnitude = pow(10, log10(rough).rounded(.down))
                let step = [10.0, 5, 2, 1].map { $0 * magnitude }.first { $0 <= rough } ?? magnitude
                let linear = linearTicks(low, high, step: step).filter { $0.value > 0 }
                if linear.count >= 4 { return linear }
            }
            // Thin minor ticks out when the axis spans many decades.
            let showMinor = upper - lower <= 8
            return candidates.compactMap { candidate in
                let major = labeled.contains(candidate.multiple)
                guard major || showMinor else { return nil }
                return Tick(value: candidate.value, major: major, label: major ? tickLabel(candidate.value) : nil)
            }
        }

        /// Labeled ticks at a "nice" step (1, 2 or 5 × 10^k) giving about five labels, or at `step`.
        static func linearTicks(_ lower: Double, _ upper: Double, step fixedStep: Double? = nil) -> [Tick] {
            let rough = (upper - lower) / 5
            let magnitude = pow(10, log10(rough).rounded(.down))
            let step = fixedStep ?? [1.0, 2, 5, 10].map { $0 * magnitude }.first { $0 >= rough } ?? 10 * magnitude
            var ticks: [Tick] = []
            var value = (lower / step).rounded(.up) * step
            while value <= upper + step * 1e-9 {
                let shown = abs(value) < step * 1e-9 ? 0 : value
                ticks.append(Tick(value: shown, major: true, label: tickLabel(shown)))
                value += step
            }
            return ticks
        }
    }
}
