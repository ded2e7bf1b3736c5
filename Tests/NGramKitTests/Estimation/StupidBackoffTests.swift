import Foundation
import NGramKit
import Testing

/// Stupid Backoff (Brants et al. 2007) on a text small enough to score by hand.
///
/// The specification:
///   - raw score S(w|h) = c(h w)/c(h) when c(h w) > 0, else α·S(w|h'), where
///     c(h) = Σ_v c(h v) (how often h is followed by anything);
///   - unigrams S(w) = c(w)/N, N = every token including `</s>`, excluding `<s>`;
///   - the stored model is normalized: p(w|h) = S(w|h)/Z(h), Z(h) = Σ_w S(w|h) over every word
///     but `<s>` (the whole vocabulary plus `</s>`);
///   - a word never seen in training has S = 0 in every context: probability 0, log10 −∞.
/// `ModelState.scoreRawStupidBackoff` gives log10 S, `score` gives log10 p.
@Suite("Stupid Backoff: hand-computed scores")
struct StupidBackoffTests {
    // MARK: - The corpus and its hand-computed scores

    // Sentences:  S1 <s> a b </s>   S2 <s> a c a </s>   S3 <s> b a </s>
    // Ids: <unk> 0, <s> 1, </s> 2, a 3, b 4, c 5.  α = 0.4.
    //
    // Unigrams: c(a) = 4, c(b) = 2, c(c) = 1, c(</s>) = 3, c(<unk>) = 0;
    //   N = 7 tokens + 3 × </s> = 10:  S(a) = 0.4, S(b) = 0.2, S(c) = 0.1, S(</s>) = 0.3,
    //   S(<unk>) = 0;  Z(ε) = 1.
    // Bigrams: <s> a 2, <s> b 1 (c(<s>) = 3);  a b 1, a c 1, a </s> 2 (c(a) = 4);
    //          b </s> 1, b a 1 (c(b) = 2);  c a 1 (c(c) = 1).
    // Trigrams: <s> a b 1, <s> a c 1 (c(<s> a) = 2);  a b </s> 1;  a c a 1;  c a </s> 1;
    //           <s> b a 1;  b a </s> 1.
    static let corpus = "a b\na c a\nb a"
    static let alpha = 0.4

    /// One row of the hand-computed tables: S(w|h) for w = <unk>, </s>, a, b, c, and Z(h).
    struct Row: Sendable, CustomStringConvertible {
        let context: [String]
        let scores: [Double]   // <unk>, </s>, a, b, c
        let z: Double
        var description: String { context.joined(separator: " ") }
    }
    static let columns = ["<unk>", "</s>", "a", "b", "c"]

    // Bigram level (the same in the order-2 and order-3 models), S(w|h):
    //   h     | <unk>   </s>            a              b              c              | Z(h) = Σ
    //   <s>   | 0       α·0.3 = 0.12    2/3            1/3            α·0.1 = 0.04   | 1.16
    //   a     | 0       2/4 = 0.5       α·0.4 = 0.16   1/4            1/4            | 1.16
    //   b     | 0       1/2             1/2            α·0.2 = 0.08   α·0.1 = 0.04   | 1.12
    //   c     | 0       α·0.3 = 0.12    1/1            0.08           0.04           | 1.24
    //   </s>  | 0       0.12            0.16           0.08           0.04           | 0.4
    // (</s> is never followed by a word: c(</s>) = 0 as a context, so S(w|</s>) = α·S(w).)
    // Z also by the closed form 1 + α·(Z(ε) − Σ_{w after h} S(w)): Z(a) = 1 + 0.4·(1 − 0.6) = 1.16,
    // Z(b) = 1 + 0.4·(1 − 0.7) = 1.12, Z(c) = 1 + 0.4·(1 − 0.4) = 1.24, Z(<s>) = 1 + 0.4·(1 − 0.6) = 1.16.
    static let bigramRows: [Row] = [
        Row(context: ["<s>"], scores: [0, 0.12, 2.0 / 3, 1.0 / 3, 0.04], z: 1.16),
        Row(context: ["a"], scores: [0, 0.5, 0.16, 0.25, 0.25], z: 1.16),
        Row(context: ["b"], scores: [0, 0.5, 0.5, 0.08, 0.04], z: 1.12),
        Row(context: ["c"], scores: [0, 0.12, 1, 0.08, 0.04], z: 1.24),
        Row(context: ["</s>"], scores: [0, 0.12, 0.16, 0.08, 0.04], z: 0.4),
    ]

    // Trigram level, S(w|h), backing off one or two levels:
    //   h      | <unk>  </s>                 a                          b                c              | Z(h)
    //   <s> a  | 0      α·S(</s>|a) = 0.2    α·S(a|a) = α·α·0.4 = 0.064 1/2              1/2            | 1.264
    //   b a    | 0      1/1                  α·S(a|a) = 0.064           α·S(b|a) = 0.1   α·S(c|a) = 0.1 | 1.264
    //   a c    | 0      α·S(</s>|c) = 0.048  1/1                        α·0.08 = 0.032   α·0.04 = 0.016 | 1.096
    //   c b    | 0      α·S(</s>|b) = 0.2    α·S(a|b) = 0.2             α·0.08 = 0.032   α·0.04 = 0.016 | 0.448
    // ("c b" never occurred: every S is α times the bigram one, and Z(c b) = α·Z(b) = 0.448.)
    // Closed form: Z(<s> a) = 1 + α·(Z(a) − S(b|a) − S(c|a)) = 1 + 0.4·(1.16 − 0.5) = 1.264;
    //              Z(b a) = 1 + 0.4·(1.16 − 0.5) = 1.264;  Z(a c) = 1 + 0.4·(1.24 − 1) = 1.096.
    static let trigramRows: [Row] = [
        Row(context: ["<s>", "a"], scores: [0, 0.2, 0.064, 0.5, 0.5], z: 1.264),
        Row(context: ["b", "a"], scores: [0, 1, 0.064, 0.1, 0.1], z: 1.264),
        Row(context: ["a", "c"], scores: [0, 0.048, 1, 0.032, 0.016], z: 1.096),
        Row(context: ["c", "b"], scores: [0, 0.2, 0.2, 0.032, 0.016], z: 0.448),
    ]

    // MARK: - Helpers

    static func model(_ text: String = corpus, order: Int, alpha: Double = alpha,
                      restriction: VocabularyRestriction = .init()) throws -> NGramModel {
        let counts = try TestSupport.count(text, order: order, restriction: restriction)
        return try NGramModel.estimate(from: counts, options: EstimationOptions(smoothing: .stupidBackoff, alpha: alpha))
    }

    static func id(_ model: NGramModel, _ word: String) throws -> UInt32 {
        try #require(model.vocabulary.lookup(word), "'\(word)' not in the vocabulary")
    }

    /// Checks raw and normalized scores of a row of the tables, and that the raw scores summed by
    /// brute force over the vocabulary give the hand-computed Z(h).
    static func check(_ row: Row, in model: NGramModel, sourceLocation: SourceLocation = #_sourceLocation) throws {
        let state = ModelState(model: model)
        let context = try row.context.map { try id(model, $0) }
        var rawSum = 0.0
        for (column, word) in columns.enumerated() {
            try state.setContext(context)
            let result = try #require(try state.scoreRawStupidBackoff(try id(model, word)), sourceLocation: sourceLocation)
            let s = row.scores[column]
            if s == 0 {
                #expect(result.log10RawScore == -.infinity, "S(\(word)|\(row)) = 10^\(result.log10RawScore), expected 0", sourceLocation: sourceLocation)
                #expect(result.log10Prob == -.infinity, "p(\(word)|\(row)) = 10^\(result.log10Prob), expected 0", sourceLocation: sourceLocation)
            } else {
                #expect(abs(result.log10RawScore - log10(s)) < 1e-12, "log10 S(\(word)|\(row)) = \(result.log10RawScore), expected \(log10(s))", sourceLocation: sourceLocation)
                #expect(abs(result.log10Prob - log10(s / row.z)) < 1e-12, "log10 p(\(word)|\(row)) = \(result.log10Prob), expected \(log10(s / row.z))", sourceLocation: sourceLocation)
            }
            // score() is the normalized probability scoreRawStupidBackoff reports beside the raw one.
            try state.setContext(context)
            #expect(try state.score(try id(model, word)).log10Prob == result.log10Prob, sourceLocation: sourceLocation)
            rawSum += pow(10, result.log10RawScore)
        }
        #expect(abs(rawSum - row.z) < 1e-12, "Σ_w S(w|\(row)) = \(rawSum), expected Z = \(row.z)", sourceLocation: sourceLocation)
    }

    // MARK: - Raw and normalized scores

    @Test("Unigrams: S(w) = c(w)/N, and p(w) = S(w) since Z(ε) = 1")
    func unigrams() throws {
        let model = try Self.model(order: 2)
        let state = ModelState(model: model)
        let expected: [String: Double] = ["</s>": 0.3, "a": 0.4, "b": 0.2, "c": 0.1]
        for (word, s) in expected {
            try state.setContext([])
            let result = try #require(try state.scoreRawStupidBackoff(try Self.id(model, word)))
            #expect(abs(result.log10RawScore - log10(s)) < 1e-12, "\(word)")
            #expect(abs(result.log10Prob - log10(s)) < 1e-12, "\(word)")
            #expect(abs(try #require(model.entry(word)).logProb - log10(s)) < 1e-12, "\(word)")
        }
        try state.setContext([])
        #expect(try state.scoreRawStupidBackoff(Vocabulary.unknownID)?.log10RawScore == -.infinity)
        #expect(model.entry("<s>")?.logProb == 0)   // placeholder
    }

    @Test("Bigram model: raw scores, Z by brute force, normalized scores", arguments: bigramRows)
    func bigrams(row: Row) throws {
        try Self.check(row, in: try Self.model(order: 2))
    }

    @Test("Trigram model: bigram-level rows are unchanged", arguments: bigramRows)
    func bigramRowsInTrigramModel(row: Row) throws {
        // A one-word history that is not a sentence start is scored at the bigram level.
        try Self.check(row, in: try Self.model(order: 3))
    }

    @Test("Trigram model: the recursion S(w|h) = α·S(w|h') through one and two levels", arguments: trigramRows)
    func trigrams(row: Row) throws {
        try Self.check(row, in: try Self.model(order: 3))
    }

    // The stored ARPA form of the normalized model: log p(h w) = log S − log Z(h) for stored n-grams,
    // backoff(h) = α·Z(h')/Z(h):
    //   backoff(a) = 0.4·1/1.16;  backoff(<s> a) = 0.4·1.16/1.264;  backoff(a b) = 0.4·Z(b)/Z(a b)
    //   with Z(a b) = 1 + 0.4·(Z(b) − S(</s>|b)) = 1 + 0.4·(1.12 − 0.5) = 1.248.
    //   p(<s> a b) = 0.5/1.264;  p(a b) = 0.25/1.16;  p(a </s>) = 0.5/1.16;  </s> is no context (backoff 1).
    @Test("Trigram model: stored probabilities and backoff weights")
    func arpaForm() throws {
        let model = try Self.model(order: 3)
        func expectEntry(_ ngram: String, p: Double, backoff: Double, sourceLocation: SourceLocation = #_sourceLocation) throws {
            let entry = try #require(model.entry(ngram), sourceLocation: sourceLocation)
            #expect(abs(entry.logProb - log10(p)) < 1e-12, "log10 p(\(ngram)) = \(entry.logProb), expected \(log10(p))", sourceLocation: sourceLocation)
            #expect(abs(entry.logBackoff - log10(backoff)) < 1e-12, "log10 backoff(\(ngram)) = \(entry.logBackoff), expected \(log10(backoff))", sourceLocation: sourceLocation)
        }
        try expectEntry("a", p: 0.4, backoff: 0.4 / 1.16)
        try expectEntry("</s>", p: 0.3, backoff: 1)
        try expectEntry("a b", p: 0.25 / 1.16, backoff: 0.4 * 1.12 / 1.248)
        try expectEntry("a </s>", p: 0.5 / 1.16, backoff: 1)
        try expectEntry("<s> a", p: (2.0 / 3) / 1.16, backoff: 0.4 * 1.16 / 1.264)
        try expectEntry("<s> a b", p: 0.5 / 1.264, backoff: 1)
        #expect(model.entry("a a") == nil)
        #expect(model.provenance == .stupidBackoff(alpha: 0.4))
    }

    // Scoring a sentence word by word carries the history: <s> a a b </s> in the trigram model
    //   S(a|<s>) = 2/3;  S(a|<s> a) = 0.064 (table above);
    //   S(b|a a) = α·S(b|a) = 0.4·0.25 = 0.1 ("a a" never occurred);
    //   S(</s>|a b) = c(a b </s>)/c(a b) = 1/1 = 1.
    @Test("Trigram model: raw scores along a sentence")
    func sentence() throws {
        let model = try Self.model(order: 3)
        let state = ModelState(model: model)
        state.beginSentence()
        let expected: [(String, Double)] = [("a", 2.0 / 3), ("a", 0.064), ("b", 0.1), ("</s>", 1)]
        for (position, (word, s)) in expected.enumerated() {
            let result = try #require(try state.scoreRawStupidBackoff(try Self.id(model, word)))
            #expect(abs(result.log10RawScore - log10(s)) < 1e-12, "word \(position + 1) '\(word)': log10 S = \(result.log10RawScore), expected \(log10(s))")
        }
    }

    // Order 1: there is no history; S(w) = c(w)/N whatever came before, also right after
    // beginSentence(): S(a) = 0.4, S(</s>) = 0.3.
    @Test("Unigram model: raw score c(w)/N, also at a sentence start")
    func unigramModel() throws {
        let model = try Self.model(order: 1)
        let state = ModelState(model: model)
        for (word, s) in [("a", 0.4), ("</s>", 0.3), ("b", 0.2)] {
            state.beginSentence()
            let first = try #require(try state.scoreRawStupidBackoff(try Self.id(model, word)))
            #expect(abs(first.log10Prob - log10(s)) < 1e-12, "p(\(word))")
            #expect(abs(first.log10RawScore - log10(s)) < 1e-12, "S(\(word)) after beginSentence: 10^\(first.log10RawScore) = \(pow(10, first.log10RawScore)), expected \(s)")
            let second = try #require(try state.scoreRawStupidBackoff(try Self.id(model, word)))
            #expect(abs(second.log10RawScore - log10(s)) < 1e-12, "S(\(word)) mid-sentence")
        }
    }

    @Test("Normalized probabilities sum to 1 in every context of the small models", arguments: [2, 3])
    func normalized(order: Int) throws {
        let model = try Self.model(order: order)
        let state = ModelState(model: model)
        let all = Array(0..<UInt32(model.vocabulary.count))
        let words = all.filter { $0 != Vocabulary.beginID }
        var contexts: [[UInt32]] = [[]]
        for u in all {
            contexts.append([u])
            for v in words { contexts.append([u, v]) }
        }
        for context in contexts {
            var sum = 0.0
            for w in words {
                try state.setContext(context)
                sum += pow(10, try state.score(w).log10Prob)
            }
            #expect(abs(sum - 1) < 1e-12, "context \(context): Σ p = \(sum)")
        }
    }

    // MARK: - Unknown words

    // The corpus has no <unk>: c(<unk>) = 0, so S(<unk>|h) = 0 in every context (table above),
    // and the normalized model gives it probability 0 too: no mass is invented for it.
    @Test("<unk> never seen in training: probability 0 (log10 −∞) in every context")
    func unknownNeverSeen() throws {
        for order in [1, 2, 3] {
            let model = try Self.model(order: order)
            #expect(model.vocabulary.lookup("zebra") == nil)  // an OOV word is scored as <unk>
            let state = ModelState(model: model)
            let a = try Self.id(model, "a")
            for context in [[], [Vocabulary.beginID], [a], [Vocabulary.beginID, a], [Vocabulary.unknownID]] {
                try state.setContext(context)
                let result = try #require(try state.scoreRawStupidBackoff(Vocabulary.unknownID))
                #expect(result.log10Prob == -.infinity, "order \(order), context \(context)")
                #expect(result.log10RawScore == -.infinity, "order \(order), context \(context)")
            }
        }
    }

    // With minCount 2 the single c becomes <unk> in training: the text is counted as
    //   <s> a b </s> / <s> a <unk> a </s> / <s> b a </s>
    // which is the corpus above with c renamed <unk>: S(<unk>) = 0.1, S(<unk>|a) = 1/4,
    // S(<unk>|<s>) = α·0.1 = 0.04, and Z(a) = Z(<s>) = 1.16 as before:
    //   p(<unk>|a) = 0.25/1.16,  p(<unk>|<s>) = 0.04/1.16.
    @Test("<unk> seen in training (minCount 2): finite probability")
    func unknownSeen() throws {
        let model = try Self.model(order: 2, restriction: VocabularyRestriction(minCount: 2))
        #expect(model.vocabulary.lookup("c") == nil)
        let state = ModelState(model: model)
        try state.setContext([try Self.id(model, "a")])
        let afterA = try #require(try state.scoreRawStupidBackoff(Vocabulary.unknownID))
        #expect(abs(afterA.log10RawScore - log10(0.25)) < 1e-12)
        #expect(abs(afterA.log10Prob - log10(0.25 / 1.16)) < 1e-12)
        state.beginSentence()
        let atStart = try #require(try state.scoreRawStupidBackoff(Vocabulary.unknownID))
        #expect(abs(atStart.log10RawScore - log10(0.04)) < 1e-12)
        #expect(abs(atStart.log10Prob - log10(0.04 / 1.16)) < 1e-12)
        #expect(abs(try #require(model.entry("<unk>")).logProb - log10(0.1)) < 1e-12)
    }

    // MARK: - α

    @Test("α outside (0, 1] is rejected", arguments: [0, -0.4, 1.0000001, 2, Double.nan, Double.infinity])
    func invalidAlpha(alpha: Double) throws {
        let counts = try TestSupport.count(Self.corpus, order: 2)
        let error = #expect(throws: NGramKitError.self) {
            _ = try NGramModel.estimate(from: counts, options: EstimationOptions(smoothing: .stupidBackoff, alpha: alpha))
        }
        guard case .invalidOption = error else {
            Issue.record("expected invalidOption, got \(String(describing: error))")
            return
        }
    }

    // α = 1 is allowed: S(a|a) = 1·S(a) = 0.4, Z(a) = 1 + 1·(1 − 0.6) = 1.4, p(a|a) = 0.4/1.4.
    @Test("α = 1 is allowed")
    func alphaOne() throws {
        let model = try Self.model(order: 2, alpha: 1)
        let state = ModelState(model: model)
        let a = try Self.id(model, "a")
        try state.setContext([a])
        let result = try #require(try state.scoreRawStupidBackoff(a))
        #expect(abs(result.log10RawScore - log10(0.4)) < 1e-12)
        #expect(abs(result.log10Prob - log10(0.4 / 1.4)) < 1e-12)
    }

    @Test("Raw scores exist only for Stupid Backoff models")
    func rawOnlyForStupidBackoff() throws {
        let counts = try TestSupport.count(Self.corpus, order: 2)
        let model = try NGramModel.estimate(from: counts, options: EstimationOptions(smoothing: .kneserNey))
        let state = ModelState(model: model)
        state.beginSentence()
        #expect(try state.scoreRawStupidBackoff(try Self.id(model, "a")) == nil)
    }
}
