import Foundation

/// Perplexity of a model on text, with KenLM's conventions.
///
/// In:  a model and text files (one sentence per line), tokenized as the model was trained.
/// Out: `PerplexityResult`; optionally every sentence's and every token's score.
///
/// Conventions (KenLM's `query`): each line is a sentence `<s> w1 ... wn </s>`; `<s>` is context
/// only and never predicted; `</s>` is predicted and counted as a token once per sentence; a
/// word the model does not know is an OOV, scored as p(`<unk>` | context) and then carried in
/// the history as `<unk>` (in a model that has no n-gram containing `<unk>`, as KenLM's never
/// do, this breaks the context: the next word backs off to its unigram).
public enum Perplexity {
    /// One scored token, for `ngramkit query`.
    public struct Token {
        /// The token's bytes as they appear in the text (`</s>` for the sentence end).
        public let word: UnsafeBufferPointer<UInt8>
        /// The model's id of the word; 0 (`<unk>`) for an OOV.
        public let id: UInt32
        /// Length of the longest stored n-gram used.
        public let matched: Int
        /// log10 p(word | history); −infinity for probability 0.
        public let log10Prob: Double
    }

    /// One scored sentence.
    public struct Sentence: Sendable {
        /// File and line number.
        public let path: String
        public let line: Int
        /// Sum of log10 probabilities of its tokens (`</s>` included).
        public let log10Prob: Double
        /// Tokens scored, `</s>` included.
        public let tokens: Int
        /// Out-of-vocabulary words.
        public let oovs: Int
    }

    /// Scores every sentence of `paths`.
    /// - Parameters:
    ///   - model: the model.
    ///   - paths: text files (`-` for standard input).
    ///   - configuration: the tokenizer (the model's training tokenizer).
    ///   - onToken: called for every token scored, in order, then `onSentence` for its sentence.
    /// - Throws: `NGramKitError` for unreadable input, invalid UTF-8 and literal `<s>`/`</s>`.
    public static func evaluate(model: NGramModel, paths: [String], configuration: TokenizerConfiguration = try! TokenizerConfiguration(),
                                onToken: ((Token) throws -> Void)? = nil,
                                onSentence: ((Sentence) throws -> Void)? = nil) throws -> PerplexityResult {
        var user = Evaluator(model: model, paths: paths, onToken: onToken, onSentence: onSentence)
        return try configuration.apply(&user)
    }

    private struct Evaluator: TokenizerUser {
        let model: NGramModel
        let paths: [String]
        let onToken: ((Token) throws -> Void)?
        let onSentence: ((Sentence) throws -> Void)?

        func use<T: Tokenizer>(_ tokenizer: inout T) throws -> PerplexityResult {
            let reader = TokenizingReader(paths: paths, tokenizer: tokenizer)
            let state = ModelState(model: model)
            let vocabulary = model.vocabulary
            let isStupidBackoff: Bool
            if case .stupidBackoff = model.smoothing { isStupidBackoff = true } else { isStupidBackoff = false }
            var result = PerplexityResult()
            let endWord: [UInt8] = Array(Vocabulary.endWord.utf8)
            try reader.forEachBatch { batch in
                var index = 0
                let tags = batch.tags
                for (line, end) in batch.lineEnds.enumerated() {
                    state.beginSentence()
                    var sentenceLog = 0.0, sentenceOOVs = 0
                    let sentenceTokens = end - index + 1
                    while index <= end {
                        let isEnd = index == end
                        let word: UInt32
                        if isEnd {
                            word = Vocabulary.endID
                        } else {
                            let token = batch.token(index)
                            let id = vocabulary.lookup(token, tag: tags[index]) ?? Vocabulary.unknownID
                            if id == Vocabulary.beginID || id == Vocabulary.endID {
                                throw NGramKitError.reservedToken(path: batch.path, line: batch.firstLineNumber + line,
                                                                  token: String(decoding: token, as: UTF8.self))
                            }
                            word = id
                        }
                        let log10Prob: Double, matched: Int
                        if isStupidBackoff, let (p, raw, length) = state.scoreRawStupidBackoff(word) {
                            log10Prob = p
                            matched = length
                            result.rawLog10Score = (result.rawLog10Score ?? 0) + raw
                        } else {
                            (log10Prob, matched) = state.score(word)
                        }
                        let isOOV = word == Vocabulary.unknownID
                        if isOOV { sentenceOOVs += 1 } else { result.log10ProbExcludingOOVs += log10Prob }
                        if log10Prob == -.infinity { result.zeroProbabilityTokens += 1 }
                        sentenceLog += log10Prob
                        if let onToken {
                            if isEnd {
                                try endWord.withUnsafeBufferPointer {
                                    try onToken(Token(word: $0, id: word, matched: matched, log10Prob: log10Prob))
                                }
                            } else {
                                try onToken(Token(word: batch.token(index), id: word, matched: matched, log10Prob: log10Prob))
                            }
                        }
                        index += 1
                    }
                    index = end
                    result.sentences += 1
                    result.tokens += sentenceTokens
                    result.oovs += sentenceOOVs
                    result.log10Prob += sentenceLog
                    try onSentence?(Sentence(path: batch.path, line: batch.firstLineNumber + line, log10Prob: sentenceLog,
                                             tokens: sentenceTokens, oovs: sentenceOOVs))
                }
            }
            return result
        }
    }
}

/// Totals of a perplexity run.
public struct PerplexityResult: Sendable, Equatable {
    public var sentences = 0
    /// Tokens scored: words plus one `</s>` per sentence.
    public var tokens = 0
    /// Out-of-vocabulary words (scored as `<unk>`).
    public var oovs = 0
    /// Σ log10 p over all tokens.
    public var log10Prob = 0.0
    /// Σ log10 p over the tokens that are not OOVs.
    public var log10ProbExcludingOOVs = 0.0
    /// Tokens the model gives probability 0 (Stupid Backoff without `<unk>` mass, or a model
    /// read with -99 probabilities): the perplexity that includes them is infinite.
    public var zeroProbabilityTokens = 0
    /// Stupid Backoff only: Σ log10 S over all tokens, the raw (unnormalized) score.
    public var rawLog10Score: Double?

    public init() {}

    /// 10^(−Σ log10 p / tokens), infinite when a token has probability 0.
    public var perplexity: Double { Foundation.pow(10, -log10Prob / Double(tokens)) }
    /// The same over the tokens that are not OOVs.
    public var perplexityExcludingOOVs: Double {
        Foundation.pow(10, -log10ProbExcludingOOVs / Double(tokens - oovs))
    }
    /// Cross-entropy in nats per token (every token counted).
    public var crossEntropyNats: Double { -log10Prob / Double(tokens) * M_LN10 }
}
