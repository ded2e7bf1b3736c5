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
                            var histogram = [Int](repeating: 0, count: RadixSort.histogramSize(bits: lowBits))
                            histogram.withUnsafeMutableBufferPointer { h in
                                for part in stride(from: group, to: parts, by: groups) {
                                    let start = starts[part], end = starts[part + 1]
                                    RadixSort.sortPart(from: sk.value.baseAddress! + start, sv.value.baseAddress! + start,
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
}
