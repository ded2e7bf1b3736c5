import Foundation
import NGramKit
import Testing

/// The data-scaling fits: `L(D) = E + B·D^(−β)` by summed Huber loss of log residuals
/// (Hoffmann et al. 2022, Besiroglu et al. 2024), the plain power law `y = a·D^γ`, successive
/// log–log slopes, and the bootstrap intervals and flags around them.
///
/// The specification, smallest cases first:
///   - without noise the fit returns the generating parameters (the objective is 0 there);
///   - with small multiplicative noise it lands near them, and its 95 % intervals cover the true
///     β in about 95 % of seeded trials (measured against a binomial band that a zero-width or
///     half-width interval cannot reach);
///   - E at 0, β beyond the search range, too few points are flagged, and a flagged parameter
///     prints as "not identified";
///   - results are a function of the seed alone, not of the number of threads.
@Suite("Scaling law fit")
struct ScalingLawFitTests {
    // MARK: - Helpers

    /// `count` sizes log-spaced from `lower` to `upper`, both included.
    static func logSpaced(_ lower: Double, _ upper: Double, count: Int) -> [Double] {
        (0..<count).map { exp(log(lower) + (log(upper) - log(lower)) * Double($0) / Double(count - 1)) }
    }

    static func law(_ e: Double, _ b: Double, _ beta: Double, at sizes: [Double]) -> [Double] {
        sizes.map { e + b * pow($0, -beta) }
    }

    /// `values` times independent log-normal factors `exp(σ·z)`, z standard normal (Box–Muller
    /// on the tests' seeded SplitMix64).
    static func withNoise(_ values: [Double], sigma: Double, seed: UInt64) -> [Double] {
        var random = SplitMix64(state: seed)
        return values.map { value in
            let u1 = (Double(random.next() >> 11) + 1) / 9_007_199_254_740_992
            let u2 = Double(random.next() >> 11) / 9_007_199_254_740_992
            let z = (-2 * log(u1)).squareRoot() * cos(2 * Double.pi * u2)
            return value * exp(sigma * z)
        }
    }

    static func relativeError(_ value: Double, _ truth: Double) -> Double { abs(value - truth) / abs(truth) }

    // MARK: - Exact recovery

    struct Shape: Sendable, CustomStringConvertible {
        let e: Double, b: Double, beta: Double
        let lower: Double, upper: Double
        var description: String { "E=\(e) B=\(b) β=\(beta) over \(lower)…\(upper)" }
    }

    /// Noise-free points of several shapes: a visible floor, no floor, a floor that the
    /// reducible part barely rises above, a steep law over six decades.
    static let shapes = [
        Shape(e: 1.7, b: 400, beta: 0.3, lower: 1e4, upper: 1e8),
        Shape(e: 3.5, b: 10, beta: 0.6, lower: 1e2, upper: 1e6),
        Shape(e: 0.5, b: 2000, beta: 0.45, lower: 1e3, upper: 1e9),
        Shape(e: 2.2, b: 60, beta: 0.05, lower: 1e4, upper: 1e8),
        Shape(e: 1.1, b: 5, beta: 1.8, lower: 1, upper: 1e3),
    ]

    @Test("Noise-free points give back E, B and β", arguments: shapes)
    func exactRecovery(shape: Shape) {
        let sizes = Self.logSpaced(shape.lower, shape.upper, count: 12)
        let fit = ScalingLawFitter.fit(sizes: sizes, losses: Self.law(shape.e, shape.b, shape.beta, at: sizes),
                                       bootstrapResamples: 0)
        #expect(Self.relativeError(fit.e, shape.e) < 1e-6)
        #expect(Self.relativeError(fit.b, shape.b) < 1e-6)
        #expect(Self.relativeError(fit.beta, shape.beta) < 1e-6)
        #expect(fit.huberLoss < 1e-18)
        #expect(fit.points == 12)
        #expect(fit.flags.isEmpty)
        #expect(!fit.eAtBound && !fit.betaAtEdge)
        // No bootstrap, no intervals, but the extrapolations are the law's values.
        #expect(fit.eInterval == nil && fit.betaInterval == nil && fit.bootstrapResamples == 0)
        #expect(fit.extrapolations.map(\.factor) == [10, 100])
        for extrapolation in fit.extrapolations {
            #expect(Self.relativeError(extrapolation.size, extrapolation.factor * sizes.last!) < 1e-15)
            let truth = shape.e + shape.b * pow(extrapolation.size, -shape.beta)
            #expect(Self.relativeError(extrapolation.predicted, truth) < 1e-6)
            #expect(extrapolation.interval == nil)
        }
    }

    @Test("The objective is the summed Huber loss: quadratic below δ, linear above")
    func huberObjective() {
        #expect(ScalingLawFitter.huberDelta == 1e-3)
        // One point, E = 0, B = L·e^r at β = 0 so that the log residual is exactly r.
        func objective(residual r: Double) -> Double {
            ScalingLawFitter.huberObjective(sizes: [10], losses: [2], e: 0, b: 2 * exp(r), beta: 0)
        }
        #expect(abs(objective(residual: 5e-4) - 0.5 * 5e-4 * 5e-4) < 1e-18)
        #expect(abs(objective(residual: -0.01) - 1e-3 * (0.01 - 5e-4)) < 1e-15)
        // Summed, not averaged: doubling every point doubles the objective at the same parameters.
        let sizes = [1e3, 1e4, 1e5, 1e6], losses = [4.0, 3.1, 2.6, 2.4]
        let single = ScalingLawFitter.huberObjective(sizes: sizes, losses: losses, e: 2, b: 30, beta: 0.4)
        let double = ScalingLawFitter.huberObjective(sizes: sizes + sizes, losses: losses + losses, e: 2, b: 30, beta: 0.4)
        #expect(single > 0)
        #expect(abs(double - 2 * single) < 1e-15)
        let fit = ScalingLawFitter.fit(sizes: sizes, losses: losses, bootstrapResamples: 0)
        #expect(fit.huberLoss == ScalingLawFitter.huberObjective(sizes: sizes, losses: losses, e: fit.e, b: fit.b, beta: fit.beta))
    }

    /// The optimizer's guarantee, on 400 random shapes (E 0…5, B 1…10⁴, β 0.02…1.5, three to
    /// five decades of D, noise σ from 0.002 to 0.03, including cases whose reducible part
    /// drowns in the noise): the fitted objective is never above the objective at the true
    /// parameters. A fit stuck in a poor local minimum (Besiroglu et al.'s finding) fails it.
    @Test("The fit's objective is never worse than the truth's")
    func neverWorseThanTruth() {
        var random = SplitMix64(state: 2024)
        func uniform() -> Double { Double(random.next() >> 11) / 9_007_199_254_740_992 }
        for trial in 0..<400 {
            let e = trial % 5 == 0 ? 0 : 5 * uniform()
            let b = exp(log(1e4) * uniform())
            let beta = 0.02 * exp(log(1.5 / 0.02) * uniform())
            let lower = pow(10, 2 + 2 * uniform())
            let sizes = Self.logSpaced(lower, lower * pow(10, 3 + 2 * uniform()), count: 12)
            let sigma = [0.002, 0.005, 0.01, 0.03][trial % 4]
            let losses = Self.withNoise(Self.law(e, b, beta, at: sizes), sigma: sigma, seed: UInt64(trial))
            let fit = ScalingLawFitter.fit(sizes: sizes, losses: losses, bootstrapResamples: 0)
            let atTruth = ScalingLawFitter.huberObjective(sizes: sizes, losses: losses, e: e, b: b, beta: beta)
            #expect(fit.huberLoss <= atTruth * (1 + 1e-9), "trial \(trial): E=\(e) B=\(b) β=\(beta)")
        }
    }

    // MARK: - Noise

    /// The Chinchilla-like shape with σ = 0.005 noise on 16 points. The tolerances are about
    /// four bootstrap standard errors measured on these seeds (β's ≈ 0.003, E's ≈ 0.05).
    @Test("Noisy points land near the truth, inside their intervals", arguments: [UInt64(1), 2, 3, 4, 5])
    func noisyRecovery(seed: UInt64) {
        let sizes = Self.logSpaced(1e4, 1e8, count: 16)
        let losses = Self.withNoise(Self.law(1.7, 400, 0.3, at: sizes), sigma: 0.005, seed: seed)
        let fit = ScalingLawFitter.fit(sizes: sizes, losses: losses, bootstrapResamples: 1000, seed: seed)
        print("noisy seed \(seed): E \(fit.formatted(.e)) B \(fit.formatted(.b)) β \(fit.formatted(.beta)) flags \(fit.flags)")
        #expect(abs(fit.beta - 0.3) < 0.012)
        #expect(abs(fit.e - 1.7) < 0.2)
        #expect(fit.flags.isEmpty)
        #expect(fit.bootstrapResamples + fit.skippedResamples == 1000)
        #expect(fit.bootstrapResamples >= 990)
        for (interval, estimate) in [(fit.eInterval, fit.e), (fit.bInterval, fit.b), (fit.betaInterval, fit.beta)] {
            let interval = try! #require(interval)
            #expect(interval.contains(estimate))
            #expect(interval.upperBound > interval.lowerBound)
        }
        for extrapolation in fit.extrapolations {
            let interval = try! #require(extrapolation.interval)
            #expect(interval.contains(extrapolation.predicted))
        }
    }

    /// Coverage of β's 95 % interval over 200 seeded trials (16 points, σ = 0.005). With true
    /// coverage 0.95 the count of covering trials is Binomial(200, 0.95): mean 190, sd 3.1, so
    /// [170, 198] (0.85…0.99) holds it with probability > 0.999 — and an interval that covers
    /// 80 % (say half as wide as it should be) falls below it with probability > 0.95. The
    /// negative controls show the band rejects broken intervals: the zero-width interval (the
    /// point estimate) and the honest interval shrunk to half width.
    ///
    /// 400 resamples per trial keep the test to a few seconds (80 000 fits); 1000 (the
    /// default of `fit`) gave the same count, 193 of 200, when last measured. Set
    /// `NGRAMKIT_COVERAGE_RESAMPLES=1000` to run it so.
    @Test("β's 95 % bootstrap interval covers the truth in 85–99 % of 200 trials")
    func coverage() {
        let trials = 200
        let resamples = ProcessInfo.processInfo.environment["NGRAMKIT_COVERAGE_RESAMPLES"].flatMap { Int($0) } ?? 400
        let sizes = Self.logSpaced(1e4, 1e8, count: 16)
        let truth = Self.law(1.7, 400, 0.3, at: sizes)
        var covered = 0, coveredByPoint = 0, coveredByHalfWidth = 0, coveredE = 0
        let start = Date()
        for trial in 0..<trials {
            let losses = Self.withNoise(truth, sigma: 0.005, seed: 10_000 + UInt64(trial))
            let fit = ScalingLawFitter.fit(sizes: sizes, losses: losses, bootstrapResamples: resamples, seed: UInt64(trial))
            guard let interval = fit.betaInterval else { continue }
            if interval.contains(0.3) { covered += 1 }
            if fit.eInterval?.contains(1.7) == true { coveredE += 1 }
            if (fit.beta...fit.beta).contains(0.3) { coveredByPoint += 1 }
            let center = (interval.lowerBound + interval.upperBound) / 2
            let quarterWidth = (interval.upperBound - interval.lowerBound) / 4
            if (center - quarterWidth...center + quarterWidth).contains(0.3) { coveredByHalfWidth += 1 }
        }
        print("coverage (\(resamples) resamples): β \(covered)/\(trials), E \(coveredE)/\(trials); "
              + "controls: point \(coveredByPoint), half width \(coveredByHalfWidth); "
              + String(format: "%.1f s", Date().timeIntervalSince(start)))
        #expect((170...198).contains(covered))
        #expect(!(170...198).contains(coveredByPoint))
        #expect(!(170...198).contains(coveredByHalfWidth))
    }

    // MARK: - Flags

    @Test("E = 0: E fitted at its bound, flagged, printed as not identified")
    func irreducibleLossAtZero() {
        let sizes = Self.logSpaced(1e4, 1e8, count: 12)
        let fit = ScalingLawFitter.fit(sizes: sizes, losses: Self.law(0, 50, 0.12, at: sizes), bootstrapResamples: 200)
        #expect(fit.e < 1e-6 * 50 * pow(1e8, -0.12))
        #expect(fit.eAtBound)
        #expect(Self.relativeError(fit.b, 50) < 1e-6)
        #expect(Self.relativeError(fit.beta, 0.12) < 1e-6)
        #expect(!fit.isIdentified(.e))
        #expect(fit.formatted(.e) == "not identified")
        #expect(fit.isIdentified(.beta) && fit.isIdentified(.b))
        #expect(fit.flags.contains { $0.hasPrefix("E at its bound") })
        // Every noise-free resample also puts E at 0, so E's interval is not bounded by the data.
        #expect(fit.intervalsUnbounded)
    }

    @Test("One rule for E: an interval that reaches 0 is not identified, however few resamples put E there")
    func eIntervalReachingZero() {
        // A small floor under noise: some bootstrap fits find it, some put E at 0.
        let sizes = Self.logSpaced(1e4, 1e7, count: 10)
        let truth = Self.law(0.3, 40, 0.2, at: sizes)
        var reaching = 0, fewAtZero = 0, bounded = 0
        for trial in 0..<40 {
            let fit = ScalingLawFitter.fit(sizes: sizes, losses: Self.withNoise(truth, sigma: 0.01, seed: 500 + UInt64(trial)),
                                           bootstrapResamples: 200, seed: UInt64(trial), threads: 2)
            guard let interval = fit.eInterval else { continue }
            if interval.lowerBound < 1e-6 * (truth.min() ?? 1) {
                reaching += 1
                #expect(!fit.isIdentified(.e), "trial \(trial): \(fit.formatted(.e))")
                #expect(fit.formatted(.e) == "not identified")
                #expect(fit.flags.contains { $0.hasPrefix("E's 95% interval reaches 0") }, "\(fit.flags)")
                if !fit.eAtBound && Double(fit.resamplesWithEAtZero) <= 0.1 * Double(fit.bootstrapResamples) { fewAtZero += 1 }
            } else {
                bounded += 1
                #expect(!fit.flags.contains { $0.hasPrefix("E's 95% interval reaches 0") }, "trial \(trial): \(fit.flags)")
            }
        }
        print("E's interval reaches 0 in \(reaching) of 40 trials (\(fewAtZero) with under 10% of fits at 0); bounded in \(bounded)")
        #expect(reaching >= 3 && bounded >= 3, "the sweep no longer reaches both cases: \(reaching), \(bounded)")
        #expect(fewAtZero >= 1, "no trial with an interval reaching 0 from few resamples (the case the old 10% rule printed as a number)")
    }

    @Test("β beyond the search range is flagged at the edge")
    func betaAtEdge() {
        let sizes = Self.logSpaced(10, 1e4, count: 10)
        let fit = ScalingLawFitter.fit(sizes: sizes, losses: Self.law(1, 1e6, 4, at: sizes), bootstrapResamples: 100)
        #expect(fit.betaAtEdge)
        #expect(fit.beta <= ScalingLawFitter.betaSearchRange.upperBound)
        #expect(fit.formatted(.beta) == "not identified")
        #expect(fit.formatted(.b) == "not identified")
        #expect(!fit.flags.isEmpty)
    }

    @Test("Fewer than 4 points: a fit but no intervals")
    func tooFewPoints() {
        let sizes = [1e4, 1e5, 1e6]
        let fit = ScalingLawFitter.fit(sizes: sizes, losses: Self.law(1.7, 400, 0.3, at: sizes))
        #expect(Self.relativeError(fit.beta, 0.3) < 1e-6)
        #expect(fit.eInterval == nil && fit.bInterval == nil && fit.betaInterval == nil)
        #expect(fit.bootstrapResamples == 0)
        #expect(fit.extrapolations.allSatisfy { $0.interval == nil })
        #expect(fit.flags.contains { $0.hasPrefix("fewer than 4 points") })
        // Without an interval, an identified value prints alone.
        #expect(fit.formatted(.beta, digits: 3) == "0.3")
    }

    @Test("Two distinct sizes identify nothing; unusable pairs are left out")
    func degenerateInputs() {
        let fit = ScalingLawFitter.fit(sizes: [1e4, 1e4, 1e6, 1e6, .nan, -5, 1e7], losses: [3, 3.1, 2, 2.1, 1, 1, 0])
        #expect(fit.points == 4)
        #expect(fit.distinctSizes == 2)
        #expect(fit.notIdentified == [.e, .b, .beta])
        let empty = ScalingLawFitter.fit(sizes: [], losses: [])
        #expect(empty.points == 0 && !empty.flags.isEmpty && empty.e.isNaN)
    }

    // MARK: - Determinism

    @Test("Same seed, same fit, for any number of threads; another seed, other intervals")
    func determinism() {
        let sizes = Self.logSpaced(1e4, 1e8, count: 15)
        let losses = Self.withNoise(Self.law(1.7, 400, 0.3, at: sizes), sigma: 0.005, seed: 7)
        let one = ScalingLawFitter.fit(sizes: sizes, losses: losses, bootstrapResamples: 500, seed: 42, threads: 1)
        let four = ScalingLawFitter.fit(sizes: sizes, losses: losses, bootstrapResamples: 500, seed: 42, threads: 4)
        let again = ScalingLawFitter.fit(sizes: sizes, losses: losses, bootstrapResamples: 500, seed: 42)
        #expect(one == four)
        #expect(one == again)
        let other = ScalingLawFitter.fit(sizes: sizes, losses: losses, bootstrapResamples: 500, seed: 43)
        #expect(other.betaInterval != one.betaInterval)
        #expect(other.beta == one.beta)
        let powerOne = ScalingLawFitter.fitPowerLaw(sizes: sizes, values: losses, bootstrapResamples: 300, seed: 5, threads: 1)
        let powerThree = ScalingLawFitter.fitPowerLaw(sizes: sizes, values: losses, bootstrapResamples: 300, seed: 5, threads: 3)
        #expect(powerOne == powerThree)
    }

    @Test("A fit survives a JSON round trip")
    func codable() throws {
        let sizes = Self.logSpaced(1e4, 1e8, count: 8)
        let fit = ScalingLawFitter.fit(sizes: sizes, losses: Self.withNoise(Self.law(1.7, 400, 0.3, at: sizes), sigma: 0.005, seed: 3),
                                       bootstrapResamples: 100)
        let decoded = try JSONDecoder().decode(ScalingLawFit.self, from: JSONEncoder().encode(fit))
        #expect(decoded == fit)
    }

    // MARK: - Plain power law and slopes

    @Test("The plain power law gives back a and γ without noise")
    func powerLawExact() {
        let sizes = Self.logSpaced(1e3, 1e7, count: 9)
        let values = sizes.map { 3.2 * pow($0, 0.71) }
        let fit = ScalingLawFitter.fitPowerLaw(sizes: sizes, values: values, bootstrapResamples: 200)
        #expect(Self.relativeError(fit.a, 3.2) < 1e-9)
        #expect(abs(fit.gamma - 0.71) < 1e-12)
        #expect(fit.points == 9 && fit.bootstrapResamples == 200 && fit.flags.isEmpty)
        // Every resample lies on the same line: a zero-width interval at γ.
        let interval = try! #require(fit.gammaInterval)
        #expect(abs(interval.lowerBound - 0.71) < 1e-12 && abs(interval.upperBound - 0.71) < 1e-12)
        #expect(fit.extrapolations.map(\.factor) == [10, 100])
        #expect(Self.relativeError(fit.extrapolations[0].size, 10 * sizes.last!) < 1e-15)
        #expect(Self.relativeError(fit.extrapolations[1].predicted, 3.2 * pow(fit.extrapolations[1].size, 0.71)) < 1e-9)
        #expect(Self.relativeError(fit.predict(1e5), 3.2 * pow(1e5, 0.71)) < 1e-9)
    }

    @Test("The plain power law with noise: γ near the truth, inside its interval")
    func powerLawNoisy() {
        let sizes = Self.logSpaced(1e3, 1e7, count: 15)
        let values = Self.withNoise(sizes.map { 3.2 * pow($0, 0.71) }, sigma: 0.02, seed: 11)
        let fit = ScalingLawFitter.fitPowerLaw(sizes: sizes, values: values, seed: 1)
        // The least-squares slope's standard error here is σ/(sd(log D)·√n) ≈ 0.02/(2.9·3.9) ≈ 0.002.
        #expect(abs(fit.gamma - 0.71) < 0.008)
        let interval = try! #require(fit.gammaInterval)
        #expect(interval.contains(fit.gamma) && interval.contains(0.71))
        #expect(fit.formattedGamma().contains("["))
    }

    @Test("Log–log slopes between consecutive points, by hand")
    func slopes() {
        let slopes = ScalingLawFitter.logLogSlopes(sizes: [10, 100, 1000, 1000, 4000], values: [100, 10, 5, 5, 0])
        #expect(slopes.count == 4)
        #expect(abs(slopes[0] - -1) < 1e-15)                 // 100 → 10 over one decade
        #expect(abs(slopes[1] - -log10(2)) < 1e-15)          // halving over one decade
        #expect(slopes[2].isNaN)                              // equal sizes
        #expect(slopes[3].isNaN)                              // a zero value
        #expect(ScalingLawFitter.logLogSlopes(sizes: [5], values: [1]).isEmpty)
    }
}
