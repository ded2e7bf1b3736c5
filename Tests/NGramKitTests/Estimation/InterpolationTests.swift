import Foundation
@testable import NGramKit
import Testing

/// Linear interpolation: EM weights at the exact mixture's optimum, the exact mixture's
/// perplexity as Σ λ_i p_i by hand, and the merged model: normalized over the union vocabulary,
/// equal to the exact mixture on its stored n-grams, equal to a model given all the weight.
@Suite struct InterpolationTests {
    static func model(_ smoothing: SmoothingMethod, order: Int, lines: Range<Int>) throws -> NGramModel {
        let all = try TestSupport.lines(of: try TestSupport.sharedFile("fixtures/kenlm/brown.train5k.txt.gz"))
        return try NGramModel.estimate(from: try TestSupport.count(all[lines].joined(separator: "\n") + "\n", order: order),
                                       options: EstimationOptions(smoothing: smoothing))
    }

    static func write(_ model: NGramModel, _ name: String, in directory: URL) throws -> String {
        let path = directory.appendingPathComponent(name).path
        try ARPARoundTripTests.write(model, to: path)
        return path
    }

    @Test("EM: the weights where the exact mixture's perplexity is least; the mixture is Σ λ_i p_i by hand")
    func emOptimum() throws {
        // Three tokens, two models: p1 = (0.5, 0.1, 0.2), p2 = (0.1, 0.4, 0.2).
        let scores = MixtureScores(models: 2, tokens: 3, sentences: 1, oovs: 0, probabilities: [0.5, 0.1, 0.1, 0.4, 0.2, 0.2])
        let half = scores.log10Prob(weights: [0.5, 0.5])
        #expect(abs(half - (log10(0.3) + log10(0.25) + log10(0.2))) < 1e-12)
        var seen: [Double] = []
        let (weights, iterations) = scores.bestWeights(tolerance: 1e-12) { _, _, perplexity in seen.append(perplexity) }
        #expect(iterations > 1 && zip(seen, seen.dropFirst()).allSatisfy { $1 <= $0 + 1e-12 }, "EM never raises the perplexity")
        // At the optimum the derivative Σ_t (p1 − p2) / (λ p1 + (1 − λ) p2) is 0 (the third token cancels).
        let l = weights[0]
        #expect(abs(0.4 / (l * 0.5 + (1 - l) * 0.1) - 0.3 / (l * 0.1 + (1 - l) * 0.4)) < 1e-8)
        #expect(abs(weights.reduce(0, +) - 1) < 1e-12)
        #expect(throws: NGramKitError.self) { try scores.check([0.5, 0.6]) }
        #expect(throws: NGramKitError.self) { try scores.check([1]) }
    }

    @Test("Different vocabularies: a word one model lacks gets 0 from it; the merged model sums to 1 for every context")
    func mergedIsNormalized() throws {
        let a = try Self.model(.kneserNey, order: 3, lines: 0..<1500), b = try Self.model(.wittenBell, order: 2, lines: 1500..<3000)
        let merged = try StaticMixture.merge([a, b], weights: [0.7, 0.3])
        #expect(merged.order == 3)
        #expect(merged.vocabulary.count > a.vocabulary.count && merged.vocabulary.count > b.vocabulary.count)
        let finder = NextWords(model: merged)
        for context in try NextWordsTests.contexts(merged, count: 25) {
            let total = try finder.exhaustive(after: context).reduce(0) { $0 + pow(10, $1.log10Prob) }
            #expect(abs(total - 1) < 1e-9, "context \(context): \(total)")
        }
        // On a stored n-gram the merged model is the exact mixture.
        let the = try #require(merged.vocabulary.lookup("the"))
        let ofA = try #require(a.vocabulary.lookup("the")), ofB = try #require(b.vocabulary.lookup("the"))
        let stateA = ModelState(model: a), stateB = ModelState(model: b), stateM = ModelState(model: merged)
        try stateA.setContext([Vocabulary.beginID]); try stateB.setContext([Vocabulary.beginID]); try stateM.setContext([Vocabulary.beginID])
        let exact = 0.7 * pow(10, try stateA.score(ofA).log10Prob) + 0.3 * pow(10, try stateB.score(ofB).log10Prob)
        #expect(abs(pow(10, try stateM.score(the).log10Prob) - exact) < 1e-12)
    }

    @Test("All the weight on one model: the merged model scores what that model scores; the exact mixture too")
    func oneWeightIsThatModel() throws {
        let directory = try TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        // The same text, so the same vocabulary: every word is known to both.
        let a = try Self.model(.kneserNey, order: 3, lines: 0..<2000), b = try Self.model(.katz, order: 2, lines: 0..<2000)
        let test = try TestSupport.write(Array((try TestSupport.lines(of: try TestSupport.sharedFile("fixtures/kenlm/brown.train5k.txt.gz"))[2000..<2300]
            .joined(separator: "\n") + "\n").utf8), named: "test.txt", in: directory)
        for (weights, alone) in [([1.0, 0.0], a), ([0.0, 1.0], b)] {
            let merged = try StaticMixture.merge([a, b], weights: weights)
            let expected = try Perplexity.evaluate(model: alone, paths: [test]).perplexity
            let got = try Perplexity.evaluate(model: merged, paths: [test]).perplexity
            #expect(abs(got - expected) / expected < 1e-9, "\(weights): \(got) vs \(expected)")
            let exact = try MixtureScores.score(models: [a, b], paths: [test]).perplexity(weights: weights)
            #expect(abs(exact - expected) / expected < 1e-12)
        }
    }

    @Test("interpolate and ppl with several models: EM weights, the merged model written and named, JSON, errors")
    func commandLine() throws {
        let directory = try TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let a = try Self.write(try Self.model(.kneserNey, order: 3, lines: 0..<1500), "a.arpa", in: directory)
        let b = try Self.write(try Self.model(.kneserNey, order: 3, lines: 1500..<3000), "b.arpa", in: directory)
        let dev = try TestSupport.write(Array((try TestSupport.lines(of: try TestSupport.sharedFile("fixtures/kenlm/brown.train5k.txt.gz"))[3000..<3400]
            .joined(separator: "\n") + "\n").utf8), named: "dev.txt", in: directory)
        let merged = directory.appendingPathComponent("mix.bin").path
        let run = try TestSupport.runTool(["interpolate", "--model", a, "--model", b, "--dev", dev, "--binary", merged, "--json"])
        #expect(run.status == 0, "\(run.stderr)")
        let json = try #require(try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: Any])
        let weights = try #require(json["weights"] as? [Double])
        let exact = try #require(json["dev_perplexity"] as? Double), mergedPerplexity = try #require(json["merged_dev_perplexity"] as? Double)
        #expect(weights.count == 2 && (json["history"] as? [Any])?.count == json["iterations"] as? Int)
        // The merged model is close to the exact mixture, not equal.
        #expect(abs(mergedPerplexity - exact) / exact < 0.02)
        let mixed = try TestSupport.runTool(["ppl", "--model", a, "--model", b, "--weights", weights.map { String($0) }.joined(separator: ","),
                                             "--text", dev, "--json"])
        let mixedJSON = try #require(try JSONSerialization.jsonObject(with: Data(mixed.stdout.utf8)) as? [String: Any])
        #expect(abs((mixedJSON["perplexity"] as? Double ?? 0) - exact) / exact < 1e-12)
        let single = try TestSupport.runTool(["ppl", "--model", merged, "--text", dev, "--json"])
        let singleJSON = try #require(try JSONSerialization.jsonObject(with: Data(single.stdout.utf8)) as? [String: Any])
        // The binary stores Float values: the seventh digit may move.
        #expect(abs((singleJSON["perplexity"] as? Double ?? 0) - mergedPerplexity) / mergedPerplexity < 1e-6)
        for bad in [["--weights", "0.5,0.4"], ["--weights", "1"], []] {
            let outcome = try TestSupport.runTool(["ppl", "--model", a, "--model", b, "--text", dev] + bad)
            #expect(outcome.status != 0 && outcome.stderr.split(separator: "\n").count == 1, "\(bad): \(outcome.stderr)")
        }
        let one = try TestSupport.runTool(["interpolate", "--model", a, "--dev", dev, "--arpa", "x.arpa"], in: directory)
        #expect(one.status != 0)
        #expect(try TestSupport.runTool(["query", "--model", a, "--model", b], in: directory).status != 0)
        #expect(!FileManager.default.fileExists(atPath: directory.appendingPathComponent("x.arpa").path))
    }
}
