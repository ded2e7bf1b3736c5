import Foundation
import NGramKit
import Testing

/// Estimation on any number of threads gives the same model, bit for bit: the context sums of
/// Kneser-Ney's stage 2 (each thread owns a range of contexts), the interpolation (pieces of the
/// table), the log10 pass; and the whole build pipeline's ARPA and binary bytes.
@Suite("Estimation: threads")
struct EstimationThreadsTests {
    @Test("Kneser-Ney and Stupid Backoff on 1, 2, 3 and 7 threads: identical models", arguments: SmoothingMethod.allCases)
    func identicalModels(smoothing: SmoothingMethod) throws {
        // Large enough that every parallel loop cuts its range into pieces (2^16 slots and more).
        let corpus = TestSupport.packageRoot.appendingPathComponent("Corpora/kjv.txt.gz").path
        let counter = try NGramCounter(order: 4)
        var tokenizer = WhitespaceTokenizer()
        try counter.addFiles([corpus], tokenizer: &tokenizer)
        let counts = try counter.finish()
        #expect(counts.uniqueCount(order: 3) > 1 << 17)
        let options = EstimationOptions(smoothing: smoothing)
        let reference = try NGramModel.estimate(from: counts, options: options, threads: 1)
        for threads in [2, 3, 7] {
            let model = try NGramModel.estimate(from: counts, options: options, threads: threads)
            #expect(model.isIdentical(to: reference), "\(smoothing), \(threads) threads")
        }
        // The negative control: a different model is not identical.
        let other = try NGramModel.estimate(from: counts, options: EstimationOptions(smoothing: smoothing, alpha: 0.5,
                                                                                      discountFallback: KneserNeyDiscount(0.4, 0.9, 1.4)), threads: 2)
        if smoothing == .stupidBackoff { #expect(!other.isIdentical(to: reference)) }
    }

    @Test("build --threads 1, 2 and 5: the same ARPA and binary bytes")
    func buildPipeline() throws {
        let directory = try TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let train = try TestSupport.sharedFile("corpora/ptb/ptb.valid.txt.gz")
        var outputs: [[Data]] = []
        for threads in [1, 2, 5] {
            let arpa = directory.appendingPathComponent("t\(threads).arpa"), binary = directory.appendingPathComponent("t\(threads).bin")
            let summary = try BuildPipeline.run(BuildConfiguration(order: 4, source: .text(paths: [train], tokenizer: try TokenizerConfiguration()),
                                                                   arpaPath: arpa.path, binaryPath: binary.path, threads: threads))
            #expect(summary.ngrams[3] > 10_000)
            outputs.append([try Data(contentsOf: arpa), try Data(contentsOf: binary)])
        }
        #expect(outputs[1] == outputs[0] && outputs[2] == outputs[0])
    }
}
