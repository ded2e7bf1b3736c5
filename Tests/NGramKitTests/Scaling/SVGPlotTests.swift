import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
import NGramKit
import Testing

/// The SVG chart writer: a well-formed standalone document with the title, axis labels, legend
/// names, labeled decade ticks on log axes (1-2-5 ticks when the range is under a decade),
/// escaped text, and no trace of points it cannot draw.
@Suite("Scaling plots: SVG")
struct ScalingSVGPlotTests {
    /// Loss against tokens over 10k…100M: two smoothing methods, points and fitted curves.
    static func lossPlot(seriesNames: [String] = ["Kneser–Ney, order 3", "Stupid Backoff, order 3"]) -> SVGPlot {
        let sizes = (0...8).map { pow(10, 4 + 0.5 * Double($0)) }
        let series = seriesNames.enumerated().map { index, name in
            let law = { (d: Double) in 1.7 + Double(index + 1) * 400 * pow(d, -0.3) }
            return SVGPlot.Series(name: name, points: sizes.map { ($0, law($0)) }, joinPoints: false,
                                  curve: sizes.map { ($0, law($0)) }, style: index, dashed: index == 1)
        }
        return SVGPlot(title: "Held-out loss vs. data", xLabel: "training tokens D",
                       yLabel: "loss (nats/token)", series: series)
    }

    /// The `<text>` contents of a rendered document, parsed as XML (so parsing is the test of
    /// well-formedness).
    static func texts(of svg: String) throws -> [String] {
        #if canImport(FoundationXML) || os(macOS)
        let document = try XMLDocument(xmlString: svg, options: [])
        let root = try #require(document.rootElement())
        #expect(root.name == "svg")
        #expect(root.uri == "http://www.w3.org/2000/svg")
        // Looked up by hand: `attribute(forName:)` misses attributes of a namespaced element
        // in swift-corelibs-foundation.
        let attributes = Dictionary((root.attributes ?? []).map { ($0.name ?? "", $0.stringValue ?? "") },
                                    uniquingKeysWith: { first, _ in first })
        #expect(attributes["viewBox"] == "0 0 800.00 500.00")
        #expect(attributes["width"] == "800.00" && attributes["height"] == "500.00")
        return try document.nodes(forXPath: "//*[local-name()='text']").compactMap(\.stringValue)
        #else
        Issue.record("no XML parser on this platform")
        return []
        #endif
    }

    @Test("A log–log chart is well-formed SVG with its title, labels, legend and decade ticks")
    func wellFormed() throws {
        let svg = Self.lossPlot().render()
        #expect(svg.hasPrefix("<?xml"))
        let texts = try Self.texts(of: svg)
        #expect(texts.contains("Held-out loss vs. data"))
        #expect(texts.contains("training tokens D"))
        #expect(texts.contains("loss (nats/token)"))
        #expect(texts.contains("Kneser–Ney, order 3") && texts.contains("Stupid Backoff, order 3"))
        for decade in ["10k", "100k", "1M", "10M", "100M"] {
            #expect(texts.contains(decade), "missing tick label \(decade)")
        }
        // The second series is dashed, the first is not; both have markers and a curve.
        #expect(svg.contains("stroke-dasharray"))
        #expect(svg.components(separatedBy: "<circle").count - 1 == 2 * 9 + 2)   // markers + legend markers
        #expect(svg.components(separatedBy: "<polyline").count - 1 == 2)
    }

    @Test("Markers by shape, and a curve past the data drawn faint and dotted, joined to the rest")
    func markersAndForecast() throws {
        let sizes = [1e4, 1e5, 1e6]
        let law = { (d: Double) in 2 + 100 * pow(d, -0.3) }
        let curve = [1e4, 1e5, 1e6, 1e7].map { ($0, law($0)) }
        let plot = SVGPlot(title: "t", xLabel: "x", yLabel: "y", series: [
            SVGPlot.Series(name: "KN", points: sizes.map { ($0, law($0)) }, curve: curve, style: 0, marker: .circle, extrapolatedBeyond: 1e6),
            SVGPlot.Series(name: "SB", points: sizes.map { ($0, 1.1 * law($0)) }, style: 1, marker: .square),
            SVGPlot.Series(name: "other", points: [(1e5, 3)], style: 2, marker: .triangle),
        ])
        let svg = plot.render()
        _ = try Self.texts(of: svg)
        #expect(svg.components(separatedBy: "<circle").count - 1 == 3 + 1)
        #expect(svg.components(separatedBy: "width=\"6.6\"").count - 1 == 3 + 1)
        #expect(svg.components(separatedBy: "<polygon").count - 1 == 1 + 1)
        // Two pieces of the curve: the fitted range solid, the forecast faint from 1e6 on.
        let lines = svg.components(separatedBy: "\n").filter { $0.hasPrefix("<polyline") }
        #expect(lines.count == 2)
        #expect(lines.filter { $0.contains("stroke-opacity=\"0.6\"") }.count == 1)
        #expect(lines[0].split(separator: " ").filter { $0.contains(",") }.count == 3)
        #expect(lines[1].split(separator: " ").filter { $0.contains(",") }.count == 2)
    }

    @Test("Names are escaped")
    func escaping() throws {
        let svg = Self.lossPlot(seriesNames: ["a<b & c>d", "\"quoted\" 'name'"]).render()
        #expect(svg.contains("a&lt;b &amp; c&gt;d"))
        #expect(!svg.contains("a<b"))
        let texts = try Self.texts(of: svg)
        #expect(texts.contains("a<b & c>d"))
        #expect(texts.contains("\"quoted\" 'name'"))
    }

    @Test("Non-finite points, and non-positive ones on a log axis, are left out")
    func nonFinitePoints() throws {
        let plot = SVGPlot(title: "t", xLabel: "x", yLabel: "y", series: [
            SVGPlot.Series(name: "s", points: [(1e4, 2), (1e5, .nan), (.infinity, 3), (1e6, -1), (0, 5), (1e7, 1.5)],
                           joinPoints: true, curve: [(1e4, 2), (1e5, .infinity), (1e6, 1.8), (1e7, 1.6)]),
        ])
        let svg = plot.render()
        _ = try Self.texts(of: svg)
        #expect(!svg.contains("nan") && !svg.contains("inf"))
        // Two drawable markers plus the legend's; the curve breaks at its infinite point,
        // leaving one two-point segment; the joining line links the two drawable markers.
        #expect(svg.components(separatedBy: "<circle").count - 1 == 3)
        #expect(svg.components(separatedBy: "<polyline").count - 1 == 2)
        // The same points on a linear y axis keep the negative one.
        var linear = plot
        linear.yScale = .linear
        #expect(linear.render().components(separatedBy: "<circle").count - 1 == 4)
    }

    @Test("A y range under a decade gets 1-2-5 tick labels")
    func narrowRange() throws {
        let plot = SVGPlot(title: "perplexity", xLabel: "tokens", yLabel: "perplexity", series: [
            SVGPlot.Series(name: "ppl", points: [(1e4, 180), (1e5, 240), (1e6, 390)], joinPoints: true),
        ])
        let texts = try Self.texts(of: plot.render())
        // 180…390 holds no power of ten: 200 and 300… only 200 is a 1-2-5 value, so every
        // multiple is labeled; check the axis has at least two labels inside the range.
        let yLabels = texts.compactMap(Double.init).filter { (150...450).contains($0) }
        #expect(yLabels.count >= 2)
        #expect(texts.contains("200") && texts.contains("300"))
        // 2…40: one decade (10) inside, so 2, 5, 10, 20 are labeled.
        let wide = SVGPlot(title: "t", xLabel: "x", yLabel: "y", series: [
            SVGPlot.Series(name: "s", points: [(1, 2), (10, 40)]),
        ])
        let wideTexts = try Self.texts(of: wide.render())
        for label in ["2", "5", "10", "20"] { #expect(wideTexts.contains(label), "missing \(label)") }
        // 4.4…6.7 (PTB's loss axis): the multiples give only 5 and 6; half-unit steps instead.
        let loss = SVGPlot(title: "t", xLabel: "x", yLabel: "y", series: [
            SVGPlot.Series(name: "s", points: [(1e4, 6.72), (1e6, 4.37)]),
        ])
        let lossTexts = try Self.texts(of: loss.render())
        for label in ["4.5", "5", "5.5", "6", "6.5"] { #expect(lossTexts.contains(label), "missing \(label)") }
        // 10k…888k (PTB's slices): two decades keep their decade labels, not linear steps.
        let slices = SVGPlot(title: "t", xLabel: "x", yLabel: "y", series: [
            SVGPlot.Series(name: "s", points: [(10_012, 1), (887_521, 2)]),
        ])
        let sliceTexts = try Self.texts(of: slices.render())
        #expect(sliceTexts.contains("100k") && !sliceTexts.contains("200k") && !sliceTexts.contains("400k"), "\(sliceTexts)")
    }

    @Test("A legend of its own: one line per entry given, not one per series")
    func legendEntries() throws {
        let series = (1...3).flatMap { order in
            [SVGPlot.Series(name: "KN \(order)-gram", points: [(1e4, 6), (1e5, 5)], style: order - 1),
             SVGPlot.Series(name: "SB \(order)-gram", points: [(1e4, 6.5), (1e5, 5.5)], style: order - 1, dashed: true, marker: .square)]
        }
        let legend = [SVGPlot.LegendEntry(name: "1-gram", color: SVGPlot.color(0)), SVGPlot.LegendEntry(name: "2-gram", color: SVGPlot.color(1)),
                      SVGPlot.LegendEntry(name: "3-gram", color: SVGPlot.color(2)),
                      SVGPlot.LegendEntry(name: "Stupid Backoff", color: "#555555", dashed: true, marker: .square)]
        let svg = SVGPlot(title: "t", xLabel: "x", yLabel: "y", series: series, legend: legend).render()
        let group = try #require(svg.components(separatedBy: "<g id=\"legend\">").last?.components(separatedBy: "</g>").first)
        let texts = group.components(separatedBy: "</text>").dropLast().map { String($0.split(separator: ">", omittingEmptySubsequences: false).last!) }
        #expect(texts == ["1-gram", "2-gram", "3-gram", "Stupid Backoff"], "\(texts)")
        #expect(group.contains("stroke-dasharray") && group.contains("<rect x="))
        // Without one, every series has its line.
        let plain = SVGPlot(title: "t", xLabel: "x", yLabel: "y", series: series).render()
        #expect(plain.contains(">SB 3-gram<"))
    }

    @Test("A linear y axis gets nice steps")
    func linearAxis() throws {
        var plot = SVGPlot(title: "slopes", xLabel: "tokens", yLabel: "slope", series: [
            SVGPlot.Series(name: "slope", points: [(1e4, -0.31), (1e5, -0.22), (1e6, -0.12)], joinPoints: true),
        ])
        plot.yScale = .linear
        let texts = try Self.texts(of: plot.render())
        // −0.31…−0.12 padded by 4 %: a step of 0.05 gives four labels.
        let labels = texts.filter { $0.hasPrefix("-") }
        #expect(labels == ["-0.3", "-0.25", "-0.2", "-0.15"])
    }
}
