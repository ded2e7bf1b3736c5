import CNGramKitSupport
import Foundation

/// Modified Kneser-Ney, stage 3: interpolation of each order with the one below.
///
/// In:  order n's adjusted counts, the denominators and γ of its contexts (stage 2), and the
///      interpolated probabilities of order n-1.
/// Out: p(w|h) = (a(h w) − D(a(h w))) / Σ_v a(h v) + γ(h)·p(w|h') for every n-gram `h w` of
///      order n, as plain probabilities by slot; and the slot in order n-1 of each n-gram's
///      suffix `h' w`, which order n+1 needs to find its own suffixes.
enum Interpolate {
    /// Interpolated probabilities of order `n` ≥ 2.
    /// - Parameters:
    ///   - lowerSuffix: for n ≥ 3, the suffix slot (in order n-2, word id when n = 3) of every
    ///     slot of order n-1, from the previous call; nil for n = 2.
    static func order(_ counts: NGramCounts, order n: Int, discount: KneserNeyDiscount,
                      denominators: LargeBuffer<Double>, gamma: LargeBuffer<Double>,
                      lowerProbabilities: LargeBuffer<Double>,
                      lowerSuffix: LargeBuffer<UInt32>?) -> (probabilities: LargeBuffer<Double>, suffix: LargeBuffer<UInt32>?) {
        let table = counts.table(order: n)
        let isHighest = n == counts.order
        let probabilities = LargeBuffer<Double>(zeroedCount: table.capacity)
        let suffixes: LargeBuffer<UInt32>? = isHighest ? nil : LargeBuffer(zeroedCount: table.capacity)
        let lowerTable: CountTable? = n >= 3 ? counts.table(order: n - 1) : nil
        let den = denominators.base, gam = gamma.base, lower = lowerProbabilities.base
        let out = probabilities.base
        let capacity = table.capacity
        // The loop is bound by random reads (the context's sums, the suffix's slot and
        // probability), so it runs as a pipeline over slot indexes: 3·d slots ahead it starts
        // loading the context's sums and suffix, 2·d ahead the suffix's home slot, d ahead it
        // finds the suffix (kept in a ring) and starts loading its probability.
        let d = 8
        var ring = [Int](repeating: 0, count: 4 * d)
        let mask = ring.count - 1
        let lowerSuffixBase = lowerSuffix?.base
        @inline(__always) func suffix(of slot: Int) -> Int {
            let word = table.word(ofSlot: slot)
            guard let lowerTable, let lowerSuffixBase else { return Int(word) }
            guard let found = lowerTable.find(context: lowerSuffixBase[Int(table.context(ofSlot: slot))], word: word) else {
                preconditionFailure("order \(n): an n-gram's suffix is missing from order \(n - 1); counts are incomplete")
            }
            return found
        }
        ring.withUnsafeMutableBufferPointer { ring in
            for i in 0..<min(d, capacity) where table.isOccupied(i) { ring[i & mask] = suffix(of: i) }
            for slot in 0..<capacity {
                let far = slot + 3 * d, middle = slot + 2 * d, near = slot + d
                if far < capacity && table.isOccupied(far) {
                    let context = Int(table.context(ofSlot: far))
                    ngk_prefetch_read(den + context)
                    ngk_prefetch_read(gam + context)
                    if let lowerSuffixBase { ngk_prefetch_read(lowerSuffixBase + context) }
                }
                if middle < capacity, let lowerTable, let lowerSuffixBase, table.isOccupied(middle) {
                    let key = lowerTable.key(context: lowerSuffixBase[Int(table.context(ofSlot: middle))], word: table.word(ofSlot: middle))
                    ngk_prefetch_read(lowerTable.address(ofSlot: lowerTable.homeSlot(CountTable.hash(key))))
                }
                if near < capacity && table.isOccupied(near) {
                    let found = suffix(of: near)
                    ring[near & mask] = found
                    ngk_prefetch_read(lower + found)
                }
                guard table.isOccupied(slot) else { continue }
                let a = InitialProbabilities.adjustedCount(table, slot: slot, isHighest: isHighest)
                let context = Int(table.context(ofSlot: slot))
                let found = ring[slot & mask]
                suffixes?[slot] = UInt32(found)
                out[slot] = (Double(a) - discount.amount(forCount: a)) / den[context] + gam[context] * lower[found]
            }
        }
        return (probabilities, suffixes)
    }

    /// Turns a finished order's plain probabilities and γ into log10 probabilities and log10
    /// backoffs (0 for n-grams that are no context). A probability above 1 by rounding is
    /// clamped to log10 0, as KenLM does.
    static func finishLog10(probabilities: LargeBuffer<Double>, gamma: LargeBuffer<Double>?,
                            denominators: LargeBuffer<Double>?) {
        let p = probabilities.base
        for i in 0..<probabilities.count {
            p[i] = p[i] > 0 ? min(0, log10(p[i])) : -.infinity
        }
        if let gamma, let denominators {
            let g = gamma.base, d = denominators.base
            for i in 0..<gamma.count {
                g[i] = d[i] > 0 ? log10(g[i]) : 0
            }
        }
    }
}
