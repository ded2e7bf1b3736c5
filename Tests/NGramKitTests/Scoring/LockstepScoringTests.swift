import Foundation
import NGramKit
import Testing

/// Sentences are scored many at a time on one thread (`ModelState`'s lockstep lanes, with
/// lookups that must fail skipped in binary models), for models in memory and mapped alike:
/// every token and every sentence must come out bit for bit as `ModelState.score` (or
/// `scoreRawStupidBackoff`) gives them one word at a time, for any text shape, with blanks or
/// without, and the totals the same on any number of threads.
@Suite struct LockstepScoringTests {
    /// Scores `text` with `Perplexity.evaluate` (per-token and per-sentence callbacks) and again
    /// word by word with one `ModelState`; expects the same bits everywhere. Returns the result.
    @discardableResult
    static func expectSameAsWordByWord(_ model: NGramModel, text: String, threads: Int = 1,
                                       sourceLocation: SourceLocation = #_sourceLocation) throws -> PerplexityResult {
        var tokens: [(id: UInt32, matched: Int, p: Double)] = []
        var sentences: [(log10Prob: Double, tokens: Int)] = []
        let result = try Perplexity.evaluate(model: model, paths: [text], threads: threads, onToken: {
            tokens.append(($0.id, $0.matched, $0.log10Prob))
        }, onSentence: { sentences.append(($0.log10Prob, $0.tokens)) })
        #expect(sentences.count == result.sentences && tokens.count == result.tokens, sourceLocation: sourceLocation)
        let state = ModelState(model: model)
        var index = 0, mismatches = 0
        // Stupid Backoff's raw score: word by word too, summed as the result sums it.
        var raw = 0.0
        let isStupidBackoff = model.provenance.isStupidBackoff
        for (s, sentence) in sentences.enumerated() {
            state.beginSentence()
            var sum = 0.0, sentenceRaw = 0.0
            for _ in 0..<sentence.tokens {
                let token = tokens[index]
                let (p, matched): (Double, Int)
                if isStupidBackoff {
                    let scored = try #require(try state.scoreRawStupidBackoff(token.id))
                    (p, matched) = (scored.log10Prob, scored.matched)
                    sentenceRaw += scored.log10RawScore
                } else {
                    (p, matched) = try state.score(token.id)
                }
                if p.bitPattern != token.p.bitPattern || matched != token.matched {
                    mismatches += 1
                    if mismatches <= 5 {
                        Issue.record("sentence \(s) token \(index) id \(token.id): lockstep \(token.p) (\(token.matched)) vs word by word \(p) (\(matched))",
                                     sourceLocation: sourceLocation)
                    }
                }
                sum += p
                index += 1
            }
            #expect(sum.bitPattern == sentence.log10Prob.bitPattern, "sentence \(s): \(sentence.log10Prob) vs \(sum)",
                    sourceLocation: sourceLocation)
            raw += sentenceRaw
        }
        if isStupidBackoff {
            #expect(result.rawLog10Score?.bitPattern == raw.bitPattern, "raw score: \(String(describing: result.rawLog10Score)) vs \(raw)",
                    sourceLocation: sourceLocation)
        } else {
            #expect(result.rawLog10Score == nil, sourceLocation: sourceLocation)
        }
        #expect(mismatches == 0, "\(mismatches) of \(tokens.count) tokens differ", sourceLocation: sourceLocation)
        // Totals: the same bits without callbacks (no per-token arrays kept) and on several threads.
        for t in [1, 3] {
            let plain = try Perplexity.evaluate(model: model, paths: [text], threads: t)
            #expect(ParallelScoringTests.bits(plain) == ParallelScoringTests.bits(result), "\(t) threads: \(plain) vs \(result)",
                    sourceLocation: sourceLocation)
        }
        return result
    }

    /// Text of awkward shapes: empty lines, one-word lines, a very long line, OOVs, repeated
    /// sentences (their histories match deep), more sentences than lanes, more tokens than a piece.
    static func awkwardText(words: [String], in directory: URL) throws -> String {
        var generator = SplitMix64(state: 7)
        var lines: [String] = ["", "", words[0]]
        for i in 0..<700 {
            let length = i % 97 == 0 ? 400 : generator.below(30)
            var line: [String] = []
            for _ in 0..<length { line.append(generator.below(25) == 0 ? "zzq-oov-\(generator.below(5))" : generator.pick(words)) }
            lines.append(line.joined(separator: " "))
            if i % 50 == 0 { lines.append(lines[lines.count - 1]) }
            if i % 31 == 0 { lines.append("") }
        }
        return try TestSupport.write(Array((lines.joined(separator: "\n") + "\n").utf8), named: "awkward.txt", in: directory)
    }

    @Test("Kneser-Ney orders 1, 2, 3, 5 compiled to binary: lockstep scores equal word-by-word scores bit for bit",
          arguments: [1, 2, 3, 5])
    func kneserNey(order: Int) throws {
        let directory = try TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let built = try ARPARoundTripTests.model(.kneserNey, order: order, restriction: VocabularyRestriction(minCount: 2))
        let (_, binaryPath) = try BinaryModelTests.writeBoth(built, in: directory)
        let binary = try ModelFile.load(binaryPath)
        try #require(binary.binary != nil)
        let brown = try Self.expectSameAsWordByWord(binary, text: try TestSupport.sharedFile("fixtures/kenlm/brown.test1k.txt.gz"))
        #expect(brown.sentences == 1000 && brown.tokens == 20966)
        let words = (3..<min(binary.vocabulary.count, 400)).map { binary.vocabulary.text(of: UInt32($0)) }
        let awkward = try Self.expectSameAsWordByWord(binary, text: try Self.awkwardText(words: words, in: directory), threads: 2)
        #expect(awkward.oovs > 0 && awkward.sentences > 700)
    }

    @Test("A model with blanks (hand-built ARPA) and Stupid Backoff models, in memory and binary: the same bits as word by word, raw scores too")
    func blanksAndStupidBackoff() throws {
        let directory = try TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let arpaPath = try TestSupport.write(Array(BinaryModelTests.handBuilt.utf8), named: "hand.arpa", in: directory)
        let binaryPath = directory.appendingPathComponent("hand.bin").path
        let handInMemory = try ARPAReader.read(arpaPath)
        try BinaryModelWriter.write(handInMemory, to: binaryPath)
        let awkward = try Self.awkwardText(words: ["a", "b", "c", "d"], in: directory)
        for hand in [handInMemory, try ModelFile.load(binaryPath)] {
            try Self.expectSameAsWordByWord(hand, text: awkward)
            try Self.expectSameAsWordByWord(hand, text: awkward, threads: 3)
        }
        let sb = try ARPARoundTripTests.model(.stupidBackoff, order: 3, restriction: VocabularyRestriction(minCount: 2))
        let (sbARPA, sbPath) = try BinaryModelTests.writeBoth(sb, in: directory, name: "sb")
        let brown = try TestSupport.sharedFile("fixtures/kenlm/brown.test1k.txt.gz")
        for model in [sb, try ModelFile.load(sbARPA), try ModelFile.load(sbPath)] {
            #expect(model.provenance.isStupidBackoff)
            let result = try Self.expectSameAsWordByWord(model, text: brown, threads: 2)
            #expect(result.rawLog10Score != nil)
        }
        // A model in memory, Kneser-Ney: lockstep too.
        try Self.expectSameAsWordByWord(try ARPARoundTripTests.model(.kneserNey, order: 4, restriction: VocabularyRestriction(minCount: 2)),
                                        text: brown)
    }

    @Test("Binary and ARPA models still score alike after the lockstep change (to Float precision)")
    func binaryMatchesARPA() throws {
        let directory = try TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let built = try ARPARoundTripTests.model(.kneserNey, order: 4, restriction: VocabularyRestriction(minCount: 2))
        let (arpaPath, binaryPath) = try BinaryModelTests.writeBoth(built, in: directory)
        let (ra, rb) = try BinaryModelTests.compareTokens(try ModelFile.load(arpaPath), try ModelFile.load(binaryPath),
                                                          text: try TestSupport.sharedFile("fixtures/kenlm/brown.test1k.txt.gz"))
        #expect(BinaryModelTests.close(rb.log10Prob, ra.log10Prob), "\(rb.log10Prob) vs \(ra.log10Prob)")
    }
}
