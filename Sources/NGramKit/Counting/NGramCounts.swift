/// The result of counting: raw counts of every n-gram of orders 1...N, the adjusted
/// (continuation) counts Kneser-Ney needs for orders below N, and counts-of-counts.
///
/// Unigrams are indexed by word id; orders 2...N live in `CountTable`s, each n-gram keyed by
/// its context's slot in the order below (bigrams by the context's word id).
public final class NGramCounts: @unchecked Sendable {
    /// Highest order counted.
    public let order: Int
    /// The vocabulary the ids refer to.
    public let vocabulary: Vocabulary
    /// Raw count of each word by id (`<s>` and `</s>` count once per sentence; `<unk>` counts
    /// the out-of-vocabulary tokens and any literal `<unk>`).
    public internal(set) var unigramCounts: [UInt64]
    /// Number of distinct words preceding each word (including `<s>`), by id; empty when N = 1.
    public internal(set) var unigramContinuation: [UInt32]
    /// Tables for orders 2...N: `tables[n - 2]` holds order n.
    package let tables: [CountTable]
    /// Number of sentences (lines).
    public let sentences: Int
    /// Number of word tokens, sentence markers excluded.
    public let tokens: Int

    init(order: Int, vocabulary: Vocabulary, unigramCounts: [UInt64], unigramContinuation: [UInt32],
         tables: [CountTable], sentences: Int, tokens: Int) {
        self.order = order
        self.vocabulary = vocabulary
        self.unigramCounts = unigramCounts
        self.unigramContinuation = unigramContinuation
        self.tables = tables
        self.sentences = sentences
        self.tokens = tokens
    }

    /// The table of order `n` (2...N).
    package func table(order n: Int) -> CountTable { tables[n - 2] }

    /// Number of distinct n-grams of order `n`. For unigrams this is the vocabulary size,
    /// `<unk>`, `<s>` and `</s>` included, as in KenLM's models.
    public func uniqueCount(order n: Int) -> Int {
        guard n >= 1 && n <= order else { return 0 }
        return n == 1 ? vocabulary.count : tables[n - 2].occupied
    }

    /// Kneser-Ney's adjusted count of word `id` as a unigram: its number of distinct left
    /// extensions, or its raw count for `<s>` (nothing precedes it) and when N = 1.
    package func adjustedUnigramCount(_ id: UInt32) -> UInt64 {
        if order >= 2, unigramContinuation[Int(id)] > 0 { return UInt64(unigramContinuation[Int(id)]) }
        return unigramCounts[Int(id)]
    }

    /// Counts-of-counts of order `n`: element k (1...4) is the number of n-grams whose count is k
    /// (element 4 counts exactly 4; element 0 is unused).
    /// - Parameter adjusted: use the adjusted counts (what modified Kneser-Ney discounts are
    ///   computed from) instead of the raw ones.
    public func countsOfCounts(order n: Int, adjusted: Bool) -> [UInt64] {
        var result = [UInt64](repeating: 0, count: 5)
        guard n >= 1 && n <= order else { return result }
        if n == 1 {
            for id in 0..<vocabulary.count {
                let c = adjusted ? adjustedUnigramCount(UInt32(id)) : unigramCounts[id]
                if c >= 1 && c <= 4 { result[Int(c)] += 1 }
            }
            return result
        }
        let table = tables[n - 2]
        for slot in 0..<table.capacity where table.isOccupied(slot) {
            let c = adjusted ? table.adjustedCount(ofSlot: slot) : table.count(ofSlot: slot)
            if c <= 4 { result[Int(c)] += 1 }
        }
        return result
    }

    /// The ids of the n-gram in `slot` of order `n`'s table, oldest word first.
    package func words(order n: Int, slot: Int) -> [UInt32] {
        var result = [UInt32](repeating: 0, count: n)
        var currentSlot = slot
        var level = n
        while level >= 2 {
            let table = tables[level - 2]
            result[level - 1] = table.word(ofSlot: currentSlot)
            let context = table.context(ofSlot: currentSlot)
            if level == 2 { result[0] = context } else { currentSlot = Int(context) }
            level -= 1
        }
        if n == 1 { result[0] = UInt32(slot) }
        return result
    }

    /// The slot of an n-gram given by ids (order = `ids.count` ≥ 2), or nil when unseen.
    package func slot(of ids: [UInt32]) -> Int? {
        precondition(ids.count >= 2 && ids.count <= order)
        var context = ids[0]
        var slot = 0
        for level in 2...ids.count {
            guard let found = tables[level - 2].find(context: context, word: ids[level - 1]) else { return nil }
            slot = found
            context = UInt32(found)
        }
        return slot
    }

    /// Raw count of an n-gram given as words separated by spaces (for tests and tools).
    public func count(of ngram: String) -> UInt64 {
        guard let ids = ids(of: ngram) else { return 0 }
        if ids.count == 1 { return unigramCounts[Int(ids[0])] }
        guard let slot = slot(of: ids) else { return 0 }
        return tables[ids.count - 2].count(ofSlot: slot)
    }

    /// Adjusted count of an n-gram given as words separated by spaces (0 when unseen).
    public func adjustedCount(of ngram: String) -> UInt64 {
        guard let ids = ids(of: ngram) else { return 0 }
        if ids.count == 1 { return adjustedUnigramCount(ids[0]) }
        guard let slot = slot(of: ids) else { return 0 }
        return tables[ids.count - 2].adjustedCount(ofSlot: slot)
    }

    private func ids(of ngram: String) -> [UInt32]? {
        var ids: [UInt32] = []
        for word in ngram.split(separator: " ") {
            guard let id = vocabulary.lookup(String(word)) else { return nil }
            ids.append(id)
        }
        return ids.isEmpty || ids.count > order ? nil : ids
    }

    /// Memory held by the count tables (slots, continuation counts, overflow), in bytes.
    package var tableMemory: Int {
        tables.reduce(0) { $0 + $1.memoryFootprint } + unigramCounts.capacity * 8 + unigramContinuation.capacity * 4
    }

    /// Total number of distinct n-grams over all orders.
    public var totalUniqueNGrams: Int {
        (1...order).reduce(0) { $0 + uniqueCount(order: $1) }
    }
}
