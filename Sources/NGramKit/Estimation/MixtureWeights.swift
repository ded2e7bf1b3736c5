import Foundation

/// Linear interpolation of models on a text: every token's probability under each model, the
/// exact mixture's perplexity at any weights (SRILM's `ngram -mix-lm -lambda -bayes 0`), and the
/// weights that minimize it (EM, as SRILM's `compute-best-mix`).
///
/// In:  models (ARPA or binary, any smoothing, any vocabularies) and text files.
/// Out: p_i(t) for every token t (`</s>` included, `<s>` context only), then perplexities and
///      weights from those numbers alone.
///
/// Vocabularies: the mixture's vocabulary is the union of the models'. A word that model i does
/// not know gets p_i = 0 from it (so the mixture stays normalized over the union, as MITLM's);
/// a word that no model knows is an OOV, scored as each model's `<unk>` (KenLM's convention,
/// as `ngramkit ppl`). Each model keeps its own history, with `<unk>` for words it does not know.
/// With identical vocabularies this is plain Σ λ_i p_i(w | h).
public struct MixtureScores: Sendable {
    /// Number of models.
    public let models: Int
    /// Tokens scored (`</s>` included).
    public let tokens: Int
    /// Sentences scored.
    public let sentences: Int
    /// Tokens that no model knows.
    public let oovs: Int
    /// p_i(t), `t * models + i`.
    let probabilities: [Double]

    /// Scores `paths` with every model (tokenized with `configuration`, or the first model's
    /// recorded tokenizer).
    /// - Throws: `NGramKitError` for unreadable text, or `invalidOption` when there is no model.
    public static func score(models: [NGramModel], paths: [String], configuration: TokenizerConfiguration? = nil,
                             threads: Int = ThreadCount.all) throws -> MixtureScores {
        guard let first = models.first else {
            throw NGramKitError.invalidOption(name: "--model", value: "none", expected: "at least one model")
        }
        let tokenizer = try configuration ?? first.provenance.tokenizer ?? TokenizerConfiguration()
        var perModel: [[Double]] = [], known: [[Bool]] = []
        var sentences = 0
        for model in models {
            var p: [Double] = [], k: [Bool] = []
            let result = try Perplexity.evaluate(model: model, paths: paths, configuration: tokenizer, threads: threads, onToken: { token in
                p.append(pow(10, token.log10Prob))
                k.append(token.id != Vocabulary.unknownID || token.word.elementsEqual(Vocabulary.unknownWord.utf8))
            })
            try result.requireSentences(paths: paths)
            sentences = result.sentences
            perModel.append(p)
            known.append(k)
        }
        let tokens = perModel[0].count
        var probabilities = [Double](repeating: 0, count: tokens * models.count)
        var oovs = 0
        for t in 0..<tokens {
            let anyKnows = known.contains { $0[t] }
            if !anyKnows { oovs += 1 }
            for i in 0..<models.count where !anyKnows || known[i][t] {
                probabilities[t * models.count + i] = perModel[i][t]
            }
        }
        return MixtureScores(models: models.count, tokens: tokens, sentences: sentences, oovs: oovs, probabilities: probabilities)
    }

    /// Checks that `weights` has one positive weight per model, summing to 1 (within 1e-6).
    /// - Throws: `NGramKitError.invalidOption` naming `--weights`.
    public func check(_ weights: [Double]) throws {
        guard weights.count == models, weights.allSatisfy({ $0 >= 0 && $0.isFinite }), abs(weights.reduce(0, +) - 1) < 1e-6 else {
            throw NGramKitError.invalidOption(name: "--weights", value: weights.map { String($0) }.joined(separator: ","),
                                              expected: "\(models) weights of 0 or more, one per --model in order, summing to 1")
        }
    }

    /// The exact mixture's log10 probability of the text.
    public func log10Prob(weights: [Double]) -> Double {
        var total = 0.0
        for t in 0..<tokens {
            var p = 0.0
            for i in 0..<models { p += weights[i] * probabilities[t * models + i] }
            total += log10(p)
        }
        return total
    }

    /// The exact mixture's perplexity, 10^(−log10 p / tokens).
    public func perplexity(weights: [Double]) -> Double {
        Perplexity.perplexity(log10Prob: log10Prob(weights: weights), tokens: tokens)
    }

    /// The weights that minimize the exact mixture's perplexity, by EM from `start` (equal
    /// weights by default): λ_i ← (1/T) Σ_t λ_i p_i(t) / Σ_j λ_j p_j(t), until no weight moves by
    /// more than `tolerance` or `maxIterations`. Tokens of probability 0 under every model are
    /// left out of the updates. `onIteration` receives each iteration's number, weights and
    /// perplexity.
    public func bestWeights(start: [Double]? = nil, tolerance: Double = 1e-7, maxIterations: Int = 10_000,
                            onIteration: (Int, [Double], Double) throws -> Void = { _, _, _ in }) rethrows -> (weights: [Double], iterations: Int) {
        var weights = start ?? [Double](repeating: 1 / Double(models), count: models)
        var iteration = 0
        while iteration < maxIterations {
            iteration += 1
            var next = [Double](repeating: 0, count: models)
            var used = 0
            for t in 0..<tokens {
                var total = 0.0
                for i in 0..<models { total += weights[i] * probabilities[t * models + i] }
                guard total > 0 else { continue }
                used += 1
                for i in 0..<models { next[i] += weights[i] * probabilities[t * models + i] / total }
            }
            for i in 0..<models { next[i] /= Double(max(used, 1)) }
            let moved = zip(next, weights).map { abs($0 - $1) }.max() ?? 0
            weights = next
            try onIteration(iteration, weights, perplexity(weights: weights))
            if moved < tolerance { break }
        }
        return (weights, iteration)
    }
}
