/// Lookups.
extension CountTable {
    /// The hash of a key; `Hashing.reduce(hash, into: capacity)` is its home slot.
    @inline(__always)
    package static func hash(_ key: UInt64) -> UInt64 { Hashing.mix(key) }

    /// The partition a hash belongs to.
    @inline(__always)
    package func partition(_ hash: UInt64) -> Int {
        partitionBits == 0 ? 0 : Int(truncatingIfNeeded: hash >> UInt64(64 - partitionBits))
    }

    /// The home slot of a hash in this table (used to prefetch before `increment`).
    @inline(__always)
    package func homeSlot(_ hash: UInt64) -> Int {
        partition(hash) * partitionCapacity + Hashing.reduce(hash << UInt64(partitionBits), into: partitionCapacity)
    }

    /// Address of a slot, for prefetching.
    @inline(__always)
    func address(ofSlot slot: Int) -> UnsafeRawPointer { UnsafeRawPointer(slots.base + slot) }

    /// The slot of `key`, or nil when the n-gram is absent.
    @inline(__always)
    package func find(_ key: UInt64) -> Int? {
        let hash = CountTable.hash(key)
        let start = partition(hash) * partitionCapacity
        let end = start + partitionCapacity
        var index = homeSlot(hash)
        let base = slots.base
        while true {
            let slot = base[index]
            if slot == 0 { return nil }
            if slot & keyMask == key { return index }
            index += 1
            if index == end { index = start }
        }
    }

    /// The slot of the n-gram `context word`, or nil.
    @inline(__always)
    package func find(context: UInt32, word: UInt32) -> Int? {
        find(key(context: context, word: word))
    }
}
