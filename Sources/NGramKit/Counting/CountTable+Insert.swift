/// Counting.
extension CountTable {
    /// Adds `amount` to the count of `key`, inserting it when absent.
    ///
    /// - Parameters:
    ///   - key: from `key(context:word:)`.
    ///   - hash: `CountTable.hash(key)`, passed in because the counting loop computed it early to
    ///     prefetch the slot.
    ///   - amount: at least 1.
    /// - Returns: the slot and whether the n-gram was new. The table may grow (and every slot
    ///   move) only through `growIfNeeded`, never inside this call.
    @inline(__always)
    public func increment(_ key: UInt64, hash: UInt64, by amount: UInt64 = 1) -> (slot: Int, isNew: Bool) {
        var index = homeSlot(hash)
        let base = slots.base
        let unit = UInt64(1) << UInt64(keyBits)
        while true {
            let slot = base[index]
            if slot == 0 {
                occupied += 1
                if amount <= countFieldMax {
                    base[index] = key | (amount << UInt64(keyBits))
                } else {
                    base[index] = key | (countFieldMax << UInt64(keyBits))
                    overflow[index] = amount - countFieldMax
                }
                return (index, true)
            }
            if slot & keyMask == key {
                let field = slot >> UInt64(keyBits)
                if amount == 1 && field < countFieldMax {
                    base[index] = slot &+ unit
                } else {
                    addSlowly(amount, toSlot: index, field: field)
                }
                return (index, false)
            }
            index += 1
            if index == capacity { index = 0 }
        }
    }

    /// Adds to a count that may not fit its field.
    private func addSlowly(_ amount: UInt64, toSlot index: Int, field: UInt64) {
        let total = field + (field == countFieldMax ? overflow[index] ?? 0 : 0) + amount
        if total <= countFieldMax {
            slots[index] = (slots[index] & keyMask) | (total << UInt64(keyBits))
            overflow[index] = nil
        } else {
            slots[index] = (slots[index] & keyMask) | (countFieldMax << UInt64(keyBits))
            overflow[index] = total - countFieldMax
        }
    }

    /// Whether one more insertion would pass the maximum load.
    @inline(__always)
    public var needsGrowth: Bool {
        Double(occupied + 1) > Double(capacity) * CountTable.maximumLoad
    }
}
