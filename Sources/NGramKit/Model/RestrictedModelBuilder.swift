/// The part of a model that scoring one text needs, built in memory from the model's entries as
/// they stream past: how the scaling harness scores a slice whose model is larger than its
/// memory budget (the model is never held whole, nor written).
///
/// In:  the text's n-gram counts at the model's order (their tables say which n-grams occur in
///      the text), the model's unigram values, then every n-gram of orders 2...N with its log10
///      probability and backoff, order by order, each order's n-grams with their contexts
///      already given one order down (canonical order does this).
/// Out: an `NGramModel` holding every unigram and exactly those n-grams of the model that occur
///      in the text, with the same values, bit for bit.
///
/// Why that is enough: scoring a word probes only n-grams that end at that word in the text
/// (the longest match, then its context's backoffs, which are n-grams ending at the word
/// before). So every probe finds in this model what it would find in the whole one, and the
/// text's scores are the whole model's, to the last bit.
///
/// Invariants: `tables[m - 2]` holds the kept n-grams of order m < `current`; `lowerMap[s]` is
/// the slot here of the n-gram in slot `s` of the text's table one order below `current`
/// (`UInt32.max`: not kept); a kept n-gram's context is kept (a model whose every n-gram's
/// context is an n-gram, as every estimated model).
package final class RestrictedModelBuilder {
    private let text: NGramCounts
    private let order: Int
    private var tables: [CountTable] = []
    private var probs: [LargeBuffer<Double>]
    private var backoffs: [LargeBuffer<Double>]
    private var current = 1
    private var lowerMap: [UInt32] = []
    /// The kept n-grams of order `current`: their slot in the text's table, key here, values.
    private var pending: [(textSlot: Int, key: UInt64, logProb: Double, logBackoff: Double, isContext: Bool)] = []
    /// Per order 1...N-1, whether the whole model's entry is a context (extended by one of its
    /// n-grams, kept here or not): Stupid Backoff's raw scores read it.
    private var contextFlags: [LargeBuffer<UInt8>]
    private var table: CountTable?
    /// Per order 2...N, how many n-grams will be kept (`keptPerOrder`), to size the tables; nil:
    /// as many as the text has.
    private let expectedKept: [Int]?

    /// Memory per kept n-gram, at most: its slot (at the tables' least load), two values and a
    /// context flag, and its place in the list of the order being filled.
    package static let bytesPerEntry = 64

    /// What a builder given `kept` (`keptPerOrder`) holds at most: its kept entries, and the maps
    /// from the text's slots of the order being filled and the one below (4 bytes a slot).
    package static func memoryNeeded(kept: [Int], text: NGramCounts) -> Int {
        kept.reduce(0, +) * bytesPerEntry + 2 * 4 * (text.tables.map(\.capacity).max() ?? 0)
    }

    /// - Parameters:
    ///   - text: the counts of the text to be scored, at the model's order, over the model's vocabulary.
    ///   - unigramLogProb, unigramLogBackoff: the model's unigram values by word id (no backoffs for order 1).
    ///   - unigramFlags: 1 for the words some bigram of the model extends.
    ///   - kept: per order 2...N, how many n-grams will be kept (`keptPerOrder`); nil: up to all the text's.
    package init(text: NGramCounts, unigramLogProb: LargeBuffer<Double>, unigramLogBackoff: LargeBuffer<Double>,
                 unigramFlags: LargeBuffer<UInt8>, kept: [Int]? = nil) {
        precondition(kept == nil || kept!.count == text.order - 1)
        expectedKept = kept
        self.text = text
        order = text.order
        probs = [unigramLogProb]
        backoffs = [order > 1 ? unigramLogBackoff : LargeBuffer<Double>(zeroedCount: 0)]
        contextFlags = order > 1 ? [unigramFlags] : []
    }

    /// How many of `text`'s n-grams of orders 2...N occur in `ids` (sentences `<s> ... </s>`):
    /// what a builder keeps of an unpruned model of `ids`, known before the model is made, so
    /// that its memory can be set aside.
    package static func keptEntries(text: NGramCounts, in ids: UnsafeBufferPointer<UInt32>) -> Int {
        try! keptPerOrder(text: text) { try $0(ids) }.reduce(0, +)
    }

    /// Per order 2...N, how many of `text`'s n-grams occur in the ids that `chunks` passes to its
    /// argument, chunk after chunk, each of whole sentences (no n-gram spans two chunks).
    package static func keptPerOrder(text: NGramCounts,
                                     chunks: ((UnsafeBufferPointer<UInt32>) throws -> Void) throws -> Void) rethrows -> [Int] {
        let order = text.order
        guard order >= 2 else { return [] }
        // One bit per slot of each of the text's tables: whether the slice holds that n-gram.
        let seen = (2...order).map { LargeBuffer<UInt64>(zeroedCount: (text.tables[$0 - 2].capacity + 63) / 64) }
        var kept = [Int](repeating: 0, count: order - 1)
        try chunks { ids in
            for i in 0..<ids.count {
                var slot = Int(ids[i])
                var m = 2
                // The n-grams starting at i, longer and longer, while the text holds them (a window
                // across a sentence end is never in the text's tables).
                while m <= order && i + m - 1 < ids.count,
                      let found = text.tables[m - 2].find(context: UInt32(slot), word: ids[i + m - 1]) {
                    let bits = seen[m - 2], word = found >> 6, bit = UInt64(1) << UInt64(found & 63)
                    if bits[word] & bit == 0 {
                        bits[word] |= bit
                        kept[m - 2] += 1
                    }
                    slot = found
                    m += 1
                }
            }
        }
        return kept
    }

    /// Starts the n-grams of order `n` (2, 3, ... in turn).
    package func beginOrder(_ n: Int) throws {
        precondition(n == current + 1 && n <= order)
        current = n
        let v = text.vocabulary.count
        // At most the text's n-grams of this order are kept, or as many as were counted ahead.
        let capacity = expectedKept.map { $0[n - 2] } ?? text.tables[n - 2].occupied
        table = try CountTable(order: n, capacity: Int(Double(capacity) / 0.8) + 64, wordLimit: v,
                               contextLimit: n == 2 ? v : tables[n - 3].capacity)
        pending.removeAll(keepingCapacity: true)
    }

    /// Offers one n-gram of order `current` (its `current` word ids), and whether the model
    /// extends it; kept when the text holds it.
    @inline(__always)
    package func offer(_ ngram: UnsafePointer<UInt32>, logProb: Double, logBackoff: Double, isContext: Bool) throws {
        let n = current
        var slot = Int(ngram[0]), contextSlot = slot
        for m in 2...n {
            guard let found = text.tables[m - 2].find(context: UInt32(slot), word: ngram[m - 1]) else { return }
            contextSlot = slot
            slot = found
        }
        let context = n == 2 ? UInt32(contextSlot) : lowerMap[contextSlot]
        guard context != .max else { throw RestrictedModelBuilder.missingContext(order: n) }
        pending.append((slot, table!.key(context: context, word: ngram[n - 1]), logProb, logBackoff, isContext))
    }

    /// Ends the order begun last.
    package func endOrder() {
        let n = current, table = table!
        let (prob, backoff, map) = table.place(pending.map { ($0.textSlot, $0.key) }, sources: text.tables[n - 2].capacity,
                                               backoffs: n < order) { (pending[$0].logProb, pending[$0].logBackoff) }
        tables.append(table)
        probs.append(prob)
        backoffs.append(backoff)
        if n < order {
            let flags = LargeBuffer<UInt8>(zeroedCount: table.capacity)
            for entry in pending where entry.isContext { flags[Int(map[entry.textSlot])] = 1 }
            contextFlags.append(flags)
        }
        lowerMap = map
        pending = []
        self.table = nil
    }

    /// The restricted model, once every order is ended.
    /// - Parameters:
    ///   - ngramCounts: the whole model's n-grams per order (what the model reports).
    ///   - provenance: the whole model's.
    package func finish(ngramCounts: [Int], provenance: ModelProvenance) -> NGramModel {
        precondition(current == order && table == nil)
        return NGramModel(order: order, vocabulary: text.vocabulary, tables: tables, logProb: probs, logBackoff: backoffs,
                          ngramCounts: ngramCounts, provenance: provenance, isComplete: true, contextFlags: contextFlags)
    }

    @inline(never)
    private static func missingContext(order n: Int) -> NGramKitError {
        .invalidOption(name: "model", value: "an \(n)-gram without its context", expected: "a model whose every n-gram's context is an n-gram (internal error; please report it)")
    }
}
