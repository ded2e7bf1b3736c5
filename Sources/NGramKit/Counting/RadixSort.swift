/// Least-significant-digit radix sort of 64-bit keys carrying a 32-bit payload.
///
/// Used to put n-grams in a canonical order before writing (output must not depend on where
/// the hash table happened to place them). Linear time, stable, two scratch arrays.
enum RadixSort {
    /// Sorts `keys` ascending, permuting `values` alongside.
    /// - Parameter significantBits: every key is below 2^significantBits.
    static func sort(keys: inout [UInt64], values: inout [UInt32], significantBits: Int) {
        let count = keys.count
        precondition(values.count == count)
        if count < 2 { return }
        let digitBits = 11
        let buckets = 1 << digitBits
        let mask = UInt64(buckets - 1)
        let passes = max(1, (significantBits + digitBits - 1) / digitBits)
        // One read counts the digits of every pass; a pass whose digit is the same for every
        // key would move nothing and is skipped.
        var histograms = [Int](repeating: 0, count: passes * buckets)
        histograms.withUnsafeMutableBufferPointer { h in
            keys.withUnsafeBufferPointer { k in
                for i in 0..<count {
                    let key = k[i]
                    for pass in 0..<passes { h[pass &* buckets &+ Int(truncatingIfNeeded: (key >> UInt64(pass &* digitBits)) & mask)] += 1 }
                }
            }
        }
        var scratchKeys: [UInt64] = []
        var scratchValues: [UInt32] = []
        for pass in 0..<passes {
            let shift = UInt64(pass * digitBits)
            let base = pass * buckets
            if histograms[base + Int(truncatingIfNeeded: (keys[0] >> shift) & mask)] == count { continue }
            if scratchKeys.isEmpty {
                scratchKeys = [UInt64](repeating: 0, count: count)
                scratchValues = [UInt32](repeating: 0, count: count)
            }
            histograms.withUnsafeMutableBufferPointer { all in
                let h = all.baseAddress! + base
                var sum = 0
                for b in 0..<buckets {
                    let c = h[b]
                    h[b] = sum
                    sum += c
                }
                keys.withUnsafeBufferPointer { k in
                    values.withUnsafeBufferPointer { v in
                        scratchKeys.withUnsafeMutableBufferPointer { sk in
                            scratchValues.withUnsafeMutableBufferPointer { sv in
                                for i in 0..<count {
                                    let d = Int(truncatingIfNeeded: (k[i] >> shift) & mask)
                                    let to = h[d]
                                    h[d] = to + 1
                                    sk[to] = k[i]
                                    sv[to] = v[i]
                                }
                            }
                        }
                    }
                }
            }
            swap(&keys, &scratchKeys)
            swap(&values, &scratchValues)
        }
    }
}
