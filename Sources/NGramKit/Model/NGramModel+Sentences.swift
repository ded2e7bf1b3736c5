import Foundation

/// Scoring one sentence given as a string: what the `kenlm` Python module's `score`,
/// `full_scores` and `perplexity` do, with KenLM's conventions (see `Perplexity`).
extension NGramModel {
    /// One token of a scored sentence.
    public struct TokenScore: Sendable, Equatable {
        /// The token as the tokenizer gave it (`</s>` for the sentence end).
        public let word: String
        /// log10 p(word | history); −infinity for probability 0.
        public let log10Prob: Double
        /// Length of the longest stored n-gram used (KenLM's `ngram_length`).
        public let matched: Int
        /// Whether the word is out of the vocabulary (scored as `<unk>`).
        public let isUnknown: Bool
    }

    /// The log10 probability of `sentence`: its words, tokenized as the model records
    /// (`ModelProvenance.tokenizer`; the whitespace tokenizer when it records none), after `<s>`
    /// with `bos`, and `</s>` at the end with `eos`.
    /// - Throws: `NGramKitError` for a literal `<s>` or `</s>` in the sentence, or invalid UTF-8
    ///   under a Unicode tokenizer.
    public func score(_ sentence: String, bos: Bool = true, eos: Bool = true) throws -> Double {
        try fullScores(sentence, bos: bos, eos: eos).reduce(0) { $0 + $1.log10Prob }
    }

    /// Every token's score of `sentence` (see `score(_:bos:eos:)`).
    public func fullScores(_ sentence: String, bos: Bool = true, eos: Bool = true) throws -> [TokenScore] {
        let words = try tokens(of: sentence)
        let state = ModelState(model: self)
        if bos { state.beginSentence() } else { state.beginWithoutContext() }
        var result: [TokenScore] = []
        result.reserveCapacity(words.count + 1)
        for word in words {
            let id = vocabulary.lookup(word) ?? Vocabulary.unknownID
            if id == Vocabulary.beginID || id == Vocabulary.endID {
                throw NGramKitError.reservedToken(path: "<sentence>", line: 1, token: word)
            }
            let (p, matched) = state.step(id)
            result.append(TokenScore(word: word, log10Prob: p, matched: matched, isUnknown: id == Vocabulary.unknownID))
        }
        if eos {
            let (p, matched) = state.step(Vocabulary.endID)
            result.append(TokenScore(word: Vocabulary.endWord, log10Prob: p, matched: matched, isUnknown: false))
        }
        return result
    }

    /// The perplexity of `sentence` with `<s>` and `</s>`: 10^(−log10 p / tokens), `</s>` counted.
    public func perplexity(_ sentence: String) throws -> Double {
        let scores = try fullScores(sentence)
        return Perplexity.perplexity(log10Prob: scores.reduce(0) { $0 + $1.log10Prob }, tokens: scores.count)
    }

    /// The tokens of `sentence` under the model's recorded tokenizer.
    public func tokens(of sentence: String) throws -> [String] {
        var collector = TokenCollector(line: sentence)
        return try (provenance.tokenizer ?? TokenizerConfiguration()).apply(&collector)
    }

    private struct TokenCollector: TokenizerUser {
        let line: String
        func use<T: Tokenizer>(_ tokenizer: inout T) throws -> [String] {
            var words: [String] = []
            var copy = line
            try copy.withUTF8 { bytes in
                do {
                    try tokenizer.tokenize(bytes) { words.append(String(decoding: $0, as: UTF8.self)) }
                } catch let TokenizationFailure.invalidUTF8(byteOffset) {
                    throw NGramKitError.invalidUTF8(path: "<sentence>", line: 1, byteOffset: byteOffset)
                }
            }
            return words
        }
    }
}

extension NGramModel {
    /// The word ids of a context given as text (`next`, `generate --prefix`): its words tokenized
    /// as the model records, unknown words as `<unk>`; a leading `<s>` (or `sentenceStart`)
    /// makes it a sentence start.
    /// - Throws: `NGramKitError.reservedToken` for `</s>`, or `<s>` after the first word.
    public func contextIDs(_ context: String, sentenceStart: Bool = false) throws -> [UInt32] {
        var ids: [UInt32] = sentenceStart ? [Vocabulary.beginID] : []
        for (position, word) in try tokens(of: context).enumerated() {
            let id = vocabulary.lookup(word) ?? Vocabulary.unknownID
            if id == Vocabulary.endID || (id == Vocabulary.beginID && (position > 0 || sentenceStart)) {
                throw NGramKitError.reservedToken(path: "<context>", line: 1, token: word)
            }
            ids.append(id)
        }
        return ids
    }
}

extension NGramModel {
    /// `score(_:bos:eos:)` of a sentence given as UTF-8 bytes, tokenized as the model records,
    /// without making a string per word: the Python package's `score` and `score_many`.
    /// - Parameter state: a state of this model to reuse (one per thread), or nil for a new one.
    /// - Throws: `NGramKitError` for a literal `<s>` or `</s>`, or invalid UTF-8 under a Unicode
    ///   tokenizer.
    public func score(utf8 sentence: UnsafeBufferPointer<UInt8>, bos: Bool = true, eos: Bool = true, state: ModelState? = nil) throws -> Double {
        var scorer = ByteSentenceScorer(state: state ?? ModelState(model: self), sentence: sentence, bos: bos, eos: eos)
        return try (provenance.tokenizer ?? TokenizerConfiguration()).apply(&scorer)
    }

    private struct ByteSentenceScorer: TokenizerUser {
        let state: ModelState
        let sentence: UnsafeBufferPointer<UInt8>
        let bos: Bool, eos: Bool

        func use<T: Tokenizer>(_ tokenizer: inout T) throws -> Double {
            if bos { state.beginSentence() } else { state.beginWithoutContext() }
            let vocabulary = state.model.vocabulary
            var total = 0.0
            do {
                try tokenizer.tokenize(sentence) { token in
                    let id = vocabulary.lookup(token) ?? Vocabulary.unknownID
                    if id == Vocabulary.beginID || id == Vocabulary.endID {
                        throw NGramKitError.reservedToken(path: "<sentence>", line: 1, token: String(decoding: token, as: UTF8.self))
                    }
                    total += state.step(id).log10Prob
                }
            } catch let TokenizationFailure.invalidUTF8(byteOffset) {
                throw NGramKitError.invalidUTF8(path: "<sentence>", line: 1, byteOffset: byteOffset)
            }
            if eos { total += state.step(Vocabulary.endID).log10Prob }
            return total
        }
    }
}

extension NGramModel {
    /// `score(utf8:bos:eos:)` of every sentence into `out`, on `threads` threads, each scoring
    /// pieces of up to `scoreManyPiece` sentences in lockstep (`ModelState.scoreInLockstep`: the
    /// lookups of many sentences overlap their waits for memory). The same values, bit for bit, as
    /// one `score` per sentence, for any number of threads.
    /// - Throws: `NGramKitError` for the first sentence (by index) with a reserved token or
    ///   invalid UTF-8; its message starts with the sentence's 1-based number.
    public func scoreMany(_ sentences: UnsafeBufferPointer<UnsafeBufferPointer<UInt8>>, bos: Bool = true, eos: Bool = true,
                          threads: Int = ThreadCount.all, into out: UnsafeMutablePointer<Double>) throws {
        let count = sentences.count
        guard count > 0 else { return }
        let pieces = (count + NGramModel.scoreManyPiece - 1) / NGramModel.scoreManyPiece
        let failures = LockedFailures()
        nonisolated(unsafe) let out = out
        _ = try Parallel.map(pieces, workers: max(1, min(threads, pieces))) { piece, _ in
            let range = piece * NGramModel.scoreManyPiece ..< min(count, (piece + 1) * NGramModel.scoreManyPiece)
            let state = ModelState(model: self)
            guard bos else {
                for i in range {
                    do { out[i] = try self.score(utf8: sentences[i], bos: false, eos: eos, state: state) } catch {
                        failures.record(i, error)
                        return
                    }
                }
                return
            }
            var user = IDCollector(vocabulary: self.vocabulary, sentences: UnsafeBufferPointer(rebasing: sentences[range]), eos: eos)
            do { try (self.provenance.tokenizer ?? TokenizerConfiguration()).apply(&user) } catch {
                failures.record(range.lowerBound + user.ends.count, error)
                return
            }
            let probs = UnsafeMutablePointer<Double>.allocate(capacity: max(user.ids.count, 1))
            let matched = UnsafeMutablePointer<UInt8>.allocate(capacity: max(user.ids.count, 1))
            defer { probs.deallocate(); matched.deallocate() }
            user.ids.withUnsafeBufferPointer { ids in
                user.ends.withUnsafeBufferPointer { ends in
                    state.scoreInLockstep(ids: ids, sentenceEnds: ends, log10Probs: probs, matched: matched)
                }
            }
            var first = 0
            for (k, last) in user.ends.enumerated() {
                var total = 0.0
                for t in first..<last { total += probs[t] }
                out[range.lowerBound + k] = total
                first = last
            }
        }
        if let (index, error) = failures.first {
            // The sentence's number in place of a file: "sentence 7:1: ...".
            switch error {
            case NGramKitError.reservedToken(_, _, let token): throw NGramKitError.reservedToken(path: "sentence \(index + 1)", line: 1, token: token)
            case NGramKitError.invalidUTF8(_, _, let offset): throw NGramKitError.invalidUTF8(path: "sentence \(index + 1)", line: 1, byteOffset: offset)
            default: throw error
            }
        }
    }

    /// Sentences a worker of `scoreMany` takes at a time.
    static let scoreManyPiece = 2048

    /// The ids of sentences, `</s>` after each with `eos`, and where each ends.
    private struct IDCollector: TokenizerUser {
        let vocabulary: Vocabulary
        let sentences: UnsafeBufferPointer<UnsafeBufferPointer<UInt8>>
        let eos: Bool
        var ids: [UInt32] = []
        var ends: [Int] = []

        mutating func use<T: Tokenizer>(_ tokenizer: inout T) throws {
            let vocabulary = vocabulary
            for sentence in sentences {
                do {
                    try tokenizer.tokenize(sentence) { token in
                        let id = vocabulary.lookup(token) ?? Vocabulary.unknownID
                        if id == Vocabulary.beginID || id == Vocabulary.endID {
                            throw NGramKitError.reservedToken(path: "<sentence>", line: 1, token: String(decoding: token, as: UTF8.self))
                        }
                        ids.append(id)
                    }
                } catch let TokenizationFailure.invalidUTF8(byteOffset) {
                    throw NGramKitError.invalidUTF8(path: "<sentence>", line: 1, byteOffset: byteOffset)
                }
                if eos { ids.append(Vocabulary.endID) }
                ends.append(ids.count)
            }
        }
    }

    /// The first failure of `scoreMany`'s workers, by sentence index.
    private final class LockedFailures: @unchecked Sendable {
        private let lock = NSLock()
        private var failure: (Int, Error)?
        func record(_ index: Int, _ error: Error) {
            lock.lock()
            defer { lock.unlock() }
            if failure == nil || index < failure!.0 { failure = (index, error) }
        }
        var first: (Int, Error)? {
            lock.lock()
            defer { lock.unlock() }
            return failure
        }
    }
}
