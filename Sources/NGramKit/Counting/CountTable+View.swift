/// A read-only view of a `CountTable` for lookups on hot paths (scoring): the numbers a lookup
/// needs, in a value with no class reference, so a probe costs no reference counting.
///
/// Invariants: valid while the table's slots live and the table does not grow (a model's tables
/// never do; `ModelState` keeps the model, and with it the slots, alive).
struct CountTableView {
    let slots: UnsafeMutablePointer<UInt64>
    private let wordBits: UInt64
    private let keyMask: UInt64
    private let partitionShift: UInt64
    private let partitioned: Bool
    private let partitionCapacity: Int

    init(_ table: CountTable) {
        slots = table.slots.base
        wordBits = UInt64(table.wordBits)
        keyMask = table.keyMask
        partitioned = table.partitionBits > 0
        partitionShift = UInt64(table.partitionBits)
        partitionCapacity = table.partitionCapacity
    }

    /// `CountTable.key(context:word:)`.
    @inline(__always)
    func key(context: UInt32, word: UInt32) -> UInt64 { UInt64(context) << wordBits | UInt64(word) }

    /// `CountTable.homeSlot(_:)`, and the first slot of its partition.
    @inline(__always)
    func home(_ hash: UInt64) -> (home: Int, start: Int) {
        let start = partitioned ? Int(truncatingIfNeeded: hash >> (64 &- partitionShift)) &* partitionCapacity : 0
        return (start &+ Hashing.reduce(hash << partitionShift, into: partitionCapacity), start)
    }

    /// `CountTable.find(_:)` with the home (and its partition's first slot) already computed: the
    /// probe wraps inside the partition and ends at an empty slot (every partition keeps one).
    @inline(__always)
    func find(_ key: UInt64, home: Int, start: Int) -> Int? {
        let end = start &+ partitionCapacity
        var index = home
        while true {
            let slot = slots[index]
            if slot == 0 { return nil }
            if slot & keyMask == key { return index }
            index &+= 1
            if index == end { index = start }
        }
    }
}
