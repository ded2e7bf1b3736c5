/// Growth, for when the size estimate was too low.
extension CountTable {
    /// Moves every n-gram into a table of `newCapacity` slots.
    /// - Returns: `moved[oldSlot]` = new slot, for callers holding slot numbers (the counting
    ///   loop's per-position slots); unoccupied old slots map to `UInt32.max`.
    @discardableResult
    package func resize(to newCapacity: Int) -> [UInt32] {
        precondition(newCapacity > occupied)
        let old = slots
        let oldCapacity = capacity
        let oldOverflow = overflow
        let oldContinuation = continuation
        (partitionBits, partitionCapacity) = CountTable.layout(forCapacity: newCapacity)
        capacity = partitionCapacity << partitionBits
        slots = LargeBuffer(zeroedCount: capacity)
        overflow = [:]
        partitionOccupied = [Int](repeating: 0, count: 1 << partitionBits)
        continuation = oldContinuation == nil ? nil : LargeBuffer(zeroedCount: capacity)
        var moved = [UInt32](repeating: .max, count: oldCapacity)
        let base = slots.base
        for oldSlot in 0..<oldCapacity {
            let value = old[oldSlot]
            if value == 0 { continue }
            let hash = CountTable.hash(value & keyMask)
            let start = partition(hash) * partitionCapacity
            let end = start + partitionCapacity
            var index = homeSlot(hash)
            while base[index] != 0 {
                index += 1
                if index == end { index = start }
            }
            base[index] = value
            partitionOccupied[partition(hash)] += 1
            if let extra = oldOverflow[oldSlot] { overflow[index] = extra }
            if let oldContinuation { continuation![index] = oldContinuation[oldSlot] }
            moved[oldSlot] = UInt32(index)
        }
        return moved
    }
}
