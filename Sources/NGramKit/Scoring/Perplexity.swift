import Foundation
import CNGramKitSupport

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

    /// 10^(−`log10Prob` / `tokens`): the perplexity of tokens whose log10 probabilities sum to
    /// `log10Prob`.
    public static func perplexity(log10Prob: Double, tokens: Int) -> Double {
        Foundation.pow(10, -log10Prob / Double(tokens))
    }

    /// How many tokens ahead the vocabulary lookups prefetch.
    static let vocabularyLookahead = 16

    /// Scores every sentence of `paths`.
    ///
    /// The text is read and tokenized on a thread of its own; the calling thread looks the words
    /// up in the model's vocabulary and cuts the text into pieces of consecutive sentences, which
    /// `SentenceScorer` scores (on `threads` threads when more than one, each with its own
    /// `ModelState`) and adds up sentence by sentence in text order, so the result is
    /// bit-identical for any `threads`. The callbacks are called on the calling thread, in input
    /// order, whatever `threads` is.
    /// - Parameters:
    ///   - model: the model.
    ///   - paths: text files (`-` for standard input).
    ///   - configuration: the tokenizer; nil (the default) uses the one the model records
    ///     (`ModelProvenance.tokenizer`), or the whitespace tokenizer when it records none.
    ///   - threads: threads that score (default: all cores, at most `ThreadCount.maximum`); 1
    ///     scores on the calling thread.
    ///   - onToken: called for every token scored, in order, then `onSentence` for its sentence.
    /// - Throws: `NGramKitError` for unreadable input, invalid UTF-8 and literal `<s>`/`</s>`
    ///   (after the callbacks of the sentences before the error).
    public static func evaluate(model: NGramModel, paths: [String], configuration: TokenizerConfiguration? = nil,
                                threads: Int = ThreadCount.all,
                                onToken: ((Token) throws -> Void)? = nil,
                                onSentence: ((Sentence) throws -> Void)? = nil) throws -> PerplexityResult {
        var user = Evaluator(model: model, paths: paths, threads: ThreadCount.usable(threads), onToken: onToken, onSentence: onSentence)
        let tokenizer = try configuration ?? model.provenance.tokenizer ?? TokenizerConfiguration()
        return try tokenizer.apply(&user)
    }

    private struct Evaluator: TokenizerUser {
        let model: NGramModel
        let paths: [String]
        let threads: Int
        let onToken: ((Token) throws -> Void)?
        let onSentence: ((Sentence) throws -> Void)?

        func use<T: Tokenizer>(_ tokenizer: inout T) throws -> PerplexityResult {
            let reader = TokenizingReader(paths: paths, tokenizer: tokenizer)
            let vocabulary = model.vocabulary
            let scorer = SentenceScorer(model: model, threads: threads, onToken: onToken, onSentence: onSentence)
            try reader.forEachBatch { batch in
                var index = 0
                let tags = batch.tags
                // Each lookup's first cache miss (the word's index slot) is requested
                // `Perplexity.vocabularyLookahead` tokens ahead, so the misses overlap.
                let tokenCount = batch.lineEnds.last ?? 0
                let lookahead = Perplexity.vocabularyLookahead
                for i in 0 ..< min(lookahead, tokenCount) { ngk_prefetch_read(vocabulary.homeSlotAddress(tags[i].hash)) }
                var piece = scorer.newPiece(path: batch.path, firstLine: batch.firstLineNumber)
                for (line, end) in batch.lineEnds.enumerated() {
                    while index < end {
                        if index + lookahead < tokenCount {
                            ngk_prefetch_read(vocabulary.homeSlotAddress(tags[index + lookahead].hash))
                        }
                        let token = batch.token(index)
                        let id = vocabulary.lookup(token, tag: tags[index]) ?? Vocabulary.unknownID
                        if id == Vocabulary.beginID || id == Vocabulary.endID {
                            // The sentences before it (and this line's tokens before it, for the
                            // per-token callback) are scored and delivered, then the error thrown.
                            piece.failure = NGramKitError.reservedToken(path: batch.path, line: batch.firstLineNumber + line,
                                                                        token: String(decoding: token, as: UTF8.self))
                            try scorer.submit(piece)
                            try scorer.deliverScored(waiting: true)
                            return
                        }
                        piece.append(id, word: token)
                        index += 1
                    }
                    piece.endSentence()
                    if piece.ids.count >= SentenceScorer.pieceTokens && line + 1 < batch.lineCount {
                        try scorer.submit(piece)
                        piece = scorer.newPiece(path: batch.path, firstLine: batch.firstLineNumber + line + 1)
                    }
                }
                if piece.sentenceCount > 0 { try scorer.submit(piece) } else { scorer.recycle(piece) }
                // The reader throws its error after this batch: everything before it first.
                if batch.failure != nil { try scorer.deliverScored(waiting: true) }
            }
            return try scorer.finish()
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
    /// Tokens by matched length (element m − 1: the tokens whose longest n-gram found in the
    /// model has m words), and Σ log10 p over each group, summed in text order. Kept when the
    /// scorer is asked to (the scaling harness); empty otherwise.
    public var matchedLengthTokens: [Int] = []
    public var matchedLengthLog10Prob: [Double] = []

    public init() {}

    /// Adds the totals of another part of the same text (pieces scored apart are summed in
    /// text order, so the sum is the same for any number of threads).
    public mutating func add(_ other: PerplexityResult) {
        sentences += other.sentences
        tokens += other.tokens
        oovs += other.oovs
        log10Prob += other.log10Prob
        log10ProbExcludingOOVs += other.log10ProbExcludingOOVs
        zeroProbabilityTokens += other.zeroProbabilityTokens
        if let raw = other.rawLog10Score { rawLog10Score = (rawLog10Score ?? 0) + raw }
        if matchedLengthTokens.count < other.matchedLengthTokens.count {
            matchedLengthTokens += [Int](repeating: 0, count: other.matchedLengthTokens.count - matchedLengthTokens.count)
            matchedLengthLog10Prob += [Double](repeating: 0, count: other.matchedLengthLog10Prob.count - matchedLengthLog10Prob.count)
        }
        for m in other.matchedLengthTokens.indices {
            matchedLengthTokens[m] += other.matchedLengthTokens[m]
            matchedLengthLog10Prob[m] += other.matchedLengthLog10Prob[m]
        }
    }

    /// 10^(−Σ log10 p / tokens), infinite when a token has probability 0.
    public var perplexity: Double { Perplexity.perplexity(log10Prob: log10Prob, tokens: tokens) }
    /// The same over the tokens that are not OOVs.
    public var perplexityExcludingOOVs: Double {
        Foundation.pow(10, -log10ProbExcludingOOVs / Double(tokens - oovs))
    }
    /// Cross-entropy in nats per token (every token counted).
    public var crossEntropyNats: Double { -log10Prob / Double(tokens) * M_LN10 }
}
