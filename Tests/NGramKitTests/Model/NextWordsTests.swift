import Foundation
@testable import NGramKit
import Testing

/// `NextWords`: the best next words from the successor index, equal bit for bit to scoring every
/// word of the vocabulary, for models in memory, binary models with and without a stored index,
/// every smoothing, and ARPA files with blanks and filled suffixes.
@Suite struct NextWordsTests {
    /// A bigram model written by hand (not normalized: only the backoff form matters here).
    static let handARPA = """
    \\data\\
    ngram 1=5
    ngram 2=3

    \\1-grams:
    -1.0\t<unk>\t0
    -99\t<s>\t-0.3
    -0.5\t</s>
    -0.6\ta\t-0.2
    -0.7\tb\t-0.1

    \\2-grams:
    -0.1\t<s>\ta
    -0.4\ta\tb
    -0.3\ta\t</s>

    \\end\\

    """

    @Test("Hand-computed: successors first by their own probability, the rest by backoff times the unigram")
    func handComputed() throws {
        let directory = try TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = try TestSupport.write(Array(Self.handARPA.utf8), named: "hand.arpa", in: directory)
        let model = try ARPAReader.read(path)
        let finder = NextWords(model: model)
        let a = try #require(model.vocabulary.lookup("a")), b = try #require(model.vocabulary.lookup("b"))
        // After "a": </s> -0.3 and b -0.4 are stored; a = -0.2 + -0.6, <unk> = -0.2 + -1.0.
        let all = try finder.top(10, after: [a])
        #expect(all.map(\.word) == [Vocabulary.endID, b, a, Vocabulary.unknownID])
        #expect(zip(all.map(\.log10Prob), [-0.3, -0.4, -0.2 + -0.6, -0.2 + -1.0]).allSatisfy { abs($0 - $1) < 1e-6 })
        #expect(try finder.top(2, after: [a]).map(\.word) == [Vocabulary.endID, b])
        // After <s>: a is stored (-0.1); the others back off by -0.3; <s> is never predicted.
        let start = try finder.top(10, after: [Vocabulary.beginID])
        #expect(start.map(\.word) == [a, Vocabulary.endID, b, Vocabulary.unknownID])
        #expect(zip(start.map(\.log10Prob), [-0.1, -0.3 + -0.5, -0.3 + -0.7, -0.3 + -1.0]).allSatisfy { abs($0 - $1) < 1e-6 })
        // No context: the unigrams.
        #expect(try finder.top(1, after: []).map(\.word) == [Vocabulary.endID])
        #expect(try finder.exhaustive(after: [a]).map(\.word) == all.map(\.word))
        #expect(throws: NGramKitError.self) { try finder.top(0, after: [a]) }
        #expect(throws: NGramKitError.self) { try finder.top(3, after: [99]) }
    }

    static func model(_ smoothing: SmoothingMethod, order: Int = 4, thresholds: [UInt64] = []) throws -> NGramModel {
        let counter = try NGramCounter(order: order)
        try counter.addFiles([try TestSupport.sharedFile("fixtures/kenlm/brown.train5k.txt.gz")], configuration: TokenizerConfiguration())
        return try NGramModel.estimate(from: try counter.finish(), options: EstimationOptions(smoothing: smoothing, countThresholds: thresholds))
    }

    /// Contexts: histories of the test text (sentence starts, mid-sentence, long ones cut to
    /// the order), unknown words, and the empty context.
    static func contexts(_ model: NGramModel, count: Int) throws -> [[UInt32]] {
        let lines = try TestSupport.lines(of: try TestSupport.sharedFile("fixtures/kenlm/brown.test1k.txt.gz"))
        var contexts: [[UInt32]] = [[], [Vocabulary.unknownID], [Vocabulary.unknownID, Vocabulary.unknownID, Vocabulary.unknownID]]
        var rng = SplitMix64(seed: 7)
        while contexts.count < count {
            let words = try model.contextIDs(lines[rng.index(below: lines.count)], sentenceStart: true)
            guard words.count > 1 else { continue }
            let end = 1 + rng.index(below: words.count - 1)
            contexts.append(Array(words[..<end].suffix(1 + rng.index(below: model.order + 1))))
        }
        return contexts
    }

    static func expectSame(_ model: NGramModel, contexts: Int = 40, tops: [Int] = [1, 10, 40]) throws {
        let finder = NextWords(model: model)
        for context in try Self.contexts(model, count: contexts) {
            let all = try finder.exhaustive(after: context)
            for k in tops {
                let fast = try finder.top(k, after: context)
                let slow = Array(all.prefix(k))
                #expect(fast.map(\.word) == slow.map(\.word) && fast.map(\.log10Prob) == slow.map(\.log10Prob),
                        "context \(context), top \(k): \(fast.prefix(3)) vs \(slow.prefix(3))")
            }
        }
    }

    @Test("Top K equals the loop over the vocabulary, for every smoothing, in memory",
          arguments: [SmoothingMethod.kneserNey, .stupidBackoff, .katz, .wittenBell, .absoluteDiscounting, .additive])
    func sameAsExhaustiveInMemory(smoothing: SmoothingMethod) throws {
        try Self.expectSame(try Self.model(smoothing, order: smoothing == .additive ? 2 : 4))
    }

    @Test("Top K equals the loop: binary models with the index stored and without, and a pruned ARPA file with holes")
    func sameAsExhaustiveBinaryAndPruned() throws {
        let directory = try TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let model = try Self.model(.kneserNey, thresholds: [0, 1, 1])
        let stored = directory.appendingPathComponent("stored.bin").path
        let plain = directory.appendingPathComponent("plain.bin").path
        try BinaryModelWriter.write(model, to: stored, successors: true)
        try BinaryModelWriter.write(model, to: plain)
        let withIndex = try ModelFile.load(stored), without = try ModelFile.load(plain)
        #expect(NextWords(model: withIndex).indexIsStored && !NextWords(model: without).indexIsStored)
        try Self.expectSame(withIndex)
        try Self.expectSame(without)
        // KenLM's pruned model: the reader fills in missing suffixes and blanks missing contexts.
        let kenlm = TestSupport.packageRoot.appendingPathComponent("Tests/Fixtures/brown2k.o4.prune0112.kenlm.arpa.gz").path
        let pruned = try ARPAReader.read(kenlm)
        try Self.expectSame(pruned)
        let compiled = directory.appendingPathComponent("pruned.bin").path
        _ = try BinaryModelWriter.compile(kenlm, to: compiled, successors: true)
        try Self.expectSame(try ModelFile.load(compiled))
    }

    @Test("The whole distribution sums to 1 over the vocabulary for every context",
          arguments: [SmoothingMethod.kneserNey, .stupidBackoff, .katz, .wittenBellBackoff])
    func sumsToOne(smoothing: SmoothingMethod) throws {
        let model = try Self.model(smoothing, order: 3)
        let finder = NextWords(model: model)
        for context in try Self.contexts(model, count: 30) {
            let total = try finder.exhaustive(after: context).reduce(0) { $0 + pow(10, $1.log10Prob) }
            #expect(abs(total - 1) < 1e-9, "context \(context): \(total)")
        }
    }

    @Test("The stored index is the same bytes from build, compile in memory and compile past the budget")
    func sameIndexEveryWay() throws {
        let directory = try TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let model = try Self.model(.kneserNey, order: 3)
        let arpa = directory.appendingPathComponent("m.arpa").path
        try ARPARoundTripTests.write(model, to: arpa)
        let built = directory.appendingPathComponent("built.bin").path
        let inMemory = directory.appendingPathComponent("memory.bin").path
        let past = directory.appendingPathComponent("past.bin").path
        // A model read back from ARPA: the same values as the file's compile reads.
        try BinaryModelWriter.write(try ARPAReader.read(arpa), to: built, successors: true)
        _ = try BinaryModelWriter.compile(arpa, to: inMemory, threads: 2, verify: true, memory: nil, pastBudget: false, successors: true)
        _ = try BinaryModelWriter.compile(arpa, to: past, threads: 2, verify: true, memory: try MemoryBudget.parse("8M"),
                                          pastBudget: true, successors: true)
        let bytes = try Data(contentsOf: URL(fileURLWithPath: built))
        #expect(try Data(contentsOf: URL(fileURLWithPath: inMemory)) == bytes)
        #expect(try Data(contentsOf: URL(fileURLWithPath: past)) == bytes)
        // Without the index the file is what it was: the tables end where the index begins.
        let plain = directory.appendingPathComponent("plain.bin").path
        _ = try BinaryModelWriter.compile(arpa, to: plain)
        let loaded = try ModelFile.load(plain)
        #expect(loaded.binary?.successors == nil)
        #expect(try ModelFile.load(built).binary?.successors != nil)
    }

    @Test("A damaged stored index gives an error, never a read outside it")
    func damagedIndex() throws {
        let directory = try TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let model = try Self.model(.kneserNey, order: 3)
        let path = directory.appendingPathComponent("m.bin").path
        try BinaryModelWriter.write(model, to: path, successors: true)
        let index = try #require(try ModelFile.load(path).binary?.successors)
        // The bigram offsets section: point the first context's end far past the records.
        let header = try Data(contentsOf: URL(fileURLWithPath: path))
        let directoryOffset = Int(header.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: 184, as: UInt64.self) })
        let offsetsSection = Int(header.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: directoryOffset + 16, as: UInt64.self) })
        _ = index
        var bytes = [UInt8](header)
        for i in 0..<4 { bytes[offsetsSection + 4 + i] = 0xFF }
        let damaged = try TestSupport.write(bytes, named: "damaged.bin", in: directory)
        let finder = NextWords(model: try ModelFile.load(damaged))
        #expect(throws: NGramKitError.self) { _ = try finder.top(5, after: [0]) }
        #expect(throws: NGramKitError.self) { try ModelFile.load(damaged).binary!.verifyChecksum() }
    }
}
