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
                      vocabularySize: Int, unigramContinuation: inout [UInt32], capacityHints: [Int],
                      threads: Int) throws -> PartitionCounts {
        precondition(order >= 2)
        let n = order
        // 1. The windows: ids right-aligned in n slots, `noSlot` before the sentence start.
        var windows = GrowableBuffer<UInt32>(initialCapacity: 1 << 16)
        let assignment = plan.assignment
        let mine = UInt32(partition)
        try source.forEachChunk(remap: remap) { ids in
            var sentenceStart = 0
            for j in 0..<ids.count {
                let id = ids[j]
                if id == Vocabulary.beginID { sentenceStart = j; continue }
                guard j > sentenceStart, assignment[Int(ids[j - 1])] == mine else { continue }
                let depth = min(n, j - sentenceStart + 1)
                for k in stride(from: n - 1, through: 0, by: -1) {
                    windows.append(k < depth ? ids[j - k] : noSlot)
                }
            }
        }
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
            for i in 0..<positions {
                let first = window[i * n + (n - m)]
                guard first != noSlot else { continue }
                let suffix = m == 2 ? window[i * n + n - 1] : previousSlots[i]
                let key = table.key(context: suffix, word: first)
                var hash = CountTable.hash(key)
                if table.partitionOccupied[table.partition(hash)] + 1 > table.partitionLimit {
                    let moved = table.resize(to: table.capacity + table.capacity / 2 + 16)
                    for j in 0..<i where slots.count > j && slots[j] != noSlot { slots[j] = moved[Int(slots[j])] }
                    hash = CountTable.hash(key)
                }
                let (slot, isNew) = table.increment(key, hash: hash)
                if isNew {
                    table.occupied += 1
                    table.partitionOccupied[table.partition(hash)] += 1
                    if m == 2 {
                        unigramContinuation[Int(suffix)] += 1
                    } else {
                        lower!.continuation![Int(suffix)] += 1
                    }
                }
                if m < n { slots[i] = UInt32(slot) }
            }
            tables.append(table)
            previousSlots = slots
        }
        windows = GrowableBuffer<UInt32>(initialCapacity: 16)
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
            var entries = PartitionCounts.Order(count: slots.count, withContinuation: m < n)
            var rank = [UInt32](repeating: 0, count: m < n ? table.capacity : 0)
            for (position, slot) in slots.enumerated() {
                let s = Int(slot)
                entries.first[position] = table.word(ofSlot: s)
                entries.suffix[position] = UInt32(truncatingIfNeeded: keys[position] & ((1 << UInt64(rankBits)) - 1))
                entries.raw[position] = table.count(ofSlot: s)
                if m < n { entries.continuation[position] = table.continuation![s]; rank[s] = UInt32(position) }
            }
            result.orders.append(entries)
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
package final class PartitionCounts {
    package struct Order {
        package var first: [UInt32]
        /// Position of the suffix in the order below (word id for bigrams).
        package var suffix: [UInt32]
        package var raw: [UInt64]
        /// Distinct left extensions (empty for the highest order).
        package var continuation: [UInt32]

        init(count: Int, withContinuation: Bool) {
            first = [UInt32](repeating: 0, count: count)
            suffix = [UInt32](repeating: 0, count: count)
            raw = [UInt64](repeating: 0, count: count)
            continuation = [UInt32](repeating: 0, count: withContinuation ? count : 0)
        }

        package var count: Int { first.count }

        /// Kneser-Ney's adjusted count of entry `i`: distinct left extensions, or the raw count
        /// for the highest order and for n-grams that start with `<s>` (none precede them).
        @inline(__always)
        package func adjusted(_ i: Int) -> UInt64 {
            if !continuation.isEmpty, continuation[i] > 0 { return UInt64(continuation[i]) }
            return raw[i]
        }
    }

    /// The highest order.
    package let order: Int
    /// `orders[n - 2]` holds order n.
    package var orders: [Order] = []

    init(order: Int) { self.order = order }

    /// The word ids of entry `i` of order `n`, first word first, into `out` (n elements).
    @inline(__always)
    package func words(order n: Int, entry i: Int, into out: UnsafeMutablePointer<UInt32>) {
        var level = n
        var position = i
        var k = 0
        while level >= 2 {
            let entries = orders[level - 2]
            out[k] = entries.first[position]
            k += 1
            position = Int(entries.suffix[position])
            level -= 1
        }
        out[k] = UInt32(position)
    }

    /// Bytes the arrays hold.
    package var memoryFootprint: Int {
        orders.reduce(0) { $0 + $1.count * 16 + $1.continuation.count * 4 }
    }

    // MARK: Temporary files

    /// Appends every order to `writer` (varints: first words as differences, they ascend).
    func write(to writer: RecordWriter) throws {
        try writer.varint(UInt64(orders.count))
        for entries in orders {
            try writer.varint(UInt64(entries.count))
            try writer.varint(entries.continuation.isEmpty ? 0 : 1)
            var previous: UInt32 = 0
            for i in 0..<entries.count {
                try writer.varint(UInt64(entries.first[i] - previous))
                previous = entries.first[i]
                try writer.varint(UInt64(entries.suffix[i]))
                try writer.varint(entries.raw[i])
                if !entries.continuation.isEmpty { try writer.varint(UInt64(entries.continuation[i])) }
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
            var entries = Order(count: count, withContinuation: withContinuation)
            var previous: UInt32 = 0
            for i in 0..<count {
                previous += UInt32(truncatingIfNeeded: try reader.varint())
                entries.first[i] = previous
                entries.suffix[i] = UInt32(truncatingIfNeeded: try reader.varint())
                entries.raw[i] = try reader.varint()
                if withContinuation { entries.continuation[i] = UInt32(truncatingIfNeeded: try reader.varint()) }
            }
            result.orders.append(entries)
        }
        return result
    }
}
