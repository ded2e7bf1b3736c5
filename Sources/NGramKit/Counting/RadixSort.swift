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
        var scratchKeys = [UInt64](repeating: 0, count: count)
        var scratchValues = [UInt32](repeating: 0, count: count)
        var histogram = [Int](repeating: 0, count: buckets)
        var shift = 0
        while shift < max(significantBits, 1) {
            for b in 0..<buckets { histogram[b] = 0 }
            keys.withUnsafeBufferPointer { k in
                for i in 0..<count { histogram[Int((k[i] >> UInt64(shift)) & UInt64(buckets - 1))] += 1 }
            }
            var sum = 0
            for b in 0..<buckets {
                let c = histogram[b]
                histogram[b] = sum
                sum += c
            }
            keys.withUnsafeBufferPointer { k in
                values.withUnsafeBufferPointer { v in
                    scratchKeys.withUnsafeMutableBufferPointer { sk in
                        scratchValues.withUnsafeMutableBufferPointer { sv in
                            histogram.withUnsafeMutableBufferPointer { h in
                                for i in 0..<count {
                                    let d = Int((k[i] >> UInt64(shift)) & UInt64(buckets - 1))
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
            shift += digitBits
        }
    }
}
