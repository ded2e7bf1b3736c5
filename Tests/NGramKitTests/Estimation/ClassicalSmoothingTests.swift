import Foundation
import NGramKit
import Testing

/// The classical smoothing methods (`--smoothing katz | witten-bell | witten-bell-backoff |
/// absolute-discounting | kneser-ney-original | additive`): hand-computed probabilities on a
/// text small enough to follow, Good-Turing's coefficients, normalization in every context, the
/// model files, and the options.
@Suite("Classical smoothing methods")
struct ClassicalSmoothingTests {
    // Sentences:  <s> a b </s>   <s> a c a </s>   <s> b a </s>
    // Unigrams (V′ = <unk>, </s>, a, b, c: |V′| = 5): c(a) = 4, c(b) = 2, c(c) = 1, c(</s>) = 3,
    //   c(<unk>) = 0; T = 10 tokens, E = 4 words seen.
    // Bigrams: <s> a 2, <s> b 1 (T = 3, E = 2);  a b 1, a c 1, a </s> 2 (T = 4, E = 3);
    //          b </s> 1, b a 1 (T = 2, E = 2);  c a 1 (T = 1, E = 1).
    //   Counts-of-counts: n1 = 6, n2 = 2.
    static let corpus = "a b\na c a\nb a"

    static func model(_ smoothing: SmoothingMethod, order: Int = 2, thresholds: [UInt64] = [], interpolateUnigrams: Bool = true,
                      delta: Double = 1) throws -> NGramModel {
        let counter = try NGramCounter(order: order)
        var tokenizer = WhitespaceTokenizer()
        try counter.addText(corpus, tokenizer: &tokenizer)
        var options = EstimationOptions(smoothing: smoothing, countThresholds: thresholds)
        options.interpolateUnigrams = interpolateUnigrams
        options.additiveDelta = delta
        return try NGramModel.estimate(from: try counter.finish(), options: options)
    }

    /// p(word | context) as the model scores it.
    static func p(_ model: NGramModel, _ context: [String], _ word: String) throws -> Double {
        let state = ModelState(model: model)
        try state.setContext(try context.map { try #require(model.vocabulary.lookup($0)) })
        return pow(10, try state.score(try #require(model.vocabulary.lookup(word))).log10Prob)
    }

    static func expectClose(_ actual: Double, _ expected: Double, _ what: String, sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(abs(actual - expected) <= 1e-12 * max(1, abs(expected)), "\(what): \(actual), expected \(expected)", sourceLocation: sourceLocation)
    }

    @Test("Witten-Bell, interpolated: c/(T+E) plus E/(T+E) of the order below; unigrams over the uniform distribution")
    func wittenBell() throws {
        let model = try Self.model(.wittenBell)
        // Unigrams: Z = T + E = 14, λ = 4/14 spread over 5 words: p(w) = (c(w) + 0.8) / 14.
        let uni = ["a": 4.8 / 14, "b": 2.8 / 14, "c": 1.8 / 14, "</s>": 3.8 / 14, "<unk>": 0.8 / 14]
        for (w, value) in uni { Self.expectClose(try Self.p(model, [], w), value, "p(\(w))") }
        // Context a: Z = 4 + 3 = 7, λ(a) = 3/7.
        Self.expectClose(try Self.p(model, ["a"], "b"), 1.0 / 7 + 3.0 / 7 * uni["b"]!, "p(b|a)")
        Self.expectClose(try Self.p(model, ["a"], "</s>"), 2.0 / 7 + 3.0 / 7 * uni["</s>"]!, "p(</s>|a)")
        Self.expectClose(try Self.p(model, ["a"], "a"), 3.0 / 7 * uni["a"]!, "p(a|a), unseen")
        // Context <s>: Z = 3 + 2 = 5, λ = 2/5.
        Self.expectClose(try Self.p(model, ["<s>"], "a"), 2.0 / 5 + 2.0 / 5 * uni["a"]!, "p(a|<s>)")
        Self.expectClose(model.entry("a")!.logBackoff, log10(3.0 / 7), "the backoff weight of a is λ(a)")
    }

    @Test("Witten-Bell in backoff form: c/(T+E) for seen bigrams, Katz's weight for the rest")
    func wittenBellBackoff() throws {
        let model = try Self.model(.wittenBellBackoff)
        // The unigrams have no order below but the uniform distribution: as interpolated.
        let uni = ["a": 4.8 / 14, "b": 2.8 / 14, "c": 1.8 / 14, "</s>": 3.8 / 14, "<unk>": 0.8 / 14]
        Self.expectClose(try Self.p(model, ["a"], "b"), 1.0 / 7, "p(b|a)")
        Self.expectClose(try Self.p(model, ["a"], "</s>"), 2.0 / 7, "p(</s>|a)")
        // β(a) = (1 − 4/7) / (1 − p(b) − p(c) − p(</s>)).
        let beta = (1 - 4.0 / 7) / (1 - uni["b"]! - uni["c"]! - uni["</s>"]!)
        Self.expectClose(try Self.p(model, ["a"], "a"), beta * uni["a"]!, "p(a|a), unseen")
        Self.expectClose(try Self.p(model, ["a"], "<unk>"), beta * uni["<unk>"]!, "p(<unk>|a), unseen")
    }

    @Test("Absolute discounting: D = n1/(n1+2·n2) per order, λ(h) = D·E(h)/T(h)")
    func absoluteDiscounting() throws {
        var warnings: [String] = []
        let counter = try NGramCounter(order: 2)
        var tokenizer = WhitespaceTokenizer()
        try counter.addText(Self.corpus, tokenizer: &tokenizer)
        let model = try NGramModel.estimate(from: try counter.finish(), options: EstimationOptions(smoothing: .absoluteDiscounting)) { warnings.append($0) }
        #expect(warnings.isEmpty, "\(warnings)")
        // Unigrams: n1 = 1 (c), n2 = 1 (b): D = 1/3; λ = (1/3)·4/10, over 5 words.
        let d1 = 1.0 / 3, lambda = d1 * 4 / 10
        func uni(_ c: Double) -> Double { max(c - d1, 0) / 10 + lambda / 5 }
        Self.expectClose(try Self.p(model, [], "a"), uni(4), "p(a)")
        Self.expectClose(try Self.p(model, [], "<unk>"), uni(0), "p(<unk>)")
        // Bigrams: n1 = 6, n2 = 2: D = 0.6. Context a: T = 4, E = 3.
        let d2 = 0.6
        Self.expectClose(try Self.p(model, ["a"], "b"), (1 - d2) / 4 + d2 * 3 / 4 * uni(2), "p(b|a)")
        Self.expectClose(try Self.p(model, ["a"], "a"), d2 * 3 / 4 * uni(4), "p(a|a), unseen")
        #expect(model.provenance.smoothing == .absoluteDiscounting && model.provenance.discounts.map(\.d1) == [Float(d1), Float(d2)])
    }

    @Test("Additive: add-δ unigrams, and the order below as the prior of each context")
    func additive() throws {
        for delta in [1.0, 0.1] {
            let model = try Self.model(.additive, delta: delta)
            // Unigrams: (c + δ) / (10 + 5δ).
            func uni(_ c: Double) -> Double { (c + delta) / (10 + 5 * delta) }
            Self.expectClose(try Self.p(model, [], "a"), uni(4), "δ = \(delta): p(a)")
            Self.expectClose(try Self.p(model, [], "<unk>"), uni(0), "δ = \(delta): p(<unk>)")
            // Context a: (c + 5δ·p(w)) / (4 + 5δ).
            Self.expectClose(try Self.p(model, ["a"], "b"), (1 + 5 * delta * uni(2)) / (4 + 5 * delta), "δ = \(delta): p(b|a)")
            Self.expectClose(try Self.p(model, ["a"], "a"), 5 * delta * uni(4) / (4 + 5 * delta), "δ = \(delta): p(a|a)")
        }
    }

    @Test("Katz: undiscounted counts leave no mass, so each context's total grows by one (SRILM); β makes the rest")
    func katzSmall() throws {
        let model = try Self.model(.katz)
        // Unigrams: k = 1, n1 = 1, n2 = 1: d_1 = (2·1/1 − 2)/(1 − 2) = 0, out of range, so 1: no
        // discount; Σ α = 1 and <unk> is unseen, so Z = 10 + 1 and 1/11 is spread over 5 words.
        func uni(_ c: Double) -> Double { c / 11 + 1.0 / 55 }
        Self.expectClose(try Self.p(model, [], "a"), uni(4), "p(a)")
        Self.expectClose(try Self.p(model, [], "<unk>"), uni(0), "p(<unk>)")
        // Bigrams: n1 = 6, n2 = 2, n3 = 0, so k falls to 1: d_1 = (2·2/6 − 4/6)/(1 − 4/6) = 0 → 1.
        // Context a: Z = 4 + 1.
        Self.expectClose(try Self.p(model, ["a"], "b"), 1.0 / 5, "p(b|a)")
        let beta = (1 - 4.0 / 5) / (1 - uni(2) - uni(1) - uni(3))
        Self.expectClose(try Self.p(model, ["a"], "a"), beta * uni(4), "p(a|a), unseen")
        // Without interpolated unigrams, <unk> takes the 1/11.
        let toUnknown = try Self.model(.katz, interpolateUnigrams: false)
        Self.expectClose(try Self.p(toUnknown, [], "<unk>"), 1.0 / 11, "p(<unk>), --interpolate-unigrams false")
        Self.expectClose(try Self.p(toUnknown, [], "a"), 4.0 / 11, "p(a), --interpolate-unigrams false")
    }

    @Test("--vocab-pad: the uniform share of the unigrams is over the padded vocabulary, and <unk> scores as one padded word",
          arguments: [SmoothingMethod.kneserNey, .wittenBell, .katz])
    func vocabularyPad(smoothing: SmoothingMethod) throws {
        let plain = try Self.model(smoothing)
        var options = EstimationOptions(smoothing: smoothing)
        options.vocabularyPad = 1000
        let counter = try NGramCounter(order: 2)
        var tokenizer = WhitespaceTokenizer()
        try counter.addText(Self.corpus, tokenizer: &tokenizer)
        let padded = try NGramModel.estimate(from: try counter.finish(), options: options)
        // V′ has 5 words; what the unigrams leave, λ, is spread over 1000 instead of 5:
        // p(w) = α(w) + λ/1000, so the five sum to 1 − λ·(1 − 5/1000).
        let words = ["<unk>", "</s>", "a", "b", "c"]
        let lambda = 5 * (try Self.p(plain, [], "<unk>"))   // <unk> is unseen: its p is λ/5
        let sum = try words.reduce(0) { $0 + (try Self.p(padded, [], $1)) }
        Self.expectClose(sum, 1 - lambda * (1 - 5.0 / 1000), "Σ p(w)")
        Self.expectClose(try Self.p(padded, [], "<unk>"), lambda / 1000, "p(<unk>)")
        Self.expectClose(try Self.p(padded, [], "a"), try Self.p(plain, [], "a") - lambda / 5 + lambda / 1000, "p(a)")
        var bad = EstimationOptions(smoothing: smoothing)
        bad.vocabularyPad = 1000
        bad.interpolateUnigrams = false
        #expect(throws: NGramKitError.self) { try bad.validate() }
    }

    @Test("Good-Turing coefficients as SRILM computes them")
    func goodTuring() throws {
        // n1..n8 = 100, 40, 20, 12, 8, 6, 5, 4; k = 7: A = 8·4/100 = 0.32;
        // d_r = ((r+1)·n_{r+1}/(r·n_r) − A)/(1 − A).
        let n: [UInt64] = [0, 100, 40, 20, 12, 8, 6, 5, 4]
        let d = KatzBackoff.goodTuringCoefficients(countsOfCounts: n, maximum: 7)
        let a = 0.32
        let expected = (1...7).map { r -> Double in
            let ratio = Double(r + 1) * Double(n[r + 1]) / (Double(r) * Double(n[r]))
            let c = (ratio - a) / (1 - a)
            return ratio > 1 || c <= 3e-6 ? 1 : c
        }
        #expect(d.count == 7)
        for (r, (x, y)) in zip(d, expected).enumerated() { Self.expectClose(x, y, "d_\(r + 1)") }
        Self.expectClose(d[0], (2.0 * 40 / 100 - a) / (1 - a), "d_1 by hand")
        // k falls while n_{k+1} is 0; no singletons: no discounting.
        #expect(KatzBackoff.goodTuringCoefficients(countsOfCounts: [0, 10, 4, 0, 0], maximum: 3).count == 1)
        #expect(KatzBackoff.goodTuringCoefficients(countsOfCounts: [0, 0, 4, 2], maximum: 2).isEmpty)
        // A > 1 (n1 = 10, n3 = 4, k = 2: A = 1.2): d_1 = (0 − 1.2)/(1 − 1.2) = 6, kept by SRILM, 1 here.
        #expect(KatzBackoff.goodTuringCoefficients(countsOfCounts: [0, 10, 0, 4, 0], maximum: 3) == [1, 1])
    }

    @Test("Original Kneser-Ney is modified Kneser-Ney with D1 = D2 = D3+ = n1/(n1+2·n2) of the adjusted counts")
    func originalKneserNey() throws {
        let counts = try NormalizationTests.brownCounts(order: 3)
        let original = try NGramModel.estimate(from: counts, options: EstimationOptions(smoothing: .originalKneserNey))
        let modified = try NGramModel.estimate(from: counts)
        #expect(original.provenance.smoothing == .originalKneserNey)
        for (n, (o, m)) in zip(original.provenance.discounts, modified.provenance.discounts).enumerated() where n > 0 {
            // Y = n1/(n1+2 n2) from modified Kneser-Ney's D1 = 1 − 2Y·n2/n1.
            let c = try counts.kneserNeyCountsOfCounts(order: n + 1)
            let y = Float(c[1]) / Float(Double(c[1]) + 2.0 * Double(c[2]))
            #expect(o.d1 == y && o.d2 == y && o.d3 == y, "order \(n + 1): \(o)")
            // Modified Kneser-Ney's D1 = 1 − 2Y·n2/n1 is Y too; D2 and D3+ differ.
            #expect(abs(m.d1 - y) < 1e-6 && m.d2 != y && m.d3 != y, "order \(n + 1): \(m)")
        }
    }

    @Test("Every method sums to 1 in every context: seen, with <unk>, at sentence starts, unseen",
          arguments: [SmoothingMethod.katz, .wittenBell, .wittenBellBackoff, .absoluteDiscounting, .originalKneserNey, .additive])
    func normalized(smoothing: SmoothingMethod) throws {
        // [0, 1] at order 3: the last threshold serves the orders above it.
        for (order, thresholds) in [(2, [UInt64]()), (4, []), (3, [0, 1])] {
            let counts = try NormalizationTests.brownCounts(order: order)
            let contexts = try NormalizationTests.sampleContexts(counts, seed: 0xC1A5 + UInt64(order))
            var options = EstimationOptions(smoothing: smoothing, countThresholds: thresholds)
            options.additiveDelta = 0.5
            let model = try NGramModel.estimate(from: counts, options: options)
            if !thresholds.isEmpty || smoothing == .katz && order >= 3 {
                #expect(model.ngramCounts[order - 1] < counts.uniqueCount(order: order), "order \(order): nothing left out")
            }
            try NormalizationTests.expectNormalized(model, contexts, "\(smoothing.rawValue) order \(order) \(thresholds)")
            // Without interpolated unigrams too.
            options.interpolateUnigrams = false
            try NormalizationTests.expectNormalized(try NGramModel.estimate(from: counts, options: options), contexts,
                                                    "\(smoothing.rawValue) order \(order), unigrams not interpolated")
        }
    }

    @Test("A context followed by every word: nothing is left below, so its own probabilities are scaled to sum to 1 (SRILM)",
          arguments: [SmoothingMethod.wittenBellBackoff, .katz, .wittenBell])
    func contextOfEveryWord(smoothing: SmoothingMethod) throws {
        // V′ = <unk>, </s>, a, b; a is followed by each of them.
        let counter = try NGramCounter(order: 2)
        var tokenizer = WhitespaceTokenizer()
        try counter.addText("a b\nb a\na a\nb b\na <unk>\n<unk> b\nb <unk> a", tokenizer: &tokenizer)
        let model = try NGramModel.estimate(from: try counter.finish(), options: EstimationOptions(smoothing: smoothing))
        let contexts = ["a", "b", "<unk>", "<s>", "</s>"].map { NormalizationTests.Context(kind: .seen, ids: [model.vocabulary.lookup($0)!]) }
        try NormalizationTests.expectNormalized(model, contexts, "\(smoothing.rawValue), a tiny vocabulary")
        if smoothing == .wittenBellBackoff {
            // a: a 1, b 1, <unk> 1, </s> 3 (T = 6, E = 4): c/(T + E) rescaled is c/T.
            Self.expectClose(try Self.p(model, ["a"], "</s>"), 3.0 / 6, "p(</s>|a)")
        }
    }

    @Test("ARPA and binary files keep the method and every value", arguments: [SmoothingMethod.katz, .wittenBell, .additive])
    func files(smoothing: SmoothingMethod) throws {
        let directory = try TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let text = try TestSupport.sharedFile("fixtures/kenlm/brown.train5k.txt.gz")
        let arpa = directory.appendingPathComponent("m.arpa").path, binary = directory.appendingPathComponent("m.bin").path
        let build = try TestSupport.runTool(["build", "--order", "3", "--text", text, "--smoothing", smoothing.rawValue,
                                             "--arpa", arpa, "--binary", binary])
        #expect(build.status == 0, "\(build.stderr)")
        let fromARPA = try ModelFile.load(arpa), fromBinary = try ModelFile.load(binary)
        #expect(fromARPA.provenance.smoothing == smoothing && fromBinary.provenance.smoothing == smoothing)
        let held = try TestSupport.sharedFile("fixtures/kenlm/brown.test1k.txt.gz")
        let a = try TestSupport.runTool(["ppl", "--model", arpa, "--text", held, "--json"])
        let b = try TestSupport.runTool(["ppl", "--model", binary, "--text", held, "--json"])
        #expect(a.status == 0 && b.status == 0, "\(a.stderr) \(b.stderr)")
        // The ARPA file holds each value to 7 digits, the binary file in single precision.
        func field(_ json: String, _ name: String) throws -> Any? {
            (try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any])?[name]
        }
        let pa = try #require(try field(a.stdout, "log10_prob") as? Double), pb = try #require(try field(b.stdout, "log10_prob") as? Double)
        #expect(abs(pa - pb) < 1e-7 * abs(pa), "\(pa) \(pb)")
        #expect(try field(a.stdout, "smoothing") as? String == smoothing.rawValue && field(b.stdout, "smoothing") as? String == smoothing.rawValue)
        // Against the model in memory.
        let counter = try NGramCounter(order: 3)
        try counter.addFiles([text], configuration: TokenizerConfiguration())
        let inMemory = try NGramModel.estimate(from: try counter.finish(), options: EstimationOptions(smoothing: smoothing))
        let m = try Perplexity.evaluate(model: inMemory, paths: [held])
        #expect(abs(m.log10Prob - pa) < 1e-7 * abs(pa), "\(m.log10Prob) \(pa)")
    }

    @Test("Options out of range and methods past the budget are one-line errors")
    func refusals() throws {
        var bad = EstimationOptions(smoothing: .additive)
        bad.additiveDelta = 0
        #expect(throws: NGramKitError.self) { try bad.validate() }
        var sb = EstimationOptions(smoothing: .stupidBackoff)
        sb.interpolateUnigrams = false
        #expect(throws: NGramKitError.self) { try sb.validate() }
        #expect(throws: NGramKitError.self) { try EstimationOptions(smoothing: .stupidBackoff, countThresholds: [0, 1]).validate() }
        let text = try TestSupport.sharedFile("corpora/ptb/ptb.train.txt.gz")
        let directory = try TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let result = try TestSupport.runTool(["build", "--order", "3", "--text", text, "--smoothing", "witten-bell", "--memory", "8M",
                                              "--arpa", directory.appendingPathComponent("m.arpa").path])
        #expect(result.status != 0 && result.stderr.contains("--memory") && result.stderr.contains("witten-bell"), "\(result.stderr)")
        #expect(result.stderr.split(separator: "\n").count == 1, "\(result.stderr)")
        #expect(try TestSupport.contents(directory).isEmpty)
    }
}
