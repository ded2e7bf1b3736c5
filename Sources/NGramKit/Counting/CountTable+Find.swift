/// Lookups.
extension CountTable {
    /// The hash of a key; `Hashing.reduce(hash, into: capacity)` is its home slot.
    @inline(__always)
    public static func hash(_ key: UInt64) -> UInt64 { Hashing.mix(key) }

    /// The home slot of a hash in this table (used to prefetch before `increment`).
    @inline(__always)
    public func homeSlot(_ hash: UInt64) -> Int { Hashing.reduce(hash, into: capacity) }

    /// Address of a slot, for prefetching.
    @inline(__always)
    func address(ofSlot slot: Int) -> UnsafeRawPointer { UnsafeRawPointer(slots.base + slot) }

    /// The slot of `key`, or nil when the n-gram is absent.
    @inline(__always)
    public func find(_ key: UInt64) -> Int? {
        var index = homeSlot(CountTable.hash(key))
        let base = slots.base
        while true {
            let slot = base[index]
            if slot == 0 { return nil }
            if slot & keyMask == key { return index }
            index += 1
            if index == capacity { index = 0 }
        }
    }

    /// The slot of the n-gram `context word`, or nil.
    @inline(__always)
    public func find(context: UInt32, word: UInt32) -> Int? {
        find(key(context: context, word: word))
    }
}
