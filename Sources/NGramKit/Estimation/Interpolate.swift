import CNGramKitSupport
import Foundation

/// Modified Kneser-Ney, stage 3: interpolation of each order with the one below.
///
/// In:  order n's adjusted counts, the denominators and γ of its contexts (stage 2, side by
///      side), and the interpolated probabilities of order n-1.
/// Out: p(w|h) = (a(h w) − D(a(h w))) / Σ_v a(h v) + γ(h)·p(w|h') for every n-gram `h w` of
///      order n, as plain probabilities by slot; and the slot in order n-1 of each n-gram's
///      suffix `h' w`, which order n+1 needs to find its own suffixes.
enum Interpolate {
    /// Interpolated probabilities of order `n` ≥ 2.
    /// - Parameters:
    ///   - lowerSuffix: for n ≥ 3, the suffix slot (in order n-2, word id when n = 3) of every
    ///     slot of order n-1, from the previous call; nil for n = 2.
    ///   - threads: every slot is computed on its own, so pieces of the table run in parallel
    ///     and the result is the same for any number of threads.
    ///   - contexts: `InitialProbabilities.contexts`: Σ_w a(h w) and γ(h) at 2h and 2h + 1.
    static func order(_ counts: NGramCounts, order n: Int, discount: KneserNeyDiscount,
                      contexts: LargeBuffer<Double>,
                      lowerProbabilities: LargeBuffer<Double>,
                      lowerSuffix: LargeBuffer<UInt32>?, threads: Int) -> (probabilities: LargeBuffer<Double>, suffix: LargeBuffer<UInt32>?) {
        let table = counts.table(order: n)
        let isHighest = n == counts.order
        let probabilities = LargeBuffer<Double>(zeroedCount: table.capacity, populatingThreads: threads)
        let suffixes: LargeBuffer<UInt32>? = isHighest ? nil : LargeBuffer(zeroedCount: table.capacity, populatingThreads: threads)
        let job = InterpolationJob(order: n, table: table, lowerTable: n >= 3 ? counts.table(order: n - 1) : nil,
                                   isHighest: isHighest, discount: discount, sums: contexts.base,
                                   lower: lowerProbabilities.base, lowerSuffix: lowerSuffix?.base,
                                   out: probabilities.base, suffixes: suffixes?.base)
        Parallel.forEachPiece(of: table.capacity, threads: threads) { job.run($0) }
        return (probabilities, suffixes)
    }

    /// Turns a finished order's plain probabilities into log10 probabilities, and the γ of its
    /// entries as contexts (`InitialProbabilities.contexts` of the order above) into log10
    /// backoffs in `backoffs` (0 for n-grams that are no context). A probability above 1 by
    /// rounding is clamped to log10 0, as KenLM does.
    static func finishLog10(probabilities: LargeBuffer<Double>, backoffs: LargeBuffer<Double>?,
                            contexts: LargeBuffer<Double>?, threads: Int) {
        let p = UncheckedSendable(probabilities.base)
        Parallel.forEachPiece(of: probabilities.count, threads: threads) { range in
            let p = p.value
            for i in range { p[i] = p[i] > 0 ? min(0, log10(p[i])) : -.infinity }
        }
        if let backoffs, let contexts {
            let b = UncheckedSendable(backoffs.base), sums = UncheckedSendable(contexts.base)
            Parallel.forEachPiece(of: backoffs.count, threads: threads) { range in
                let b = b.value, sums = sums.value
                for i in range { b[i] = sums[2 * i] > 0 ? log10(sums[2 * i + 1]) : 0 }
            }
        }
    }
}

/// One order's interpolation over a range of slots (see `Interpolate.order`). Threads read the
/// shared inputs and write disjoint slots of `out` and `suffixes`.
private final class InterpolationJob: @unchecked Sendable {
    let order: Int
    let table: CountTable
    let lowerTable: CountTable?
    let isHighest: Bool
    let discount: KneserNeyDiscount
    /// Σ_w a(h w) and γ(h) of context h at 2h and 2h + 1.
    let sums: UnsafeMutablePointer<Double>
    let lower: UnsafeMutablePointer<Double>
    let lowerSuffix: UnsafeMutablePointer<UInt32>?
    let out: UnsafeMutablePointer<Double>
    let suffixes: UnsafeMutablePointer<UInt32>?

    init(order: Int, table: CountTable, lowerTable: CountTable?, isHighest: Bool, discount: KneserNeyDiscount,
         sums: UnsafeMutablePointer<Double>, lower: UnsafeMutablePointer<Double>,
         lowerSuffix: UnsafeMutablePointer<UInt32>?, out: UnsafeMutablePointer<Double>, suffixes: UnsafeMutablePointer<UInt32>?) {
        self.order = order
        self.table = table
        self.lowerTable = lowerTable
        self.isHighest = isHighest
        self.discount = discount
        self.sums = sums
        self.lower = lower
        self.lowerSuffix = lowerSuffix
        self.out = out
        self.suffixes = suffixes
    }

    /// The slot in order n-1 of the suffix of the n-gram in `slot` (the word itself for bigrams).
    @inline(__always)
    func suffix(of slot: Int) -> Int {
        let word = table.word(ofSlot: slot)
        guard let lowerTable, let lowerSuffix else { return Int(word) }
        guard let found = lowerTable.find(context: lowerSuffix[Int(table.context(ofSlot: slot))], word: word) else {
            preconditionFailure("order \(order): an n-gram's suffix is missing from order \(order - 1); counts are incomplete")
        }
        return found
    }

    /// p(w|h) = (a(h w) − D(a(h w))) / Σ_v a(h v) + γ(h)·p(w|h') for the slots in `range`.
    ///
    /// The loop is bound by random reads (the context's sums, the suffix's slot and
    /// probability), so it runs as a pipeline over slot indexes: 3·d slots ahead it starts
    /// loading the context's sums and suffix, 2·d ahead the suffix's home slot, d ahead it
    /// finds the suffix (kept in a ring) and starts loading its probability.
    func run(_ range: Range<Int>) {
        let d = 8
        var ring = [Int](repeating: 0, count: 4 * d)
        let mask = ring.count - 1
        let end = range.upperBound
        ring.withUnsafeMutableBufferPointer { ring in
            for i in range.lowerBound..<min(range.lowerBound + d, end) where table.isOccupied(i) { ring[i & mask] = suffix(of: i) }
            for slot in range {
                let far = slot + 3 * d, middle = slot + 2 * d, near = slot + d
                if far < end && table.isOccupied(far) {
                    let context = Int(table.context(ofSlot: far))
                    ngk_prefetch_read(sums + 2 * context)
                    if let lowerSuffix { ngk_prefetch_read(lowerSuffix + context) }
                }
                if middle < end, let lowerTable, let lowerSuffix, table.isOccupied(middle) {
                    let key = lowerTable.key(context: lowerSuffix[Int(table.context(ofSlot: middle))], word: table.word(ofSlot: middle))
                    ngk_prefetch_read(lowerTable.address(ofSlot: lowerTable.homeSlot(CountTable.hash(key))))
                }
                if near < end && table.isOccupied(near) {
                    let found = suffix(of: near)
                    ring[near & mask] = found
                    ngk_prefetch_read(lower + found)
                }
                guard table.isOccupied(slot) else { continue }
                let a = InitialProbabilities.adjustedCount(table, slot: slot, isHighest: isHighest)
                let context = Int(table.context(ofSlot: slot))
                let found = ring[slot & mask]
                suffixes?[slot] = UInt32(found)
                out[slot] = (Double(a) - discount.amount(forCount: a)) / sums[2 * context] + sums[2 * context + 1] * lower[found]
            }
        }
    }
}
