import Foundation
@testable import NGramKit
import Testing

/// Count thresholds (`build --prune`, as `lmplz --prune`): a pruned n-gram's adjusted count goes to
/// its context's backoff instead of its discount, the discounts are those of the unpruned counts,
/// and every context still sums to 1. (Parity with lmplz: `KenLMARPAParityTests`.)
@Suite("Count pruning (lmplz --prune)")
struct CountPruningTests {
    @Test("By hand, order 2 with 0 1: the singleton bigrams of 'the' go, γ(the) takes their counts, and they back off")
    func handComputed() throws {
        let text = RelativeEntropyPruningTests.tinyText
        let counts = try TestSupport.count(text, order: 2)
        let full = try NGramModel.estimate(from: counts)
        let pruned = try NGramModel.estimate(from: counts, options: EstimationOptions(countThresholds: [0, 1]))
        // The bigrams after "the" and their counts (raw = adjusted at the highest order).
        let after = ["the cat": 2, "the mat": 2, "the dog": 2, "the log": 1, "the fish": 1, "the floor": 1]
        for (bigram, count) in after { #expect(counts.count(of: bigram) == UInt64(count), "\(bigram)") }
        #expect(after.values.reduce(0, +) == 9)
        let d = full.provenance.discounts[1]
        // γ(the) = (the discounts of the kept, D2 each, plus the whole counts of the pruned) / Σ.
        let gamma = (3 * Double(d.d2) + 3.0) / 9
        #expect(abs(pruned.entry("the")!.logBackoff - log10(gamma)) < 1e-12)
        #expect(pruned.entry("the log") == nil && pruned.entry("the cat") != nil)
        // A kept bigram keeps its discounted share: (2 − D2)/9 + γ·p(cat).
        let cat = (2 - Double(d.d2)) / 9 + gamma * pow(10, pruned.entry("cat")!.logProb)
        #expect(abs(pruned.entry("the cat")!.logProb - log10(cat)) < 1e-12)
        // The pruned one backs off: p(log | the) = γ(the)·p(log).
        let state = ModelState(model: pruned)
        try state.setContext([try #require(pruned.vocabulary.lookup("the"))])
        let log = try state.score(try #require(pruned.vocabulary.lookup("log"))).log10Prob
        #expect(abs(log - (log10(gamma) + pruned.entry("log")!.logProb)) < 1e-12)
        // The discounts and the unigrams are the unpruned model's.
        #expect(pruned.provenance.discounts == full.provenance.discounts)
        #expect(pruned.entry("log")!.logProb == full.entry("log")!.logProb)
    }

    @Test("A count-pruned Brown model sums to 1 in every context", arguments: [[UInt64]([0, 1, 1]), [0, 0, 2], [0, 1, 3]])
    func sumsToOne(thresholds: [UInt64]) throws {
        let counts = try NormalizationTests.brownCounts(order: 3)
        let contexts = try NormalizationTests.sampleContexts(counts, seed: 0xC0DE)
        let full = counts.uniqueCount(order: 3)
        let model = try NGramModel.estimate(consuming: counts, options: EstimationOptions(countThresholds: thresholds))
        #expect(model.ngramCounts[2] < full / 2, "\(model.ngramCounts)")
        for (context, sum) in zip(contexts, try NormalizationTests.sums(model, contexts)) {
            #expect(abs(sum - 1) < 1e-9, "\(context.kind.rawValue) \(context.ids): \(sum)")
        }
    }

    @Test("Bad thresholds are refused: decreasing, unigrams, Stupid Backoff, a build past its memory budget")
    func refusals() throws {
        for options in [EstimationOptions(countThresholds: [0, 2, 1]), EstimationOptions(countThresholds: [1, 1]),
                        EstimationOptions(smoothing: .stupidBackoff, countThresholds: [0, 1])] {
            #expect(throws: NGramKitError.self) { try options.validate() }
        }
        let text = try TestSupport.sharedFile("corpora/ptb/ptb.train.txt.gz")
        let directory = try TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let out = directory.appendingPathComponent("m.arpa").path
        let result = try TestSupport.runTool(["build", "--order", "3", "--text", text, "--prune", "0", "1", "--memory", "8M", "--arpa", out])
        #expect(result.status != 0 && result.errorLines.count == 1 && result.stderr.contains("pruning works on a model in memory"), "\(result.stderr)")
        #expect(!FileManager.default.fileExists(atPath: out))
        let decreasing = try TestSupport.runTool(["build", "--order", "3", "--text", text, "--prune", "0", "2", "1", "--arpa", out])
        #expect(decreasing.status != 0 && decreasing.stderr.contains("non-decreasing"), "\(decreasing.stderr)")
    }
}
