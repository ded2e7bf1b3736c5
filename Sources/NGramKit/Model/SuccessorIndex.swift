/// For every context of a backoff model, the words that follow it in stored n-grams, most
/// probable first: what `NextWords` (the best next words) and `SentenceSampler` walk instead of
/// the whole vocabulary. KenLM's tables point from an n-gram to its context, so its users loop
/// over the vocabulary to find a context's successors; this index points the other way.
///
/// Layout (the binary format's successor sections, or the same arrays built in memory):
///   - `ranking`: the V word ids by unigram probability, most probable first (the successors of
///     the empty context);
///   - per order n = 2...N, `offsets`: C + 1 `UInt32` where C is the number of context entries
///     (V for n = 2, the slots of order n − 1's table above): the successors of the entry `c`
///     are records `offsets[c] ..< offsets[c + 1]`;
///   - per order, `records`: one `UInt64` per stored n-gram that is not a blank, its `key`: the
///     log10 probability as a descending order key in the high 32 bits, the last word in the low
///     32 bits. Records of a context are sorted by key, so most probable first and ties by word
///     id. The probability is a `Float` (a binary model's own precision); `NextWords` reads the
///     exact value from the model and uses this one only to rank.
///
/// Invariants: `owner` keeps every pointer's memory alive (a mapped file or buffers); a mapped
/// index's offsets are not trusted: `successors` checks them and every word id at use, so a
/// damaged file gives an error, never a read outside the sections.
package struct SuccessorIndex: @unchecked Sendable {
    /// One order's successor lists.
    struct Level {
        let offsets: UnsafePointer<UInt32>
        /// C: the entries of order n − 1 (`offsets` has C + 1 elements).
        let contexts: Int
        let records: UnsafePointer<UInt64>
        let recordCount: Int
    }

    let ranking: UnsafePointer<UInt32>
    let words: Int
    /// Orders 2...N (`levels[n - 2]`).
    let levels: [Level]
    let owner: AnyObject
    /// The file, for errors about a damaged index (nil for an index built in memory).
    let path: String?

    /// The order key of a log10 probability: larger probabilities give smaller keys.
    @inline(__always)
    static func descendingKey(_ log10Prob: Float) -> UInt32 {
        let bits = log10Prob.bitPattern
        let ascending = bits & 0x8000_0000 != 0 ? ~bits : bits | 0x8000_0000
        return ~ascending
    }

    /// The log10 probability of an order key (`descendingKey`'s inverse).
    @inline(__always)
    static func log10Prob(ofKey key: UInt32) -> Float {
        let ascending = ~key
        return Float(bitPattern: ascending & 0x8000_0000 != 0 ? ascending & 0x7FFF_FFFF : ~ascending)
    }

    /// A record: `word` after its context, with its log10 probability as ranked.
    @inline(__always)
    static func record(word: UInt32, log10Prob: Float) -> UInt64 {
        UInt64(descendingKey(log10Prob)) << 32 | UInt64(word)
    }

    @inline(__always)
    static func word(of record: UInt64) -> UInt32 { UInt32(truncatingIfNeeded: record) }

    /// The records of the successors of entry `context` of order n − 1 (n ≥ 2).
    /// - Throws: `NGramKitError.malformedModel` when a mapped index's offsets are damaged.
    func successors(order n: Int, context: UInt32) throws -> UnsafeBufferPointer<UInt64> {
        let level = levels[n - 2]
        guard Int(context) < level.contexts else { throw damaged("context entry \(context) of order \(n - 1) outside its \(level.contexts) entries") }
        let start = Int(level.offsets[Int(context)]), end = Int(level.offsets[Int(context) + 1])
        guard start <= end, end <= level.recordCount else { throw damaged("order-\(n) successor offsets \(start)..<\(end) of \(level.recordCount)") }
        return UnsafeBufferPointer(start: level.records + start, count: end - start)
    }

    /// Checks a word id read from the index.
    @inline(__always)
    func checked(_ word: UInt32) throws -> UInt32 {
        guard Int(word) < words else { throw damaged("word id \(word) of \(words) words") }
        return word
    }

    @inline(never)
    func damaged(_ what: String) -> NGramKitError {
        .malformedModel(path: path ?? "the model", line: nil,
                        reason: "corrupt successor index (\(what)); rebuild the binary model with `ngramkit compile --successors`")
    }
}

// MARK: Building

extension SuccessorIndex {
    /// One order's lists while they are built.
    struct BuiltLevel {
        let offsets: LargeBuffer<UInt32>
        let records: LargeBuffer<UInt64>
    }

    /// What a level is built from: calls `visit(context entry, word, log10 prob)` once for every
    /// stored n-gram of the order that is not a blank, the same way each time it is called.
    typealias Entries = ((UInt32, UInt32, Float) -> Void) throws -> Void

    /// Builds one order's lists from `entries` (called twice: once to count each context's
    /// successors, once to place them), then sorts each context's records.
    /// - Parameter contexts: C, the entries of order n − 1 (every visited context is below it).
    static func buildLevel(contexts: Int, entries: Entries) rethrows -> BuiltLevel {
        let offsets = LargeBuffer<UInt32>(zeroedCount: contexts + 1)
        let o = offsets.base
        try entries { context, _, _ in o[Int(context) + 1] &+= 1 }
        var total = 0
        for c in 0..<contexts {
            total += Int(o[c + 1])
            o[c + 1] = UInt32(truncatingIfNeeded: total)
        }
        let records = LargeBuffer<UInt64>(zeroedCount: total)
        let r = records.base
        // `o[c]` walks from the start of c's records; afterwards it is the start of c + 1's.
        try entries { context, word, prob in
            r[Int(o[Int(context)])] = record(word: word, log10Prob: prob)
            o[Int(context)] &+= 1
        }
        var start = 0
        for c in 0..<contexts {
            let end = Int(o[c])
            o[c] = UInt32(truncatingIfNeeded: start)
            if end - start > 1 {
                var group = UnsafeMutableBufferPointer(start: r + start, count: end - start)
                group.sort()
            }
            start = end
        }
        o[contexts] = UInt32(truncatingIfNeeded: total)
        return BuiltLevel(offsets: offsets, records: records)
    }

    /// The word ids by unigram log10 probability, most probable first (ties by id).
    static func buildRanking(words: Int, log10Prob: (Int) -> Float) -> LargeBuffer<UInt32> {
        let keys = LargeBuffer<UInt64>(zeroedCount: words)
        for id in 0..<words { keys.base[id] = record(word: UInt32(id), log10Prob: log10Prob(id)) }
        var sorted = UnsafeMutableBufferPointer(start: keys.base, count: words)
        sorted.sort()
        let ranking = LargeBuffer<UInt32>(zeroedCount: words)
        for i in 0..<words { ranking.base[i] = word(of: keys.base[i]) }
        return ranking
    }

    /// The entries of a binary table's slots `slots` at `base` (the mapped table, or a piece of
    /// it read back while the file is written): context and word from the key, the probability
    /// from the slot, blanks (NaN) skipped.
    static func visitBinarySlots(_ table: BinaryTable, _ visit: (UInt32, UInt32, Float) -> Void) {
        let wordMask = (UInt64(1) << table.wordBits) - 1
        for slot in 0..<table.slots {
            let code = table.storedCode(slot)
            guard code != 0 else { continue }
            let prob = Float(table.logProb(slot))
            guard !prob.isNaN else { continue }
            let key = BinaryTable.key(code: code, bits: table.keyBits)
            visit(UInt32(truncatingIfNeeded: key >> table.wordBits), UInt32(truncatingIfNeeded: key & wordMask), prob)
        }
    }

    /// Holds the buffers of an index built in memory.
    final class Buffers {
        let ranking: LargeBuffer<UInt32>
        let levels: [BuiltLevel]
        init(ranking: LargeBuffer<UInt32>, levels: [BuiltLevel]) {
            self.ranking = ranking
            self.levels = levels
        }
    }

    /// The index of `model`, built in memory: one pass per order over its tables (for a binary
    /// model, the mapped ones). A binary model that stores its index uses that instead
    /// (`BinaryModel.successors`).
    init(building model: NGramModel) {
        let v = model.vocabulary.count
        let ranking = SuccessorIndex.buildRanking(words: v) { Float(model.storedLogProb(order: 1, slot: $0)) }
        var built: [BuiltLevel] = []
        for n in stride(from: 2, through: model.order, by: 1) {
            let contexts = n == 2 ? v : model.entrySlots(order: n - 1)
            if let binary = model.binary {
                built.append(SuccessorIndex.buildLevel(contexts: contexts) { visit in
                    SuccessorIndex.visitBinarySlots(binary.tables[n - 2], visit)
                })
            } else {
                let table = model.tables[n - 2], probs = model.logProb[n - 1]
                built.append(SuccessorIndex.buildLevel(contexts: contexts) { visit in
                    for slot in 0..<table.capacity where table.isOccupied(slot) && !probs[slot].isNaN {
                        visit(table.context(ofSlot: slot), table.word(ofSlot: slot), Float(probs[slot]))
                    }
                })
            }
        }
        let buffers = Buffers(ranking: ranking, levels: built)
        self.init(ranking: UnsafePointer(ranking.base), words: v,
                  levels: built.map { level in
                      Level(offsets: UnsafePointer(level.offsets.base), contexts: level.offsets.count - 1,
                            records: UnsafePointer(level.records.base), recordCount: level.records.count)
                  }, owner: buffers, path: nil)
    }
}

extension NGramModel {
    /// The number of entries (slots) of order `n`: V for n = 1, the table's slots otherwise. The
    /// entries of order n are the contexts of order n + 1.
    func entrySlots(order n: Int) -> Int {
        if n == 1 { return vocabulary.count }
        return binary.map { $0.tables[n - 2].slots } ?? tables[n - 2].capacity
    }

    /// The stored suffixes of `context` (word ids, oldest first), shortest first: entries
    /// h_1...h_m (m ≤ N − 1), each a word id (k = 1) or the slot of order k; the history
    /// `ModelState.setContext` finds, and what `NextWords` and `SentenceSampler` start from.
    func storedSuffixes(of context: [UInt32]) -> [UInt32] {
        let words = Array(context.suffix(max(order - 1, 0)))
        var entries: [UInt32] = []
        while entries.count < words.count, let slot = slot(of: Array(words.suffix(entries.count + 1))) {
            entries.append(UInt32(truncatingIfNeeded: slot))
        }
        return entries
    }

    /// The slot of the stored entry (`context`, `word`) of order `n` ≥ 2 (`context` a word id for
    /// n = 2, a slot of order n − 1 otherwise), blank or not, or nil.
    @inline(__always)
    func find(order n: Int, context: UInt32, word: UInt32) -> Int? {
        if let binary { return binary.tables[n - 2].find(context: context, word: word) }
        return tables[n - 2].find(context: context, word: word)
    }
}
