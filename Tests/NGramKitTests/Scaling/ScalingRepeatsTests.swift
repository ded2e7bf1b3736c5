import Foundation
@testable import NGramKit
import Testing

/// `--repeats`: the whole schedule on other shuffles of the same pool, each slice's mean and
/// spread, fits and backtests over every repeat, and the goodness of fit they make possible.
@Suite("Scaling repeats")
struct ScalingRepeatsTests {
    static func corpus() throws -> ScalingCorpus {
        try ScalingCorpus(.init(trainingPaths: [ScalingRunTests.kjv], heldoutFraction: 0.1, seed: 3))
    }

    static func stream(_ corpus: ScalingCorpus) throws -> [UInt32] {
        try corpus.withSlice(streamCount: corpus.slice(tokens: corpus.poolTokens).streamCount) { Array($0) }
    }

    /// The pool's units as id sequences, in stream order.
    static func units(_ corpus: ScalingCorpus) throws -> [[UInt32]] {
        let ids = try stream(corpus)
        var result: [[UInt32]] = [], start = 0
        // Units are sentences here (no index): one `<s> ... </s>` each.
        for (i, id) in ids.enumerated() where id == Vocabulary.endID {
            result.append(Array(ids[start...i]))
            start = i + 1
        }
        return result
    }

    @Test("A repeat reshuffles the same units; repeat 0 is the corpus as read, restored exactly")
    func arrangements() throws {
        let corpus = try Self.corpus()
        let original = try Self.units(corpus)
        try corpus.arrangePool(forRepeat: 2)
        let second = try Self.units(corpus)
        #expect(corpus.arrangement == 2)
        // (Compared apart from #expect, so a failure prints a line, not the whole pool.)
        let moved = second != original
        let sameUnits = second.sorted { $0.lexicographicallyPrecedes($1) } == original.sorted { $0.lexicographicallyPrecedes($1) }
        #expect(moved, "repeat 2 left the units in the order of repeat 0")
        #expect(sameUnits, "repeat 2 holds other units than repeat 0")
        #expect(corpus.slice(tokens: corpus.poolTokens).tokens == corpus.poolTokens)
        // The same repeat is the same order, from any arrangement.
        try corpus.arrangePool(forRepeat: 1)
        try corpus.arrangePool(forRepeat: 2)
        let again = try Self.units(corpus) == second
        #expect(again, "repeat 2 arranged twice differs")
        try corpus.arrangePool(forRepeat: 0)
        let restored = try Self.units(corpus) == original
        #expect(restored, "arrangement 0 is not the corpus as read")
        // The held-out set and vocabulary do not move.
        let fresh = try Self.corpus()
        #expect(corpus.withHeldout { Array($0) } == fresh.withHeldout { Array($0) })
        #expect(corpus.vocabulary.count == fresh.vocabulary.count)
    }

    @Test("Repeat 0 is the run without repeats; a run continued with more repeats measures only the new ones")
    func extendsARun() throws {
        let corpus = try Self.corpus()
        let one = ScalingOptions(orders: [1, 2], schedule: .sizes([20_000, 60_000]), threads: 2)
        var two = one
        two.repeats = 2
        let single = try ScalingRunTests.measure(corpus, one)
        let both = try ScalingRunTests.measure(corpus, two)
        #expect(both.filter { $0.repeatIndex == 0 }.map(ScalingRunTests.measurement) == single.map(ScalingRunTests.measurement))
        let second = both.filter { $0.repeatIndex == 1 }
        #expect(second.count == single.count)
        // Another shuffle: other slices of 20k tokens, other losses; the whole pool is the same.
        let small = try #require(second.first { $0.requestedTokens == 20_000 && $0.order == 2 && $0.smoothing == .kneserNey })
        let smallFirst = try #require(single.first { $0.requestedTokens == 20_000 && $0.order == 2 && $0.smoothing == .kneserNey })
        #expect(small.lossNats != smallFirst.lossNats)
        let continued = try ScalingRunTests.measure(corpus, two, skipping: Set(single.map(\.key)))
        #expect(continued.map(ScalingRunTests.measurement) == second.map(ScalingRunTests.measurement))
        #expect(corpus.arrangement == 0)
    }

    @Test("Slices that scatter by more than 1% between shuffles are named in a warning, with their spread")
    func noisySlices() throws {
        let corpus = try Self.corpus()
        var options = ScalingOptions(smoothings: [.kneserNey], orders: [1, 2], schedule: .sizes([20_000, 60_000, 150_000]), threads: 2)
        options.repeats = 2
        let experiment = ScalingExperiment(corpus: corpus, options: options)
        var points = try ScalingRunTests.measure(corpus, options)
        func report() -> ScalingReport {
            ScalingReport(corpus: corpus, options: options, points: points, plan: experiment.slices(), bootstrapResamples: 0, seed: 1, warnings: [])
        }
        // KJV's verses scatter little: no warning.
        #expect(report().noisySlicesWarning == nil)
        #expect(!report().summary(wallSeconds: 1, resumedPoints: 0, directory: "d").contains("scatter between"))
        // One repeat of the 20k slice 5% off: that slice is named, the others are not.
        let index = try #require(points.firstIndex { $0.order == 2 && $0.requestedTokens == 20_000 && $0.repeatIndex == 1 })
        points[index].lossNats *= 1.05
        let warning = try #require(report().noisySlicesWarning)
        #expect(warning.contains("the slices of 20k tokens scatter between the 2 shuffles"), "\(warning)")
        #expect(report().summary(wallSeconds: 1, resumedPoints: 0, directory: "d").contains("warning   the slices of 20k tokens"))
    }

    @Test("Goodness of fit by hand: residuals of the means against their standard errors")
    func goodnessByHand() throws {
        // Three slices of two repeats each: losses 1 ± 0.01 about the law L = 1 (a power law
        // with β = 0), so each mean is on the law; one slice moved by 0.05 misses.
        let fit = ScalingLawFitter.fit(form: .powerLaw, sizes: [1e3, 1e4, 1e5], losses: [1, 1, 1], bootstrapResamples: 0)
        let tokens = [1000, 1000, 10000, 10000, 100_000, 100_000]
        let slices = [0, 0, 1, 1, 2, 2]
        let good = try #require(GoodnessOfFit(fit: fit, tokens: tokens, losses: [0.99, 1.01, 0.99, 1.01, 0.99, 1.01], slices: slices))
        // Each slice: sd = 0.01·√2, standard error sd/√2 = 0.01 relative to 1.
        #expect(abs(good.standardError - 0.01) < 1e-12 && good.rmsResidual < 1e-12 && !good.misses)
        let moved = try #require(GoodnessOfFit(fit: fit, tokens: tokens, losses: [0.99, 1.01, 1.04, 1.06, 0.99, 1.01], slices: slices))
        #expect(abs(moved.rmsResidual - 0.05 / 3.0.squareRoot()) < 1e-12 && moved.misses)
        // Without repeats, or with a slice alike in every repeat only: not judged.
        #expect(GoodnessOfFit(fit: fit, tokens: [1000, 10000, 100_000], losses: [1, 1, 1], slices: [0, 1, 2]) == nil)
        #expect(GoodnessOfFit(fit: fit, tokens: tokens, losses: [0.99, 1.01, 0.99, 1.01, 1, 1], slices: slices) == nil)
    }

    @Test("With repeats a law that misses the slices does not head the curve while another meets them")
    func missingLawDemoted() throws {
        // Slices on a broken power law, three repeats with ±0.05 % of scatter: the broken law
        // meets them; the power law misses them (it cannot bend) and, though listed, is not chosen.
        let sizes = (0..<10).map { 10_000.0 * pow(2, Double($0)) }
        let law = ScalingLawFormTests.broken(20, 0.3, 0.05, 1e5, at: sizes)
        var tokens: [Int] = [], losses: [Double] = [], slices: [Int] = []
        for (i, (d, l)) in zip(sizes, law).enumerated() {
            for scatter in [-0.0005, 0, 0.0005] {
                tokens.append(Int(d)); losses.append(l * (1 + scatter)); slices.append(i)
            }
        }
        let selection = ScalingLawSelection.select(tokens: tokens, losses: losses, bootstrapResamples: 0, seed: 1, slices: slices)
        let power = try #require(selection.candidate(.powerLaw))
        #expect(power.goodness?.misses == true, "\(String(describing: power.goodness))")
        #expect(selection.chosen.goodness?.misses == false)
        #expect(selection.headline != .powerLaw)
        // Backtests check each held-back slice at its mean.
        let test = try #require(selection.chosen.backtests.first)
        #expect(test.checks.allSatisfy { check in sizes.contains(Double(check.tokens)) })
        #expect(test.fittedSlices == sizes.filter { $0 <= sizes.last! / Double(test.holdBackFactor) }.count)
    }
}
