/// A backoff n-gram language model in memory: for every stored n-gram a log10 probability and
/// a log10 backoff weight, exactly what an ARPA file holds.
///
/// p(w | h) = p(h w) when `h w` is stored; otherwise backoff(h) · p(w | h') where h' drops the
/// oldest word of h (backoff(h) = 1 when `h` is not stored). Every model NGramKit builds or
/// reads is queried in this one form, whatever smoothing produced it.
///
/// Storage: unigrams are indexed by word id. Orders 2...N use the key tables of counting
/// (`CountTable`): an n-gram is found from its context's slot in the order below and its last
/// word, and its values sit at the same slot in flat arrays. So a model estimated from counts
/// reuses the counting tables as they are, and scoring carries the slots of the matched
/// history from word to word (see `ModelState`): about one probe per order matched.
///
/// Invariants: `logProb[n - 1]` and (for n < N) `logBackoff[n - 1]` have one element per word
/// id (n = 1) or per slot of `tables[n - 2]`; `logBackoff[N - 1]` is empty; a stored n-gram's context is stored (an ARPA file that lacks
/// one gets a *blank*: an entry with a NaN probability that serves only as a context, as in
/// KenLM); a log10 probability of `-infinity` is a probability of zero (`-99` in ARPA files).
///
/// A model loaded from NGramKit's binary format (`binary` non-nil) keeps its tables and values in
/// the mapped file instead: `tables`, `logProb`, `logBackoff` and `logNormalizer` are then empty,
/// and `ModelState`, `slot(of:)`, `isBlank` and `entry` read the mapping (see `BinaryModel`).
/// Writers that need the arrays (`ARPAWriter`, `BinaryModelWriter`) take in-memory models only.
public final class NGramModel: @unchecked Sendable {
    /// Highest order.
    public let order: Int
    /// The words; ids 0, 1, 2 are `<unk>`, `<s>`, `</s>`.
    public let vocabulary: Vocabulary
    /// Key tables of orders 2...N (`tables[n - 2]`).
    public let tables: [CountTable]
    /// log10 probabilities by order (`logProb[n - 1]`), by word id or slot. NaN marks a blank.
    let logProb: [LargeBuffer<Double>]
    /// log10 backoff weights by order (`logBackoff[n - 1]`); 0 for n-grams that are no context.
    /// The highest order's array is empty: its n-grams are never a context.
    let logBackoff: [LargeBuffer<Double>]
    /// Number of n-grams per order (blanks excluded): `ngramCounts[n - 1]`.
    public let ngramCounts: [Int]
    /// How the model was made, as far as it is known.
    public let smoothing: ModelSmoothing
    /// Stupid Backoff only: log10 Z(h) of every context (orders 1...N-1, by id or slot), to turn
    /// normalized probabilities back into raw scores. Empty for other models.
    let logNormalizer: [LargeBuffer<Double>]
    /// The mapped binary file holding the model, or nil for a model in memory.
    public let binary: BinaryModel?

    /// A model backed by a mapped binary file.
    init(binary: BinaryModel) {
        order = binary.order
        vocabulary = binary.vocabulary
        tables = []
        logProb = []
        logBackoff = []
        ngramCounts = binary.ngramCounts
        smoothing = binary.smoothing
        logNormalizer = []
        self.binary = binary
    }

    init(order: Int, vocabulary: Vocabulary, tables: [CountTable], logProb: [LargeBuffer<Double>],
         logBackoff: [LargeBuffer<Double>], ngramCounts: [Int], smoothing: ModelSmoothing,
         logNormalizer: [LargeBuffer<Double>] = []) {
        precondition(order >= 1 && tables.count == order - 1 && logProb.count == order && logBackoff.count == order)
        self.order = order
        self.vocabulary = vocabulary
        self.tables = tables
        self.logProb = logProb
        self.logBackoff = logBackoff
        self.ngramCounts = ngramCounts
        self.smoothing = smoothing
        self.logNormalizer = logNormalizer
        binary = nil
    }

    /// Total number of n-grams over all orders.
    public var totalNGrams: Int { ngramCounts.reduce(0, +) }

    /// Memory held by the model's tables and values, in bytes.
    public var memoryFootprint: Int {
        if let binary { return binary.fileBytes }
        return tables.reduce(0) { $0 + $1.slots.memoryFootprint }
            + logProb.reduce(0) { $0 + $1.memoryFootprint } + logBackoff.reduce(0) { $0 + $1.memoryFootprint }
            + logNormalizer.reduce(0) { $0 + $1.memoryFootprint } + vocabulary.memoryFootprint
    }

    /// The slot (word id for unigrams) of the n-gram `ids`, or nil when it is not stored.
    /// Blanks are found too; `isBlank` tells them apart.
    public func slot(of ids: [UInt32]) -> Int? {
        guard !ids.isEmpty, ids.count <= order else { return nil }
        if ids.count == 1 { return Int(ids[0]) < vocabulary.count ? Int(ids[0]) : nil }
        guard Int(ids[0]) < vocabulary.count else { return nil }
        var slot = Int(ids[0])
        for n in 2...ids.count {
            let next = binary.map { $0.tables[n - 2].find(context: UInt32(slot), word: ids[n - 1]) }
                ?? tables[n - 2].find(context: UInt32(slot), word: ids[n - 1])
            guard let found = next else { return nil }
            slot = found
        }
        return slot
    }

    /// Whether the entry in `slot` of order `n` is a blank (a context only, not an n-gram).
    public func isBlank(order n: Int, slot: Int) -> Bool { storedLogProb(order: n, slot: slot).isNaN }

    /// The log10 probability stored in `slot` of order `n` (NaN for a blank).
    func storedLogProb(order n: Int, slot: Int) -> Double {
        guard let binary else { return logProb[n - 1][slot] }
        return n == 1 ? Double(binary.unigramValues[2 * slot]) : binary.tables[n - 2].logProb(slot)
    }

    /// The log10 backoff stored in `slot` of order `n` < N.
    func storedLogBackoff(order n: Int, slot: Int) -> Double {
        guard let binary else { return logBackoff[n - 1][slot] }
        return n == 1 ? Double(binary.unigramValues[2 * slot + 1]) : binary.tables[n - 2].logBackoff(slot)
    }

    /// The stored log10 probability and backoff of the n-gram given as words separated by
    /// spaces, or nil when it is not stored (for tests and tools).
    public func entry(_ ngram: String) -> (logProb: Double, logBackoff: Double)? {
        var ids: [UInt32] = []
        for word in ngram.split(separator: " ") {
            guard let id = vocabulary.lookup(String(word)) else { return nil }
            ids.append(id)
        }
        guard let slot = slot(of: ids), !isBlank(order: ids.count, slot: slot) else { return nil }
        // The highest order keeps no backoff array: its n-grams are never a context.
        let backoff = ids.count < order ? storedLogBackoff(order: ids.count, slot: slot) : 0
        return (storedLogProb(order: ids.count, slot: slot), backoff)
    }
}

/// The smoothing a model was made with.
public enum ModelSmoothing: Sendable, Equatable {
    /// Interpolated modified Kneser-Ney, with the discounts (D1, D2, D3+) of each order.
    case modifiedKneserNey(discounts: [KneserNeyDiscount])
    /// Stupid Backoff with backoff factor `alpha`, stored normalized (see `StupidBackoff`).
    case stupidBackoff(alpha: Double)
    /// A model read from an ARPA file made elsewhere.
    case unknown

    /// A short name for reports.
    public var name: String {
        switch self {
        case .modifiedKneserNey: return "kneser-ney"
        case .stupidBackoff: return "stupid-backoff"
        case .unknown: return "arpa"
        }
    }
}
