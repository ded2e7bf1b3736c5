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
        var sortedKeys = [UInt64](repeating: 0, count: count)
        var sortedValues = [UInt32](repeating: 0, count: count)
        var histogram = [Int](repeating: 0, count: histogramSize(bits: significantBits))
        keys.withUnsafeMutableBufferPointer { k in
            values.withUnsafeMutableBufferPointer { v in
                sortedKeys.withUnsafeMutableBufferPointer { sk in
                    sortedValues.withUnsafeMutableBufferPointer { sv in
                        histogram.withUnsafeMutableBufferPointer { h in
                            sortPart(from: k.baseAddress!, v.baseAddress!, to: sk.baseAddress!, sv.baseAddress!,
                                     count: count, bits: significantBits, histogram: h)
                        }
                    }
                }
            }
        }
        keys = sortedKeys
        values = sortedValues
    }

    /// Digits of the passes: 11 bits, so a 31-bit remainder takes 3 passes.
    private static let digitBits = 11

    /// The histogram entries `sortPart` needs for `bits` low bits: one table per pass.
    static func histogramSize(bits: Int) -> Int {
        max(1, (bits + digitBits - 1) / digitBits) << digitBits
    }

    /// Sorts `count` keys (and values) at `sourceKeys` by their low `bits` bits, leaving the
    /// result at `keys`; both arrays serve as scratch. One read counts the digits of every
    /// pass; a pass whose digit is the same for all keys moves nothing and is skipped.
    static func sortPart(from sourceKeys: UnsafeMutablePointer<UInt64>, _ sourceValues: UnsafeMutablePointer<UInt32>,
                         to keys: UnsafeMutablePointer<UInt64>, _ values: UnsafeMutablePointer<UInt32>,
                         count: Int, bits: Int, histogram h: UnsafeMutableBufferPointer<Int>) {
        if count == 0 { return }
        let buckets = 1 << digitBits
        let mask = UInt64(buckets - 1)
        let passes = (bits + digitBits - 1) / digitBits
        let h = h.baseAddress!
        h.update(repeating: 0, count: passes * buckets)
        for i in 0..<count {
            let key = sourceKeys[i]
            var pass = 0
            while pass < passes {
                h[pass &* buckets &+ Int(truncatingIfNeeded: (key >> UInt64(pass &* digitBits)) & mask)] += 1
                pass += 1
            }
        }
        var fromKeys = sourceKeys, fromValues = sourceValues, toKeys = keys, toValues = values
        for pass in 0..<passes {
            let shift = UInt64(pass * digitBits)
            let offsets = h + pass * buckets
            if offsets[Int(truncatingIfNeeded: (fromKeys[0] >> shift) & mask)] == count { continue }
            var sum = 0
            for b in 0..<buckets {
                let c = offsets[b]
                offsets[b] = sum
                sum += c
            }
            for i in 0..<count {
                let d = Int(truncatingIfNeeded: (fromKeys[i] >> shift) & mask)
                let to = offsets[d]
                offsets[d] = to + 1
                toKeys[to] = fromKeys[i]
                toValues[to] = fromValues[i]
            }
            swap(&fromKeys, &toKeys)
            swap(&fromValues, &toValues)
        }
        if fromKeys != keys {
            keys.update(from: fromKeys, count: count)
            values.update(from: fromValues, count: count)
        }
    }
}
