/// The distribution of the next word after a context, p(w | context) over the vocabulary, best
/// first: `ngramkit next`.
///
/// In:  a model (ARPA or binary, any smoothing) and a context of word ids.
/// Out: (word, log10 p) pairs, most probable first, ties by word id; `<s>` is never predicted
///      and words of probability zero are left out. The values are bit for bit those of scoring
///      the word after the context (`ModelState`).
///
/// How (`top`): with h_1...h_m the stored suffixes of the context (m ≤ N − 1, shortest first),
/// a word first stored after h_k has p(w | h) = p(h_k w) · bow(h_{k+1}) ⋯ bow(h_m). So each
/// order k = m...0 proposes its successors of h_k (the unigram ranking for k = 0) in the index's
/// order, skipping words stored after a longer suffix, until it has K of them: the shift by the
/// backoffs keeps the order, so the best K of all are among these. That costs about K + (skipped)
/// lookups per order instead of one score per word of the vocabulary (`exhaustive`, which is
/// what KenLM users write, and what the tests and the benchmark compare with).
public final class NextWords {
    public let model: NGramModel
    /// The successor index: the binary file's, or built in memory (one pass over the model's
    /// tables) when first needed, or at `init` with `buildIndex`.
    lazy var index: SuccessorIndex = SuccessorIndex.of(model)
    private let state: ModelState

    /// Prepares `model`; with `buildIndex`, the index `top` walks is made ready now.
    public init(model: NGramModel, buildIndex: Bool = true) {
        self.model = model
        state = ModelState(model: model)
        if buildIndex { _ = index }
    }

    /// Whether the index came with the file (false: built when this was made).
    public var indexIsStored: Bool { model.binary?.successors != nil }

    /// The log10 backoff of history entry h_j (j = 1...m).
    @inline(__always)
    private func backoff(_ entries: [UInt32], _ j: Int) -> Double {
        model.storedLogBackoff(order: j, slot: Int(entries[j - 1]))
    }

    /// Whether `word` after h_j is stored and not a blank, for some j in `orders`.
    @inline(__always)
    private func isStored(_ word: UInt32, after entries: [UInt32], orders: ClosedRange<Int>) -> Bool {
        for j in orders {
            if let slot = model.find(order: j + 1, context: entries[j - 1], word: word),
               !model.storedLogProb(order: j + 1, slot: slot).isNaN { return true }
        }
        return false
    }

    /// log10 p(`word` | h) for a word first stored after h_k (k = 0: the unigram), with the
    /// backoffs added in the order scoring adds them, so the bits are the same.
    @inline(__always)
    private func value(_ word: UInt32, order k: Int, _ entries: [UInt32]) -> Double {
        var p: Double
        if k == 0 {
            p = model.storedLogProb(order: 1, slot: Int(word))
        } else {
            // Present: the index lists it as a successor of h_k.
            let slot = model.find(order: k + 1, context: entries[k - 1], word: word) ?? -1
            p = slot < 0 ? -.infinity : model.storedLogProb(order: k + 1, slot: slot)
        }
        var j = k + 1
        while j <= entries.count {
            p += backoff(entries, j)
            j += 1
        }
        return p
    }

    /// The `top` most probable next words after `context` (word ids, oldest first; begin it
    /// with `<s>` for a sentence start), best first, ties by word id.
    /// - Throws: `NGramKitError.invalidOption` for an id outside the vocabulary or `top` < 1;
    ///   `malformedModel` for a damaged stored index.
    public func top(_ top: Int, after context: [UInt32]) throws -> [(word: UInt32, log10Prob: Double)] {
        guard top >= 1 else { throw NGramKitError.invalidOption(name: "--top", value: String(top), expected: "at least 1") }
        try model.checkIDs(context)
        let entries = model.storedSuffixes(of: context)
        let m = entries.count
        var candidates: [(word: UInt32, log10Prob: Double)] = []
        for k in stride(from: m, through: 0, by: -1) {
            // Records come in buckets of one ranked (Float) probability; a later bucket's words
            // are less probable than every word of an earlier one, so once K are accepted the
            // scan stops at the first bucket after one whose words all fall below the K-th.
            var accepted = 0
            var lowest = Double.infinity
            var bucketKey: UInt32? = nil
            var bucketMax = -Double.infinity
            func consider(_ record: UInt64) throws -> Bool {
                let key = UInt32(truncatingIfNeeded: record >> 32)
                if key != bucketKey {
                    if accepted >= top && bucketMax < lowest { return false }
                    bucketKey = key
                    bucketMax = -.infinity
                }
                let word = try index.checked(SuccessorIndex.word(of: record))
                let v = value(word, order: k, entries)
                bucketMax = max(bucketMax, v)
                if v == -.infinity || word == Vocabulary.beginID || (k < m && isStored(word, after: entries, orders: (k + 1)...m)) {
                    return true
                }
                candidates.append((word, v))
                if accepted < top {
                    accepted += 1
                    lowest = min(lowest, v)
                }
                return true
            }
            if k == 0 {
                for i in 0..<index.words {
                    if try !consider(SuccessorIndex.record(word: index.ranking[i],
                                                           log10Prob: Float(model.storedLogProb(order: 1, slot: Int(index.ranking[i]))))) { break }
                }
            } else {
                for record in try index.successors(order: k + 1, context: entries[k - 1]) {
                    if try !consider(record) { break }
                }
            }
        }
        candidates.sort { $0.log10Prob != $1.log10Prob ? $0.log10Prob > $1.log10Prob : $0.word < $1.word }
        return Array(candidates.prefix(top))
    }

    /// The whole distribution after `context` by scoring every word of the vocabulary (what a
    /// KenLM user writes), best first, ties by word id; `top` keeps the first ones (nil: all).
    /// - Throws: `NGramKitError.invalidOption` for an id outside the vocabulary.
    public func exhaustive(after context: [UInt32], top: Int? = nil) throws -> [(word: UInt32, log10Prob: Double)] {
        try state.setContext(context)
        var all: [(word: UInt32, log10Prob: Double)] = []
        all.reserveCapacity(model.vocabulary.count)
        for id in 0..<UInt32(model.vocabulary.count) where id != Vocabulary.beginID {
            let p = state.peek(id)
            if p != -.infinity { all.append((id, p)) }
        }
        all.sort { $0.log10Prob != $1.log10Prob ? $0.log10Prob > $1.log10Prob : $0.word < $1.word }
        if let top { return Array(all.prefix(top)) }
        return all
    }
}
