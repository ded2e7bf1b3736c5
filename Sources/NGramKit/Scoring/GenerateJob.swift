/// `ngramkit generate` as a library call: sentences drawn from a model (`SentenceSampler`).
///
/// Out: one sentence per line (the prefix, then the drawn words, separated by spaces; `</s>` not
///      written), or one JSON object per sentence: `text`, `log10_prob` (under the model, `</s>`
///      included), `words` (drawn, prefix and `</s>` excluded) and `ended` (false when
///      `maxWords` cut it). Sentence i is drawn from its own stream of the seed, so the first k
///      sentences are the same whatever `count` is.
public enum GenerateJob {
    /// - Parameters:
    ///   - prefix: text every sentence starts with, after `<s>` (tokenized as the model records).
    ///   - maxWords: the most words a sentence may have, the prefix included.
    /// - Throws: `NGramKitError.invalidOption` for a count below 1, `maxWords` not above the
    ///   prefix's length, or a temperature not above 0; `malformedModel` for a model that cannot
    ///   be sampled.
    public static func run(model: NGramModel, count: Int, seed: UInt64, prefix: String, maxWords: Int, temperature: Double,
                           json: Bool, write: (String) throws -> Void) throws {
        guard count >= 1 else { throw NGramKitError.invalidOption(name: "--count", value: String(count), expected: "at least 1") }
        let prefixIDs: [UInt32]
        do {
            prefixIDs = try model.contextIDs(prefix)
        } catch NGramKitError.reservedToken(_, _, let token) {
            throw NGramKitError.reservedToken(path: "--prefix", line: 1, token: token)
        }
        guard maxWords > prefixIDs.count else {
            throw NGramKitError.invalidOption(name: "--max-words", value: String(maxWords), expected: "more than the \(prefixIDs.count) words of --prefix")
        }
        let sampler = try SentenceSampler(model: model, temperature: temperature)
        let prefixWords = try model.tokens(of: prefix)
        for i in 0..<count {
            var rng = SplitMix64(seed: seed, stream: UInt64(i))
            let (ids, log10Prob, ended) = try sampler.sentence(prefix: prefixIDs, maxWords: maxWords, using: &rng)
            let drawn = ids.map { model.vocabulary.word($0) ?? Vocabulary.unknownWord }
            let text = (prefixWords + drawn).joined(separator: " ")
            if json {
                try write("{\"text\":\(JSON.quote(text)),\"log10_prob\":\(JSON.exact(log10Prob)),\"words\":\(drawn.count),\"ended\":\(ended)}\n")
            } else {
                try write(text + "\n")
            }
        }
    }
}
