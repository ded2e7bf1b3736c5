import Foundation
import NGramKit
import Testing

/// Interpolated modified Kneser-Ney on texts small enough to estimate by hand.
///
/// The specification (KenLM's `lmplz`), in the notation of the comments below:
///   - a line is a sentence `<s> w1 ... wn </s>`; ids 0 `<unk>`, 1 `<s>`, 2 `</s>`, then words
///     in order of first appearance;
///   - a(·) is the adjusted count: below the highest order, the number of distinct words
///     preceding the n-gram (`<s>` included), except that n-grams starting with `<s>` keep their
///     raw count; at the highest order the raw count. `<s>` as a unigram has a = 0;
///   - D(c) = 0, D1, D2, D3+ for c = 0, 1, 2, ≥ 3 (per order);
///   - u(w|h) = (a(h w) − D(a(h w))) / Σ_v a(h v),  γ(h) = Σ_v D(a(h v)) / Σ_v a(h v),
///     p(w|h) = u(w|h) + γ(h)·p(w|h'),  and for unigrams p(w|h') is the uniform 1/|V| where
///     |V| counts every word but `<s>` (so `<unk>` and `</s>` are in it);
///   - the model stores log10 p and log10 γ(h) as the backoff of h (0 for an n-gram that is no
///     context); `<s>` has log10 p = 0 (a placeholder: it is never predicted).
/// Tiny texts have no closed-form discounts, so the fallback discounts apply; they are known
/// exactly, which is what makes the arithmetic below exact. Discounts are single precision: a
/// value that is not a binary fraction (0.3) enters the arithmetic as Double(Float(0.3)).
@Suite("Modified Kneser-Ney: hand-computed models")
struct HandComputedKneserNeyTests {
    // MARK: - Helpers

    /// Estimates a Kneser-Ney model of `text` and returns it with the warnings it printed.
    static func model(_ text: String, order: Int, fallback: KneserNeyDiscount = .fallbackDefault,
                      restriction: VocabularyRestriction = .init()) throws -> (model: NGramModel, warnings: [String]) {
        let counts = try TestSupport.count(text, order: order, restriction: restriction)
        var warnings: [String] = []
        let model = try NGramModel.estimate(from: counts, options: EstimationOptions(discountFallback: fallback)) { warnings.append($0) }
        return (model, warnings)
    }

    /// Checks a stored entry against hand-computed plain probability and backoff weight
    /// (backoff 1 = log10 0 for n-grams that are no context).
    static func expectEntry(_ model: NGramModel, _ ngram: String, p: Double, backoff: Double = 1,
                            sourceLocation: SourceLocation = #_sourceLocation) {
        guard let entry = model.entry(ngram) else {
            Issue.record("'\(ngram)' is not stored", sourceLocation: sourceLocation)
            return
        }
        #expect(abs(entry.logProb - log10(p)) < 1e-12, "log10 p(\(ngram)) = \(entry.logProb), expected \(log10(p))", sourceLocation: sourceLocation)
        #expect(abs(entry.logBackoff - log10(backoff)) < 1e-12, "log10 backoff(\(ngram)) = \(entry.logBackoff), expected \(log10(backoff))", sourceLocation: sourceLocation)
    }

    /// Word ids of space-separated words of the model's vocabulary.
    static func ids(_ model: NGramModel, _ words: String) throws -> [UInt32] {
        try words.split(separator: " ").map { try #require(model.vocabulary.lookup(String($0)), "'\($0)' not in the vocabulary") }
    }

    // MARK: - (a) Corpus A: a bigram model, every value by hand

    // Corpus A, four sentences (the third line is empty, which is still a sentence):
    //   S1: <s> a b </s>
    //   S2: <s> a </s>
    //   S3: <s> </s>
    //   S4: <s> b a c </s>
    // Ids: <unk> 0, <s> 1, </s> 2, a 3, b 4, c 5.  |V| = 6 − 1 = 5 (<unk> </s> a b c).
    //
    // Bigrams (highest order: raw counts):
    //   <s> a 2 (S1, S2)   <s> </s> 1 (S3)   <s> b 1 (S4)
    //   a b 1 (S1)         a </s> 1 (S2)     a c 1 (S4)
    //   b </s> 1 (S1)      b a 1 (S4)
    //   c </s> 1 (S4)                                           9 bigrams, 10 tokens in all
    // Unigram adjusted counts (distinct left neighbours):
    //   a: {<s>, b} = 2   b: {a, <s>} = 2   c: {a} = 1   </s>: {b, a, <s>, c} = 4   <unk>: 0
    // Counts-of-counts: unigrams n1..n4 = 1, 2, 0, 1; bigrams 8, 1, 0, 0. n3 = 0 in both orders,
    // so no closed form exists and both orders use the fallback D1 = 0.5, D2 = 1, D3+ = 1.5.
    static let corpusA = "a b\na\n\nb a c"

    @Test("Corpus A: counts-of-counts have n3 = 0, so both orders warn and use the fallback")
    func corpusADiscounts() throws {
        let counts = try TestSupport.count(Self.corpusA, order: 2)
        try #require(counts.sentences == 4)
        #expect(try counts.kneserNeyCountsOfCounts(order: 1) == [0, 1, 2, 0, 1])
        #expect(try counts.kneserNeyCountsOfCounts(order: 2) == [0, 8, 1, 0, 0])
        var warnings: [String] = []
        let model = try NGramModel.estimate(from: counts) { warnings.append($0) }
        #expect(warnings.count == 2)
        #expect(warnings.first?.contains("order 1") == true)
        #expect(warnings.last?.contains("order 2") == true)
        #expect(model.provenance == .kneserNey([.fallbackDefault, .fallbackDefault]))
        #expect(model.ngramCounts == [6, 9])  // every vocabulary word is a unigram; 9 bigrams
    }

    // Unigrams. Σ a = 2 + 2 + 1 + 4 = 9.
    //   γ(ε) = (D(2) + D(2) + D(1) + D(4)) / 9 = (1 + 1 + 0.5 + 1.5) / 9 = 4/9;  γ(ε)/|V| = 4/45
    //   p(a)     = (2 − 1)/9   + 4/45 = 5/45 + 4/45          = 1/5
    //   p(b)     = (2 − 1)/9   + 4/45                         = 1/5
    //   p(c)     = (1 − 0.5)/9 + 4/45 = 2.5/45 + 4/45 = 6.5/45 = 13/90
    //   p(</s>)  = (4 − 1.5)/9 + 4/45 = 12.5/45 + 4/45        = 11/30
    //   p(<unk>) = 0           + 4/45                         = 8/90
    //   (check: 18 + 18 + 13 + 33 + 8 = 90 ninetieths)
    //   p(<s>)   = 1 (placeholder, log10 0)
    // Backoffs are the γ of each context (next test): <s> 1/2, a 1/2, b 1/2, c 1/2; </s> and
    // <unk> are no context: 1 (log10 0).
    @Test("Corpus A: unigram probabilities and backoffs")
    func corpusAUnigrams() throws {
        let (model, _) = try Self.model(Self.corpusA, order: 2)
        Self.expectEntry(model, "a", p: 1.0 / 5, backoff: 0.5)
        Self.expectEntry(model, "b", p: 1.0 / 5, backoff: 0.5)
        Self.expectEntry(model, "c", p: 13.0 / 90, backoff: 0.5)
        Self.expectEntry(model, "</s>", p: 11.0 / 30)
        Self.expectEntry(model, "<unk>", p: 8.0 / 90)
        Self.expectEntry(model, "<s>", p: 1, backoff: 0.5)
    }

    // Bigrams, context by context:
    //   <s>: a(<s> a) = 2, a(<s> </s>) = 1, a(<s> b) = 1; Σ = 4;
    //        γ(<s>) = (D(2) + D(1) + D(1))/4 = (1 + 0.5 + 0.5)/4 = 1/2
    //        p(a|<s>)    = (2 − 1)/4   + 1/2 · 1/5   = 1/4 + 1/10   = 7/20
    //        p(</s>|<s>) = (1 − 0.5)/4 + 1/2 · 11/30 = 1/8 + 11/60  = 37/120
    //        p(b|<s>)    = 1/8         + 1/2 · 1/5   = 1/8 + 1/10   = 9/40
    //   a:   b, </s>, c once each; Σ = 3; γ(a) = 3·0.5/3 = 1/2
    //        p(b|a)    = 0.5/3 + 1/2 · 1/5   = 1/6 + 1/10   = 4/15
    //        p(</s>|a) = 1/6   + 1/2 · 11/30 = 1/6 + 11/60  = 7/20
    //        p(c|a)    = 1/6   + 1/2 · 13/90 = 1/6 + 13/180 = 43/180
    //   b:   </s>, a once each; Σ = 2; γ(b) = 1/2
    //        p(</s>|b) = 0.5/2 + 1/2 · 11/30 = 1/4 + 11/60 = 13/30
    //        p(a|b)    = 1/4   + 1/2 · 1/5   = 1/4 + 1/10  = 7/20
    //   c:   </s> once; Σ = 1; γ(c) = 1/2
    //        p(</s>|c) = 0.5/1 + 1/2 · 11/30 = 1/2 + 11/60 = 41/60
    // The highest order has no backoffs (log10 0).
    @Test("Corpus A: bigram probabilities")
    func corpusABigrams() throws {
        let (model, _) = try Self.model(Self.corpusA, order: 2)
        Self.expectEntry(model, "<s> a", p: 7.0 / 20)
        Self.expectEntry(model, "<s> </s>", p: 37.0 / 120)
        Self.expectEntry(model, "<s> b", p: 9.0 / 40)
        Self.expectEntry(model, "a b", p: 4.0 / 15)
        Self.expectEntry(model, "a </s>", p: 7.0 / 20)
        Self.expectEntry(model, "a c", p: 43.0 / 180)
        Self.expectEntry(model, "b </s>", p: 13.0 / 30)
        Self.expectEntry(model, "b a", p: 7.0 / 20)
        Self.expectEntry(model, "c </s>", p: 41.0 / 60)
        // Unseen bigrams are not stored.
        #expect(model.entry("c a") == nil)
        #expect(model.entry("<s> c") == nil)
        #expect(model.entry("</s> <s>") == nil)
    }

    // The same text at order 1: the highest order uses raw counts, and `<s>` is not a unigram
    // event. Raw counts: a 3, b 2, c 1, </s> 4 (once per sentence), <unk> 0; <s> (4) excluded.
    // Counts-of-counts n1..n4 = 1 (c), 1 (b), 1 (a), 1 (</s>): Y = 1/(1 + 2) = 1/3,
    //   D1 = 1 − 2·(1/3)·1/1 = 1/3, D2 = 2 − 3·(1/3)·1/1 = 1, D3+ = 3 − 4·(1/3)·1/1 = 5/3,
    // all in range, so no fallback (and no warning) — but 1/3 and 5/3 are not binary fractions.
    // A text whose closed form is exact instead, raw counts k 3, m 2, n 2, p q r s 1, </s> 4:
    //   "k m n p / k m q / k n r / s":  n1..n4 = 4, 2, 1, 1;  Y = 4/(4 + 4) = 1/2;
    //   D1 = 1 − 2·(1/2)·2/4 = 1/2,  D2 = 2 − 3·(1/2)·1/2 = 5/4,  D3+ = 3 − 4·(1/2)·1/1 = 1.
    //   Σ = 3 + 2 + 2 + 1 + 1 + 1 + 1 + 4 = 15; |V| = 9 (<unk> </s> k m n p q r s);
    //   γ(ε) = (D(3) + 2·D(2) + 4·D(1) + D(4))/15 = (1 + 2.5 + 2 + 1)/15 = 13/30; γ/|V| = 13/270
    //   p(k)     = (3 − 1)/15    + 13/270 = 36/270 + 13/270   = 49/270
    //   p(m)     = (2 − 1.25)/15 + 13/270 = 13.5/270 + 13/270 = 53/540   (= p(n))
    //   p(p)     = (1 − 0.5)/15  + 13/270 = 9/270 + 13/270    = 22/270   (= p(q), p(r), p(s))
    //   p(</s>)  = (4 − 1)/15    + 13/270 = 54/270 + 13/270   = 67/270
    //   p(<unk>) =                 13/270
    //   (check: 49 + 2·26.5 + 4·22 + 67 + 13 = 270)
    @Test("Order 1: raw counts, closed-form discounts, no warning")
    func unigramModel() throws {
        let counts = try TestSupport.count("k m n p\nk m q\nk n r\ns", order: 1)
        #expect(try counts.kneserNeyCountsOfCounts(order: 1) == [0, 4, 2, 1, 1])
        var warnings: [String] = []
        let model = try NGramModel.estimate(from: counts) { warnings.append($0) }
        #expect(warnings.isEmpty)
        #expect(model.provenance == .kneserNey([KneserNeyDiscount(0.5, 1.25, 1)]))
        Self.expectEntry(model, "k", p: 49.0 / 270)
        Self.expectEntry(model, "m", p: 53.0 / 540)
        Self.expectEntry(model, "n", p: 53.0 / 540)
        for word in ["p", "q", "r", "s"] { Self.expectEntry(model, word, p: 22.0 / 270) }
        Self.expectEntry(model, "</s>", p: 67.0 / 270)
        Self.expectEntry(model, "<unk>", p: 13.0 / 270)
        Self.expectEntry(model, "<s>", p: 1)
    }

    // MARK: - (b) Corpus B: one trigram through two levels, custom fallback discounts

    // Corpus B:
    //   S1, S2: <s> x a c </s>     S3: <s> y a c </s>     S4: <s> x a d </s>
    // Ids: <unk> 0, <s> 1, </s> 2, x 3, a 4, c 5, y 6, d 7.  |V| = 7.
    // Trigrams (raw): <s> x a 3, x a c 2, a c </s> 3, <s> y a 1, y a c 1, x a d 1, a d </s> 1
    //   n1..n4 = 4, 1, 2, 0: Y = 4/(4 + 2) = 2/3, D2 = 2 − 3·(2/3)·2/1 = −2 < 0: no closed form.
    // Bigrams (adjusted): <s> x 3 and <s> y 1 (raw: they start with <s>); a c 2 ({x, y});
    //   x a 1, y a 1, a d 1, c </s> 1, d </s> 1 (one left neighbour each)
    //   n1..n4 = 6, 1, 1, 0: Y = 6/8, D2 = 2 − 3·(3/4)·1/1 < 0: no closed form.
    // Unigrams (adjusted): x 1, a 2, c 1, y 1, d 1, </s> 2 ({c, d}), <unk> 0
    //   n1..n4 = 4, 2, 0, 0: n3 = 0: no closed form.
    // So every order uses the fallback, here set to D1 = 0.3, D2 = 0.8, D3+ = 1.3.
    static let corpusB = "x a c\nx a c\ny a c\nx a d"
    static let fallbackB = KneserNeyDiscount(0.3, 0.8, 1.3)

    @Test("Corpus B: every order falls back to the discounts given in the options")
    func corpusBDiscounts() throws {
        let counts = try TestSupport.count(Self.corpusB, order: 3)
        #expect(try counts.kneserNeyCountsOfCounts(order: 1) == [0, 4, 2, 0, 0])
        #expect(try counts.kneserNeyCountsOfCounts(order: 2) == [0, 6, 1, 1, 0])
        #expect(try counts.kneserNeyCountsOfCounts(order: 3) == [0, 4, 1, 2, 0])
        var warnings: [String] = []
        let model = try NGramModel.estimate(from: counts, options: EstimationOptions(discountFallback: Self.fallbackB)) { warnings.append($0) }
        #expect(warnings.count == 3)
        #expect(model.provenance == .kneserNey([Self.fallbackB, Self.fallbackB, Self.fallbackB]))
    }

    // p(c | x a), in decimals with D1 = 0.3, D2 = 0.8, D3+ = 1.3:
    //   unigrams: Σ a = 1 + 2 + 1 + 1 + 1 + 2 = 8;
    //     γ(ε) = (4·D1 + 2·D2)/8 = (1.2 + 1.6)/8 = 0.35;  γ(ε)/|V| = 0.35/7 = 0.05
    //     p(c) = (1 − 0.3)/8 + 0.05 = 0.0875 + 0.05 = 0.1375
    //   bigrams, context a: a(a c) = 2, a(a d) = 1; Σ = 3; γ(a) = (D2 + D1)/3 = 1.1/3
    //     p(c|a) = (2 − 0.8)/3 + (1.1/3)·0.1375 = 0.4 + 0.0504166… = 0.4504166…
    //   trigrams, context x a: c(x a c) = 2, c(x a d) = 1; Σ = 3; γ(x a) = (D2 + D1)/3 = 1.1/3
    //     p(c|x a) = (2 − 0.8)/3 + (1.1/3)·0.4504166… = 0.4 + 0.1651527… = 0.5651527…
    // And through D3+: p(a | <s> x):
    //   p(a) = (2 − 0.8)/8 + 0.05 = 0.2;  context x: x a only, Σ = 1, γ(x) = D1 = 0.3
    //   p(a|x) = (1 − 0.3)/1 + 0.3·0.2 = 0.76
    //   context <s> x: c(<s> x a) = 3, Σ = 3, γ(<s> x) = D3+/3 = 1.3/3
    //   p(a|<s> x) = (3 − 1.3)/3 + (1.3/3)·0.76 = 0.5666… + 0.3293… = 0.896
    @Test("Corpus B: an interpolated trigram probability through two levels")
    func corpusBTrigram() throws {
        let (model, warnings) = try Self.model(Self.corpusB, order: 3, fallback: Self.fallbackB)
        #expect(warnings.count == 3)
        // The discounts as the estimator holds them (single precision).
        let d1 = Double(Float(0.3)), d2 = Double(Float(0.8)), d3 = Double(Float(1.3))
        let gammaEmpty = (4 * d1 + 2 * d2) / 8
        let pC = (1 - d1) / 8 + gammaEmpty / 7
        let pA = (2 - d2) / 8 + gammaEmpty / 7
        let gammaA = (d2 + d1) / 3
        let pCgivenA = (2 - d2) / 3 + gammaA * pC
        let gammaXA = (d2 + d1) / 3
        let pCgivenXA = (2 - d2) / 3 + gammaXA * pCgivenA
        #expect(abs(pC - 0.1375) < 1e-7 && abs(pCgivenA - 0.4504166666) < 1e-7 && abs(pCgivenXA - 0.5651527777) < 1e-7)
        Self.expectEntry(model, "c", p: pC, backoff: d1)            // γ(c) = D1·1/1 (c </s> once)
        Self.expectEntry(model, "a", p: pA, backoff: gammaA)
        Self.expectEntry(model, "a c", p: pCgivenA, backoff: d3 / 3)  // γ(a c): a c </s> 3 times
        Self.expectEntry(model, "x a", p: (1 - d1) / 1 + d1 * pA, backoff: gammaXA)
        Self.expectEntry(model, "x a c", p: pCgivenXA)
        let pAgivenX = (1 - d1) + d1 * pA
        #expect(abs(pAgivenX - 0.76) < 1e-7)
        Self.expectEntry(model, "<s> x a", p: (3 - d3) / 3 + d3 / 3 * pAgivenX)
        #expect(abs((3 - d3) / 3 + d3 / 3 * pAgivenX - 0.896) < 1e-7)
    }

    // MARK: - (c) Unseen n-grams through ModelState: backoff(h) + log10 p(w|h')

    // Corpus A (above): "<s> c" is unseen, so p(c|<s>) = γ(<s>)·p(c) = 1/2 · 13/90;
    // "<s> <unk>": 1/2 · 8/90; "c a": γ(c)·p(a) = 1/2 · 1/5. After </s>, which is no context
    // (backoff 1), p(a|</s>) = p(a) = 1/5. A seen bigram gives its own entry: p(a|<s>) = 7/20.
    @Test("Unseen bigram: log10 p(w|h) = backoff(h) + log10 p(w)")
    func unseenBigram() throws {
        let (model, _) = try Self.model(Self.corpusA, order: 2)
        let state = ModelState(model: model)
        let begin = Vocabulary.beginID
        let a = try Self.ids(model, "a")[0], c = try Self.ids(model, "c")[0]

        try state.setContext([begin])
        let unseen = try state.score(c)
        #expect(abs(unseen.log10Prob - (log10(0.5) + log10(13.0 / 90))) < 1e-12)
        #expect(unseen.matched == 1)
        let fromEntries = try #require(model.entry("<s>")).logBackoff + (try #require(model.entry("c"))).logProb
        #expect(abs(unseen.log10Prob - fromEntries) < 1e-12)

        try state.setContext([begin])
        #expect(try abs(state.score(Vocabulary.unknownID).log10Prob - log10(0.5 * 8.0 / 90)) < 1e-12)

        try state.setContext([c])
        #expect(try abs(state.score(a).log10Prob - log10(0.5 * 1.0 / 5)) < 1e-12)

        try state.setContext([Vocabulary.endID])
        #expect(try abs(state.score(a).log10Prob - log10(1.0 / 5)) < 1e-12)

        state.beginSentence()
        let seen = try state.score(a)
        #expect(abs(seen.log10Prob - log10(7.0 / 20)) < 1e-12)
        #expect(seen.matched == 2)
        // score() moved the history on to "a": "a c" is seen, p(c|a) = 43/180.
        #expect(try abs(state.score(c).log10Prob - log10(43.0 / 180)) < 1e-12)
    }

    // Corpus B (above), D1 = 0.3, D2 = 0.8, D3+ = 1.3:
    //   "x a </s>" and "a </s>" are unseen: p(</s>|x a) = γ(x a)·γ(a)·p(</s>), where
    //   p(</s>) = (2 − 0.8)/8 + 0.05 = 0.2 and γ(x a) = γ(a) = 1.1/3.
    //   "y a d" is unseen but "a d" is seen: p(d|y a) = γ(y a)·p(d|a), γ(y a) = D1/1 = 0.3,
    //   p(d|a) = (1 − 0.3)/3 + (1.1/3)·p(d), p(d) = (1 − 0.3)/8 + 0.05 = 0.1375.
    @Test("Unseen trigram: backs off through one and two levels")
    func unseenTrigram() throws {
        let (model, _) = try Self.model(Self.corpusB, order: 3, fallback: Self.fallbackB)
        let d1 = Double(Float(0.3)), d2 = Double(Float(0.8))
        let gammaEmpty = (4 * d1 + 2 * d2) / 8
        let pEnd = (2 - d2) / 8 + gammaEmpty / 7
        let pD = (1 - d1) / 8 + gammaEmpty / 7
        let gammaA = (d2 + d1) / 3
        let state = ModelState(model: model)

        try state.setContext(try Self.ids(model, "x a"))
        let twoLevels = try state.score(Vocabulary.endID)
        #expect(abs(twoLevels.log10Prob - log10(gammaA * gammaA * pEnd)) < 1e-12)
        #expect(twoLevels.matched == 1)
        let bo = try #require(model.entry("x a")).logBackoff + (try #require(model.entry("a"))).logBackoff
        #expect(abs(twoLevels.log10Prob - (bo + (try #require(model.entry("</s>"))).logProb)) < 1e-12)

        try state.setContext(try Self.ids(model, "y a"))
        let oneLevel = try state.score(try Self.ids(model, "d")[0])
        #expect(abs(oneLevel.log10Prob - log10(d1 * ((1 - d1) / 3 + gammaA * pD))) < 1e-12)
        #expect(oneLevel.matched == 2)
    }

    // MARK: - (d) The discount formula

    // n1..n4 = 4, 2, 1, 1: Y = 4/(4 + 2·2) = 1/2
    //   D1 = 1 − 2·(1/2)·2/4 = 1/2;  D2 = 2 − 3·(1/2)·1/2 = 5/4;  D3+ = 3 − 4·(1/2)·1/1 = 1
    // (binary fractions: exact in single precision).
    // n1..n4 = 100, 40, 20, 10: Y = 100/180 = 5/9
    //   D1 = 1 − 2·(5/9)·40/100 = 5/9;  D2 = 2 − 3·(5/9)·20/40 = 7/6;  D3+ = 3 − 4·(5/9)·10/20 = 17/9
    // Boundaries are allowed: n = 6, 3, 4, 1 gives Y = 1/2, D1 = 1 − 3/6 = 1/2,
    //   D2 = 2 − 3·(1/2)·4/3 = 0, D3+ = 3 − 4·(1/2)·1/4 = 5/2;  n = 3, 1, 1, 0 gives
    //   Y = 3/5, D1 = 1 − 2·(3/5)/3 = 3/5, D2 = 2 − 3·(3/5) = 1/5, D3+ = 3 − 0 = 3.
    @Test("Closed form: hand-computed discounts")
    func closedForm() throws {
        #expect(try KneserNeyDiscount.closedForm(countsOfCounts: [0, 4, 2, 1, 1]).get() == KneserNeyDiscount(0.5, 1.25, 1))
        let d = try KneserNeyDiscount.closedForm(countsOfCounts: [0, 100, 40, 20, 10]).get()
        #expect(abs(Double(d.d1) - 5.0 / 9) < 1e-6)
        #expect(abs(Double(d.d2) - 7.0 / 6) < 1e-6)
        #expect(abs(Double(d.d3) - 17.0 / 9) < 1e-6)
        #expect(try KneserNeyDiscount.closedForm(countsOfCounts: [0, 6, 3, 4, 1]).get() == KneserNeyDiscount(0.5, 0, 2.5))
        let edge = try KneserNeyDiscount.closedForm(countsOfCounts: [0, 3, 1, 1, 0]).get()
        #expect(abs(Double(edge.d1) - 0.6) < 1e-6 && abs(Double(edge.d2) - 0.2) < 1e-6 && edge.d3 == 3)
        // amount(forCount:): 0 for unseen, then D1, D2, D3+ for every count from 3 up.
        let k = KneserNeyDiscount(0.5, 1.25, 1)
        #expect([0, 1, 2, 3, 4, 1000].map { k.amount(forCount: $0) } == [0, 0.5, 1.25, 1, 1, 1])
    }

    // Failures: a zero among n1..n3, or a discount out of [0, k]:
    //   n = 6, 1, 1, 0:    Y = 6/8, D2 = 2 − 3·(3/4)·1/1 = −1/4 < 0
    //   n = 10, 5, 5, 10:  Y = 10/20, D1 = 1/2, D2 = 2 − 3·(1/2)·5/5 = 1/2, D3+ = 3 − 4·(1/2)·10/5 = −1 < 0
    // (D1 is always in (0, 1] and Dk ≤ k, so only D2 < 0 and D3+ < 0 can occur.)
    @Test("Closed form: failures name their reason")
    func closedFormFailures() {
        func reason(_ n: [UInt64]) -> String? {
            if case .failure(let failure) = KneserNeyDiscount.closedForm(countsOfCounts: n) { return failure.reason }
            return nil
        }
        #expect(reason([0, 0, 3, 2, 1])?.contains("adjusted count 1") == true)
        #expect(reason([0, 5, 0, 2, 1])?.contains("adjusted count 2") == true)
        #expect(reason([0, 5, 2, 0, 1])?.contains("adjusted count 3") == true)
        let d2 = reason([0, 6, 1, 1, 0])
        #expect(d2?.contains("D2") == true && d2?.contains("-0.25") == true)
        let d3 = reason([0, 10, 5, 5, 10])
        #expect(d3?.contains("D3+") == true && d3?.contains("-1") == true)
        // n4 = 0 alone is no failure (D3+ = 3).
        #expect(reason([0, 3, 1, 1, 0]) == nil)
    }

    // Corpus T at order 3:  <s> a b a </s> / <s> b a </s> / <s> a c </s> / <s> a b </s>
    //   unigrams (adjusted): a {<s>, b} 2, b {a, <s>} 2, c {a} 1, </s> {a, c, b} 3
    //     n1..n4 = 1, 2, 1, 0: Y = 1/5, D1 = 1 − 2·(1/5)·2 = 0.2, D2 = 2 − 3·(1/5)·(1/2) = 1.7,
    //     D3+ = 3 − 0 = 3: closed form exists.
    //   bigrams (adjusted): <s> a 3, <s> b 1 (raw); b a {a, <s>} 2; a b, a </s>, a c, c </s>, b </s> 1
    //     n1..n4 = 6, 1, 1, 0: D2 = 2 − 3·(6/8)·1 = −0.25: fallback.
    //   trigrams (raw): <s> a b 2, b a </s> 2; a b a, <s> b a, <s> a c, a c </s>, a b </s> 1
    //     n1..n4 = 5, 2, 0, 0: n3 = 0: fallback.
    @Test("kneserNeyDiscounts warns exactly once per failing order")
    func warningsPerOrder() throws {
        let counts = try TestSupport.count("a b a\nb a\na c\na b", order: 3)
        #expect(try counts.kneserNeyCountsOfCounts(order: 1) == [0, 1, 2, 1, 0])
        #expect(try counts.kneserNeyCountsOfCounts(order: 2) == [0, 6, 1, 1, 0])
        #expect(try counts.kneserNeyCountsOfCounts(order: 3) == [0, 5, 2, 0, 0])
        let fallback = KneserNeyDiscount(0.25, 0.75, 1.25)
        var warnings: [String] = []
        let discounts = counts.kneserNeyDiscounts(fallback: fallback) { warnings.append($0) }
        try #require(discounts.count == 3)
        #expect(abs(Double(discounts[0].d1) - 0.2) < 1e-6 && abs(Double(discounts[0].d2) - 1.7) < 1e-6 && discounts[0].d3 == 3)
        #expect(discounts[1] == fallback && discounts[2] == fallback)
        #expect(warnings.count == 2)
        #expect(warnings.filter { $0.contains("order 1") }.isEmpty)
        #expect(warnings.filter { $0.contains("order 2") }.count == 1)
        #expect(warnings.filter { $0.contains("order 3") }.count == 1)
        #expect(warnings.allSatisfy { $0.contains("fallback") && $0.contains("0.25") && $0.contains("0.75") && $0.contains("1.25") })
    }

    // MARK: - (e) Degenerate inputs

    // Three sentences at order 5:  <s> the cat sat </s> / <s> the dog sat </s> / <s> a cat ran </s>
    // No n-gram of any order has adjusted count 3 (unigrams: the 1, cat 2, sat 2, dog 1, a 1,
    // ran 1, </s> 2; bigrams: <s> the 2, sat </s> 2, the rest 1; orders 3-5: all 1), so n3 = 0
    // everywhere and each of the five orders warns once, naming itself and the fallback.
    @Test("Three sentences at order 5: builds, with one fallback warning per order")
    func tinyCorpusOrder5() throws {
        let text = "the cat sat\nthe dog sat\na cat ran"
        let (model, warnings) = try Self.model(text, order: 5)
        #expect(model.order == 5)
        try #require(warnings.count == 5)
        for n in 1...5 {
            #expect(warnings[n - 1].contains("order \(n)"), "\(warnings[n - 1])")
            #expect(warnings[n - 1].contains("fallback"))
            #expect(warnings[n - 1].contains("0.5") && warnings[n - 1].contains("1.5"))
        }
        let custom = KneserNeyDiscount(0.25, 0.75, 1.25)
        let (customModel, customWarnings) = try Self.model(text, order: 5, fallback: custom)
        #expect(customWarnings.count == 5)
        #expect(customWarnings.allSatisfy { $0.contains("0.25") && $0.contains("0.75") && $0.contains("1.25") })
        #expect(customModel.provenance == .kneserNey(Array(repeating: custom, count: 5)))
        #expect(model.entry("<s> the cat sat </s>") != nil)
    }

    // A single empty line is one sentence, <s> </s>, with no trigram at all:
    //   unigrams: a(</s>) = 1 ({<s>}); Σ = 1; γ(ε) = D1/1 = 0.5; |V| = 2 (<unk>, </s>)
    //     p(</s>) = (1 − 0.5)/1 + 0.5/2 = 0.75;  p(<unk>) = 0.25
    //   bigrams: <s> </s> 1 (raw, it starts with <s>); γ(<s>) = 0.5
    //     p(</s>|<s>) = 0.5/1 + 0.5·0.75 = 0.875
    @Test("One empty line at order 3: <s> </s>, an empty trigram order")
    func emptyLine() throws {
        let (model, _) = try Self.model("\n", order: 3)
        #expect(model.ngramCounts == [3, 1, 0])
        Self.expectEntry(model, "</s>", p: 0.75)
        Self.expectEntry(model, "<unk>", p: 0.25)
        Self.expectEntry(model, "<s>", p: 1, backoff: 0.5)
        Self.expectEntry(model, "<s> </s>", p: 0.875)
        let state = ModelState(model: model)
        state.beginSentence()
        #expect(try abs(state.score(Vocabulary.endID).log10Prob - log10(0.875)) < 1e-12)
    }

    @Test("No sentences: estimation throws emptyInput")
    func emptyInput() throws {
        func expectEmptyInput(_ counts: NGramCounts, _ options: EstimationOptions = .init(),
                              sourceLocation: SourceLocation = #_sourceLocation) {
            let error = #expect(throws: NGramKitError.self, sourceLocation: sourceLocation) {
                _ = try NGramModel.estimate(from: counts, options: options)
            }
            guard case .emptyInput = error else {
                Issue.record("expected emptyInput, got \(String(describing: error))", sourceLocation: sourceLocation)
                return
            }
        }
        // "" has no line at all (unlike "\n", one empty sentence).
        let fromText = try TestSupport.count("", order: 3)
        #expect(fromText.sentences == 0)
        expectEmptyInput(fromText)
        let noInput = try NGramCounter(order: 3).finish()
        #expect(noInput.sentences == 0)
        expectEmptyInput(noInput)
        expectEmptyInput(try NGramCounter(order: 3).finish(), EstimationOptions(smoothing: .stupidBackoff))
        expectEmptyInput(try NGramCounter(order: 1).finish())
    }

    // MARK: - Property on the hand-computed models

    @Test("Every context of the hand-computed models sums to 1", arguments: [2, 3])
    func smallModelsNormalized(order: Int) throws {
        for text in [Self.corpusA, Self.corpusB, "a b a\nb a\na c\na b", "the cat sat\nthe dog sat\na cat ran"] {
            let (model, _) = try Self.model(text, order: order)
            let state = ModelState(model: model)
            let words = (0..<UInt32(model.vocabulary.count)).filter { $0 != Vocabulary.beginID }
            var contexts: [[UInt32]] = [[]]
            for u in 0..<UInt32(model.vocabulary.count) {
                contexts.append([u])
                for v in words { contexts.append([u, v]) }
            }
            for context in contexts {
                var sum = 0.0
                for w in words {
                    try state.setContext(context)
                    sum += pow(10, try state.score(w).log10Prob)
                }
                #expect(abs(sum - 1) < 1e-12, "order \(order), context \(context): Σ p = \(sum)")
            }
        }
    }
}
