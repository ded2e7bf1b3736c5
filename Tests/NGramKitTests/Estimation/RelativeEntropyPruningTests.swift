import Foundation
@testable import NGramKit
import Testing

/// Relative-entropy pruning (Stolcke 1998) as a specification: what a threshold keeps, the
/// criterion against the relative entropy computed by brute force over the vocabulary, the pruned
/// model as a distribution in every context, a target size met by the smallest threshold, and
/// the same bytes for any number of threads.
@Suite("Relative-entropy pruning")
struct RelativeEntropyPruningTests {
    static let tinyText = """
    the cat sat on the mat
    the dog sat on the log
    a cat saw the dog
    the cat ate the fish
    a dog ate a bone
    the mat is on the floor
    """

    static func tinyModel(order: Int = 3) throws -> NGramModel {
        try NGramModel.estimate(from: try TestSupport.count(tinyText, order: order))
    }

    static func arpaBytes(_ model: NGramModel, threads: Int = 1) throws -> [UInt8] {
        let directory = try TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("m.arpa").path
        try ARPAWriter.write(model, to: path, threads: threads)
        return [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
    }

    static func ids(_ model: NGramModel, _ words: String) throws -> [UInt32] {
        try words.split(separator: " ").map { try #require(model.vocabulary.lookup(String($0))) }
    }

    /// log10 p(w | context) by scoring, as a user of the model gets it.
    static func logProb(_ model: NGramModel, _ context: [UInt32], _ word: UInt32) throws -> Double {
        let state = ModelState(model: model)
        try state.setContext(context)
        return try state.score(word).log10Prob
    }

    // MARK: - What a threshold keeps

    @Test("threshold 0 removes nothing: the same ARPA bytes")
    func thresholdZeroKeepsEverything() throws {
        let model = try Self.tinyModel()
        let pruned = try RelativeEntropyPruning.prune(model, .threshold(0))
        #expect(pruned.removed == [0, 0, 0])
        #expect(pruned.estimatedPerplexityIncrease == 0)
        #expect(try Self.arpaBytes(pruned.model) == Self.arpaBytes(model))
    }

    @Test("a huge threshold leaves the unigrams, every backoff weight 1, and p(w | h) = p(w) everywhere")
    func hugeThresholdLeavesUnigrams() throws {
        let model = try Self.tinyModel()
        let pruned = try RelativeEntropyPruning.prune(model, .threshold(1e9)).model
        #expect(pruned.ngramCounts == [model.ngramCounts[0], 0, 0])
        let cat = try Self.ids(model, "cat")[0], the = try Self.ids(model, "the")[0]
        #expect(pruned.entry("the")?.logBackoff == 0)
        #expect(try Self.logProb(pruned, [Vocabulary.beginID, the], cat) == model.entry("cat")!.logProb)
    }

    @Test("a kept n-gram keeps its context and its suffix; kept values are unchanged")
    func keptNGramsKeepContextAndSuffix() throws {
        let model = try Self.tinyModel()
        let pruned = try RelativeEntropyPruning.prune(model, .threshold(1e-3)).model
        #expect(pruned.totalNGrams < model.totalNGrams && pruned.ngramCounts[2] > 0)
        #expect(pruned.isComplete)
        var checked = 0
        for n in 2...3 {
            let table = pruned.tables[n - 2]
            var words = [UInt32](repeating: 0, count: n)
            for slot in 0..<table.capacity where table.isOccupied(slot) {
                words.withUnsafeMutableBufferPointer { pruned.words(order: n, slot: slot, into: $0.baseAddress!) }
                let text = words.map { pruned.vocabulary.word($0)! }.joined(separator: " ")
                let context = words.dropLast().map { pruned.vocabulary.word($0)! }.joined(separator: " ")
                let suffix = words.dropFirst().map { pruned.vocabulary.word($0)! }.joined(separator: " ")
                #expect(pruned.entry(context) != nil, "context of \(text)")
                #expect(pruned.entry(suffix) != nil, "suffix of \(text)")
                #expect(pruned.entry(text)?.logProb == model.entry(text)?.logProb, "\(text)")
                checked += 1
            }
        }
        #expect(checked == pruned.ngramCounts[1] + pruned.ngramCounts[2])
    }

    // MARK: - The criterion against brute force

    /// The relative entropy, in nats, that removing the n-gram `words` adds to the distribution
    /// after its context h, computed over the whole vocabulary: P(h) Σ_v p(v|h) ln(p(v|h) / p'(v|h)),
    /// where p' backs off for the removed word and renormalizes: every v that is no stored
    /// extension of h gets α' p(v|h'), α' making the distribution sum to 1. P(h) is the chain rule
    /// on the model (P(<s>) = 1).
    static func bruteForceEntropy(_ model: NGramModel, _ words: [UInt32]) throws -> Double {
        let context = Array(words.dropLast()), word = words.last!
        var historyLogProb = 0.0
        for i in context.indices where !(i == 0 && context[0] == Vocabulary.beginID) {
            historyLogProb += try logProb(model, Array(context[..<i]), context[i])
        }
        let vocabulary = (0..<UInt32(model.vocabulary.count)).filter { $0 != Vocabulary.beginID }
        let name = { (ids: [UInt32]) in ids.map { model.vocabulary.word($0)! }.joined(separator: " ") }
        var stayed = 0.0, backedOffLower = 0.0
        var p: [UInt32: Double] = [:], lower: [UInt32: Double] = [:]
        for v in vocabulary {
            p[v] = pow(10, try logProb(model, context, v))
            lower[v] = pow(10, try logProb(model, Array(context.dropFirst()), v))
            if v != word && model.entry(name(context + [v])) != nil { stayed += p[v]! } else { backedOffLower += lower[v]! }
        }
        let newAlpha = (1 - stayed) / backedOffLower
        var entropy = 0.0
        for v in vocabulary {
            let isStored = v != word && model.entry(name(context + [v])) != nil
            let after = isStored ? p[v]! : newAlpha * lower[v]!
            entropy += p[v]! * log(p[v]! / after)
        }
        return pow(10, historyLogProb) * entropy
    }

    @Test("Stolcke's ΔH equals the relative entropy computed over the vocabulary, for every n-gram of orders 2 and 3",
          arguments: [2, 3])
    func criterionMatchesBruteForce(order: Int) throws {
        let model = try Self.tinyModel(order: order)
        let scores = PruningScores(model: model, threads: 1)
        var checked = 0
        for n in 2...order {
            let table = model.tables[n - 2]
            var words = [UInt32](repeating: 0, count: n)
            for slot in 0..<table.capacity where table.isOccupied(slot) {
                words.withUnsafeMutableBufferPointer { model.words(order: n, slot: slot, into: $0.baseAddress!) }
                let formula = log1p(scores.scores[n - 2][slot])
                let exact = try Self.bruteForceEntropy(model, words)
                #expect(abs(formula - exact) <= 1e-12 + 1e-9 * exact, "\(words): \(formula) vs \(exact)")
                checked += 1
            }
        }
        #expect(checked == model.ngramCounts.dropFirst().reduce(0, +))
    }

    @Test("removing one trigram changes the distribution after its context by exactly its ΔH", arguments: [0, 1, 2])
    func removalOfOneNGramCostsDeltaH(pick: Int) throws {
        // Every entry kept but one trigram (a trigram is no context and no suffix of another
        // n-gram), the backoff of its context renormalized: the distribution after h is p', and
        // its relative entropy is the trigram's ΔH.
        let model = try Self.tinyModel()
        let scores = PruningScores(model: model, threads: 1)
        let table = model.tables[1]
        let trigrams = (0..<table.capacity).filter { table.isOccupied($0) }.sorted { scores.scores[1][$0] < scores.scores[1][$1] }
        let slot = trigrams[pick * trigrams.count / 3]
        let keep = model.tables.map { t in
            let flags = LargeBuffer<UInt8>(zeroedCount: t.capacity)
            for s in 0..<t.capacity where t.isOccupied(s) { flags[s] = 1 }
            return flags
        }
        keep[1][slot] = 0
        let pruned = try scores.model(keeping: .init(keep: keep, ngrams: model.totalNGrams - 1))
        #expect(pruned.ngramCounts == [model.ngramCounts[0], model.ngramCounts[1], model.ngramCounts[2] - 1])
        var words = [UInt32](repeating: 0, count: 3)
        words.withUnsafeMutableBufferPointer { model.words(order: 3, slot: slot, into: $0.baseAddress!) }
        let context = Array(words.dropLast())
        var entropy = 0.0, sum = 0.0
        for v in (0..<UInt32(model.vocabulary.count)) where v != Vocabulary.beginID {
            let p = pow(10, try Self.logProb(model, context, v)), after = pow(10, try Self.logProb(pruned, context, v))
            entropy += p * log(p / after)
            sum += after
        }
        var historyLogProb = 0.0
        for i in context.indices where !(i == 0 && context[0] == Vocabulary.beginID) {
            historyLogProb += try Self.logProb(model, Array(context[..<i]), context[i])
        }
        let deltaH = log1p(scores.scores[1][slot])
        #expect(abs(sum - 1) < 1e-12, "\(sum)")
        #expect(abs(pow(10, historyLogProb) * entropy - deltaH) <= 1e-9 * deltaH + 1e-15, "\(pow(10, historyLogProb) * entropy) vs \(deltaH)")
    }

    // MARK: - The pruned model is a distribution

    @Test("a pruned Brown model sums to 1 in every context (orders 3 and 4, three thresholds)",
          arguments: [(3, 1e-7), (3, 1e-5), (4, 1e-6)])
    func prunedModelSumsToOne(order: Int, threshold: Double) throws {
        let counts = try NormalizationTests.brownCounts(order: order)
        let contexts = try NormalizationTests.sampleContexts(counts, seed: 0x5EED + UInt64(order))
        let model = try NGramModel.estimate(consuming: counts, options: .init())
        let result = try RelativeEntropyPruning.prune(model, .threshold(threshold))
        #expect(result.removed.reduce(0, +) > model.totalNGrams / 10, "\(result.removed)")
        for (context, sum) in zip(contexts, try NormalizationTests.sums(result.model, contexts)) {
            #expect(abs(sum - 1) < 1e-9, "\(context.kind.rawValue) \(context.ids): \(sum)")
        }
    }

    // MARK: - A target size

    @Test("a target number of n-grams is met by the smallest threshold that meets it")
    func targetMetBySmallestThreshold() throws {
        let counts = try NormalizationTests.brownCounts(order: 3)
        let model = try NGramModel.estimate(consuming: counts, options: .init())
        let target = model.totalNGrams / 4
        let result = try RelativeEntropyPruning.prune(model, .targetNGrams(target))
        #expect(result.model.totalNGrams <= target)
        #expect(result.model.totalNGrams > target * 99 / 100, "\(result.model.totalNGrams) of \(target)")
        let lower = try RelativeEntropyPruning.prune(model, .threshold(result.threshold.nextDown))
        #expect(lower.model.totalNGrams > target)
        let same = try RelativeEntropyPruning.prune(model, .threshold(result.threshold))
        #expect(try Self.arpaBytes(same.model) == Self.arpaBytes(result.model))
    }

    @Test("a target below the unigrams keeps the unigrams only")
    func targetBelowUnigrams() throws {
        let model = try Self.tinyModel()
        let result = try RelativeEntropyPruning.prune(model, .targetNGrams(1))
        #expect(result.model.ngramCounts == [model.ngramCounts[0], 0, 0])
    }

    @Test("the same bytes for any number of threads, through ARPA and binary")
    func sameBytesAnyThreads() throws {
        let counts = try NormalizationTests.brownCounts(order: 4)
        let model = try NGramModel.estimate(consuming: counts, options: .init())
        let one = try RelativeEntropyPruning.prune(model, .threshold(1e-7), threads: 1)
        let four = try RelativeEntropyPruning.prune(model, .threshold(1e-7), threads: 4)
        #expect(try Self.arpaBytes(one.model) == Self.arpaBytes(four.model, threads: 3))
        let directory = try TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let arpa = directory.appendingPathComponent("p.arpa").path, binary = directory.appendingPathComponent("p.bin").path
        let compiled = directory.appendingPathComponent("c.bin").path
        try ARPAWriter.write(one.model, to: arpa)
        _ = try BinaryModelWriter.write(four.model, to: binary)
        // The binary file is the one `compile` makes of the ARPA file, and a pruned model read
        // back from it is pruned no further at threshold 0.
        _ = try BinaryModelWriter.compile(arpa, to: compiled, threads: 2)
        #expect(try Data(contentsOf: URL(fileURLWithPath: binary)) == Data(contentsOf: URL(fileURLWithPath: compiled)))
        let again = try RelativeEntropyPruning.prune(try ModelFile.load(binary), .threshold(0))
        #expect(again.model.ngramCounts == one.model.ngramCounts)
    }

    @Test("criterion bounds: a negative or non-finite threshold and a target below 1 are refused")
    func criterionBounds() throws {
        let model = try Self.tinyModel()
        for criterion in [PruningCriterion.threshold(-1), .threshold(.nan), .threshold(.infinity), .targetNGrams(0)] {
            #expect(throws: NGramKitError.self) { try RelativeEntropyPruning.prune(model, criterion) }
        }
    }
}

extension RelativeEntropyPruningTests {
    @Test("A model read from an ARPA file with holes (filled-in suffixes): pruned in memory, its ARPA read back and its binary score alike")
    func incompleteModel() throws {
        let directory = try TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let source = try ModelFile.load(try PrunedModelTests.prunedBrown(in: directory))
        #expect(!source.isComplete && source.filled.contains { !$0.isEmpty })
        let test = try TestSupport.sharedFile("fixtures/kenlm/brown.test1k.txt.gz")
        for threshold in [0, 1e-7] {
            let pruned = try RelativeEntropyPruning.prune(source, .threshold(threshold)).model
            let arpa = directory.appendingPathComponent("p\(threshold).arpa").path, binary = directory.appendingPathComponent("p\(threshold).bin").path
            try ARPAWriter.write(pruned, to: arpa)
            _ = try BinaryModelWriter.write(pruned, to: binary)
            let inMemory = try Perplexity.evaluate(model: pruned, paths: [test], threads: 1).log10Prob
            let readBack = try Perplexity.evaluate(model: try ModelFile.load(arpa), paths: [test], threads: 1).log10Prob
            let mapped = try Perplexity.evaluate(model: try ModelFile.load(binary), paths: [test], threads: 1).log10Prob
            // Single precision in the files: about 1e-7 relative per value.
            #expect(abs(readBack - inMemory) < 1e-6 * abs(inMemory), "threshold \(threshold): \(readBack) vs \(inMemory)")
            #expect(abs(mapped - inMemory) < 1e-6 * abs(inMemory), "threshold \(threshold): \(mapped) vs \(inMemory)")
            if threshold == 0 {
                // Nothing removed; the weights are recomputed (the file with holes was not
                // normalized), as SRILM recomputes every weight after pruning.
                #expect(pruned.ngramCounts == source.ngramCounts)
            }
        }
    }
}
