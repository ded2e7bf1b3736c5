import CNGramKitSupport

/// Counting one partition of a text too large to count at once (see `PartitionPlan`).
///
/// In:  the token stream (`TokenSource`, read once), the plan and a partition, the highest order N.
/// Out: `PartitionCounts`: every n-gram of orders 2...N whose next-to-last word is in the
///      partition, with its raw count and its number of distinct left extensions, each order in
///      canonical order (by word ids, first word first), plus its share of the unigrams'
///      continuation counts.
///
/// How: one read of the stream keeps, for every position whose previous word is in the
/// partition, the last N ids up to it (a window). Then orders 2...N are counted one after the
/// other from the windows. Within a partition an n-gram is keyed by its *suffix* (the (n-1)-gram
/// w2 ... wn ending at the same position, which is in the same partition) and its first word;
/// so every order's table is keyed by the slots of the order below, as in `NGramCounter`, and a
/// new n-gram adds one to its suffix's continuation count at once. Each order is then sorted by
/// (first word, rank of the suffix in the order below): the canonical order, in which the n-grams
/// of one context are neighbours.
enum PartitionCounter {
    static let noSlot = UInt32.max

    /// Counts partition `partition` of `plan`.
    /// - Parameters:
    ///   - unigramContinuation: the unigrams' continuation counts, to which this partition's
    ///     bigrams add (a bigram x w is one distinct left extension of w).
    ///   - capacityHints: expected distinct n-grams of orders 2...N in this partition (index
    ///     n - 2); tables start there and grow when needed.
    static func count(source: TokenSource, remap: [UInt32]?, plan: PartitionPlan, partition: Int, order: Int,
                      vocabularySize: Int, unigramContinuation: LargeBuffer<UInt32>, capacityHints: [Int],
                      threads: Int) throws -> PartitionCounts {
        precondition(order >= 2)
        // 1. The windows: ids right-aligned in n slots, `noSlot` before the sentence start.
        let windows = GrowableBuffer<UInt32>(initialCapacity: 1 << 16)
        let assignment = plan.assignment
        let mine = UInt32(partition)
        try source.forEachChunk(remap: remap) { ids in
            forEachWindow(in: ids, order: order) { j, depth in
                guard assignment[Int(ids[j - 1])] == mine else { return }
                appendWindow(ending: j, depth: depth, in: ids, order: order, to: windows)
            }
        }
        return try count(windows: windows, order: order, vocabularySize: vocabularySize, unigramContinuation: unigramContinuation,
                         capacityHints: capacityHints, threads: threads)
    }

    /// Calls `body(j, depth)` for every position `j` of `ids` (whole sentences, `<s>` ... `</s>`)
    /// that ends an n-gram of order 2 or more (every token after a sentence's `<s>`), `depth`
    /// being how many of the last `order` ids up to it lie in its sentence, `<s>` included.
    @inline(__always)
    static func forEachWindow(in ids: UnsafeBufferPointer<UInt32>, order: Int, _ body: (Int, Int) -> Void) {
        var sentenceStart = 0
        for j in 0..<ids.count {
            if ids[j] == Vocabulary.beginID { sentenceStart = j; continue }
            if j > sentenceStart { body(j, min(order, j - sentenceStart + 1)) }
        }
    }

    /// Appends the window of position `j` to `windows`: the last `order` ids up to it,
    /// right-aligned, `noSlot` before the sentence's `<s>` (`depth` from `forEachWindow`).
    @inline(__always)
    static func appendWindow(ending j: Int, depth: Int, in ids: UnsafeBufferPointer<UInt32>, order n: Int,
                             to windows: GrowableBuffer<UInt32>) {
        for k in stride(from: n - 1, through: 0, by: -1) {
            windows.append(k < depth ? ids[j - k] : noSlot)
        }
    }

    /// Counts a partition from its windows (`order` ids each, as `appendWindow` makes them, in
    /// any order: the counts do not depend on it), which it empties.
    static func count(windows: GrowableBuffer<UInt32>, order: Int, vocabularySize: Int, unigramContinuation: LargeBuffer<UInt32>,
                      capacityHints: [Int], threads: Int) throws -> PartitionCounts {
        precondition(order >= 2)
        let n = order
        let positions = windows.count / n
        // 2. Orders 2...N, each keyed by the slot of its suffix and its first word.
        var tables: [CountTable?] = []
        var previousSlots = [UInt32]()     // slot in order m-1 of each window's (m-1)-gram
        for m in 2...n {
            let lower = tables.last ?? nil
            lower?.prepareContinuation()
            let contextLimit = m == 2 ? vocabularySize : lower!.capacity
            let hint = max(64, min(positions, capacityHints[m - 2]))
            let table = try CountTable(order: m, capacity: Int(Double(hint) / 0.8) + 64, wordLimit: vocabularySize,
                                       contextLimit: contextLimit)
            var slots = [UInt32](repeating: noSlot, count: m < n ? positions : 0)
            let window = windows.storage
            // The table and continuation slots are read at random: each window's key is made
            // `ahead` windows early and its slots prefetched then (keys do not change when the
            // table grows; only their homes move).
            let ahead = 16
            var keys = [UInt64](repeating: 0, count: ahead)
            let invalid = UInt64.max
            let continuation = m == 2 ? unigramContinuation.base : lower!.continuation!.base
            for i in 0..<(positions + ahead) {
                // Window j = i - ahead, whose key was made (and slots prefetched) `ahead` steps ago.
                let j = i - ahead
                if j >= 0, case let key = keys[j % ahead], key != invalid {
                    var hash = CountTable.hash(key)
                    if table.partitionOccupied[table.partition(hash)] + 1 > table.partitionLimit {
                        let moved = table.resize(to: table.capacity + table.capacity / 2 + 16)
                        for k in 0..<j where slots.count > k && slots[k] != noSlot { slots[k] = moved[Int(slots[k])] }
                        hash = CountTable.hash(key)
                    }
                    let (slot, isNew) = table.increment(key, hash: hash)
                    if isNew {
                        table.occupied += 1
                        table.partitionOccupied[table.partition(hash)] += 1
                        continuation[Int(key >> UInt64(table.wordBits))] += 1
                    }
                    if m < n { slots[j] = UInt32(slot) }
                }
                // Window i: its key, into the slot of the ring just freed.
                if i < positions {
                    let first = window[i * n + (n - m)]
                    if first == noSlot {
                        keys[i % ahead] = invalid
                    } else {
                        let suffix = m == 2 ? window[i * n + n - 1] : previousSlots[i]
                        let key = table.key(context: suffix, word: first)
                        keys[i % ahead] = key
                        ngk_prefetch_write(table.address(ofSlot: table.homeSlot(CountTable.hash(key))))
                        ngk_prefetch_write(continuation + Int(suffix))
                    }
                }
            }
            tables.append(table)
            previousSlots = slots
        }
        windows.removeAllAndShrink()
        previousSlots = []
        // 3. Each order in canonical order: by (first word, rank of the suffix below).
        let result = PartitionCounts(order: n)
        var lowerRank: [UInt32] = []
        let wordBits = CountTable.bitWidth(vocabularySize - 1)
        for m in 2...n {
            let table = tables[m - 2]!
            var slots: [UInt32] = []
            slots.reserveCapacity(table.occupied)
            var keys: [UInt64] = []
            keys.reserveCapacity(table.occupied)
            let rankBits = m == 2 ? wordBits : CountTable.bitWidth(max(lowerRank.count, 1))
            for slot in 0..<table.capacity where table.isOccupied(slot) {
                let suffix = table.context(ofSlot: slot)
                let rank = m == 2 ? suffix : lowerRank[Int(suffix)]
                slots.append(UInt32(slot))
                keys.append(UInt64(table.word(ofSlot: slot)) << UInt64(rankBits) | UInt64(rank))
            }
            ParallelRadixSort.sort(keys: &keys, values: &slots, significantBits: wordBits + rankBits, threads: threads)
            let entries = PartitionCounts.Order(count: slots.count, withContinuation: m < n)
            var rank = [UInt32](repeating: 0, count: m < n ? table.capacity : 0)
            for (position, slot) in slots.enumerated() {
                let s = Int(slot)
                entries.first[position] = table.word(ofSlot: s)
                entries.suffix[position] = UInt32(truncatingIfNeeded: keys[position] & ((1 << UInt64(rankBits)) - 1))
                entries.raw[position] = table.count(ofSlot: s)
                if let continuation = entries.continuation { continuation[position] = table.continuation![s]; rank[s] = UInt32(position) }
            }
            result.append(entries)
            lowerRank = rank
            // The order below is no longer needed once this order has its ranks.
            if m >= 3 { tables[m - 3] = nil }
        }
        return result
    }
}

/// The n-grams of one partition, orders 2...N, each order in canonical order (by word ids, first
/// word first; see `PartitionCounter`). An n-gram is its first word and its suffix's position in
/// the order below (for bigrams, the suffix's word id).
///
/// Invariants: every `Order` owns its buffers (`count` elements each; `continuation` nil for the
/// highest order) until deinit; `firsts[n - 2]` and `suffixes[n - 2]` are the buffers of
/// `orders[n - 2]`, kept apart so that the hot `words(order:entry:into:)` reads plain pointers.
package final class PartitionCounts {
    package final class Order {
        package let count: Int
        package let first: UnsafeMutablePointer<UInt32>
        /// Position of the suffix in the order below (word id for bigrams).
        package let suffix: UnsafeMutablePointer<UInt32>
        package let raw: UnsafeMutablePointer<UInt64>
        /// Distinct left extensions (nil for the highest order).
        package let continuation: UnsafeMutablePointer<UInt32>?

        init(count: Int, withContinuation: Bool) {
            self.count = count
            first = .allocate(capacity: max(count, 1))
            suffix = .allocate(capacity: max(count, 1))
            raw = .allocate(capacity: max(count, 1))
            continuation = withContinuation ? .allocate(capacity: max(count, 1)) : nil
        }

        deinit {
            first.deallocate()
            suffix.deallocate()
            raw.deallocate()
            continuation?.deallocate()
        }

        /// Kneser-Ney's adjusted count of entry `i`: distinct left extensions, or the raw count
        /// for the highest order and for n-grams that start with `<s>` (none precede them).
        @inline(__always)
        package func adjusted(_ i: Int) -> UInt64 {
            if let continuation, continuation[i] > 0 { return UInt64(continuation[i]) }
            return raw[i]
        }
    }

    /// The highest order.
    package let order: Int
    /// `orders[n - 2]` holds order n.
    package private(set) var orders: [Order] = []
    private var firsts: [UnsafeMutablePointer<UInt32>] = []
    private var suffixes: [UnsafeMutablePointer<UInt32>] = []

    init(order: Int) { self.order = order }

    /// Adds the next order.
    func append(_ entries: Order) {
        orders.append(entries)
        firsts.append(entries.first)
        suffixes.append(entries.suffix)
    }

    /// The word ids of entry `i` of order `n`, first word first, into `out` (n elements).
    @inline(__always)
    package func words(order n: Int, entry i: Int, into out: UnsafeMutablePointer<UInt32>) {
        var position = i
        var k = 0
        var level = n
        while level >= 2 {
            out[k] = firsts[level - 2][position]
            position = Int(suffixes[level - 2][position])
            k += 1
            level -= 1
        }
        out[k] = UInt32(position)
    }

    /// Bytes the arrays hold.
    package var memoryFootprint: Int {
        orders.reduce(0) { $0 + $1.count * 16 + ($1.continuation == nil ? 0 : $1.count * 4) }
    }

    // MARK: Temporary files

    /// Appends every order to `writer` (varints: first words as differences, they ascend).
    func write(to writer: RecordWriter) throws {
        try writer.varint(UInt64(orders.count))
        for entries in orders {
            try writer.varint(UInt64(entries.count))
            try writer.varint(entries.continuation == nil ? 0 : 1)
            var previous: UInt32 = 0
            for i in 0..<entries.count {
                try writer.varint(UInt64(entries.first[i] - previous))
                previous = entries.first[i]
                try writer.varint(UInt64(entries.suffix[i]))
                try writer.varint(entries.raw[i])
                if let continuation = entries.continuation { try writer.varint(UInt64(continuation[i])) }
            }
        }
        try writer.finish()
    }

    /// Reads what `write(to:)` wrote.
    static func read(from reader: TemporaryFileReader, order: Int) throws -> PartitionCounts {
        let result = PartitionCounts(order: order)
        let orderCount = Int(try reader.varint())
        for _ in 0..<orderCount {
            let count = Int(try reader.varint())
            let withContinuation = try reader.varint() == 1
            let entries = Order(count: count, withContinuation: withContinuation)
            var previous: UInt32 = 0
            for i in 0..<count {
                previous += UInt32(truncatingIfNeeded: try reader.varint())
                entries.first[i] = previous
                entries.suffix[i] = UInt32(truncatingIfNeeded: try reader.varint())
                entries.raw[i] = try reader.varint()
                if let continuation = entries.continuation { continuation[i] = UInt32(truncatingIfNeeded: try reader.varint()) }
            }
            result.append(entries)
        }
        return result
    }
}
