import Foundation
@testable import NGramKit
import Testing

/// The matched-length law: L = E + w·Σ_{m=2..N} P(M < m | D), each unmatched rate
/// (1 + (D/D_m)^a_m)^−(γ_m/a_m), fitted to the held-out tokens by matched length.
@Suite("Matched-length law")
struct MatchedLengthLawTests {
    static let sizes = (0..<10).map { 10_000.0 * pow(2, Double($0)) }

    /// Rates per context length m = 2 ... N as (D_m, γ_m, a_m).
    typealias Rate = (dBreak: Double, gamma: Double, a: Double)

    static func unmatched(_ rate: Rate, _ d: Double) -> Double {
        pow(1 + pow(d / rate.dBreak, rate.a), -rate.gamma / rate.a)
    }

    /// Held-out tokens by matched length (n in all) at size `d`, from the rates and the reach.
    static func tallies(_ rates: [Rate], at d: Double, tokens n: Double = 1e12, reach: [Double]? = nil) -> [Int] {
        // P(M ≥ m) for m = 1 ... N, then the shares of each length.
        let atLeast = [1.0] + rates.indices.map { (reach?[$0] ?? 1) * (1 - unmatched(rates[$0], d)) } + [0]
        return (0..<(rates.count + 1)).map { Int((n * (atLeast[$0] - atLeast[$0 + 1])).rounded()) }
    }

    @Test("The law by hand: E + w times the summed unmatched rates, each at least the one below it")
    func byHand() {
        // Order 2, D_2 = 1000, γ = a = 1, every token able to match 2 words:
        // P(M < 2 | 1000) = (1 + 1)^−1 = ½; L = 2 + 1.5·½.
        #expect(abs(ScalingLawForm.matchedLength.predict([2, 1.5, 1000, 1, 1, 1], 1000) - 2.75) < 1e-12)
        // γ = 0.5, a = 2 at D = 2000: (1 + 4)^−¼.
        #expect(abs(MatchedLengthLaw.predict([0, 1, 1000, 0.5, 2, 1], 2000) - pow(5, -0.25)) < 1e-12)
        // A reach of 0.8: P(M < 2) = 1 − 0.8·(1 − ½) = 0.6, and never below 0.2 however large D.
        #expect(abs(MatchedLengthLaw.deficit([0, 1, 1000, 1, 1, 0.8], 1000) - 0.6) < 1e-12)
        #expect(abs(MatchedLengthLaw.deficit([0, 1, 1000, 1, 1, 0.8], 1e30) - 0.2) < 1e-12)
        // Order 3 whose trigram rate (D_3 = 10⁶, unmatched ≈ 1) lies above the bigram's: kept;
        // one below it (D_3 = 10, unmatched ≈ 0.01) is raised to the bigram's ½.
        let above = MatchedLengthLaw.deficit([0, 1, 1000, 1, 1, 1, 1e6, 1, 1, 1], 1000)
        #expect(abs(above - (0.5 + 1 / (1 + 1e-3))) < 1e-12)
        #expect(abs(MatchedLengthLaw.deficit([0, 1, 1000, 1, 1, 1, 10, 1, 1, 1], 1000) - 1.0) < 1e-12)
        #expect(MatchedLengthLaw.parameterNames(order: 3) == ["E", "w", "D_2", "gamma_2", "a_2", "reach_2", "D_3", "gamma_3", "a_3", "reach_3"])
        #expect(MatchedLengthLaw.order(parameterCount: 10) == 3)
    }

    @Test("Empirical logits of the shares matched at least m words, with half a token added each side")
    func logits() {
        // Tokens by length 1, 2, 3: 2, 1, 1. At least 2 words: 2 of 4; at least 3: 1 of 4.
        let logits = MatchedLengthLaw.matchedLogits([2, 1, 1])
        #expect(logits.count == 2)
        #expect(abs(logits[0]) < 1e-15)
        #expect(abs(logits[1] - log(1.5 / 3.5)) < 1e-15)
        // No token matched 3 words: finite, not −∞.
        #expect(MatchedLengthLaw.matchedLogits([3, 1, 0])[1].isFinite)
        // Only half of the tokens can match 3 words: 1 of those 2.
        #expect(abs(MatchedLengthLaw.matchedLogits([2, 1, 1], reach: [1, 0.5])[1] - log(1.5 / 1.5)) < 1e-15)
    }

    @Test("The reach: a token matches no more words than its sentence gives it")
    func reach() throws {
        let directory = try TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let train = try TestSupport.write(Array("a b c\nb c d\n".utf8), named: "train.txt", in: directory)
        // Held out: 3 words (4 scored tokens, </s> included) and 1 word (2 tokens).
        let heldout = try TestSupport.write(Array("a b c\nd\n".utf8), named: "heldout.txt", in: directory)
        let corpus = try ScalingCorpus(.init(trainingPaths: [train], heldoutPaths: [heldout], minCount: 1))
        // m = 2: every token (<s> precedes each); m = 3: tokens after at least one word, 3 + 1 of 6;
        // m = 4: 2 + 0 of 6.
        let reach = corpus.matchReach(order: 4)
        #expect(reach.count == 3)
        #expect(abs(reach[0] - 1) < 1e-15 && abs(reach[1] - 4.0 / 6) < 1e-15 && abs(reach[2] - 2.0 / 6) < 1e-15, "\(reach)")
        #expect(corpus.matchReach(order: 1).isEmpty)
    }

    @Test("Tallies and losses made by the law: its parameters recovered and its forecast ten times past the data")
    func recovered() throws {
        let rates: [Rate] = [(3e3, 0.35, 0.6), (4e4, 0.25, 0.5), (6e5, 0.2, 0.45)]
        let reach = [1, 0.95, 0.9]
        let (e, w) = (2.1, 1.3)
        let matched = Self.sizes.map { Self.tallies(rates, at: $0, reach: reach) }
        let truth = [e, w] + rates.indices.flatMap { [rates[$0].dBreak, rates[$0].gamma, rates[$0].a, reach[$0]] }
        let losses = Self.sizes.map { MatchedLengthLaw.predict(truth, $0) }
        let fit = ScalingLawFitter.fit(form: .matchedLength, sizes: Self.sizes, losses: losses, bootstrapResamples: 0, seed: 1,
                                       matchedTokens: matched, matchReach: reach)
        #expect(fit.succeeded && fit.flags.isEmpty, "\(fit.flags)")
        #expect(fit.parameterNames.count == truth.count)
        for (name, (got, want)) in zip(fit.parameterNames, zip(fit.parameters, truth)) {
            #expect(abs(got / want - 1) < 1e-3, "\(name): \(got) vs \(want)")
        }
        let far = Self.sizes.last! * 10
        #expect(abs(fit.extrapolations[0].predicted / MatchedLengthLaw.predict(truth, far) - 1) < 1e-5)
        // Backtested on its own points, it forecasts them.
        let selection = ScalingLawSelection.select(tokens: Self.sizes.map { Int($0) }, losses: losses, bootstrapResamples: 0, seed: 1,
                                                   matchedTokens: matched, matchReach: reach)
        let candidate = try #require(selection.candidate(.matchedLength))
        #expect(candidate.isTested && candidate.backtestError < 1e-3, "\(candidate.backtestError)")
    }

    @Test("The bootstrap's intervals hold the fit, and are the same for any number of threads")
    func intervals() {
        let rates: [Rate] = [(3e3, 0.35, 0.6), (4e4, 0.25, 0.5)]
        // Tallies of 10⁵ tokens (sampling noise), losses off the law by up to ±0.3 %.
        let matched = Self.sizes.map { Self.tallies(rates, at: $0, tokens: 1e5) }
        let truth: [Double] = [2.5, 1.4] + rates.flatMap { [$0.dBreak, $0.gamma, $0.a, 1.0] }
        let losses = Self.sizes.enumerated().map { MatchedLengthLaw.predict(truth, $1) * (1 + 0.003 * sin(Double($0) * 2.1)) }
        let one = ScalingLawFitter.fit(form: .matchedLength, sizes: Self.sizes, losses: losses, bootstrapResamples: 200, seed: 4,
                                       threads: 1, matchedTokens: matched)
        let three = ScalingLawFitter.fit(form: .matchedLength, sizes: Self.sizes, losses: losses, bootstrapResamples: 200, seed: 4,
                                         threads: 3, matchedTokens: matched)
        #expect(one == three)
        #expect(one.bootstrapResamples >= 190)
        for (name, (value, interval)) in zip(one.parameterNames, zip(one.parameters, one.intervals)) {
            guard let range = interval else { Issue.record("\(name): no interval"); continue }
            #expect(range.lowerBound <= value * 1.0001 && value <= range.upperBound * 1.0001, "\(name): \(value) \(range)")
        }
    }

    @Test("E is never negative: where the free fit's E would be, E = 0, and forecasts stay positive")
    func nonNegativeE() {
        let rates: [Rate] = [(3e3, 0.35, 0.6)]
        let matched = Self.sizes.map { Self.tallies(rates, at: $0) }
        let losses = Self.sizes.map { MatchedLengthLaw.predict([-0.2, 5, 3e3, 0.35, 0.6, 1], $0) }
        let fit = ScalingLawFitter.fit(form: .matchedLength, sizes: Self.sizes, losses: losses, bootstrapResamples: 0, matchedTokens: matched)
        #expect(fit.succeeded && fit.parameters[0] == 0 && fit.parameters[1] > 0, "\(fit.parameters)")
        #expect(fit.extrapolations.allSatisfy { $0.predicted > 0 })
        // E at its bound is not identified, by the saturating law's rule.
        #expect(fit.notIdentified == ["E"] && fit.formattedParameters().hasPrefix("E not identified"), "\(fit.formattedParameters())")
        #expect(fit.flags.contains { $0.hasPrefix("E at its bound 0") })
    }

    @Test("No tallies, order 1, or a match rate that falls with D: no fit, and a reason")
    func refusals() {
        let losses = Self.sizes.map { 6 * pow($0, -0.05) }
        let without = ScalingLawFitter.fit(form: .matchedLength, sizes: Self.sizes, losses: losses, bootstrapResamples: 0)
        #expect(!without.succeeded && without.flags.first?.contains("matched length") == true, "\(without.flags)")
        let unigram = ScalingLawFitter.fit(form: .matchedLength, sizes: Self.sizes, losses: losses, bootstrapResamples: 0,
                                           matchedTokens: Self.sizes.map { _ in [1000] })
        #expect(!unigram.succeeded && unigram.flags.first?.contains("order-1") == true, "\(unigram.flags)")
        // Fewer tokens matched as D grows.
        let falling = Self.sizes.indices.map { [100 + 10 * $0, 900 - 10 * $0] }
        #expect(!ScalingLawFitter.fit(form: .matchedLength, sizes: Self.sizes, losses: losses, bootstrapResamples: 0,
                                      matchedTokens: falling).succeeded)
        // The selection goes on with the other forms.
        let selection = ScalingLawSelection.select(tokens: Self.sizes.map { Int($0) }, losses: losses, bootstrapResamples: 0, seed: 1)
        #expect(selection.headline != .matchedLength && selection.candidate(.matchedLength)?.isTested == false)
    }
}
