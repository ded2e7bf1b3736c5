import Foundation

/// A run of consecutive sentences of one file, as word ids, scored as one unit.
///
/// In:  the model's id of every token, `</s>` appended to each sentence (`append`,
///      `endSentence`); with `keepsWords`, every token's bytes too (for the per-token callback).
/// Out: filled by `score(with:)`: every sentence's log10 probability (all tokens, and without
///      the OOVs), raw Stupid Backoff score, OOVs and probability-zero tokens; with `keepsTokens`,
///      every token's log10 p and matched length.
///
/// Why pieces: they are what the scoring threads share out. Results are added up sentence by
/// sentence in text order (`SentenceScorer`), so neither the pieces' boundaries nor the number
/// of threads changes a bit of them.
///
/// Invariants: `sentenceEnds` is increasing, its last element ≤ `ids.count`; ids after the last
/// sentence end are the tokens of a line cut short by `failure` (scored only for the per-token
/// callback, never counted); `wordEnds` has one element per id when `keepsWords` (token i is
/// `wordBytes[wordEnds[i - 1] ..< wordEnds[i]]`); once scored, the sentence arrays have one
/// element per sentence and, with `keepsTokens`, the token arrays one per id. A piece is in the
/// hands of one thread at a time (the pool's queue hands it to a worker, `scored` hands it back).
final class ScoringPiece: @unchecked Sendable {
    /// The file, as named in messages, and the line number of the first sentence.
    var path = ""
    var firstLine = 1
    var ids: [UInt32] = []
    /// For each sentence, the index one past its `</s>` in `ids`.
    var sentenceEnds: [Int] = []
    var wordBytes: [UInt8] = []
    var wordEnds: [Int] = []
    /// An error to throw once the sentences before it are delivered: a reserved token in the
    /// line after the last sentence.
    var failure: Error?

    /// What scoring keeps beyond the sentences' results.
    let keepsWords: Bool
    let keepsTokens: Bool

    // Results, per sentence.
    var sentenceLog10Prob: [Double] = []
    var sentenceLog10ProbExcludingOOVs: [Double] = []
    var sentenceRawLog10Score: [Double] = []
    var sentenceOOVs: [Int] = []
    var sentenceZeroProbabilityTokens: [Int] = []
    // Results, per token (with `keepsTokens`).
    var tokenLog10Prob: [Double] = []
    var tokenMatched: [UInt8] = []
    /// Signalled by the pool's worker once the piece is scored (a new one for every use).
    private(set) var scored = Completion()
    /// Scratch of `score`: every token's results, from `scoreInLockstep` (kept between uses
    /// for its capacity).
    private var scratchLog10Prob: [Double] = []
    private var scratchMatched: [UInt8] = []
    private var scratchRaw: [Double] = []
    private var scratchEnds: [Int] = []

    init(keepsWords: Bool, keepsTokens: Bool) {
        self.keepsWords = keepsWords
        self.keepsTokens = keepsTokens
    }

    /// Empties the piece for reuse, keeping its capacity.
    func reset(path: String, firstLine: Int) {
        self.path = path
        self.firstLine = firstLine
        ids.removeAll(keepingCapacity: true)
        sentenceEnds.removeAll(keepingCapacity: true)
        wordBytes.removeAll(keepingCapacity: true)
        wordEnds.removeAll(keepingCapacity: true)
        failure = nil
        sentenceLog10Prob.removeAll(keepingCapacity: true)
        sentenceLog10ProbExcludingOOVs.removeAll(keepingCapacity: true)
        sentenceRawLog10Score.removeAll(keepingCapacity: true)
        sentenceOOVs.removeAll(keepingCapacity: true)
        sentenceZeroProbabilityTokens.removeAll(keepingCapacity: true)
        tokenLog10Prob.removeAll(keepingCapacity: true)
        tokenMatched.removeAll(keepingCapacity: true)
        scored = Completion()
    }

    var sentenceCount: Int { sentenceEnds.count }

    /// Appends a token: its id and, when words are kept, its bytes.
    @inline(__always)
    func append(_ id: UInt32, word: UnsafeBufferPointer<UInt8>) {
        ids.append(id)
        if keepsWords {
            wordBytes.append(contentsOf: word)
            wordEnds.append(wordBytes.count)
        }
    }

    private static let endWord: [UInt8] = Array(Vocabulary.endWord.utf8)

    /// Ends the current sentence with `</s>`.
    @inline(__always)
    func endSentence() {
        ids.append(Vocabulary.endID)
        if keepsWords {
            wordBytes.append(contentsOf: ScoringPiece.endWord)
            wordEnds.append(wordBytes.count)
        }
        sentenceEnds.append(ids.count)
    }

    /// The bytes of token `i` (only when words are kept).
    func word(_ i: Int, in bytes: UnsafeBufferPointer<UInt8>) -> UnsafeBufferPointer<UInt8> {
        let start = i == 0 ? 0 : wordEnds[i - 1]
        return UnsafeBufferPointer(rebasing: bytes[start ..< wordEnds[i]])
    }

    /// Scores every sentence with `state` (one `ModelState` per thread) and fills the results:
    /// every token through `scoreInLockstep` (the same bits as one word at a time), then each
    /// sentence's sums in token order.
    func score(with state: ModelState) {
        let sentences = sentenceEnds.count
        let isStupidBackoff = state.model.provenance.isStupidBackoff
        // The tokens after the last sentence end (a line cut short by an error) are scored only
        // for the per-token callback, never counted.
        scratchEnds.removeAll(keepingCapacity: true)
        scratchEnds.append(contentsOf: sentenceEnds)
        if keepsTokens && (sentenceEnds.last ?? 0) < ids.count { scratchEnds.append(ids.count) }
        if scratchLog10Prob.count < ids.count {
            scratchLog10Prob = [Double](repeating: 0, count: ids.count)
            scratchMatched = [UInt8](repeating: 0, count: ids.count)
            if isStupidBackoff { scratchRaw = [Double](repeating: 0, count: ids.count) }
        }
        ids.withUnsafeBufferPointer { ids in
            scratchEnds.withUnsafeBufferPointer { ends in
                scratchLog10Prob.withUnsafeMutableBufferPointer { probs in
                    scratchMatched.withUnsafeMutableBufferPointer { matched in
                        scratchRaw.withUnsafeMutableBufferPointer { raw in
                            state.scoreInLockstep(ids: ids, sentenceEnds: ends, log10Probs: probs.baseAddress!,
                                                  matched: matched.baseAddress!, rawScores: isStupidBackoff ? raw.baseAddress : nil)
                        }
                    }
                }
            }
        }
        if keepsTokens {
            tokenLog10Prob.append(contentsOf: scratchLog10Prob[0..<ids.count])
            tokenMatched.append(contentsOf: scratchMatched[0..<ids.count])
        }
        var index = 0
        for s in 0..<sentences {
            let end = sentenceEnds[s]
            var sentenceLog = 0.0, excluding = 0.0, raw = 0.0, oovs = 0, zeros = 0
            while index < end {
                let p = scratchLog10Prob[index]
                if ids[index] == Vocabulary.unknownID { oovs += 1 } else { excluding += p }
                if p == -.infinity { zeros += 1 }
                sentenceLog += p
                if isStupidBackoff { raw += scratchRaw[index] }
                index += 1
            }
            sentenceLog10Prob.append(sentenceLog)
            sentenceLog10ProbExcludingOOVs.append(excluding)
            sentenceRawLog10Score.append(raw)
            sentenceOOVs.append(oovs)
            sentenceZeroProbabilityTokens.append(zeros)
        }
    }
}

/// Scores pieces of sentences, on a pool of threads or on the calling thread, and adds up their
/// results in text order: the one loop behind `Perplexity.evaluate` (text in) and
/// `HeldOutScorer` (ids in), so a point of the scaling harness and `ngramkit ppl` sum alike.
///
/// Pieces are submitted in text order; the callbacks see their sentences in that order, on the
/// calling thread, whatever the number of threads. Every total is a sum over sentences in text
/// order, so the result is bit-identical for any number of threads and any piece boundaries.
final class SentenceScorer {
    /// Ids per piece: a piece ends after the sentence that brings it to this many (`</s>`
    /// included). A few milliseconds of scoring; what the scoring threads share out.
    static let pieceTokens = 4096

    private let model: NGramModel
    private let pool: ScoringPool?
    private let state: ModelState?
    private let keepsWords: Bool, keepsTokens: Bool
    /// Whether the result tallies tokens by matched length (`PerplexityResult.matchedLengthTokens`).
    private let talliesMatchedLengths: Bool
    private let maxInFlight: Int
    // Pieces handed out and not yet delivered, oldest first, and pieces to reuse.
    private var inFlight: [ScoringPiece] = []
    private var inFlightHead = 0
    private var free: [ScoringPiece] = []
    private(set) var result = PerplexityResult()
    private let onToken: ((Perplexity.Token) throws -> Void)?
    private let onSentence: ((Perplexity.Sentence) throws -> Void)?

    init(model: NGramModel, threads: Int, talliesMatchedLengths: Bool = false, onToken: ((Perplexity.Token) throws -> Void)? = nil,
         onSentence: ((Perplexity.Sentence) throws -> Void)? = nil) {
        self.model = model
        self.onToken = onToken
        self.onSentence = onSentence
        self.talliesMatchedLengths = talliesMatchedLengths
        keepsWords = onToken != nil
        keepsTokens = onToken != nil || talliesMatchedLengths
        if talliesMatchedLengths {
            result.matchedLengthTokens = [Int](repeating: 0, count: max(model.order, 1))
            result.matchedLengthLog10Prob = [Double](repeating: 0, count: max(model.order, 1))
        }
        maxInFlight = 4 * threads
        pool = threads > 1 ? ScoringPool(model: model, threads: threads) : nil
        state = pool == nil ? ModelState(model: model) : nil
        if model.provenance.isStupidBackoff { result.rawLog10Score = 0 }
    }

    deinit { pool?.stop() }

    /// An empty piece (reused when one is free).
    func newPiece(path: String, firstLine: Int) -> ScoringPiece {
        let piece = free.popLast() ?? ScoringPiece(keepsWords: keepsWords, keepsTokens: keepsTokens)
        piece.reset(path: path, firstLine: firstLine)
        return piece
    }

    /// Hands back a piece that was not submitted.
    func recycle(_ piece: ScoringPiece) { free.append(piece) }

    /// Scores a piece: here, or on the pool (then delivers what is ready, and waits for the
    /// oldest while too many are out).
    func submit(_ piece: ScoringPiece) throws {
        guard let pool else {
            piece.score(with: state!)
            try deliver(piece)
            return
        }
        pool.submit(piece)
        inFlight.append(piece)
        try deliverScored(waiting: false)
        while inFlight.count - inFlightHead >= maxInFlight {
            pool.wait(for: inFlight[inFlightHead])
            try deliverScored(waiting: false)
        }
    }

    /// Delivers every piece submitted, waiting for them, and returns the totals.
    func finish() throws -> PerplexityResult {
        try deliverScored(waiting: true)
        if result.tokens == 0 { result.rawLog10Score = nil }
        return result
    }

    /// Delivers the oldest pieces that are scored; with `waiting`, waits for all of them.
    func deliverScored(waiting: Bool) throws {
        guard let pool else { return }
        while inFlightHead < inFlight.count {
            let piece = inFlight[inFlightHead]
            if waiting { pool.wait(for: piece) } else if !pool.isScored(piece) { break }
            inFlightHead += 1
            try deliver(piece)
        }
        if inFlightHead == inFlight.count {
            inFlight.removeAll(keepingCapacity: true)
            inFlightHead = 0
        }
    }

    /// Adds a scored piece's sentences to the result, in order, and calls the callbacks.
    private func deliver(_ piece: ScoringPiece) throws {
        var index = 0
        try piece.wordBytes.withUnsafeBufferPointer { bytes in
            for s in 0..<piece.sentenceCount {
                let end = piece.sentenceEnds[s]
                let start = index
                if let onToken {
                    while index < end {
                        try onToken(Perplexity.Token(word: piece.word(index, in: bytes), id: piece.ids[index],
                                                     matched: Int(piece.tokenMatched[index]), log10Prob: piece.tokenLog10Prob[index]))
                        index += 1
                    }
                }
                if talliesMatchedLengths {
                    // Token by token in text order, so the sums are the same for any threads.
                    for i in start..<end {
                        let m = Int(piece.tokenMatched[i]) - 1
                        result.matchedLengthTokens[m] += 1
                        result.matchedLengthLog10Prob[m] += piece.tokenLog10Prob[i]
                    }
                }
                index = end
                result.sentences += 1
                result.tokens += end - start
                result.oovs += piece.sentenceOOVs[s]
                result.zeroProbabilityTokens += piece.sentenceZeroProbabilityTokens[s]
                result.log10Prob += piece.sentenceLog10Prob[s]
                result.log10ProbExcludingOOVs += piece.sentenceLog10ProbExcludingOOVs[s]
                if result.rawLog10Score != nil { result.rawLog10Score! += piece.sentenceRawLog10Score[s] }
                try onSentence?(Perplexity.Sentence(path: piece.path, line: piece.firstLine + s, log10Prob: piece.sentenceLog10Prob[s],
                                                    tokens: end - start, oovs: piece.sentenceOOVs[s]))
            }
            // A line cut short by an error: its tokens before the error.
            if let onToken {
                while index < piece.ids.count {
                    try onToken(Perplexity.Token(word: piece.word(index, in: bytes), id: piece.ids[index],
                                                 matched: Int(piece.tokenMatched[index]), log10Prob: piece.tokenLog10Prob[index]))
                    index += 1
                }
            }
        }
        if let failure = piece.failure { throw failure }
        free.append(piece)
    }
}

/// Worker threads that score pieces, each with its own `ModelState`, taking them from one
/// `BlockingQueue`; each piece says when it is scored through its `scored` completion.
final class ScoringPool: @unchecked Sendable {
    private let pending = BlockingQueue<ScoringPiece>()
    private let exited: [Completion]

    init(model: NGramModel, threads: Int) {
        exited = (0..<threads).map { _ in Completion() }
        for worker in 0..<threads {
            let thread = Thread { [self] in
                let state = ModelState(model: model)
                while let piece = pending.pop() {
                    piece.score(with: state)
                    piece.scored.signal()
                }
                exited[worker].signal()
            }
            thread.stackSize = 1 << 20
            thread.start()
        }
    }

    func submit(_ piece: ScoringPiece) { pending.push(piece) }

    /// Whether `piece` is scored, without waiting.
    func isScored(_ piece: ScoringPiece) -> Bool { piece.scored.isDone }

    /// Waits until `piece` (submitted) is scored.
    func wait(for piece: ScoringPiece) { piece.scored.wait() }

    /// Stops the workers (what is still pending is dropped) and waits until they have exited.
    func stop() {
        pending.close(discarding: true)
        for completion in exited { completion.wait() }
    }
}
