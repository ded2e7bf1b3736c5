/// Counting.
extension CountTable {
    /// Adds `amount` to the count of `key`, inserting it when absent.
    ///
    /// - Parameters:
    ///   - key: from `key(context:word:)`.
    ///   - hash: `CountTable.hash(key)`, passed in because the counting loop computed it early to
    ///     prefetch the slot.
    ///   - amount: at least 1.
    /// - Returns: the slot and whether the n-gram was new. The caller adds new n-grams to
    ///   `occupied` (threads tally their own and add at the end) and keeps each partition below
    ///   `maximumLoad`. The table never grows inside this call.
    ///
    /// Thread safety: calls for keys of different partitions may run concurrently.
    @inline(__always)
    package func increment(_ key: UInt64, hash: UInt64, by amount: UInt64 = 1) -> (slot: Int, isNew: Bool) {
        let start = partition(hash) * partitionCapacity
        let end = start + partitionCapacity
        var index = homeSlot(hash)
        let base = slots.base
        let unit = UInt64(1) << UInt64(keyBits)
        while true {
            let slot = base[index]
            if slot == 0 {
                if amount <= countFieldMax {
                    base[index] = key | (amount << UInt64(keyBits))
                } else {
                    insertOverflowing(key, amount: amount, at: index)
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
            if index == end { index = start }
        }
    }

    /// Inserts a new n-gram whose first count does not fit its field (counts files only).
    @inline(never)
    private func insertOverflowing(_ key: UInt64, amount: UInt64, at index: Int) {
        slots[index] = key | (countFieldMax << UInt64(keyBits))
        overflowLock.lock()
        overflow[index] = amount - countFieldMax
        overflowLock.unlock()
    }

    /// Adds to a count that may not fit its field.
    @inline(never)
    private func addSlowly(_ amount: UInt64, toSlot index: Int, field: UInt64) {
        overflowLock.lock()
        defer { overflowLock.unlock() }
        let total = field + (field == countFieldMax ? overflow[index] ?? 0 : 0) + amount
        if total <= countFieldMax {
            slots[index] = (slots[index] & keyMask) | (total << UInt64(keyBits))
            overflow[index] = nil
        } else {
            slots[index] = (slots[index] & keyMask) | (countFieldMax << UInt64(keyBits))
            overflow[index] = total - countFieldMax
        }
    }

    /// The most n-grams one partition may hold.
    package var partitionLimit: Int { Int(Double(partitionCapacity) * CountTable.maximumLoad) }

    /// Adds `amount` to `key` from a single thread, growing the table (by half) before any
    /// partition would pass `maximumLoad`.
    /// - Returns: the slot of the n-gram; slots move when the table grows.
    @discardableResult
    package func add(_ key: UInt64, amount: UInt64 = 1) -> Int {
        var hash = CountTable.hash(key)
        if partitionOccupied[partition(hash)] + 1 > partitionLimit {
            resize(to: capacity + capacity / 2 + 16)
            hash = CountTable.hash(key)
        }
        let (slot, isNew) = increment(key, hash: hash, by: amount)
        if isNew {
            occupied += 1
            partitionOccupied[partition(hash)] += 1
        }
        return slot
    }
}

/// Filling a model's table from entries of another layout.
extension CountTable {
    /// Adds `keys`, each with its entry's index in its source (a slot of another table), then
    /// lays out the entries' values by slot of this table: `values(k)` gives key `k`'s log10
    /// probability and backoff. With `backoffs` (an order below the highest), also the map from
    /// each source index below `sources` to its slot here (`.max` for the others), which the
    /// order above keys its contexts by. Slots are found only after every insert: `add` may
    /// grow the table.
    func place(_ keys: [(source: Int, key: UInt64)], sources: Int, backoffs: Bool,
               values: (Int) -> (logProb: Double, logBackoff: Double)) -> (logProb: LargeBuffer<Double>, logBackoff: LargeBuffer<Double>, map: [UInt32]) {
        for entry in keys { add(entry.key, amount: 1) }
        let prob = LargeBuffer<Double>(zeroedCount: capacity)
        let backoff = LargeBuffer<Double>(zeroedCount: backoffs ? capacity : 0)
        var map = [UInt32](repeating: .max, count: backoffs ? sources : 0)
        for (k, entry) in keys.enumerated() {
            let here = find(entry.key)!
            let value = values(k)
            prob[here] = value.logProb
            if backoffs {
                backoff[here] = value.logBackoff
                map[entry.source] = UInt32(here)
            }
        }
        return (prob, backoff, map)
    }
}
