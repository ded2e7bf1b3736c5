import CNGramKitSupport

/// What scoring reads of a model, whichever way it is stored: the one scoring step of
/// `ModelState` (and its lockstep form) is written once, generic over this, and specialised for
/// the two stores: `MemoryTables` (counting tables and `Double` values in memory) and
/// `MappedTables` (a binary model's mapped tables, `Float` values).
///
/// Orders are addressed by table index `k` = n − 2 (bigrams are table 0); the entry a history
/// holds at order n is a word id for n = 1 and a slot of table n − 2 above.
protocol ScoringTables {
    /// Starts the lookup of (`context`, `word`) in table `k`: computes what the lookup needs
    /// and requests the cache line it will read first, waiting for nothing.
    func request(_ k: Int, context: UInt32, word: UInt32) -> Probe
    /// The slot of the requested entry, or nil when it is not stored.
    func find(_ k: Int, _ probe: Probe) -> Int?
    /// The log10 probability in slot `slot` of table `k` (NaN for a blank).
    func logProb(_ k: Int, _ slot: Int) -> Double
    /// The log10 backoff in slot `slot` of table `k` (orders below N only).
    func logBackoff(_ k: Int, _ slot: Int) -> Double
    func unigramLogProb(_ word: UInt32) -> Double
    func unigramLogBackoff(_ word: UInt32) -> Double
    func prefetchUnigram(_ word: UInt32)
    /// Whether a lookup in table `k` that extends `entry` (of order k + 1) can find anything:
    /// false only where the store knows that none can (no blanks, and no stored entry extends it).
    func mayExtend(_ k: Int, _ entry: UInt32) -> Bool
    /// Whether `entry` of order `n` (1...N-1) is extended by some stored (n+1)-gram that is not a
    /// blank: Stupid Backoff's contexts, whose normalizers its raw scores need.
    func isContext(order n: Int, _ entry: UInt32) -> Bool
}

/// What a requested lookup carries to its `find`: the key or code, the home slot, and (for a
/// table in memory) the first slot of the home's partition, where a probe wraps.
struct Probe {
    var key: UInt64
    var home: Int
    var start: Int
}

/// A model in memory as scoring reads it.
///
/// Invariants: the pointers address the model's own arrays (`NGramModel` keeps them alive as long
/// as the `ModelState` that holds this keeps the model): `tables` holds N − 1 views,
/// `probs` and `backoffs` N pointers (orders 1...N), `contexts` N − 1 flag arrays or none.
struct MemoryTables: ScoringTables {
    let tables: UnsafeMutablePointer<CountTableView>
    let probs: UnsafeMutablePointer<UnsafeMutablePointer<Double>>
    let backoffs: UnsafeMutablePointer<UnsafeMutablePointer<Double>>
    let contexts: UnsafeMutablePointer<UnsafeMutablePointer<UInt8>>?

    @inline(__always)
    func request(_ k: Int, context: UInt32, word: UInt32) -> Probe {
        let key = tables[k].key(context: context, word: word)
        let (home, start) = tables[k].home(CountTable.hash(key))
        ngk_prefetch_read(tables[k].slots + home)
        return Probe(key: key, home: home, start: start)
    }

    @inline(__always)
    func find(_ k: Int, _ probe: Probe) -> Int? { tables[k].find(probe.key, home: probe.home, start: probe.start) }

    @inline(__always)
    func logProb(_ k: Int, _ slot: Int) -> Double { probs[k + 1][slot] }

    @inline(__always)
    func logBackoff(_ k: Int, _ slot: Int) -> Double { backoffs[k + 1][slot] }

    @inline(__always)
    func unigramLogProb(_ word: UInt32) -> Double { probs[0][Int(word)] }

    @inline(__always)
    func unigramLogBackoff(_ word: UInt32) -> Double { backoffs[0][Int(word)] }

    @inline(__always)
    func prefetchUnigram(_ word: UInt32) { ngk_prefetch_read(probs[0] + Int(word)) }

    /// Every lookup is made: a model in memory keeps no flags for the shortcut.
    @inline(__always)
    func mayExtend(_ k: Int, _ entry: UInt32) -> Bool { true }

    @inline(__always)
    func isContext(order n: Int, _ entry: UInt32) -> Bool { contexts.map { $0[n - 1][Int(entry)] != 0 } ?? false }
}

/// A binary model's mapped tables as scoring reads them.
///
/// Invariants: `tables` holds N − 1 `BinaryTable`s over the mapping, `unigrams` V (prob, backoff)
/// pairs and `contexts` V flags, all inside the mapping the model keeps alive.
struct MappedTables: ScoringTables {
    let tables: UnsafeMutablePointer<BinaryTable>
    let unigrams: UnsafePointer<Float>
    let contexts: UnsafePointer<UInt8>

    @inline(__always)
    func request(_ k: Int, context: UInt32, word: UInt32) -> Probe {
        let code = tables[k].code(context: context, word: word)
        return Probe(key: code, home: tables[k].prefetchHome(code), start: 0)
    }

    @inline(__always)
    func find(_ k: Int, _ probe: Probe) -> Int? { tables[k].find(code: probe.key, home: probe.home) }

    @inline(__always)
    func logProb(_ k: Int, _ slot: Int) -> Double { tables[k].logProb(slot) }

    @inline(__always)
    func logBackoff(_ k: Int, _ slot: Int) -> Double { tables[k].logBackoff(slot) }

    @inline(__always)
    func unigramLogProb(_ word: UInt32) -> Double { Double(unigrams[2 &* Int(word)]) }

    @inline(__always)
    func unigramLogBackoff(_ word: UInt32) -> Double { Double(unigrams[2 &* Int(word) &+ 1]) }

    @inline(__always)
    func prefetchUnigram(_ word: UInt32) { ngk_prefetch_read(unigrams + 2 &* Int(word)) }

    /// In a table without blanks, (h, word) can be stored only when h's context flag is set
    /// (`contexts` for words, the slot's bit above), and the flag sits in the history's own
    /// entry, which the previous word's lookup just loaded.
    @inline(__always)
    func mayExtend(_ k: Int, _ entry: UInt32) -> Bool {
        tables[k].hasBlanks || (k == 0 ? contexts[Int(entry)] != 0 : tables[k - 1].isContext(Int(entry)))
    }

    @inline(__always)
    func isContext(order n: Int, _ entry: UInt32) -> Bool {
        n == 1 ? contexts[Int(entry)] != 0 : tables[n - 2].isContext(Int(entry))
    }
}
