import Foundation
@testable import NGramKit
import Testing

/// The law forms beside the saturating one, and the choice among them by backtest.
@Suite("Scaling law forms")
struct ScalingLawFormTests {
    static let sizes = (0..<12).map { 1000.0 * pow(2, Double($0)) }

    static func broken(_ b: Double, _ beta1: Double, _ beta2: Double, _ dBreak: Double, at sizes: [Double]) -> [Double] {
        sizes.map { b * pow($0, -beta1) * pow(1 + $0 / dBreak, -(beta2 - beta1)) }
    }

    @Test("The broken power law by hand: slope −β₁ below the break, −β₂ above")
    func brokenByHand() {
        // B = 2, β₁ = 1, β₂ = 0, D_b = 1: L(D) = 2·D^−1·(1 + D).
        let form = ScalingLawForm.brokenPowerLaw
        #expect(abs(form.predict([2, 1, 0, 1], 1) - 4) < 1e-12)
        #expect(abs(form.predict([2, 1, 0, 1], 3) - 8.0 / 3) < 1e-12)
        // Far past the break the slope is −β₂; far below it, −β₁.
        let p = [5.0, 0.4, 0.1, 1e6]
        let high = log(form.predict(p, 1e12) / form.predict(p, 1e11)) / log(10)
        let low = log(form.predict(p, 1e1) / form.predict(p, 1e0)) / log(10)
        #expect(abs(high + 0.1) < 1e-4 && abs(low + 0.4) < 1e-4, "\(high) \(low)")
        #expect(abs(ScalingLawForm.powerLaw.predict([3, 0.5], 4) - 1.5) < 1e-12)
    }

    @Test("Points on a power law: B and β recovered exactly")
    func powerLawRecovered() {
        let losses = Self.sizes.map { 12 * pow($0, -0.05) }
        let fit = ScalingLawFitter.fit(form: .powerLaw, sizes: Self.sizes, losses: losses, bootstrapResamples: 0, seed: 1)
        #expect(abs(fit.parameters[0] - 12) < 1e-9 && abs(fit.parameters[1] - 0.05) < 1e-12, "\(fit.parameters)")
        #expect(fit.huberLoss < 1e-20)
        #expect(fit.flags.isEmpty)
    }

    @Test("Points on a broken power law: its four parameters recovered, the break inside the data")
    func brokenRecovered() {
        let losses = Self.broken(20, 0.3, 0.05, 1e5, at: Self.sizes)
        let fit = ScalingLawFitter.fit(form: .brokenPowerLaw, sizes: Self.sizes, losses: losses, bootstrapResamples: 0, seed: 1)
        let expected = [20, 0.3, 0.05, 1e5]
        for (got, want) in zip(fit.parameters, expected) {
            #expect(abs(got - want) <= 1e-4 * want, "\(fit.parameters)")
        }
        #expect(fit.flags.isEmpty, "\(fit.flags)")
        // Its forecast ten times past the data is the law's.
        let far = Self.sizes.last! * 10
        #expect(abs(fit.extrapolations[0].predicted / Self.broken(20, 0.3, 0.05, 1e5, at: [far])[0] - 1) < 1e-5)
    }

    @Test("The Huber loss down-weights an outlier that pulls a least-squares line")
    func outlier() {
        var losses = Self.sizes.map { 12 * pow($0, -0.05) }
        losses[9] *= 1.05
        let fit = ScalingLawFitter.fit(form: .powerLaw, sizes: Self.sizes, losses: losses, bootstrapResamples: 0, seed: 1)
        #expect(abs(fit.parameters[1] - 0.05) < 1e-4, "\(fit.parameters)")
        let leastSquares = ScalingLawFitter.fitPowerLaw(sizes: Self.sizes, values: losses, bootstrapResamples: 0)
        #expect(abs(-leastSquares.gamma - 0.05) > 1e-3, "\(leastSquares.gamma)")
    }

    @Test("A curve that stops falling past its break: β₂ = 0 is fitted on its bound, not lost")
    func levelsOff() {
        let losses = Self.broken(20, 0.3, 0, 2e4, at: Self.sizes)
        let fit = ScalingLawFitter.fit(form: .brokenPowerLaw, sizes: Self.sizes, losses: losses, bootstrapResamples: 0, seed: 1)
        #expect(fit.succeeded)
        #expect(fit.parameters[2] >= 0 && fit.parameters[2] < 1e-6, "\(fit.parameters)")
        #expect(abs(fit.parameters[1] - 0.3) < 1e-3 && abs(fit.parameters[3] / 2e4 - 1) < 1e-2, "\(fit.parameters)")
        #expect(fit.huberLoss < 1e-10)
    }

    @Test("A break far below the data ends at the low end of its range: flagged, B, β₁ and D_b not identified")
    func breakBelowData() {
        // D_b = D_min/1000: over the data the curve is D^−0.05 times a correction fading like 1/D.
        let losses = Self.broken(5, 1.0, 0.05, 1, at: Self.sizes)
        let fit = ScalingLawFitter.fit(form: .brokenPowerLaw, sizes: Self.sizes, losses: losses, bootstrapResamples: 0, seed: 1)
        #expect(fit.flags.contains { $0.contains("low end of its range") }, "\(fit.flags) \(fit.parameters)")
        #expect(fit.notIdentified == ["B", "beta1", "D_b"])
        #expect(fit.formattedParameters().contains("β₁ not identified"))
        #expect(abs(fit.parameters[2] - 0.05) < 1e-3, "\(fit.parameters)")
    }

    @Test("Losses that rise with D: no broken power law (both slopes must be ≥ 0), a failed fit that says so")
    func rising() {
        let losses = Self.sizes.map { 2 + 0.01 * log($0) }
        let fit = ScalingLawFitter.fit(form: .brokenPowerLaw, sizes: Self.sizes, losses: losses, bootstrapResamples: 0, seed: 1)
        #expect(!fit.succeeded)
        #expect(fit.flags.count == 1)
        #expect(fit.extrapolations.allSatisfy { $0.predicted.isNaN })
    }

    @Test("Fewer distinct sizes than parameters: not identified")
    func tooFewSizes() {
        let fit = ScalingLawFitter.fit(form: .brokenPowerLaw, sizes: [1e3, 2e3, 4e3, 4e3], losses: [6, 5.8, 5.7, 5.7],
                                       bootstrapResamples: 0, seed: 1)
        #expect(!fit.succeeded)
        #expect(fit.flags.first?.contains("fewer than 4 distinct sizes") == true)
    }

    @Test("Five noisy points, four parameters: resamples with fewer than 4 distinct sizes are drawn again, so nearly all give intervals")
    func redraws() {
        let sizes = Array(Self.sizes.prefix(5))
        let losses = ScalingLawFitTests.withNoise(Self.broken(20, 0.3, 0.05, 1e4, at: sizes), sigma: 0.002, seed: 5)
        let fit = ScalingLawFitter.fit(form: .brokenPowerLaw, sizes: sizes, losses: losses, bootstrapResamples: 200, seed: 3)
        #expect(fit.bootstrapResamples >= 180, "\(fit.bootstrapResamples)")
        #expect(fit.extrapolations.allSatisfy { $0.interval != nil })
    }

    @Test("The same fit for any number of threads")
    func threads() {
        let losses = ScalingLawFitTests.withNoise(Self.broken(20, 0.3, 0.05, 1e5, at: Self.sizes), sigma: 0.003, seed: 8)
        // The matched-length law needs tallies: its threads test is in `MatchedLengthLawTests`.
        for form in ScalingLawForm.allCases where form != .matchedLength {
            let one = ScalingLawFitter.fit(form: form, sizes: Self.sizes, losses: losses, bootstrapResamples: 64, seed: 2, threads: 1)
            let four = ScalingLawFitter.fit(form: form, sizes: Self.sizes, losses: losses, bootstrapResamples: 64, seed: 2, threads: 4)
            #expect(one == four, "\(form)")
        }
    }

    @Test("The headline law is the one whose backtests erred least, not the best fit")
    func selection() throws {
        let tokens = Self.sizes.map { Int($0) }
        // A curve whose slope eases from −0.3 to −0.05 past a break and then keeps falling: the
        // saturating law takes the easing for a floor, the power law ignores it; the broken power
        // law forecasts it exactly and is chosen, though every form fits the points closely.
        let bending = Self.broken(20, 0.3, 0.05, 2e4, at: Self.sizes)
        let chosen = ScalingLawSelection.select(tokens: tokens, losses: bending, bootstrapResamples: 0, seed: 1)
        let errors = Dictionary(uniqueKeysWithValues: chosen.candidates.map { ($0.form, $0.backtestError) })
        #expect(chosen.headline == .brokenPowerLaw, "\(errors)")
        #expect(errors[.brokenPowerLaw]! < 1e-3, "\(errors)")
        #expect(errors[.saturating]! > 0.01 && errors[.powerLaw]! > 0.01, "\(errors)")
        #expect(chosen.reason.contains("smallest backtest error"))
        // Points on the saturating law: it forecasts them exactly and heads the report.
        let saturating = ScalingLawFitTests.law(2, 30, 0.3, at: Self.sizes)
        let exact = ScalingLawSelection.select(tokens: tokens, losses: saturating, bootstrapResamples: 0, seed: 1)
        #expect(exact.headline == .saturating)
        #expect(exact.chosen.backtestError < 1e-4)
    }

    @Test("Too few slices for a backtest: the saturating law, marked untested")
    func untested() {
        let tokens = [1000, 2000, 4000, 8000, 16000]
        let losses = ScalingLawFitTests.law(2, 30, 0.3, at: tokens.map(Double.init))
        let chosen = ScalingLawSelection.select(tokens: tokens, losses: losses, bootstrapResamples: 0, seed: 1)
        #expect(chosen.headline == .saturating)
        #expect(chosen.chosen.backtests.isEmpty)
        #expect(chosen.reason.contains("no backtest"))
    }
}
