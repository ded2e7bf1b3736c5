import Foundation
@testable import NGramKit
import Testing

/// `scale --prune`: pruned models as points of their own, the joint law L(N, D), and the
/// frontier of loss against model bytes.
@Suite("Scaling with pruning: the model-size axis")
struct ScalingPruningTests {
    static func corpus() throws -> ScalingCorpus {
        try ScalingCorpus(.init(trainingPaths: [ScalingRunTests.kjv], heldoutFraction: 0.05, seed: 7))
    }

    static func options(_ thresholds: [Double], sizes: [Int] = [20_000, 60_000]) -> ScalingOptions {
        var options = ScalingOptions(smoothings: [.kneserNey], orders: [1, 3], schedule: .sizes(sizes), threads: 2)
        options.pruneThresholds = thresholds
        return options
    }

    @Test("A pruned point is its slice's model pruned and scored: the same loss, n-grams and binary bytes, to the bit")
    func prunedPointIsThePrunedModel() throws {
        let corpus = try Self.corpus()
        let points = try ScalingRunTests.measure(corpus, Self.options([1e-6, 1e-5]))
        // Unigram models are not pruned: per slice one unigram point, three trigram points.
        #expect(points.count == 2 * (1 + 3))
        #expect(points.filter { $0.order == 1 }.allSatisfy { !$0.isPruned && $0.binaryBytes == nil })
        let slice = corpus.slice(tokens: 60_000)
        let counts = try corpus.withSlice(streamCount: slice.streamCount) {
            try NGramCounter.count(ids: $0, vocabulary: corpus.vocabulary, order: 3, threads: 1)
        }
        let model = try NGramModel.estimate(from: counts)
        let directory = try TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        for threshold in [0, 1e-6, 1e-5] {
            let point = try #require(points.first { $0.order == 3 && $0.requestedTokens == 60_000 && $0.pruneThreshold == threshold })
            let pruned = threshold == 0 ? model : try RelativeEntropyPruning.prune(model, .threshold(threshold)).model
            let result = try corpus.withHeldout {
                try HeldOutScorer.score(model: pruned, ids: $0, sentenceStarts: corpus.heldoutSentenceStarts, threads: 1)
            }
            #expect(point.lossNats == -result.log10Prob / Double(result.tokens) * M_LN10, "threshold \(threshold)")
            #expect(point.ngrams == pruned.ngramCounts)
            let path = directory.appendingPathComponent("m\(threshold).bin").path
            #expect(point.binaryBytes == (try BinaryModelWriter.write(pruned, to: path)).bytes)
            #expect(try Data(contentsOf: URL(fileURLWithPath: path)).count == point.binaryBytes)
        }
        // A higher threshold keeps a subset: fewer n-grams at every slice.
        for requested in [20_000, 60_000] {
            let sizes = [0, 1e-6, 1e-5].map { t in points.first { $0.order == 3 && $0.requestedTokens == requested && $0.pruneThreshold == t }!.totalNGrams }
            #expect(sizes[0] > sizes[1] && sizes[1] > sizes[2], "\(sizes)")
        }
    }

    @Test("Pruning adds points and changes none; a run continued with --prune measures only the pruned ones")
    func pruningAddsPoints() throws {
        let corpus = try Self.corpus()
        let plain = try ScalingRunTests.measure(corpus, Self.options([]))
        let continued = try ScalingRunTests.measure(corpus, Self.options([1e-5]), skipping: Set(plain.map(\.key)))
        #expect(continued.count == 2)
        #expect(continued.allSatisfy { $0.isPruned && $0.order == 3 && $0.binaryBytes != nil })
        let whole = try ScalingRunTests.measure(corpus, Self.options([1e-5]))
        var strip = whole.filter { !$0.isPruned }.map(ScalingRunTests.measurement)
        for i in strip.indices { strip[i].binaryBytes = nil }
        #expect(strip == plain.map(ScalingRunTests.measurement))
        #expect(whole.filter(\.isPruned).map(ScalingRunTests.measurement) == continued.map(ScalingRunTests.measurement))
    }

    @Test("points.csv keeps the threshold and the bytes; a file written before pruning reads as unpruned points")
    func pointsFileRoundTrip() throws {
        let directory = try TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let points = try ScalingRunTests.measure(try Self.corpus(), Self.options([1e-5], sizes: [20_000]))
        let path = directory.appendingPathComponent("points.csv").path
        try ScalingPointsFile.render(points).write(toFile: path, atomically: true, encoding: .utf8)
        // (Seconds are written rounded.)
        #expect(try ScalingPointsFile.read(path).map(ScalingRunTests.measurement) == points.map(ScalingRunTests.measurement))
        // The same rows without the two pruning columns: a points.csv of the version before.
        let old = ScalingPointsFile.render(points.filter { !$0.isPruned }).split(separator: "\n").map { line in
            line.split(separator: ",", omittingEmptySubsequences: false).dropLast(2).joined(separator: ",")
        }.joined(separator: "\n") + "\n"
        try old.write(toFile: path, atomically: true, encoding: .utf8)
        let read = try ScalingPointsFile.read(path)
        var expected = points.filter { !$0.isPruned }
        for i in expected.indices { expected[i].binaryBytes = nil }
        #expect(read.map(ScalingRunTests.measurement) == expected.map(ScalingRunTests.measurement))
    }

    @Test("The joint law is recovered from exact points of a known L(N, D)")
    func jointLawRecovered() throws {
        var ngrams: [Int] = [], tokens: [Int] = [], losses: [Double] = [], slices: [Int] = []
        let truth = (e: 1.7, a: 40.0, alpha: 0.35, b: 25.0, beta: 0.28)
        for (s, d) in [10_000, 30_000, 100_000, 300_000, 1_000_000, 3_000_000].enumerated() {
            for keep in [1.0, 0.5, 0.2, 0.05] {
                let n = Int(Double(d) * 1.5 * keep)
                ngrams.append(n); tokens.append(d); slices.append(s)
                losses.append(truth.e + truth.a * pow(Double(n), -truth.alpha) + truth.b * pow(Double(d), -truth.beta))
            }
        }
        let fit = try #require(JointScalingLawFit.fit(ngrams: ngrams, tokens: tokens, losses: losses, slices: slices,
                                                      thresholds: losses.map { _ in 0 }, bootstrapResamples: 0, seed: 1))
        #expect(abs(fit.e - truth.e) < 1e-3 && abs(fit.alpha - truth.alpha) < 1e-3 && abs(fit.beta - truth.beta) < 1e-3, "\(fit)")
        #expect(abs(fit.a / truth.a - 1) < 1e-2 && abs(fit.b / truth.b - 1) < 1e-2, "\(fit)")
        #expect(fit.rmsRelativeResidual < 1e-6)
        // Backtests on exact points predict exactly.
        #expect(!fit.backtests.isEmpty)
        #expect(fit.backtests.allSatisfy { $0.meanAbsoluteError < 1e-4 }, "\(fit.backtests.map(\.meanAbsoluteError))")
    }

    @Test("The study: entries per slice and threshold, a joint fit, and budgets whose best measured loss falls as they grow")
    func studyAndFrontier() throws {
        let corpus = try Self.corpus()
        let options = Self.options([1e-6, 1e-5, 1e-4], sizes: [10_000, 20_000, 40_000, 80_000])
        let points = try ScalingRunTests.measure(corpus, options)
        let study = try #require(ModelSizeStudy(points: points, options: options, bootstrapResamples: 100, seed: 1))
        #expect(study.entries.count == 4 * 4)
        #expect(study.entries.allSatisfy { $0.order == 3 && $0.bytes != nil && $0.unprunedLossNats != nil })
        let curve = try #require(study.curves.first)
        #expect(curve.fit != nil)
        let budgets = study.budgets(.kneserNey)
        #expect(budgets.count >= 2)
        let measured = budgets.map { $0.measured!.lossNats }
        #expect(zip(measured, measured.dropFirst()).allSatisfy { $0 >= $1 }, "\(measured)")
        #expect(budgets.allSatisfy { $0.measured!.bytes! <= $0.bytes })
        // The interpolated best slice is never worse than the best measured model within the budget.
        #expect(budgets.allSatisfy { $0.bestSlice!.lossNats <= $0.measured!.lossNats + 1e-12 })
        // The frontier: ascending bytes, descending loss.
        let frontier = study.frontier(.kneserNey)
        #expect(zip(frontier, frontier.dropFirst()).allSatisfy { $0.bytes! <= $1.bytes! && $0.lossNats > $1.lossNats })
        // Without --prune there is no study, and the curves hold unpruned points only.
        #expect(ModelSizeStudy(points: points.filter { !$0.isPruned }, options: Self.options([])) == nil)
        let report = ScalingReport(corpus: corpus, options: options, points: points,
                                   plan: ScalingExperiment(corpus: corpus, options: options).slices(),
                                   bootstrapResamples: 100, seed: 1, warnings: [])
        #expect(report.curves.allSatisfy { $0.repeats.allSatisfy { $0.allSatisfy { !$0.isPruned } } })
        let markdown = report.markdown()
        #expect(markdown.contains("## Model size: pruning, L(N, D) and the frontier"))
        #expect(markdown.contains("Prune harder on more data, or train on less?"))
        #expect(report.fitsJSON().contains("\"joint_fits\": [\n    {\"smoothing\": \"kneser-ney\", \"order\": 3"))
    }
}

extension ModelSizeStudy {
    init?(points: [ScalingPoint], options: ScalingOptions) {
        self.init(points: points, options: options, bootstrapResamples: 0, seed: 0)
    }
}

extension ScalingPruningTests {
    @Test("A model whose pruning would not fit the budget is measured unpruned, with a warning naming it")
    func pruningPastTheBudget() throws {
        let corpus = try Self.corpus()
        let directory = try TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        var options = Self.options([1e-6], sizes: [60_000])
        // Room for the counts and the model of 60k tokens, not for pruning it.
        options.memory = try MemoryBudget(bytes: corpus.memoryFootprint + (6 << 20), temporaryDirectory: directory.path)
        var warnings: [String] = []
        let experiment = ScalingExperiment(corpus: corpus, options: options)
        experiment.warn = { warnings.append($0) }
        var points: [ScalingPoint] = []
        try experiment.run(skipping: []) { points.append($0) }
        let trigram = try #require(points.first { $0.order == 3 && !$0.isPruned })
        #expect(trigram.modelBytes > 0, "the model was built in memory")
        #expect(points.allSatisfy { !$0.isPruned })
        #expect(warnings.contains { $0.contains("order 3: not pruned") && $0.contains("memory budget") }, "\(warnings)")
    }
}
