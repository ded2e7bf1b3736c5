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
/// the mapped file instead: `tables`, `logProb`, `logBackoff` and `contextFlags` are then empty,
/// and `ModelState`, `slot(of:)`, `isBlank` and `entry` read the mapping (see `BinaryModel`).
/// The writers convert such a model to one in memory first (`NGramModel+Conversion`).
public final class NGramModel: @unchecked Sendable {
    /// Highest order.
    public let order: Int
    /// The words; ids 0, 1, 2 are `<unk>`, `<s>`, `</s>`.
    public let vocabulary: Vocabulary
    /// Key tables of orders 2...N (`tables[n - 2]`).
    package let tables: [CountTable]
    /// log10 probabilities by order (`logProb[n - 1]`), by word id or slot. NaN marks a blank.
    let logProb: [LargeBuffer<Double>]
    /// log10 backoff weights by order (`logBackoff[n - 1]`); 0 for n-grams that are no context.
    /// The highest order's array is empty: its n-grams are never a context.
    let logBackoff: [LargeBuffer<Double>]
    /// Number of n-grams per order (blanks excluded): `ngramCounts[n - 1]`.
    public let ngramCounts: [Int]
    /// How the model was made, as far as its file records it: smoothing and its parameters, the
    /// tokenizer of the training text.
    public internal(set) var provenance: ModelProvenance
    /// Stupid Backoff only: per order n = 1...N-1 (`contextFlags[n - 1]`, by id or slot), 1 when
    /// some stored (n+1)-gram that is not a blank extends the entry: the contexts whose
    /// normalizers Z raw scores need (`ModelState.stupidBackoffNormalizer`). Empty for other models.
    let contextFlags: [LargeBuffer<UInt8>]
    /// The mapped binary file holding the model, or nil for a model in memory.
    public let binary: BinaryModel?
    /// Per order n ≥ 2 (`filled[n - 2]`), the slots of entries filled in for a missing suffix
    /// when a pruned ARPA file was read (see `ARPAParser+Suffixes`): they carry the probability
    /// the backoff form gives them, but are no n-grams of the file. Empty for estimated models.
    let filled: [Set<Int>]
    /// Whether every stored n-gram's context and suffix are stored n-grams: no blanks and no
    /// filled entries (every estimated model; an ARPA file with no holes; a binary model without
    /// blanks). The ARPA writer records it, and the reader then skips its search for holes.
    public let isComplete: Bool

    /// A model backed by a mapped binary file.
    init(binary: BinaryModel) {
        order = binary.order
        vocabulary = binary.vocabulary
        tables = []
        logProb = []
        logBackoff = []
        ngramCounts = binary.ngramCounts
        provenance = binary.provenance
        contextFlags = []
        filled = []
        isComplete = zip(binary.ngramCounts, binary.entryCounts).allSatisfy { $0 == $1 }
        self.binary = binary
    }

    init(order: Int, vocabulary: Vocabulary, tables: [CountTable], logProb: [LargeBuffer<Double>],
         logBackoff: [LargeBuffer<Double>], ngramCounts: [Int], provenance: ModelProvenance,
         filled: [Set<Int>] = [], isComplete: Bool = true, contextFlags: [LargeBuffer<UInt8>]? = nil) {
        precondition(order >= 1 && tables.count == order - 1 && logProb.count == order && logBackoff.count == order)
        self.order = order
        self.vocabulary = vocabulary
        self.tables = tables
        self.logProb = logProb
        self.logBackoff = logBackoff
        self.ngramCounts = ngramCounts
        self.provenance = provenance
        self.filled = filled
        self.isComplete = isComplete
        // Given by a model that holds part of a whole model's n-grams (`RestrictedModelBuilder`):
        // the whole model's flags; otherwise read off the tables.
        if !provenance.isStupidBackoff {
            self.contextFlags = []
        } else {
            self.contextFlags = contextFlags
                ?? (1..<max(order, 1)).map { NGramModel.contextFlags(order: $0, tables: tables, logProb: logProb, filled: filled) }
        }
        binary = nil
    }

    /// For the entries of order `n` < N of a model in memory (by word id for n = 1, by slot
    /// otherwise), 1 when some stored (n+1)-gram that is neither a blank nor a filled suffix
    /// extends it: the flags of `contextFlags` and of the binary format's context bits.
    static func contextFlags(order n: Int, tables: [CountTable], logProb: [LargeBuffer<Double>], filled: [Set<Int>]) -> LargeBuffer<UInt8> {
        let size = logProb[n - 1].count
        let flags = LargeBuffer<UInt8>(zeroedCount: size)
        let above = tables[n - 1]
        let aboveProb = logProb[n]
        let fills = n - 1 < filled.count ? filled[n - 1] : []
        for slot in 0..<above.capacity where above.isOccupied(slot) && !aboveProb[slot].isNaN && (fills.isEmpty || !fills.contains(slot)) {
            flags[Int(above.context(ofSlot: slot))] = 1
        }
        return flags
    }

    /// Checks that every id names a word of the vocabulary.
    /// - Throws: `NGramKitError.invalidOption` naming the first id outside it.
    func checkIDs(_ ids: [UInt32]) throws {
        for id in ids where Int(id) >= vocabulary.count {
            throw NGramKitError.invalidOption(name: "word id", value: String(id), expected: "an id below \(vocabulary.count), the vocabulary's size")
        }
    }

    /// Total number of n-grams over all orders.
    public var totalNGrams: Int { ngramCounts.reduce(0, +) }

    /// Memory held by the model's tables and values, in bytes.
    public var memoryFootprint: Int {
        if let binary { return binary.fileBytes }
        return tables.reduce(0) { $0 + $1.slots.memoryFootprint }
            + logProb.reduce(0) { $0 + $1.memoryFootprint } + logBackoff.reduce(0) { $0 + $1.memoryFootprint }
            + contextFlags.reduce(0) { $0 + $1.memoryFootprint } + vocabulary.memoryFootprint
    }

    /// The slot (word id for unigrams) of the n-gram `ids`, or nil when it is not stored.
    /// Blanks are found too; `isBlank` tells them apart.
    package func slot(of ids: [UInt32]) -> Int? {
        ids.withUnsafeBufferPointer { slot(of: $0) }
    }

    /// `slot(of:)` without allocating.
    package func slot(of ids: UnsafeBufferPointer<UInt32>) -> Int? {
        guard !ids.isEmpty, ids.count <= order, ids.allSatisfy({ Int($0) < vocabulary.count }) else { return nil }
        var slot = Int(ids[0])
        for n in stride(from: 2, through: ids.count, by: 1) {
            guard let found = find(order: n, context: UInt32(slot), word: ids[n - 1]) else { return nil }
            slot = found
        }
        return slot
    }

    /// Whether the entry in `slot` of order `n` is a blank (a context only, not an n-gram).
    package func isBlank(order n: Int, slot: Int) -> Bool { storedLogProb(order: n, slot: slot).isNaN }

    /// Whether the entry in `slot` of order `n` was filled in for a missing suffix (see `filled`).
    package func isFilled(order n: Int, slot: Int) -> Bool {
        n >= 2 && n - 2 < filled.count && filled[n - 2].contains(slot)
    }

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
        guard let slot = slot(of: ids), !isBlank(order: ids.count, slot: slot), !isFilled(order: ids.count, slot: slot) else { return nil }
        // The highest order keeps no backoff array: its n-grams are never a context.
        let backoff = ids.count < order ? storedLogBackoff(order: ids.count, slot: slot) : 0
        return (storedLogProb(order: ids.count, slot: slot), backoff)
    }
}

/// How a model was made, as far as it is known: what its file records (NGramKit writes all of
/// it; an ARPA file from another toolkit records none of it).
public struct ModelProvenance: Sendable, Equatable {
    /// The estimator; nil when not recorded (an ARPA file made elsewhere).
    public var smoothing: SmoothingMethod?
    /// Modified Kneser-Ney's discounts (D1, D2, D3+) of each order; empty for other smoothing.
    public var discounts: [KneserNeyDiscount]
    /// Stupid Backoff's backoff factor α (the model is stored normalized; see `StupidBackoff`);
    /// nil for other smoothing.
    public var alpha: Double?
    /// The tokenizer of the training text; nil when not recorded. `ngramkit ppl` and `query`
    /// (and `Perplexity.evaluate` without a configuration) tokenize with it.
    public var tokenizer: TokenizerConfiguration?

    public init(smoothing: SmoothingMethod? = nil, discounts: [KneserNeyDiscount] = [], alpha: Double? = nil,
                tokenizer: TokenizerConfiguration? = nil) {
        self.smoothing = smoothing
        self.discounts = discounts
        self.alpha = alpha
        self.tokenizer = tokenizer
    }

    /// A modified Kneser-Ney model with these discounts.
    public static func kneserNey(_ discounts: [KneserNeyDiscount]) -> ModelProvenance {
        ModelProvenance(smoothing: .kneserNey, discounts: discounts)
    }

    /// A Stupid Backoff model with backoff factor `alpha`.
    public static func stupidBackoff(alpha: Double) -> ModelProvenance {
        ModelProvenance(smoothing: .stupidBackoff, alpha: alpha)
    }

    /// The smoothing's name for reports ("unknown" when not recorded).
    public var name: String { smoothing?.rawValue ?? "unknown" }

    /// Whether raw Stupid Backoff scores can be recovered (the model is Stupid Backoff with α known).
    public var isStupidBackoff: Bool { smoothing == .stupidBackoff && alpha != nil }
}
