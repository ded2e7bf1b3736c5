import CNGramKitSupport
import Foundation

/// Scores words one after another, carrying the matched history from each word to the next,
/// as KenLM's `State` does.
///
/// The state is the list of stored n-grams that end at the previous word, shortest first: the
/// word itself (its id), then the bigram ending there (its slot in order 2), and so on, up to
/// N-1 words. Scoring word w looks up (state[k], w) in order k+2 for k = 0, 1, ... until a
/// lookup fails: one probe per order matched. Because every stored n-gram's suffixes are
/// stored too (the ARPA reader fills in the ones a pruned file lacks), the first failure ends
/// the match.
///
/// One scoring step serves every model: `request` and `resolve`, generic over how the model is
/// stored (`ScoringTables`: in memory or mapped from a binary file), whether words are scored
/// one at a time (`score`) or many sentences at once (`scoreInLockstep`), so all give the same
/// bits. Stupid Backoff's raw score comes from the same history (`stupidBackoffNormalizer`).
///
/// Invariants: `current` and `next` hold `order` elements each; `length` ≤ order − 1 (and ≥ 1
/// once a sentence has begun); `current[k]` is the slot in order k+1 (word id for k = 0) of the
/// stored n-gram made of the last k+1 words; `probes` holds `order` elements of scratch.
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
    private let maxLength: Int
    private let probes: UnsafeMutablePointer<Probe>
    let store: Store

    /// How the model's tables are read (allocated here; the tables' memory belongs to the model,
    /// which the state keeps alive).
    enum Store {
        case memory(MemoryTables)
        case mapped(MappedTables)
    }

    public init(model: NGramModel) {
        self.model = model
        let size = max(model.order, 1)
        current = .allocate(capacity: size)
        current.initialize(repeating: 0, count: size)
        next = .allocate(capacity: size)
        next.initialize(repeating: 0, count: size)
        probes = .allocate(capacity: size)
        maxLength = max(model.order - 1, 0)
        store = ModelState.store(of: model)
    }

    /// The tables of `model` as scoring reads them.
    static func store(of model: NGramModel) -> Store {
        if let binary = model.binary {
            let tables = UnsafeMutablePointer<BinaryTable>.allocate(capacity: max(binary.tables.count, 1))
            tables.initialize(from: binary.tables, count: binary.tables.count)
            return .mapped(MappedTables(tables: tables, unigrams: binary.unigramValues, contexts: binary.unigramContext))
        }
        let tables = UnsafeMutablePointer<CountTableView>.allocate(capacity: max(model.tables.count, 1))
        tables.initialize(from: model.tables.map(CountTableView.init), count: model.tables.count)
        let probs = UnsafeMutablePointer<UnsafeMutablePointer<Double>>.allocate(capacity: model.order)
        probs.initialize(from: model.logProb.map(\.base), count: model.order)
        let backoffs = UnsafeMutablePointer<UnsafeMutablePointer<Double>>.allocate(capacity: model.order)
        backoffs.initialize(from: model.logBackoff.map(\.base), count: model.order)
        var contexts: UnsafeMutablePointer<UnsafeMutablePointer<UInt8>>? = nil
        if !model.contextFlags.isEmpty {
            let flags = UnsafeMutablePointer<UnsafeMutablePointer<UInt8>>.allocate(capacity: model.contextFlags.count)
            flags.initialize(from: model.contextFlags.map(\.base), count: model.contextFlags.count)
            contexts = flags
        }
        return .memory(MemoryTables(tables: tables, probs: probs, backoffs: backoffs, contexts: contexts))
    }

    deinit {
        current.deallocate()
        next.deallocate()
        probes.deallocate()
        switch store {
        case .mapped(let tables):
            tables.tables.deallocate()
        case .memory(let tables):
            tables.tables.deallocate()
            tables.probs.deallocate()
            tables.backoffs.deallocate()
            tables.contexts?.deallocate()
        }
    }

    /// A state with the same history, moved on independently (kenlm's state copies).
    public func copy() -> ModelState {
        let other = ModelState(model: model)
        other.current.update(from: current, count: max(model.order, 1))
        other.length = length
        other.historyWords = historyWords
        return other
    }

    /// Starts a sentence: the history is `<s>`.
    public func beginSentence() {
        current[0] = Vocabulary.beginID
        length = min(1, maxLength)
        historyWords = min(1, maxLength)
    }

    /// Starts without a history (no `<s>`): the first word is scored as a unigram, as KenLM's
    /// null context state does (`bos=False` in its Python module).
    public func beginWithoutContext() {
        length = 0
        historyWords = 0
    }

    /// Makes `context` (word ids, oldest first) the history, as if it had just been scored; a
    /// context that starts with `<s>` is a sentence start.
    /// - Throws: `NGramKitError.invalidOption` for an id outside the vocabulary.
    public func setContext(_ context: [UInt32]) throws {
        try model.checkIDs(context)
        context.withUnsafeBufferPointer { setContext(ids: $0) }
    }

    /// `setContext` without the id check and without allocating (ids from the vocabulary).
    func setContext(ids context: UnsafeBufferPointer<UInt32>) {
        length = 0
        historyWords = min(context.count, maxLength)
        let words = UnsafeBufferPointer(rebasing: context[(context.count - min(context.count, maxLength))...])
        guard let last = words.last else { return }
        // The longest stored suffix, found shortest first.
        current[0] = last
        length = 1
        while length < words.count {
            guard let slot = model.slot(of: UnsafeBufferPointer(rebasing: words[(words.count - length - 1)...])) else { break }
            current[length] = UInt32(slot)
            length += 1
        }
    }

    /// Scores `word` after the current history and moves the history on by one word.
    /// - Returns: log10 p(word | history) (−infinity for probability 0) and the length of the
    ///   longest stored n-gram that gave the probability (KenLM's `ngram_length`).
    /// - Throws: `NGramKitError.invalidOption` for an id outside the vocabulary.
    public func score(_ word: UInt32) throws -> (log10Prob: Double, matched: Int) {
        try model.checkIDs([word])
        return step(word)
    }

    /// `score` without the id check, for the scoring loops (their ids come from the vocabulary).
    @inline(__always)
    func step(_ word: UInt32) -> (log10Prob: Double, matched: Int) {
        switch store {
        case .memory(let tables): return step(word, tables)
        case .mapped(let tables): return step(word, tables)
        }
    }

    @inline(__always)
    private func step<T: ScoringTables>(_ word: UInt32, _ tables: T) -> (log10Prob: Double, matched: Int) {
        // Every order's lookup is known now (the history's slots and the word): their first
        // cache misses overlap instead of following one another.
        let lookups = ModelState.request(word, current, length, probes, tables)
        let (prob, matched, newLength) = ModelState.resolve(word, current, next, length, lookups, maxLength, probes, tables)
        swap(&current, &next)
        length = newLength
        historyWords = min(historyWords + 1, maxLength)
        return (prob, matched)
    }

    /// log10 p(`word` | history) without moving the history on: KenLM's `BaseScore` into a
    /// state that is then dropped, what a loop over the vocabulary calls.
    func peek(_ word: UInt32) -> Double {
        switch store {
        case .memory(let tables): return peek(word, tables)
        case .mapped(let tables): return peek(word, tables)
        }
    }

    @inline(__always)
    private func peek<T: ScoringTables>(_ word: UInt32, _ tables: T) -> Double {
        let lookups = ModelState.request(word, current, length, probes, tables)
        return ModelState.resolve(word, current, next, length, lookups, maxLength, probes, tables).0
    }

    /// The first half of a step: every order's lookup of `word` after the history `current`
    /// (`length` n-grams) requested from memory, and the word's unigram, nothing waited for. A
    /// lookup that must fail (`ScoringTables.mayExtend`) is not made: the first such failure
    /// ends the match, as the lookup would have.
    /// - Returns: the lookups to make (the first `lookups` orders above the unigram).
    @inline(__always)
    static func request<T: ScoringTables>(_ word: UInt32, _ current: UnsafePointer<UInt32>, _ length: Int,
                                          _ probes: UnsafeMutablePointer<Probe>, _ tables: T) -> Int {
        var k = 0
        while k < length {
            if !tables.mayExtend(k, current[k]) { break }
            probes[k] = tables.request(k, context: current[k], word: word)
            k += 1
        }
        tables.prefetchUnigram(word)
        return k
    }

    /// The second half: the lookups themselves (one probe per order matched), the backoffs of
    /// the history n-grams longer than the match, and the next history written to `next`.
    /// - Parameter lookups: `request`'s answer (≤ `length`).
    /// - Returns: log10 p, the matched length, and the length of the next history.
    @inline(__always)
    static func resolve<T: ScoringTables>(_ word: UInt32, _ current: UnsafePointer<UInt32>, _ next: UnsafeMutablePointer<UInt32>,
                                          _ length: Int, _ lookups: Int, _ maxLength: Int,
                                          _ probes: UnsafePointer<Probe>, _ tables: T) -> (Double, Int, Int) {
        var prob = tables.unigramLogProb(word)
        var matched = 1
        next[0] = word
        var k = 0
        while k < lookups {
            guard let slot = tables.find(k, probes[k]) else { break }
            let p = tables.logProb(k, slot)
            if !p.isNaN {
                prob = p
                matched = k + 2
            }
            k += 1
            if k < maxLength { next[k] = UInt32(truncatingIfNeeded: slot) }
        }
        var j = matched
        while j <= length {
            prob += j == 1 ? tables.unigramLogBackoff(current[0]) : tables.logBackoff(j - 2, Int(current[j - 1]))
            j += 1
        }
        return (prob, matched, min(k + 1, maxLength))
    }

    /// Stupid Backoff's log10 Z of the longest history n-gram that is a context, and that
    /// n-gram's length: Z is rebuilt along the history, whose entries are each other's suffixes
    /// (log10 Z(h) = log10 α + log10 Z(h') − backoff(h) for a context, log10 α + log10 Z(h')
    /// otherwise; Z(ε) = 1; see `StupidBackoff`). The one place raw scores come from, for every
    /// model and both ways of scoring.
    @inline(__always)
    static func stupidBackoffNormalizer<T: ScoringTables>(_ current: UnsafePointer<UInt32>, _ length: Int, logAlpha: Double,
                                                          _ tables: T) -> (logZ: Double, contextLength: Int) {
        var z = 0.0, best = 0.0, contextLength = 0
        for j in 0..<length {
            let entry = current[j]
            if tables.isContext(order: j + 1, entry) {
                z = logAlpha + z - (j == 0 ? tables.unigramLogBackoff(entry) : tables.logBackoff(j - 1, Int(entry)))
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
    /// - Throws: `NGramKitError.invalidOption` for an id outside the vocabulary.
    public func scoreRawStupidBackoff(_ word: UInt32) throws -> (log10Prob: Double, log10RawScore: Double, matched: Int)? {
        try model.checkIDs([word])
        return stepRawStupidBackoff(word)
    }

    /// `scoreRawStupidBackoff` without the id check.
    func stepRawStupidBackoff(_ word: UInt32) -> (log10Prob: Double, log10RawScore: Double, matched: Int)? {
        guard let alpha = model.provenance.alpha, model.provenance.smoothing == .stupidBackoff else { return nil }
        let logAlpha = log10(alpha)
        let (logZ, contextLength): (Double, Int)
        switch store {
        case .memory(let tables): (logZ, contextLength) = ModelState.stupidBackoffNormalizer(current, length, logAlpha: logAlpha, tables)
        case .mapped(let tables): (logZ, contextLength) = ModelState.stupidBackoffNormalizer(current, length, logAlpha: logAlpha, tables)
        }
        let backoffSteps = historyWords - contextLength
        let (p, matched) = step(word)
        return (p, p + logZ + Double(backoffSteps) * logAlpha, matched)
    }
}
