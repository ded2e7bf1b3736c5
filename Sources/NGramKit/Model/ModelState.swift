import CNGramKitSupport

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
///
/// A binary model can also score many sentences at once on one thread (`scoreInLockstep`),
/// which hides most of the memory latency that one sentence's chain of lookups exposes.
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
    /// The binary model's unigram context flags (nil for a model in memory).
    private let mappedContexts: UnsafePointer<UInt8>?
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
            mappedContexts = binary.unigramContext
            mappedKeys = .allocate(capacity: size)
            mappedHomes = .allocate(capacity: size)
        } else {
            mappedTables = nil
            mappedUnigrams = nil
            mappedContexts = nil
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
        let lookups = ModelState.prefetchMapped(word, current, length, keys, homes, tables, unigrams, mappedContexts!)
        let (prob, matched, newLength) = ModelState.resolveMapped(word, current, next, length, lookups, maxLength,
                                                                  keys, homes, tables, unigrams)
        swap(&current, &next)
        length = newLength
        historyWords = min(historyWords + 1, maxLength)
        return (prob, matched)
    }

    /// The first half of a mapped step: the key and home of every order's lookup of `word` after
    /// the history `current` (`length` n-grams), each home's cache line and the word's unigram
    /// requested from memory, nothing waited for.
    ///
    /// A lookup that must fail is not made: in a table without blanks, (h, word) can be stored
    /// only when h's context flag is set (`contexts` for words, the slot's bit above), and the
    /// flag sits in the history's own entry, which the previous word's lookup just loaded. The
    /// first such failure ends the match, as the lookup would have.
    /// - Returns: the lookups to make (the first `lookups` orders above the unigram).
    @inline(__always)
    private static func prefetchMapped(_ word: UInt32, _ current: UnsafePointer<UInt32>, _ length: Int,
                                       _ keys: UnsafeMutablePointer<UInt64>, _ homes: UnsafeMutablePointer<Int>,
                                       _ tables: UnsafePointer<BinaryTable>, _ unigrams: UnsafePointer<Float>,
                                       _ contexts: UnsafePointer<UInt8>) -> Int {
        var k = 0
        while k < length {
            if !tables[k].hasBlanks {
                let extended = k == 0 ? contexts[Int(current[0])] != 0 : tables[k - 1].isContext(Int(current[k]))
                if !extended { break }
            }
            let key = tables[k].code(context: current[k], word: word)
            keys[k] = key
            homes[k] = tables[k].prefetchHome(key)
            k += 1
        }
        ngk_prefetch_read(unigrams + 2 &* Int(word))
        return k
    }

    /// The second half: the lookups themselves (one probe per order matched, as `score`), the
    /// backoffs of the history n-grams longer than the match, and the next history written to
    /// `next`. The one computation of a mapped score, whether words are scored one at a time
    /// (`score`) or sentences in lockstep (`scoreInLockstep`), so both give the same bits.
    /// - Parameter lookups: `prefetchMapped`'s answer (≤ `length`).
    /// - Returns: log10 p, the matched length, and the length of the next history.
    @inline(__always)
    private static func resolveMapped(_ word: UInt32, _ current: UnsafePointer<UInt32>, _ next: UnsafeMutablePointer<UInt32>,
                                      _ length: Int, _ lookups: Int, _ maxLength: Int,
                                      _ keys: UnsafePointer<UInt64>, _ homes: UnsafePointer<Int>,
                                      _ tables: UnsafePointer<BinaryTable>,
                                      _ unigrams: UnsafePointer<Float>) -> (Double, Int, Int) {
        var prob = Double(unigrams[2 &* Int(word)])
        var matched = 1
        next[0] = word
        var k = 0
        while k < lookups {
            guard let slot = tables[k].find(code: keys[k], home: homes[k]) else { break }
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
            prob += j == 1 ? Double(unigrams[2 &* Int(current[0]) &+ 1]) : tables[j - 2].logBackoff(Int(current[j - 1]))
            j += 1
        }
        return (prob, matched, min(k + 1, maxLength))
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
        guard let alpha = model.provenance.alpha, model.provenance.smoothing == .stupidBackoff else { return nil }
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

// MARK: Lockstep scoring of a binary model

extension ModelState {
    /// Sentences scored at once by `scoreInLockstep`: enough independent lookups in flight to
    /// cover a memory access's latency, few enough that the lanes' state stays in L1.
    static let lockstepLanes = 16

    /// Whether `scoreInLockstep` applies: a binary-backed model.
    var scoresInLockstep: Bool { mappedTables != nil }

    /// Scores sentences of a binary model on the calling thread, `lockstepLanes` of them at a
    /// time, into one (log10 p, matched length) per token; the same values, bit for bit, as
    /// `beginSentence()` and then `score(_:)` for each token of each sentence.
    ///
    /// Why: one sentence is a chain of dependent lookups (a word's lookups need the previous
    /// word's slots), so scoring it waits for memory at every word. Sentences are independent:
    /// every round issues the next word's lookups of every lane (each order's home line and the
    /// unigram prefetched) before resolving any, so a lane's misses overlap the others'. A lane
    /// that finishes its sentence takes the next one; the state's own history is left as it is.
    /// - Parameters:
    ///   - ids: the tokens (word ids; `</s>` at each sentence's end).
    ///   - sentenceEnds: increasing; sentence s is `ids[sentenceEnds[s - 1] ..< sentenceEnds[s]]`
    ///     (from 0 for s = 0), the last end at most `ids.count`.
    ///   - log10Probs, matched: `ids.count` elements each; token i's results go to element i.
    /// - Precondition: `scoresInLockstep`.
    func scoreInLockstep(ids: UnsafeBufferPointer<UInt32>, sentenceEnds: UnsafeBufferPointer<Int>,
                         log10Probs: UnsafeMutablePointer<Double>, matched: UnsafeMutablePointer<UInt8>) {
        guard let tables = UnsafePointer(mappedTables), let unigrams = mappedUnigrams, let contexts = mappedContexts else {
            preconditionFailure("scoreInLockstep needs a binary-backed model")
        }
        let lanes = ModelState.lockstepLanes
        let width = max(model.order, 1)
        let maxLength = self.maxLength
        guard let ids = ids.baseAddress, !sentenceEnds.isEmpty else { return }
        // Per lane: two history buffers (current and next, swapped by `parity`), the lookups'
        // keys and homes, the next token, the sentence's end, the history's length.
        let histories = UnsafeMutablePointer<UInt32>.allocate(capacity: lanes * 2 * width)
        histories.initialize(repeating: 0, count: lanes * 2 * width)
        let keys = UnsafeMutablePointer<UInt64>.allocate(capacity: lanes * width)
        let homes = UnsafeMutablePointer<Int>.allocate(capacity: lanes * width)
        let position = UnsafeMutablePointer<Int>.allocate(capacity: lanes)
        let end = UnsafeMutablePointer<Int>.allocate(capacity: lanes)
        let length = UnsafeMutablePointer<Int>.allocate(capacity: lanes)
        let lookups = UnsafeMutablePointer<Int>.allocate(capacity: lanes)
        let parity = UnsafeMutablePointer<Int>.allocate(capacity: lanes)
        defer {
            histories.deallocate(); keys.deallocate(); homes.deallocate()
            position.deallocate(); end.deallocate(); length.deallocate(); lookups.deallocate(); parity.deallocate()
        }
        var nextSentence = 0
        /// Gives lane `l` the next non-empty sentence (`beginSentence`); false when none is left.
        @inline(__always)
        func start(_ l: Int) -> Bool {
            while nextSentence < sentenceEnds.count {
                let first = nextSentence == 0 ? 0 : sentenceEnds[nextSentence - 1]
                let last = sentenceEnds[nextSentence]
                nextSentence += 1
                guard last > first else { continue }
                position[l] = first
                end[l] = last
                parity[l] = 0
                histories[l * 2 * width] = Vocabulary.beginID
                length[l] = min(1, maxLength)
                return true
            }
            return false
        }
        var live = 0
        for l in 0..<lanes {
            if start(l) { live += 1 } else { end[l] = -1 }
        }
        // Each lane's lookups are requested a full round before they are resolved: a lane
        // resolves its token and at once requests the next one's, while the other lanes run.
        @inline(__always)
        func request(_ l: Int) {
            let current = histories + (l * 2 + parity[l]) * width
            lookups[l] = ModelState.prefetchMapped(ids[position[l]], current, length[l], keys + l * width,
                                                   homes + l * width, tables, unigrams, contexts)
        }
        for l in 0..<lanes where end[l] >= 0 { request(l) }
        while live > 0 {
            for l in 0..<lanes where end[l] >= 0 {
                let current = histories + (l * 2 + parity[l]) * width
                let next = histories + (l * 2 + 1 - parity[l]) * width
                let i = position[l]
                let (p, m, newLength) = ModelState.resolveMapped(ids[i], current, next, length[l], lookups[l], maxLength,
                                                                 keys + l * width, homes + l * width, tables, unigrams)
                log10Probs[i] = p
                matched[i] = UInt8(truncatingIfNeeded: m)
                length[l] = newLength
                parity[l] = 1 - parity[l]
                position[l] = i + 1
                if i + 1 == end[l] && !start(l) {
                    end[l] = -1
                    live -= 1
                } else {
                    request(l)
                }
            }
        }
    }
}
