import Foundation
@testable import NGramKit
import Testing

/// The report's check that the held-out set did not leak into the training pool.
@Suite("Held-out sentences found in the pool")
struct HeldoutOverlapTests {
    static func corpus(training: String, heldout: String, in directory: URL) throws -> ScalingCorpus {
        let train = try TestSupport.write(Array(training.utf8), named: "train.txt", in: directory)
        let held = try TestSupport.write(Array(heldout.utf8), named: "held.txt", in: directory)
        return try ScalingCorpus(.init(trainingPaths: [train], heldoutPaths: [held], minCount: 1, seed: 1))
    }

    @Test("Hand-counted: a sentence of the pool, a repeated one, a prefix and a longer line are told apart")
    func handCounted() throws {
        let directory = try TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let corpus = try Self.corpus(training: "a b c\nthe same line\nd e\nx y z w\n",
                                     heldout: "the same line\nthe same line\na b\na b c d\nd e\nnew words here\n", in: directory)
        // "the same line" twice and "d e" are in the pool; "a b" (a prefix of a pool line) and
        // "a b c d" (a pool line and one more word) are not, nor is the line of new words.
        let overlap = corpus.heldoutOverlap()
        #expect(overlap.heldoutSentences == 6)
        #expect(overlap.sentencesInPool == 3)
        #expect(abs(overlap.share - 0.5) < 1e-12)
        #expect(overlap.tokensInPool == 3 + 3 + 2 && overlap.heldoutTokens == 3 + 3 + 2 + 4 + 2 + 3)
    }

    @Test("Disjoint text: nothing found, and the report says so without a warning; repeated text: the warning")
    func reported() throws {
        let directory = try TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let clean = try Self.corpus(training: (0..<200).map { "w\($0) x\($0 % 7) y" }.joined(separator: "\n") + "\n",
                                    heldout: (0..<50).map { "x\($0 % 7) w\($0) z" }.joined(separator: "\n") + "\n", in: directory)
        #expect(clean.heldoutOverlap() == ScalingCorpus.HeldoutOverlap(sentencesInPool: 0, heldoutSentences: 50, tokensInPool: 0, heldoutTokens: 150))
        let options = ScalingOptions(smoothings: [.kneserNey], orders: [1], schedule: .sizes([100]))
        let cleanReport = ScalingReport(corpus: clean, options: options, points: [], plan: [], bootstrapResamples: 0, seed: 1, warnings: [])
        #expect(cleanReport.markdown().contains("0 of 50 (0.00%), holding 0.00% of the held-out words."))
        #expect(!cleanReport.markdown().contains("**Warning:**"))
        let leaky = try Self.corpus(training: (0..<200).map { "w\($0) x\($0 % 7) y" }.joined(separator: "\n") + "\n",
                                    heldout: (0..<50).map { $0 == 0 ? "w3 x3 y" : "x\($0 % 7) w\($0) z" }.joined(separator: "\n") + "\n",
                                    in: directory)
        let leakyReport = ScalingReport(corpus: leaky, options: options, points: [], plan: [], bootstrapResamples: 0, seed: 1, warnings: [])
        #expect(leaky.heldoutOverlap().sentencesInPool == 1)
        #expect(leakyReport.markdown().contains("1 of 50 (2.00%), holding 2.00% of the held-out words. **Warning:**"))
        #expect(leakyReport.fitsJSON().contains("\"heldout_sentences_in_pool\": 1,"))
    }
}
