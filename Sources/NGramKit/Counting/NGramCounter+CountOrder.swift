import CNGramKitSupport

/// One counting pass: the order n-1 slots of every position in, the order-n table out.
///
/// In:  `ids` (the token stream) and, for n ≥ 3, `positions[i]` = slot in order n-1 of the
///      (n-1)-gram ending at position i (`noSlot` where none: across a sentence start).
/// Out: the order-n table; `positions[i]` rewritten to the order-n slot (when a higher order
///      follows); the continuation counts of order n-1 (or of the unigrams) incremented once
///      per distinct n-gram, at its suffix.
extension NGramCounter {
    /// Marks a position where no n-gram of the current order ends.
    static let noSlot = UInt32.max
    /// How many positions ahead the loop prefetches.
    static let lookahead = 16

    func countOrder(_ n: Int, lower: CountTable?, positions: LargeBuffer<UInt32>,
                    unigramContinuation: UnsafeMutablePointer<UInt32>) throws -> CountTable {
        let total = stream.count
        let ids = UnsafePointer(stream.storage)
        // The previous order's slot for each position: word ids themselves for n = 2.
        let previous: UnsafePointer<UInt32> = n == 2 ? ids : UnsafePointer(positions.base)
        let contextLimit = n == 2 ? vocabulary.count : lower!.capacity
        let wordBits = CountTable.bitWidth(vocabulary.count - 1)
        let keepPositions = n < order

        // Size the table from a one-pass estimate of the number of distinct keys.
        @inline(__always) func key(at i: Int) -> UInt64 {
            let word = ids[i]
            if i == 0 || word == Vocabulary.beginID { return .max }
            let context = previous[i - 1]
            if context == NGramCounter.noSlot { return .max }
            return UInt64(context) << UInt64(wordBits) | UInt64(word)
        }
        var estimator = HyperLogLog()
        for i in 0..<total {
            let k = key(at: i)
            if k != .max { estimator.add(hash: CountTable.hash(k)) }
        }
        let estimate = estimator.estimate
        let capacity = Int((estimate * 1.01 / targetLoad).rounded(.up)) + 64
        guard capacity < Int(UInt32.max) else {
            throw NGramKitError.capacityExceeded(what: "the order-\(n) table (\(capacity) slots)", limit: "2^32 slots")
        }
        let table = try CountTable(order: n, capacity: capacity, wordLimit: vocabulary.count, contextLimit: contextLimit)
        let suffixContinuation: UnsafeMutablePointer<UInt32>
        if let lower {
            lower.prepareContinuation()
            suffixContinuation = lower.continuation!.base
        } else {
            suffixContinuation = unigramContinuation
        }
        let out = positions.base

        // Keys and hashes of the next `lookahead` positions, computed early to prefetch.
        let window = NGramCounter.lookahead
        var pendingKeys = [UInt64](repeating: .max, count: window)
        var pendingHashes = [UInt64](repeating: 0, count: window)
        pendingKeys.withUnsafeMutableBufferPointer { keysBuffer in
            pendingHashes.withUnsafeMutableBufferPointer { hashesBuffer in
                let keys = keysBuffer.baseAddress!
                let hashes = hashesBuffer.baseAddress!
                var ring = 0
                for i in 0..<(total + window) {
                    // Process position j = i - window, whose slot was prefetched `window` steps ago.
                    let j = i - window
                    if j >= 0 {
                        let k = keys[ring]
                        if k == .max {
                            if keepPositions { out[j] = NGramCounter.noSlot }
                        } else {
                            if table.needsGrowth {
                                if let moved = table.growIfNeeded(), keepPositions {
                                    for p in 0..<j where out[p] != NGramCounter.noSlot { out[p] = moved[Int(out[p])] }
                                }
                            }
                            let suffix = previous[j]
                            let (slot, isNew) = table.increment(k, hash: hashes[ring])
                            if isNew { suffixContinuation[Int(suffix)] += 1 }
                            if keepPositions { out[j] = UInt32(truncatingIfNeeded: slot) }
                        }
                    }
                    if i < total {
                        let k = key(at: i)
                        keys[ring] = k
                        if k != .max {
                            let h = CountTable.hash(k)
                            hashes[ring] = h
                            ngk_prefetch_write(table.address(ofSlot: table.homeSlot(h)))
                            // A new n-gram adds one to its suffix's continuation count.
                            ngk_prefetch_write(suffixContinuation + Int(previous[i]))
                        }
                    }
                    ring += 1
                    if ring == window { ring = 0 }
                }
            }
        }
        return table
    }
}
