import Foundation
import NGramKit
import Testing

/// The library's public entry points: sentence scoring with and without `<s>` and `</s>`, a
/// mapped model written back as ARPA, and arguments outside their range refused with an
/// `NGramKitError` (never a trap).
@Suite("Library entry points")
struct LibraryEntryPointTests {
    static let text = "the cat sat on the mat\nthe dog sat on the log\na cat and a dog\n"

    static func model(order: Int = 3) throws -> NGramModel {
        let counter = try NGramCounter(order: order)
        var tokenizer = WhitespaceTokenizer()
        try counter.addText(text, tokenizer: &tokenizer)
        return try NGramModel.estimate(from: try counter.finish())
    }

    @Test("score and fullScores: bos and eos as the kenlm module's; the sum of the tokens is the score")
    func sentenceFlags() throws {
        let model = try Self.model()
        let full = try model.fullScores("the cat sat")
        #expect(full.map(\.word) == ["the", "cat", "sat", "</s>"])
        #expect(abs(try model.score("the cat sat") - full.reduce(0) { $0 + $1.log10Prob }) < 1e-12)
        // Without </s>: the same first three tokens, one token fewer.
        let noEnd = try model.fullScores("the cat sat", eos: false)
        #expect(noEnd == Array(full.prefix(3)))
        // Without <s>: "the" is scored with no context, as the unigram p(the), length 1.
        let noBegin = try model.fullScores("the cat sat", bos: false)
        let state = ModelState(model: model)
        state.beginWithoutContext()
        let unigram = try state.score(model.vocabulary.lookup("the")!)
        #expect(noBegin[0].log10Prob == unigram.log10Prob && noBegin[0].matched == 1)
        #expect(full[0].matched == 2, "after <s>, 'the' is the bigram '<s> the'")
        #expect(noBegin[0].log10Prob != full[0].log10Prob)
        // Hand check of the kenlm module's definition: score(bos: false, eos: false) of one word is its unigram.
        #expect(try model.score("the", bos: false, eos: false) == unigram.log10Prob)
        // An unknown word is flagged and scored as <unk>.
        let unknown = try model.fullScores("the zebra")
        #expect(unknown[1].isUnknown && !unknown[0].isUnknown)
        #expect(throws: NGramKitError.self) { try model.score("the </s> cat") }
    }

    @Test("A mapped binary model writes the same n-gram lines as ARPA as the model it was compiled from")
    func mappedModelAsARPA() throws {
        let directory = try TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let model = try Self.model()
        let arpa = directory.appendingPathComponent("m.arpa").path, binary = directory.appendingPathComponent("m.bin").path
        try ARPAWriter.write(model, to: arpa)
        #expect(try TestSupport.runTool(["compile", arpa, binary]).status == 0)
        let mapped = try ModelFile.load(binary)
        #expect(mapped.binary != nil)
        let again = directory.appendingPathComponent("again.arpa").path
        try ARPAWriter.write(mapped, to: again)
        func ngramLines(_ path: String) throws -> [String] {
            try String(contentsOfFile: path, encoding: .utf8).components(separatedBy: "\n").filter { !$0.hasPrefix("#") }
        }
        #expect(try ngramLines(again) == ngramLines(arpa))
        // The binary model holds single precision, the ARPA reader doubles of the same decimals.
        #expect(abs(try ModelFile.load(again).score("the cat sat on the log") - mapped.score("the cat sat on the log")) < 1e-5)
    }

    @Test("Ids, orders, threads, slices and held-out streams out of range: an NGramKitError, not a trap")
    func argumentsOutOfRange() throws {
        let model = try Self.model()
        let state = ModelState(model: model)
        state.beginSentence()
        #expect(throws: NGramKitError.self) { try state.score(999_999) }
        #expect(throws: NGramKitError.self) { try state.setContext([UInt32(model.vocabulary.count)]) }
        let counter = try NGramCounter(order: 3)
        var tokenizer = WhitespaceTokenizer()
        try counter.addText(Self.text, tokenizer: &tokenizer)
        let counts = try counter.finish()
        #expect(throws: NGramKitError.self) { try counts.truncated(toOrder: 0) }
        #expect(throws: NGramKitError.self) { try counts.truncated(toOrder: 4) }
        #expect(throws: NGramKitError.self) { try counts.kneserNeyCountsOfCounts(order: 0) }
        #expect(throws: NGramKitError.self) { try counts.kneserNeyCountsOfCounts(order: 4) }
        #expect(try counts.truncated(toOrder: 2).order == 2)
        // Id streams: an id outside the vocabulary, a thread count below 1, a malformed sentence.
        let vocabulary = model.vocabulary
        let the = vocabulary.lookup("the")!
        let good: [UInt32] = [Vocabulary.beginID, the, Vocabulary.endID]
        let bad: [UInt32] = [Vocabulary.beginID, UInt32(vocabulary.count) + 5, Vocabulary.endID]
        try good.withUnsafeBufferPointer { (ids: UnsafeBufferPointer<UInt32>) throws in
            #expect(try NGramCounter.count(ids: ids, vocabulary: vocabulary, order: 2, threads: 1).unigramCounts[Int(the)] == 1)
            #expect(throws: NGramKitError.self) { try NGramCounter.count(ids: ids, vocabulary: vocabulary, order: 2, threads: 0) }
            #expect(try HeldOutScorer.score(model: model, ids: ids, sentenceStarts: [0], threads: 1).tokens == 2)
            #expect(throws: NGramKitError.self) { try HeldOutScorer.score(model: model, ids: ids, sentenceStarts: [1], threads: 1) }
            #expect(throws: NGramKitError.self) { try HeldOutScorer.score(model: model, ids: ids, sentenceStarts: [0, 7], threads: 1) }
            #expect(throws: NGramKitError.self) { try HeldOutScorer.score(model: model, ids: ids, sentenceStarts: [], threads: 1) }
        }
        try bad.withUnsafeBufferPointer { (ids: UnsafeBufferPointer<UInt32>) throws in
            #expect(throws: NGramKitError.self) { try NGramCounter.count(ids: ids, vocabulary: vocabulary, order: 2, threads: 1) }
            #expect(throws: NGramKitError.self) { try HeldOutScorer.score(model: model, ids: ids, sentenceStarts: [0], threads: 1) }
        }
    }
}
