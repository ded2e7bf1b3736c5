/// Growth, for when the size estimate was too low.
extension CountTable {
    /// Moves every n-gram into a table of `newCapacity` slots.
    /// - Returns: `moved[oldSlot]` = new slot, for callers holding slot numbers (the counting
    ///   loop's per-position slots); unoccupied old slots map to `UInt32.max`.
    @discardableResult
    public func resize(to newCapacity: Int) -> [UInt32] {
        precondition(newCapacity > occupied)
        let old = slots
        let oldCapacity = capacity
        let oldOverflow = overflow
        let oldContinuation = continuation
        slots = LargeBuffer(zeroedCount: newCapacity)
        capacity = newCapacity
        overflow = [:]
        continuation = oldContinuation == nil ? nil : LargeBuffer(zeroedCount: newCapacity)
        var moved = [UInt32](repeating: .max, count: oldCapacity)
        let base = slots.base
        for oldSlot in 0..<oldCapacity {
            let value = old[oldSlot]
            if value == 0 { continue }
            var index = homeSlot(CountTable.hash(value & keyMask))
            while base[index] != 0 {
                index += 1
                if index == newCapacity { index = 0 }
            }
            base[index] = value
            if let extra = oldOverflow[oldSlot] { overflow[index] = extra }
            if let oldContinuation { continuation![index] = oldContinuation[oldSlot] }
            moved[oldSlot] = UInt32(index)
        }
        return moved
    }

    /// Grows by half when the next insertion would pass the maximum load.
    /// - Returns: the slot map from `resize`, or nil when nothing moved.
    public func growIfNeeded() -> [UInt32]? {
        guard needsGrowth else { return nil }
        return resize(to: max(capacity + capacity / 2, capacity + 16))
    }
}
