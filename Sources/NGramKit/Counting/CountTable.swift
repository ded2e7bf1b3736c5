import Foundation

/// The n-grams of one order (2 or more) and their counts, in one open-addressing table.
///
/// An n-gram is keyed by its context (the (n-1)-gram without its last word) and its last word:
/// for bigrams the context is a word id, for higher orders it is the context's slot in the
/// table of order n-1. Keys are therefore exact, compact integers: no word sequence is stored.
///
/// Slot layout (one `UInt64`; key and count together, so a probe touches one cache line):
///
///     bit 63 ................ keyBits | keyBits-1 ...... wordBits | wordBits-1 ..... 0
///     count (countBits)               | context slot or word id     | word id
///
/// A slot whose count field is 0 is empty: every stored n-gram has been seen at least once.
/// The widths are fixed when the table is made, from the final vocabulary size and the final
/// capacity of the order below, because counting fills one order at a time. The count gets
/// every bit the key leaves (at least 4); a count that outgrows its field saturates it and
/// keeps the rest in `overflow` (in practice never: 2^20 and more per n-gram).
///
/// Partitions: a large table is cut into 16 equal partitions chosen by the top 4 bits of a key's
/// hash, and linear probing wraps around inside its partition. A counting pass on T threads gives
/// each thread whole partitions, so no two threads ever write the same partition, and where an
/// n-gram lands depends only on the keys and the order they arrive in within a partition (the
/// order of the text), never on the number of threads: 1 and N threads build identical tables.
///
/// Invariants: `occupied` slots are non-zero; `capacity == partitionCapacity << partitionBits`;
/// `partitionCapacity` may be any size (indexes come from a multiply-shift of the key's hash);
/// probing is linear and wraps around within the partition; every partition always keeps an
/// empty slot (callers stop filling a partition at `maximumLoad`), so every probe ends.
package final class CountTable: @unchecked Sendable {
    /// The n-gram order this table holds.
    package let order: Int
    /// Number of slots.
    package internal(set) var capacity: Int
    /// log2 of the number of partitions: 0 for small tables, 4 (16 partitions) for large ones.
    package internal(set) var partitionBits: Int
    /// Slots per partition.
    package internal(set) var partitionCapacity: Int
    /// Number of distinct n-grams stored.
    package internal(set) var occupied = 0
    var slots: LargeBuffer<UInt64>

    let wordBits: Int
    let contextBits: Int
    let keyBits: Int
    let keyMask: UInt64
    let wordMask: UInt64
    /// Largest value of the count field; a field at this value may have more in `overflow`.
    let countFieldMax: UInt64
    /// Counts beyond `countFieldMax`, by slot.
    var overflow: [Int: UInt64] = [:]
    /// Guards `overflow`, the one structure partitions share.
    let overflowLock = NSLock()
    /// Distinct n-grams per partition.
    package internal(set) var partitionOccupied: [Int] = []

    /// Number of distinct left extensions of each n-gram, by slot (filled while the next
    /// order is counted; nil for the highest order).
    package internal(set) var continuation: LargeBuffer<UInt32>?

    /// Load above which the table grows (by half) rather than probe ever longer runs.
    static let maximumLoad = 0.9

    /// Creates an empty table.
    /// - Parameters:
    ///   - order: n-gram order (≥ 2).
    ///   - capacity: number of slots (more than the number of n-grams expected).
    ///   - wordLimit: every word id is below this (the vocabulary size).
    ///   - contextLimit: every context key is below this (vocabulary size for bigrams, the
    ///     capacity of the order below otherwise).
    ///   - countFieldBits: width of the count field; by default every bit the key leaves free.
    ///     Tests narrow it to exercise `overflow`.
    ///   - threads: threads that fault the table's pages in (see `LargeBuffer`).
    package init(order: Int, capacity: Int, wordLimit: Int, contextLimit: Int, countFieldBits: Int? = nil, threads: Int = 1) throws {
        precondition(order >= 2)
        self.order = order
        (partitionBits, partitionCapacity) = CountTable.layout(forCapacity: capacity)
        self.capacity = partitionCapacity << partitionBits
        wordBits = CountTable.bitWidth(wordLimit - 1)
        contextBits = CountTable.bitWidth(contextLimit - 1)
        keyBits = wordBits + contextBits
        guard keyBits <= 60 else {
            throw NGramKitError.capacityExceeded(what: "an order-\(order) n-gram key (\(keyBits) bits)", limit: "60 bits")
        }
        let countBits = min(64 - keyBits, countFieldBits ?? 64)
        countFieldMax = (UInt64.max >> UInt64(64 - countBits))
        keyMask = keyBits == 64 ? .max : (1 << UInt64(keyBits)) - 1
        wordMask = (1 << UInt64(wordBits)) - 1
        slots = LargeBuffer(zeroedCount: self.capacity, populatingThreads: threads)
        partitionOccupied = [Int](repeating: 0, count: 1 << partitionBits)
    }

    /// A second table object over the same slots (shared, not copied), for a lower-order model
    /// made from the counts of a higher order (the scaling harness estimates orders 1...N from
    /// one count). Estimation drops a table's continuation counts when it is done with them;
    /// a view drops only its own reference, so the counts stay usable for the next model.
    /// - Parameters:
    ///   - other: the table to share.
    ///   - keepContinuation: false when this order is the highest of the view, whose adjusted
    ///     counts are then the raw counts.
    init(sharing other: CountTable, keepContinuation: Bool) {
        order = other.order
        capacity = other.capacity
        partitionBits = other.partitionBits
        partitionCapacity = other.partitionCapacity
        occupied = other.occupied
        slots = other.slots
        wordBits = other.wordBits
        contextBits = other.contextBits
        keyBits = other.keyBits
        keyMask = other.keyMask
        wordMask = other.wordMask
        countFieldMax = other.countFieldMax
        overflow = other.overflow
        partitionOccupied = other.partitionOccupied
        continuation = keepContinuation ? other.continuation : nil
    }

    /// Tables this large or larger are partitioned.
    static let partitionThreshold = 1 << 16

    /// Partition bits and slots per partition for a table of at least `capacity` slots.
    static func layout(forCapacity capacity: Int) -> (bits: Int, partitionCapacity: Int) {
        let wanted = max(capacity, 8)
        if wanted < partitionThreshold { return (0, wanted) }
        return (4, (wanted + 15) / 16)
    }

    /// The number of partitions.
    package var partitionCount: Int { 1 << partitionBits }

    /// Number of bits needed to write `value` (at least 1).
    static func bitWidth(_ value: Int) -> Int {
        max(1, Int.bitWidth - max(value, 0).leadingZeroBitCount)
    }

    /// The key of the n-gram made of `context` and `word`.
    @inline(__always)
    package func key(context: UInt32, word: UInt32) -> UInt64 {
        UInt64(context) << UInt64(wordBits) | UInt64(word)
    }

    /// The context part of a slot.
    @inline(__always)
    package func context(ofSlot slot: Int) -> UInt32 {
        UInt32(truncatingIfNeeded: (slots[slot] & keyMask) >> UInt64(wordBits))
    }

    /// The word part of a slot.
    @inline(__always)
    package func word(ofSlot slot: Int) -> UInt32 {
        UInt32(truncatingIfNeeded: slots[slot] & wordMask)
    }

    /// Whether `slot` holds an n-gram.
    @inline(__always)
    package func isOccupied(_ slot: Int) -> Bool { slots[slot] != 0 }

    /// The raw count of the n-gram in `slot`.
    @inline(__always)
    package func count(ofSlot slot: Int) -> UInt64 {
        let field = slots[slot] >> UInt64(keyBits)
        if field == countFieldMax, let extra = overflow[slot] { return field + extra }
        return field
    }

    /// The adjusted count Kneser-Ney uses for the n-gram in `slot`: the number of distinct
    /// left extensions, except for n-grams that start with `<s>` (nothing can precede them; they
    /// have no extension) and for the highest order, which keep their raw count.
    @inline(__always)
    package func adjustedCount(ofSlot slot: Int) -> UInt64 {
        if let continuation {
            let extensions = continuation[slot]
            if extensions > 0 { return UInt64(extensions) }
        }
        return count(ofSlot: slot)
    }

    /// Memory held by the table: slots, continuation counts and overflow.
    package var memoryFootprint: Int {
        slots.memoryFootprint + (continuation?.memoryFootprint ?? 0) + overflow.capacity * 24
    }

    /// Allocates the continuation counts (called when the next order is about to be counted).
    func prepareContinuation(threads: Int = 1) {
        if continuation == nil { continuation = LargeBuffer(zeroedCount: capacity, populatingThreads: threads) }
    }
}
