import Foundation
import NGramKit
import Testing

/// What `ngramkit scale` measures and writes: points equal to build + ppl, falling loss,
/// resumable runs, the output files.
@Suite("Scaling runs")
struct ScalingRunTests {
    static let kjv = ScalingHarnessTests.kjv

    static func measure(_ corpus: ScalingCorpus, _ options: ScalingOptions, skipping done: Set<ScalingPoint.Key> = []) throws -> [ScalingPoint] {
        var points: [ScalingPoint] = []
        try ScalingExperiment(corpus: corpus, options: options).run(skipping: done) { points.append($0) }
        return points
    }

    /// A point without the columns that measure the machine (seconds, memory).
    static func measurement(_ p: ScalingPoint) -> ScalingPoint {
        var copy = p
        copy.countSeconds = 0; copy.estimateSeconds = 0; copy.scoreSeconds = 0; copy.peakResidentBytes = 0
        copy.countCPUSeconds = 0; copy.estimateCPUSeconds = 0
        return copy
    }

    @Test("A point equals the same model built with `ngramkit build` and scored with `ngramkit ppl`")
    func pointEqualsBuildAndPpl() throws {
        let directory = try TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let corpus = try ScalingCorpus(.init(trainingPaths: [Self.kjv], heldoutFraction: 0.05, seed: 5))
        let options = ScalingOptions(orders: [3], schedule: .sizes([60_000]), threads: 2)
        let points = try Self.measure(corpus, options)
        #expect(points.count == 2)
        // The slice, the held-out set and the fixed vocabulary as files.
        let slice = corpus.slice(tokens: 60_000)
        let train = try TestSupport.write(Array(try corpus.sliceText(units: slice.units).utf8), named: "train.txt", in: directory)
        let heldout = try TestSupport.write(Array(corpus.heldoutText().utf8), named: "heldout.txt", in: directory)
        let words = (3..<corpus.vocabulary.count).map { corpus.vocabulary.text(of: UInt32($0)) }
        let vocab = try TestSupport.write(Array((words.joined(separator: "\n") + "\n").utf8), named: "vocab.txt", in: directory)
        for point in points {
            let model = directory.appendingPathComponent("\(point.smoothing.rawValue).arpa").path
            var build = ["build", "--order", "3", "--text", train, "--vocab", vocab, "--arpa", model, "--smoothing", point.smoothing.rawValue]
            if point.smoothing == .stupidBackoff { build.append("--unigram-add-one") }
            let built = try TestSupport.run(CommandLineTests.binary, build)
            #expect(built.status == 0, "\(built.stderr)")
            let ppl = try TestSupport.run(CommandLineTests.binary, ["ppl", "--model", model, "--text", heldout, "--json"])
            #expect(ppl.status == 0, "\(ppl.stderr)")
            let object = try #require(try JSONSerialization.jsonObject(with: Data(ppl.stdout.utf8)) as? [String: Any])
            let tokens = try #require(object["tokens"] as? Int)
            let log10Prob = try #require(object["log10_prob"] as? Double)
            #expect(tokens == point.heldoutTokens)
            #expect(point.tokens == slice.tokens)
            // The ARPA file rounds probabilities to single precision; the in-memory model does not.
            let loss = -log10Prob / Double(tokens) * M_LN10
            #expect(abs(loss - point.lossNats) < 1e-6 * point.lossNats, "\(point.smoothing): \(loss) vs \(point.lossNats)")
            // The tokens by matched length, and their mean loss, are the per-token output's.
            var matched = [Int](repeating: 0, count: 3), log10Sums = [Double](repeating: 0, count: 3)
            _ = try Perplexity.evaluate(model: try ModelFile.load(model), paths: [heldout], threads: 1) { token in
                matched[token.matched - 1] += 1
                log10Sums[token.matched - 1] += token.log10Prob
            }
            #expect(point.matchedTokens == matched, "\(point.smoothing)")
            // C of L(C): CPU seconds spent counting the slice and estimating the model.
            #expect(point.countCPUSeconds > 0 && point.estimateCPUSeconds > 0 && point.computeSeconds.isFinite)
            #expect(matched.reduce(0, +) == point.heldoutTokens && matched.allSatisfy { $0 > 0 })
            for m in 0..<3 {
                let mean = -log10Sums[m] / Double(matched[m]) * M_LN10
                #expect(abs(mean - point.matchedLossNats[m]) < 1e-5 * mean, "\(point.smoothing) length \(m + 1): \(mean) vs \(point.matchedLossNats[m])")
            }
        }
    }

    @Test("On all of ptb.train, the harness's Kneser-Ney points are KenLM's perplexities on ptb.valid")
    func fullPoolMatchesKenLM() throws {
        let corpus = try ScalingCorpus(.init(trainingPaths: [try TestSupport.sharedFile("corpora/ptb/ptb.train.txt.gz")],
                                             heldoutPaths: [try TestSupport.sharedFile("corpora/ptb/ptb.valid.txt.gz")],
                                             minCount: 1, seed: 1))
        let options = ScalingOptions(smoothings: [.kneserNey], orders: [2, 3, 4, 5], schedule: .sizes([100_000_000]), threads: 2)
        let points = try Self.measure(corpus, options)
        #expect(points.count == 4)
        // perplexity.tsv: corpus, order, train, eval, tokens, oovs, ppl including OOVs, ppl excluding OOVs.
        let rows = try TestSupport.lines(of: try TestSupport.sharedFile("fixtures/kenlm/perplexity.tsv")).map { $0.split(separator: "\t").map(String.init) }
        for point in points {
            let row = try #require(rows.first { $0[0] == "ptb" && $0[1] == String(point.order) && $0[3].hasSuffix("ptb.valid.txt.gz") })
            #expect(point.heldoutTokens == Int(row[4]))
            #expect(point.tokens == 887_521)
            let kenlm = try #require(Double(row[6]))
            // KenLM computes in single precision, the harness's in-memory model in double: the
            // project's tolerance, 1e-5 in log10, applied to the per-token average.
            #expect(abs(log10(point.perplexity) - log10(kenlm)) < 1e-5, "order \(point.order): \(point.perplexity) vs KenLM \(kenlm)")
        }
    }

    @Test("Held-out loss of modified Kneser-Ney falls as D grows, at every order ≥ 2; the vocabulary stays the same")
    func kneserNeyLossFalls() throws {
        let corpus = try ScalingCorpus(.init(trainingPaths: [Self.kjv], heldoutFraction: 0.1, seed: 1))
        let options = ScalingOptions(smoothings: [.kneserNey], orders: [2, 3, 4, 5], schedule: .geometric(start: 10_000, factor: 4), threads: 2)
        let points = try Self.measure(corpus, options)
        #expect(points.count == 4 * 4)  // 10k, 40k, 160k, 640k, then the pool (710k) within 10%: 4 slices
        for order in 2...5 {
            let curve = points.filter { $0.order == order }.sorted { $0.tokens < $1.tokens }
            for (a, b) in zip(curve, curve.dropFirst()) {
                #expect(b.lossNats < a.lossNats, "order \(order): \(a.tokens) → \(b.tokens): \(a.lossNats) → \(b.lossNats)")
                #expect(b.heldoutUnseenRate <= a.heldoutUnseenRate)
            }
            // Unigrams are the whole fixed vocabulary at every size.
            #expect(Set(curve.map { $0.ngrams[0] }) == [corpus.vocabulary.count])
        }
    }

    @Test("An interrupted run continues from its points and ends with the points of an uninterrupted one")
    func resume() throws {
        let directory = try TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let corpus = try ScalingCorpus(.init(trainingPaths: [Self.kjv], heldoutFraction: 0.1, seed: 9))
        let options = ScalingOptions(orders: [1, 2], schedule: .sizes([20_000, 50_000, 100_000]), threads: 2)
        let settings = ScalingRun.settings(corpus: corpus, options: options)
        let full = try Self.measure(corpus, options)
        // A run that stops after 3 points (the error stands for an interruption).
        struct Interrupted: Error {}
        let out = directory.appendingPathComponent("run").path
        let first = try ScalingRun(directory: out, settings: settings, fresh: false)
        #expect(throws: Interrupted.self) {
            try ScalingExperiment(corpus: corpus, options: options).run(skipping: first.done) { point in
                if first.points.count == 3 { throw Interrupted() }
                try first.record(point)
            }
        }
        let second = try ScalingRun(directory: out, settings: settings, fresh: false)
        #expect(second.points.count == 3)
        try ScalingExperiment(corpus: corpus, options: options).run(skipping: second.done) { try second.record($0) }
        #expect(second.points.map(Self.measurement) == full.map(Self.measurement))
        // points.csv reads back to the same points, tokens by matched length included.
        let csv = (out as NSString).appendingPathComponent("points.csv")
        let reread = try ScalingPointsFile.read(csv)
        #expect(reread.map(Self.measurement) == full.map(Self.measurement))
        #expect(reread.allSatisfy { $0.hasMatchedLengths && $0.matchedTokens.count == $0.order })
        // A file from before they were measured (21 columns) still resumes, without them.
        let older = try TestSupport.lines(of: csv).map { $0.split(separator: ",", omittingEmptySubsequences: false).prefix(21).joined(separator: ",") }
        try (older.joined(separator: "\n") + "\n").write(toFile: csv, atomically: true, encoding: .utf8)
        let old = try ScalingPointsFile.read(csv)
        #expect(old.count == full.count && old.allSatisfy { !$0.hasMatchedLengths })
        #expect(old.map(\.lossNats) == full.map(\.lossNats))
        // Other settings in the same folder are refused rather than mixed in.
        #expect(throws: NGramKitError.self) { try ScalingRun(directory: out, settings: settings + " ", fresh: false) }
        #expect(try ScalingRun(directory: out, settings: settings + " ", fresh: true).points.isEmpty)
    }
}
