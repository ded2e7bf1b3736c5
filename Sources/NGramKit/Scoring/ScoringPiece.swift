import Foundation

/// A run of consecutive sentences of one file, as word ids, scored as one unit.
///
/// In:  filled by the reading thread (`Perplexity.evaluate`'s caller thread) from a `TokenBatch`:
///      the model's id of every token, `</s>` appended to each sentence; with `keepsWords`, every
///      token's bytes too (for the per-token callback).
/// Out: filled by `score(with:)`: the piece's totals, and when asked every sentence's and every
///      token's score.
///
/// Why pieces: they are what the scoring threads share out. Their boundaries depend only on the
/// text (a piece ends after the sentence that brings it to `Perplexity.pieceTokens` ids, or at
/// the end of the reader's batch, whose own boundaries depend only on the text), never on the
/// number of threads; each piece's totals are summed in sentence order, and the pieces' totals
/// in piece order, so the result is bit-identical for any number of threads.
///
/// Invariants: `sentenceEnds` is increasing, its last element ≤ `ids.count`; ids after the last
/// sentence end are the tokens of a line cut short by `failure` (scored only for the per-token
/// callback, never counted); `wordEnds` has one element per id when `keepsWords` (token i is
/// `wordBytes[wordEnds[i - 1] ..< wordEnds[i]]`); `tokenLog10Prob` and `tokenMatched` have one
/// element per id once scored, when `keepsTokens`; `sentenceLog10Prob` and `sentenceOOVs` one
/// per sentence, when `keepsSentences`. A piece is in the hands of one thread at a time (the
/// pool's lock hands it over).
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

    /// What scoring keeps beyond the totals.
    let keepsWords: Bool
    let keepsTokens: Bool
    let keepsSentences: Bool

    // Results.
    var totals = PerplexityResult()
    var tokenLog10Prob: [Double] = []
    var tokenMatched: [UInt8] = []
    var sentenceLog10Prob: [Double] = []
    var sentenceOOVs: [Int] = []
    /// Set (under the pool's lock) once scored.
    var isScored = false
    /// Scratch of `score` on a binary model: every token's log10 p and matched length, scored
    /// in lockstep before the sums (kept between uses for its capacity).
    private var lockstepLog10Prob: [Double] = []
    private var lockstepMatched: [UInt8] = []
    private var lockstepEnds: [Int] = []

    init(keepsWords: Bool, keepsTokens: Bool, keepsSentences: Bool) {
        self.keepsWords = keepsWords
        self.keepsTokens = keepsTokens
        self.keepsSentences = keepsSentences
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
        totals = PerplexityResult()
        tokenLog10Prob.removeAll(keepingCapacity: true)
        tokenMatched.removeAll(keepingCapacity: true)
        sentenceLog10Prob.removeAll(keepingCapacity: true)
        sentenceOOVs.removeAll(keepingCapacity: true)
        isScored = false
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

    /// Scores every sentence with `state` (one `ModelState` per thread) and fills the results.
    /// Sums run in sentence order within the piece, the same on any thread.
    func score(with state: ModelState, isStupidBackoff: Bool) {
        var totals = PerplexityResult()
        var raw = 0.0, excluding = 0.0, zeros = 0
        let keepsTokens = keepsTokens, keepsSentences = keepsSentences
        if keepsTokens {
            tokenLog10Prob.reserveCapacity(ids.count)
            tokenMatched.reserveCapacity(ids.count)
        }
        let sentences = sentenceEnds.count
        // The tokens after the last sentence end (a line cut short by an error) are scored only
        // for the per-token callback, never counted.
        let lastEnd = keepsTokens && (sentenceEnds.last ?? 0) < ids.count ? sentences + 1 : sentences
        // A binary model's scores come from `scoreInLockstep` (many sentences at once, the same
        // values as one word at a time); the sums below are the same either way.
        let lockstep = !isStupidBackoff && state.scoresInLockstep
        if lockstep {
            lockstepEnds.removeAll(keepingCapacity: true)
            lockstepEnds.append(contentsOf: sentenceEnds)
            if lastEnd > sentences { lockstepEnds.append(ids.count) }
            if lockstepLog10Prob.count < ids.count {
                lockstepLog10Prob = [Double](repeating: 0, count: ids.count)
                lockstepMatched = [UInt8](repeating: 0, count: ids.count)
            }
            ids.withUnsafeBufferPointer { ids in
                lockstepEnds.withUnsafeBufferPointer { ends in
                    lockstepLog10Prob.withUnsafeMutableBufferPointer { probs in
                        lockstepMatched.withUnsafeMutableBufferPointer { matched in
                            state.scoreInLockstep(ids: ids, sentenceEnds: ends, log10Probs: probs.baseAddress!,
                                                  matched: matched.baseAddress!)
                        }
                    }
                }
            }
        }
        ids.withUnsafeBufferPointer { ids in
            var index = 0
            for s in 0..<lastEnd {
                let start = index
                let end = s < sentences ? sentenceEnds[s] : ids.count
                state.beginSentence()
                var sentenceLog = 0.0, oovs = 0
                var sentenceExcluding = 0.0, sentenceRaw = 0.0, sentenceZeros = 0
                while index < end {
                    let word = ids[index]
                    let log10Prob: Double, matched: Int
                    if lockstep {
                        log10Prob = lockstepLog10Prob[index]
                        matched = Int(lockstepMatched[index])
                    } else if isStupidBackoff, let (p, rawScore, length) = state.scoreRawStupidBackoff(word) {
                        log10Prob = p
                        matched = length
                        sentenceRaw += rawScore
                    } else {
                        (log10Prob, matched) = state.score(word)
                    }
                    if word == Vocabulary.unknownID { oovs += 1 } else { sentenceExcluding += log10Prob }
                    if log10Prob == -.infinity { sentenceZeros += 1 }
                    sentenceLog += log10Prob
                    if keepsTokens {
                        tokenLog10Prob.append(log10Prob)
                        tokenMatched.append(UInt8(truncatingIfNeeded: matched))
                    }
                    index += 1
                }
                guard s < sentences else { break }
                totals.sentences += 1
                totals.tokens += end - start
                totals.oovs += oovs
                totals.log10Prob += sentenceLog
                excluding += sentenceExcluding
                raw += sentenceRaw
                zeros += sentenceZeros
                if keepsSentences {
                    sentenceLog10Prob.append(sentenceLog)
                    sentenceOOVs.append(oovs)
                }
            }
        }
        totals.log10ProbExcludingOOVs = excluding
        totals.zeroProbabilityTokens = zeros
        if isStupidBackoff && totals.tokens > 0 { totals.rawLog10Score = raw }
        self.totals = totals
    }
}

/// Worker threads that score pieces, each with its own `ModelState`.
///
/// Invariants: `pending` holds submitted pieces not yet taken, oldest first; a piece's
/// `isScored` is set under `condition`; `stopping` makes the workers exit, skipping what is
/// pending; `running` counts workers that have not exited. `condition` guards all of these.
final class ScoringPool: @unchecked Sendable {
    private let condition = NSCondition()
    private var pending: [ScoringPiece] = []
    private var pendingHead = 0
    private var stopping = false
    private var running = 0

    init(model: NGramModel, threads: Int, isStupidBackoff: Bool) {
        running = threads
        for _ in 0..<threads {
            let thread = Thread { [self] in
                let state = ModelState(model: model)
                while let piece = take() {
                    piece.score(with: state, isStupidBackoff: isStupidBackoff)
                    condition.lock()
                    piece.isScored = true
                    condition.broadcast()
                    condition.unlock()
                }
                condition.lock()
                running -= 1
                condition.broadcast()
                condition.unlock()
            }
            thread.stackSize = 1 << 20
            thread.start()
        }
    }

    private func take() -> ScoringPiece? {
        condition.lock()
        defer { condition.unlock() }
        while pendingHead == pending.count && !stopping { condition.wait() }
        if stopping { return nil }
        let piece = pending[pendingHead]
        pendingHead += 1
        if pendingHead == pending.count {
            pending.removeAll(keepingCapacity: true)
            pendingHead = 0
        }
        return piece
    }

    func submit(_ piece: ScoringPiece) {
        condition.lock()
        pending.append(piece)
        condition.broadcast()
        condition.unlock()
    }

    /// Whether `piece` is scored, without waiting.
    func isScored(_ piece: ScoringPiece) -> Bool {
        condition.lock()
        defer { condition.unlock() }
        return piece.isScored
    }

    /// Waits until `piece` (submitted) is scored.
    func wait(for piece: ScoringPiece) {
        condition.lock()
        while !piece.isScored { condition.wait() }
        condition.unlock()
    }

    /// Stops the workers (what is still pending is dropped) and waits until they have exited.
    func stop() {
        condition.lock()
        stopping = true
        condition.broadcast()
        while running > 0 { condition.wait() }
        condition.unlock()
    }
}
