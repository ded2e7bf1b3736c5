/// Scores words one after another, carrying the matched history from each word to the next,
/// as KenLM's `State` does.
///
/// The state is the list of stored n-grams that end at the previous word, shortest first: the
/// word itself (its id), then the bigram ending there (its slot in order 2), and so on, up to
/// N-1 words. Scoring word w looks up (state[k], w) in order k+2 for k = 0, 1, ... until a
/// lookup fails: one probe per order matched. Because every stored n-gram's suffixes are
/// stored too, the first failure ends the match.
///
/// Invariants: `current` and `next` hold `order` elements each; `length` ≤ order − 1 (and ≥ 1
/// once a sentence has begun); `current[k]` is the slot in order k+1 (word id for k = 0) of the
/// stored n-gram made of the last k+1 words.
///
/// A model backed by a binary file (`NGramModel.binary`) is scored by the same steps on the
/// mapped tables (`scoreMapped`): `mappedTables` then points to the N-1 `BinaryTable`s (allocated
/// and freed here; the tables' memory belongs to the model, which the state keeps alive) and
/// `mappedUnigrams` to the unigram values; both are nil for a model in memory.
public final class ModelState {
    /// The model being queried.
    public let model: NGramModel
    private var current: UnsafeMutablePointer<UInt32>
    private var next: UnsafeMutablePointer<UInt32>
    /// Number of n-grams in the state.
    public private(set) var length = 0
    /// Words of history so far in the sentence (`<s>` included), at most N-1: what Stupid
    /// Backoff's raw score backs off from.
    private var historyWords = 0
    private let tables: [CountTable]
    private let probs: [UnsafeMutablePointer<Double>]
    private let backoffs: [UnsafeMutablePointer<Double>]
    private let maxLength: Int
    private let mappedTables: UnsafeMutablePointer<BinaryTable>?
    private let mappedUnigrams: UnsafePointer<Float>?
    /// Scratch for `scoreMapped`: each order's key and home (nil for a model in memory).
    private let mappedKeys: UnsafeMutablePointer<UInt64>?
    private let mappedHomes: UnsafeMutablePointer<Int>?

    public init(model: NGramModel) {
        self.model = model
        let size = max(model.order, 1)
        current = .allocate(capacity: size)
        current.initialize(repeating: 0, count: size)
        next = .allocate(capacity: size)
        next.initialize(repeating: 0, count: size)
        tables = model.tables
        probs = model.logProb.map(\.base)
        backoffs = model.logBackoff.map(\.base)
        maxLength = max(model.order - 1, 0)
        if let binary = model.binary {
            let tables = UnsafeMutablePointer<BinaryTable>.allocate(capacity: max(binary.tables.count, 1))
            tables.initialize(from: binary.tables, count: binary.tables.count)
            mappedTables = tables
            mappedUnigrams = binary.unigramValues
            mappedKeys = .allocate(capacity: size)
            mappedHomes = .allocate(capacity: size)
        } else {
            mappedTables = nil
            mappedUnigrams = nil
            mappedKeys = nil
            mappedHomes = nil
        }
    }

    deinit {
        current.deallocate()
        next.deallocate()
        mappedTables?.deallocate()
        mappedKeys?.deallocate()
        mappedHomes?.deallocate()
    }

    /// Starts a sentence: the history is `<s>`.
    public func beginSentence() {
        current[0] = Vocabulary.beginID
        length = min(1, maxLength)
        historyWords = min(1, maxLength)
    }

    /// Makes `context` (word ids, oldest first) the history, as if it had just been scored; a
    /// context that starts with `<s>` is a sentence start.
    public func setContext(_ context: [UInt32]) {
        length = 0
        historyWords = min(context.count, maxLength)
        let usable = context.suffix(maxLength)
        guard let last = usable.last else { return }
        // The longest stored suffix, found shortest first.
        current[0] = last
        length = 1
        let words = Array(usable)
        while length < words.count {
            guard let slot = model.slot(of: Array(words[(words.count - length - 1)...])) else { break }
            current[length] = UInt32(slot)
            length += 1
        }
    }

    /// Scores `word` after the current history and moves the history on by one word.
    /// - Returns: log10 p(word | history) (−infinity for probability 0) and the length of the
    ///   longest stored n-gram that gave the probability (KenLM's `ngram_length`).
    @inline(__always)
    public func score(_ word: UInt32) -> (log10Prob: Double, matched: Int) {
        if let mappedTables, let mappedUnigrams { return scoreMapped(word, mappedTables, mappedUnigrams) }
        var prob = probs[0][Int(word)]
        var matched = 1
        next[0] = word
        var k = 0
        while k < length {
            guard let slot = tables[k].find(context: current[k], word: word) else { break }
            let p = probs[k + 1][slot]
            if !p.isNaN {
                prob = p
                matched = k + 2
            }
            k += 1
            if k < maxLength { next[k] = UInt32(truncatingIfNeeded: slot) }
        }
        // Backoff weights of the history n-grams longer than the one that matched.
        var j = matched
        while j <= length {
            prob += backoffs[j - 1][Int(current[j - 1])]
            j += 1
        }
        swap(&current, &next)
        length = min(k + 1, maxLength)
        historyWords = min(historyWords + 1, maxLength)
        return (prob, matched)
    }

    /// `score` on a binary model's mapped tables: the same steps, values stored as `Float`.
    @inline(__always)
    private func scoreMapped(_ word: UInt32, _ tables: UnsafeMutablePointer<BinaryTable>,
                             _ unigrams: UnsafePointer<Float>) -> (log10Prob: Double, matched: Int) {
        // Every order's lookup is known now (the history's slots and the word): their first
        // cache misses overlap instead of following one another.
        let keys = mappedKeys!, homes = mappedHomes!
        var k = 0
        while k < length {
            let key = tables[k].key(context: current[k], word: word)
            keys[k] = key
            homes[k] = tables[k].prefetchHome(key)
            k += 1
        }
        var prob = Double(unigrams[2 * Int(word)])
        var matched = 1
        next[0] = word
        k = 0
        while k < length {
            guard let slot = tables[k].find(key: keys[k], home: homes[k]) else { break }
            let p = tables[k].logProb(slot)
            if !p.isNaN {
                prob = p
                matched = k + 2
            }
            k += 1
            if k < maxLength { next[k] = UInt32(truncatingIfNeeded: slot) }
        }
        var j = matched
        while j <= length {
            prob += j == 1 ? Double(unigrams[2 * Int(current[0]) + 1]) : tables[j - 2].logBackoff(Int(current[j - 1]))
            j += 1
        }
        swap(&current, &next)
        length = min(k + 1, maxLength)
        historyWords = min(historyWords + 1, maxLength)
        return (prob, matched)
    }

    /// Stupid Backoff's log10 Z of the longest history n-gram that is a context, and that
    /// n-gram's length, on a binary model: Z is rebuilt along the history, whose entries are each
    /// other's suffixes, as `ARPAReader` builds it for every entry (log10 Z(h) = log10 α +
    /// log10 Z(h') − backoff(h) for a context, log10 α + log10 Z(h') otherwise).
    private func mappedNormalizer(logAlpha: Double) -> (logZ: Double, contextLength: Int) {
        guard let binary = model.binary else { return (0, 0) }
        var z = 0.0, best = 0.0, contextLength = 0
        for j in 0..<length {
            let slot = Int(current[j])
            let isContext = j == 0 ? binary.unigramContext[slot] != 0 : mappedTables![j - 1].isContext(slot)
            if isContext {
                z = logAlpha + z - (j == 0 ? Double(binary.unigramValues[2 * slot + 1]) : mappedTables![j - 1].logBackoff(slot))
                best = z
                contextLength = j + 1
            } else {
                z = logAlpha + z
            }
        }
        return (best, contextLength)
    }

    /// Stupid Backoff's raw score of `word` (log10 S(word | history), Brants et al. 2007), or nil
    /// for other models. Call instead of `score`, which it includes.
    public func scoreRawStupidBackoff(_ word: UInt32) -> (log10Prob: Double, log10RawScore: Double, matched: Int)? {
        guard case .stupidBackoff(let alpha) = model.smoothing else { return nil }
        if model.binary != nil {
            let (logZ, contextLength) = mappedNormalizer(logAlpha: log10(alpha))
            let backoffSteps = historyWords - contextLength
            let (p, matched) = score(word)
            return (p, p + logZ + Double(backoffSteps) * log10(alpha), matched)
        }
        // The longest history n-gram that is a context (Z known); unseen longer contexts each add α.
        var contextLength = length
        while contextLength > 0 && model.logNormalizer[contextLength - 1][Int(current[contextLength - 1])].isNaN {
            contextLength -= 1
        }
        let logZ = contextLength > 0 ? model.logNormalizer[contextLength - 1][Int(current[contextLength - 1])] : 0
        let backoffSteps = historyWords - contextLength
        let (p, matched) = score(word)
        return (p, p + logZ + Double(backoffSteps) * log10(alpha), matched)
    }
}

#if canImport(Glibc)
import Glibc
#endif
