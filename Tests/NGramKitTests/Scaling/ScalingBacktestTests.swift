import Foundation
@testable import NGramKit
import Testing

/// Backtests: the law refitted on D ≤ D_max/k and judged on the slices it did not see.
@Suite("Scaling backtests")
struct ScalingBacktestTests {
    /// Sizes 1000·2^i, i = 0..<count, as whole tokens.
    static func doubling(_ count: Int) -> [Int] { (0..<count).map { 1000 << $0 } }

    @Test("A check's error is (predicted − observed) / observed, and its interval covers or not")
    func check() {
        let high = ScalingBacktest.Check(tokens: 10, observed: 4, predicted: 5, interval: 4.5...5.5)
        #expect(high.relativeError == 0.25)
        #expect(high.covered == false)
        let low = ScalingBacktest.Check(tokens: 10, observed: 4, predicted: 3, interval: 2.5...4)
        #expect(low.relativeError == -0.25)
        #expect(low.covered == true)
        #expect(ScalingBacktest.Check(tokens: 10, observed: 4, predicted: 3, interval: nil).covered == nil)
    }

    @Test("Which k are tried: those leaving at least 4 slices at or below D_max/k, with a slice above")
    func factors() {
        // 6 doublings: D_max/4 keeps 4 slices, D_max/8 only 3.
        let six = Self.doubling(6)
        let tests = ScalingBacktest.run(tokens: six, losses: ScalingLawFitTests.law(2, 30, 0.3, at: six.map(Double.init)),
                                        bootstrapResamples: 0, seed: 1)
        #expect(tests.map(\.holdBackFactor) == [4])
        #expect(tests[0].fittedSlices == 4 && tests[0].fittedUpTo == 8000)
        #expect(tests[0].checks.map(\.tokens) == [16_000, 32_000])
        // 10 doublings: every k (D_max/32 = 16k keeps 5 slices).
        let ten = Self.doubling(10)
        let all = ScalingBacktest.run(tokens: ten, losses: ScalingLawFitTests.law(2, 30, 0.3, at: ten.map(Double.init)),
                                      bootstrapResamples: 0, seed: 1)
        #expect(all.map(\.holdBackFactor) == [4, 8, 16, 32])
        #expect(all.map(\.fittedSlices) == [8, 7, 6, 5])
        #expect(all.allSatisfy { $0.fittedSlices + $0.checks.count == 10 })
        // Too few slices: none.
        #expect(ScalingBacktest.run(tokens: Self.doubling(4), losses: [5, 4.8, 4.6, 4.5], bootstrapResamples: 0, seed: 1).isEmpty)
    }

    @Test("Points on the law: every forecast is right, and every interval covers it")
    func exactLaw() {
        let tokens = Self.doubling(10)
        let losses = ScalingLawFitTests.law(2, 30, 0.3, at: tokens.map(Double.init))
        let tests = ScalingBacktest.run(tokens: tokens, losses: losses, bootstrapResamples: 200, seed: 7)
        #expect(tests.count == 4)
        for test in tests {
            for check in test.checks {
                #expect(abs(check.relativeError) < 1e-4, "k = \(test.holdBackFactor), D = \(check.tokens): \(check.relativeError)")
                #expect(check.covered == true, "k = \(test.holdBackFactor), D = \(check.tokens): \(String(describing: check.interval))")
            }
            #expect(test.coverage.covered == test.checks.count)
        }
    }

    @Test("A curve that bends down past the small slices: the saturating law forecasts too high, more so from fewer slices")
    func bendingCurve() throws {
        // Two power laws: over the small slices the slow one looks like a floor E, which the
        // larger slices then fall through, as n-gram losses do on real text.
        let tokens = Self.doubling(10)
        let losses = tokens.map { d -> Double in
            let x = Double(d)
            return 1 + 40 * pow(x, -0.4) + 3 * pow(x / 1000, -0.05)
        }
        let tests = ScalingBacktest.run(tokens: tokens, losses: losses, bootstrapResamples: 0, seed: 3)
        let errors = tests.compactMap { $0.farthest?.relativeError }
        #expect(errors.count == 4)
        #expect(errors.allSatisfy { $0 > 0 }, "\(errors)")
        #expect(errors.last! > errors.first!, "\(errors)")
    }

    @Test("Deterministic: the same points and seed give the same backtests")
    func deterministic() {
        let tokens = Self.doubling(9)
        let losses = ScalingLawFitTests.withNoise(ScalingLawFitTests.law(2, 30, 0.3, at: tokens.map(Double.init)), sigma: 0.01, seed: 4)
        let a = ScalingBacktest.run(tokens: tokens, losses: losses, bootstrapResamples: 100, seed: 9)
        let b = ScalingBacktest.run(tokens: tokens, losses: losses, bootstrapResamples: 100, seed: 9)
        #expect(a == b)
        #expect(a.contains { $0.checks.contains { $0.interval != nil } })
    }
}
