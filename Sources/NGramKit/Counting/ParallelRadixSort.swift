import Dispatch

/// Radix sort of 64-bit keys carrying a 32-bit payload on several threads: one pass splits the
/// keys by their top bits (each thread counts and moves a contiguous piece, so the split is
/// stable), then each part, small enough to stay in cache, is sorted on its own by
/// least-significant-digit passes, parts spread over the threads.
///
/// Stable, so the result is the same for any number of threads (and the same as `RadixSort`).
enum ParallelRadixSort {
    /// Sorts `keys` ascending, permuting `values` alongside.
    /// - Parameter significantBits: every key is below 2^significantBits.
    static func sort(keys: inout [UInt64], values: inout [UInt32], significantBits: Int, threads: Int) {
        let count = keys.count
        precondition(values.count == count)
        let topBits = min(significantBits, 12)
        if threads <= 1 || count < 1 << 16 || topBits < 4 {
            return RadixSort.sort(keys: &keys, values: &values, significantBits: significantBits)
        }
        let lowBits = significantBits - topBits
        let parts = 1 << topBits
        let pieces = threads
        let pieceSize = (count + pieces - 1) / pieces
        var scratchKeys = [UInt64](repeating: 0, count: count)
        var scratchValues = [UInt32](repeating: 0, count: count)
        // histogram[piece * parts + part], then where each piece's keys of each part go.
        var offsets = [Int](repeating: 0, count: pieces * parts)
        var partStart = [Int](repeating: 0, count: parts + 1)
        keys.withUnsafeBufferPointer { k in
            values.withUnsafeBufferPointer { v in
                scratchKeys.withUnsafeMutableBufferPointer { sk in
                    scratchValues.withUnsafeMutableBufferPointer { sv in
                        offsets.withUnsafeMutableBufferPointer { o in
                            let k = UncheckedSendable(k), v = UncheckedSendable(v), sk = UncheckedSendable(sk),
                                sv = UncheckedSendable(sv), o = UncheckedSendable(o)
                            let shift = UInt64(lowBits)
                            DispatchQueue.concurrentPerform(iterations: pieces) { piece in
                                let k = k.value, o = o.value
                                let base = piece * parts
                                for i in piece * pieceSize..<min(count, (piece + 1) * pieceSize) { o[base + Int(k[i] >> shift)] += 1 }
                            }
                            var sum = 0
                            for part in 0..<parts {
                                partStart[part] = sum
                                for piece in 0..<pieces {
                                    let c = o.value[piece * parts + part]
                                    o.value[piece * parts + part] = sum
                                    sum += c
                                }
                            }
                            partStart[parts] = sum
                            DispatchQueue.concurrentPerform(iterations: pieces) { piece in
                                let k = k.value, v = v.value, sk = sk.value, sv = sv.value, o = o.value
                                let base = piece * parts
                                for i in piece * pieceSize..<min(count, (piece + 1) * pieceSize) {
                                    let at = base + Int(k[i] >> shift)
                                    let to = o[at]
                                    o[at] = to + 1
                                    sk[to] = k[i]
                                    sv[to] = v[i]
                                }
                            }
                        }
                    }
                }
            }
        }
        // Sort each part on its low bits; the sorted part ends in `keys`/`values`.
        let starts = partStart
        keys.withUnsafeMutableBufferPointer { k in
            values.withUnsafeMutableBufferPointer { v in
                scratchKeys.withUnsafeMutableBufferPointer { sk in
                    scratchValues.withUnsafeMutableBufferPointer { sv in
                        let k = UncheckedSendable(k), v = UncheckedSendable(v), sk = UncheckedSendable(sk), sv = UncheckedSendable(sv)
                        let groups = min(parts, threads * 16)
                        DispatchQueue.concurrentPerform(iterations: groups) { group in
                            var histogram = [Int](repeating: 0, count: partHistogramSize(bits: lowBits))
                            histogram.withUnsafeMutableBufferPointer { h in
                                for part in stride(from: group, to: parts, by: groups) {
                                    let start = starts[part], end = starts[part + 1]
                                    sortPart(from: sk.value.baseAddress! + start, sv.value.baseAddress! + start,
                                             to: k.value.baseAddress! + start, v.value.baseAddress! + start,
                                             count: end - start, bits: lowBits, histogram: h)
                                }
                            }
                        }
                    }
                }
            }
        }
    }

    /// Digits of the in-cache passes: 11 bits, so a 31-bit remainder takes 3 passes.
    private static let partDigitBits = 11

    /// The histogram entries `sortPart` needs for `bits` low bits: one table per pass.
    static func partHistogramSize(bits: Int) -> Int {
        max(1, (bits + partDigitBits - 1) / partDigitBits) << partDigitBits
    }

    /// Sorts `count` keys (and values) at `sourceKeys` by their low `bits` bits, leaving the
    /// result at `keys`; both arrays serve as scratch. One read counts the digits of every
    /// pass; a pass whose digit is the same for all keys moves nothing and is skipped.
    private static func sortPart(from sourceKeys: UnsafeMutablePointer<UInt64>, _ sourceValues: UnsafeMutablePointer<UInt32>,
                                 to keys: UnsafeMutablePointer<UInt64>, _ values: UnsafeMutablePointer<UInt32>,
                                 count: Int, bits: Int, histogram h: UnsafeMutableBufferPointer<Int>) {
        if count == 0 { return }
        let digitBits = partDigitBits, buckets = 1 << digitBits
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
