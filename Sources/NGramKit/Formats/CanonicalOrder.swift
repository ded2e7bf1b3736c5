import CNGramKitSupport
import Dispatch

/// The order in which n-grams are written to files (counts, ARPA), independent of hash-table
/// layout and of the number of threads, so that the same n-grams always give the same bytes.
///
/// Order by order; unigrams by word id (first appearance); each higher order by its context's
/// position (rank) in the order below, then by word id.
///
/// How: each order is sorted (radix sort) by (context rank, word id); the sorted keys double as
/// the order's table of (context rank, word) by rank, so an n-gram's text is built from its
/// context's text, which a per-order cache keeps: contexts arrive in increasing rank, so each
/// context's text is built once. Lines are formatted on several threads, each filling its own
/// buffer with a run of consecutive lines; the buffers are written in order, while the next
/// round of runs is formatted into a second set of buffers. Collecting the keys, sorting them
/// (`ParallelRadixSort`) and ranking also run on all threads.
enum CanonicalOrder {
    /// Formats one line: (n, slot, context text, word id, output).
    typealias LineFormatter = (_ n: Int, _ slot: Int, _ context: UnsafeBufferPointer<UInt8>, _ word: UInt32, _ out: LineBuffer) -> Void

    /// Writes a line for every n-gram of orders 2...N of `tables` (`tables[n - 2]` holds order n)
    /// to `sink`, in canonical order.
    /// - Parameters:
    ///   - threads: threads that format lines; the output is the same for any number.
    ///   - beforeOrder: called with n before the first line of order n (writes a section header).
    ///   - prefetch: called with (n, slot) a few lines before that slot is formatted, so the
    ///     caller can start loading the slot's values (they are read in random order).
    ///   - format: formats one line; called concurrently from several threads, so it must only read.
    static func write(tables: [CountTable], vocabulary: Vocabulary, threads: Int, to sink: OutputSink,
                      beforeOrder: (Int) throws -> Void = { _ in },
                      prefetch: ((Int, Int) -> Void)? = nil,
                      format: @escaping LineFormatter) throws {
        let order = tables.count + 1
        guard order >= 2 else { return }
        // Keys are (context rank, word) in as few bits as the data needs, so the sort does few passes.
        let wordBits = CountTable.bitWidth(vocabulary.count - 1)
        let workers = max(1, threads)
        let caches = (0..<workers).map { _ in NGramTextCache(vocabulary: vocabulary, order: order, wordBits: wordBits) }
        // Two sets of buffers: the lines of one round are written while the next round is formatted.
        let bufferSets = (0..<2).map { _ in (0..<workers).map { _ in LineBuffer() } }
        var lowerRank: [UInt32] = []   // rank of each slot of the order below (unigrams: the id is the rank)
        let ahead = 16
        for n in 2...order {
            try beforeOrder(n)
            let table = tables[n - 2]
            // Occupied slots and their keys; the rank lookups are random, so they are prefetched.
            var slots: [UInt32] = []
            slots.reserveCapacity(table.occupied)
            for slot in 0..<table.capacity where table.isOccupied(slot) { slots.append(UInt32(slot)) }
            var keys = [UInt64](repeating: 0, count: slots.count)
            var maxRank: UInt64 = 0
            lowerRank.withUnsafeBufferPointer { ranks in
                keys.withUnsafeMutableBufferPointer { keysOut in
                    slots.withUnsafeBufferPointer { slots in
                        let ranks = UncheckedSendable(ranks), keysOut = UncheckedSendable(keysOut), slots = UncheckedSendable(slots)
                        let pieceMaxima = UncheckedSendable(UnsafeMutableBufferPointer<UInt64>.allocate(capacity: workers * 8))
                        defer { pieceMaxima.value.deallocate() }
                        pieceMaxima.value.initialize(repeating: 0)
                        let pieceSize = (slots.value.count + workers - 1) / workers
                        let shared = UncheckedSendable(table)
                        let body: @Sendable (Int) -> Void = { piece in
                            let ranks = ranks.value, keys = keysOut.value, slots = slots.value, table = shared.value
                            let end = min(slots.count, (piece + 1) * pieceSize)
                            var maximum: UInt64 = 0
                            var i = piece * pieceSize
                            while i < end {
                                if n > 2 && i + ahead < end {
                                    ngk_prefetch_read(ranks.baseAddress! + Int(table.context(ofSlot: Int(slots[i + ahead]))))
                                }
                                let slot = Int(slots[i])
                                let context = table.context(ofSlot: slot)
                                let rank = n == 2 ? UInt64(context) : UInt64(ranks[Int(context)])
                                maximum = max(maximum, rank)
                                keys[i] = rank << UInt64(wordBits) | UInt64(table.word(ofSlot: slot))
                                i += 1
                            }
                            pieceMaxima.value[piece * 8] = maximum   // a cache line apart
                        }
                        if workers == 1 { body(0) } else { DispatchQueue.concurrentPerform(iterations: workers, execute: body) }
                        for piece in 0..<workers { maxRank = max(maxRank, pieceMaxima.value[piece * 8]) }
                    }
                }
            }
            ParallelRadixSort.sort(keys: &keys, values: &slots, significantBits: wordBits + CountTable.bitWidth(Int(maxRank)),
                                   threads: workers)
            // Each slot's rank, for the order above (slots are distinct: pieces write apart).
            if n < order {
                var rank = [UInt32](repeating: 0, count: table.capacity)
                rank.withUnsafeMutableBufferPointer { ranks in
                    slots.withUnsafeBufferPointer { slots in
                        let ranks = UncheckedSendable(ranks), slots = UncheckedSendable(slots)
                        Parallel.forEachPiece(of: slots.value.count, threads: workers) { range in
                            let ranks = ranks.value, slots = slots.value
                            for position in range {
                                if position + ahead < range.upperBound { ngk_prefetch_write(ranks.baseAddress! + Int(slots[position + ahead])) }
                                ranks[Int(slots[position])] = UInt32(position)
                            }
                        }
                    }
                }
                lowerRank = rank
            }
            // Rounds of `workers` consecutive runs of lines, formatted in parallel, written in
            // order; round r+1 is formatted (on other threads) while round r is written.
            let job = FormattingJob(order: n, keys: keys, slots: slots, table: table, vocabulary: vocabulary,
                                    wordBits: wordBits, caches: caches, prefetch: prefetch, format: format)
            let roundSize = workers * FormattingJob.run
            let rounds = (keys.count + roundSize - 1) / roundSize
            let formatRound: @Sendable (Int) -> Void = { round in
                let buffers = bufferSets[round & 1]
                if workers == 1 {
                    job.formatRun(round * roundSize, 0, into: buffers[0])
                } else {
                    DispatchQueue.concurrentPerform(iterations: workers) { job.formatRun(round * roundSize, $0, into: buffers[$0]) }
                }
            }
            if rounds > 0 { formatRound(0) }
            for round in 0..<rounds {
                let group = DispatchGroup()
                if round + 1 < rounds {
                    DispatchQueue.global().async(group: group) { formatRound(round + 1) }
                }
                defer { group.wait() }
                for buffer in bufferSets[round & 1] {
                    try sink.write(UnsafeBufferPointer(start: buffer.bytes, count: buffer.count))
                    buffer.removeAll()
                }
            }
            for cache in caches { cache.add(order: n, sortedKeys: keys) }
        }
    }
}

/// One order's lines, formatted by several threads: thread t formats the t-th run of `run`
/// consecutive lines of a round into its own buffer with `caches[t]`. Threads only read shared
/// state and write their own buffer and cache; rounds are formatted one after the other.
private final class FormattingJob: @unchecked Sendable {
    static let run = 1 << 16
    let order: Int
    let keys: [UInt64]
    let slots: [UInt32]
    let table: CountTable
    let vocabulary: Vocabulary
    let wordBits: UInt64
    let wordMask: UInt64
    let caches: [NGramTextCache]
    let prefetch: ((Int, Int) -> Void)?
    let format: CanonicalOrder.LineFormatter

    init(order: Int, keys: [UInt64], slots: [UInt32], table: CountTable, vocabulary: Vocabulary, wordBits: Int,
         caches: [NGramTextCache], prefetch: ((Int, Int) -> Void)?, format: @escaping CanonicalOrder.LineFormatter) {
        self.order = order
        self.keys = keys
        self.slots = slots
        self.table = table
        self.vocabulary = vocabulary
        self.wordBits = UInt64(wordBits)
        self.wordMask = (UInt64(1) << UInt64(wordBits)) - 1
        self.caches = caches
        self.prefetch = prefetch
        self.format = format
    }

    /// Formats the t-th run of the round that starts at line `roundStart` into `out`.
    func formatRun(_ roundStart: Int, _ t: Int, into out: LineBuffer) {
        let begin = roundStart + t * FormattingJob.run, end = min(begin + FormattingJob.run, keys.count)
        guard begin < end else { return }
        let text = caches[t]
        let ahead = 16
        let n = order
        keys.withUnsafeBufferPointer { keys in
            slots.withUnsafeBufferPointer { slots in
                for position in begin..<end {
                    // Words are random ids: load their offsets, then their bytes, ahead of use.
                    if position + 2 * ahead < end {
                        let key = keys[position + 2 * ahead]
                        vocabulary.prefetchOffsets(of: UInt32(truncatingIfNeeded: key & wordMask))
                        text.prefetchOffsets(order: n - 1, rank: UInt32(truncatingIfNeeded: key >> wordBits))
                    }
                    if position + ahead < end {
                        // The word's bytes, and those of the context's last word, which a new
                        // context's text is built from.
                        let key = keys[position + ahead]
                        vocabulary.prefetchBytes(of: UInt32(truncatingIfNeeded: key & wordMask))
                        text.prefetchBytes(order: n - 1, rank: UInt32(truncatingIfNeeded: key >> wordBits))
                        prefetch?(n, Int(slots[position + ahead]))
                    }
                    let key = keys[position]
                    format(n, Int(slots[position]), text.text(order: n - 1, rank: UInt32(truncatingIfNeeded: key >> wordBits)),
                           UInt32(truncatingIfNeeded: key & wordMask), out)
                }
            }
        }
    }
}
