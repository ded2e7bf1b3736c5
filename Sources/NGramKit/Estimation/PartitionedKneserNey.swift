import CNGramKitSupport
import Foundation

/// Interpolated modified Kneser-Ney a partition at a time, for a build past its memory budget.
///
/// In:  `SpilledCounts` (global: unigrams, counts-of-counts; per partition: the n-grams of orders
///      2...N whose next-to-last word is in it, in canonical order).
/// Out: per partition and order n, a run of (n-gram, log10 p) in canonical order, and a run of
///      (context, log10 backoff) for the contexts of order n+1 (orders below N-1; the unigrams'
///      backoffs go into one array in memory). `ARPAWriter.write(_:to:)` merges them.
///
/// The same numbers as `ModifiedKneserNey`, bit for bit: the discounts come from the same
/// counts-of-counts; the unigrams from the same function; per context, Σ a(h w) adds whole
/// numbers and Σ D(a(h w)) adds at most three distinct single-precision values, sums that are
/// exact in double precision (below 2^29 successors per context) and so do not depend on the
/// order the n-grams come in; and each probability is the same expression of the same values,
/// u(w|h) + γ(h)·p(w|h'), whose p(w|h') the partition holds (the suffix shares the next-to-last word).
enum PartitionedKneserNey {
    /// What estimating a partition keeps per n-gram of it: the `bytesPerEntry` that sizes the
    /// partitions of a Kneser-Ney job past its budget.
    static let bytesPerEntry = 64

    /// The estimated runs, per partition: `probabilities[n - 2]`, `backoffs[n - 2]` (contexts of
    /// order n, for 2 ≤ n ≤ N-1).
    struct Runs {
        var probabilities: [SortedRun] = []
        var backoffs: [SortedRun] = []
    }

    /// Estimates every partition.
    /// - Returns: the runs of each partition, and the unigrams' log10 probabilities and backoffs.
    /// - Parameter threads: partitions estimated at once (the partitions were sized for it).
    static func estimate(_ counts: SpilledCounts, discounts: [KneserNeyDiscount], space: TemporarySpace, threads: Int,
                         progress: ProgressReporter?) throws -> Estimated {
        let n = counts.order
        let vocabularySize = counts.base.vocabulary.count
        let unigrams = InitialProbabilities.unigrams(counts.base, discount: discounts[0])
        let unigramBackoff = LargeBuffer<Double>(zeroedCount: n >= 2 ? vocabularySize : 0)
        let unigramFlags = LargeBuffer<UInt8>(zeroedCount: n >= 2 ? vocabularySize : 0)
        var runs: [Runs] = []
        if n >= 2 {
            // Partitions are independent; each writes the backoffs of its own unigram contexts
            // (a bigram's context is its next-to-last word, so a partition's own words).
            let progressLock = NSLock()
            let started = ProgressClock.now()
            var done = 0
            runs = try Parallel.map(counts.plan.count, workers: threads) { p, _ in
                let partition = try counts.partition(p, release: true)
                let result = try estimate(partition, discounts: discounts, unigramProbabilities: unigrams.probabilities,
                                          unigramBackoff: unigramBackoff, unigramFlags: unigramFlags,
                                          probabilityWriter: RecordWriter(file: try space.makeFile()),
                                          backoffWriter: RecordWriter(file: try space.makeFile()))
                progressLock.withLock {
                    done += 1
                    progress?.phase("estimating partitions", done: done, of: counts.plan.count, started: started)
                }
                return result
            }
        }
        // The unigrams go to log10 as `Interpolate.finishLog10` turns them.
        let probabilities = unigrams.probabilities
        for i in 0..<probabilities.count { probabilities[i] = log10Probability(probabilities[i]) }
        return Estimated(runs: runs, unigramLogProb: probabilities, unigramLogBackoff: unigramBackoff, unigramFlags: unigramFlags)
    }

    /// What `estimate` gives: every partition's runs, and the unigrams' values in memory.
    struct Estimated {
        var runs: [Runs]
        var unigramLogProb: LargeBuffer<Double>
        var unigramLogBackoff: LargeBuffer<Double>
        /// 1 for the words that some bigram extends (the binary format's context flags).
        var unigramFlags: LargeBuffer<UInt8>
    }

    /// `Interpolate.finishLog10` of one probability.
    @inline(__always)
    static func log10Probability(_ p: Double) -> Double { p > 0 ? min(0, log10(p)) : -.infinity }

    /// Estimates one partition, order by order; probabilities go to `probabilityWriter`'s file,
    /// backoffs of orders 2...N-1 to `backoffWriter`'s.
    static func estimate(_ counts: PartitionCounts, discounts: [KneserNeyDiscount], unigramProbabilities: LargeBuffer<Double>,
                         unigramBackoff: LargeBuffer<Double>, unigramFlags: LargeBuffer<UInt8>, probabilityWriter: RecordWriter,
                         backoffWriter: RecordWriter) throws -> Runs {
        let n = counts.order
        var runs = Runs()
        // The order below: each n-gram's plain probability and context group, and its words.
        var below = EstimatedOrder(count: 0, order: 1)
        let ids = UnsafeMutablePointer<UInt32>.allocate(capacity: n)
        defer { ids.deallocate() }
        let unigrams = unigramProbabilities.base
        let ahead = 16
        for m in 2...n {
            let entries = counts.orders[m - 2]
            let count = entries.count
            let discount = discounts[m - 1]
            let isHighest = m == n
            let first = entries.first, suffix = entries.suffix
            let this = EstimatedOrder(count: isHighest ? 0 : count, order: m)
            let run = try SortedRunWriter(writer: probabilityWriter, order: m)
            let backoffs = m >= 3 ? try SortedRunWriter(writer: backoffWriter, order: m - 1) : nil
            @inline(__always) func adjusted(_ i: Int) -> UInt64 { isHighest ? entries.raw[i] : entries.adjusted(i) }
            var group: UInt32 = 0
            var i = 0
            while i < count {
                // One context group: neighbours in canonical order whose first words and whose
                // suffixes' contexts are the same. Its sums first, then its probabilities.
                let word = first[i]
                let suffixGroup = m >= 3 ? below.group[Int(suffix[i])] : 0
                var total = 0.0, gamma = 0.0
                var end = i
                repeat {
                    let a = adjusted(end)
                    total += Double(a)
                    gamma += discount.amount(forCount: a)
                    end += 1
                } while end < count && first[end] == word && (m < 3 || below.group[Int(suffix[end])] == suffixGroup)
                if total > 0 { gamma /= total }
                for k in i..<end {
                    if m >= 3 && k + ahead < count {
                        let s = Int(suffix[k + ahead])
                        below.prefetch(s)
                    }
                    let a = adjusted(k)
                    let s = Int(suffix[k])
                    let lower = m == 2 ? unigrams[s] : below.probability[s]
                    let p = (Double(a) - discount.amount(forCount: a)) / total + gamma * lower
                    ids[0] = word
                    if m == 2 { ids[1] = UInt32(s) } else { (ids + 1).update(from: below.words(s), count: m - 1) }
                    try run.append(ids)
                    try probabilityWriter.double(log10Probability(p))
                    if !isHighest { this.set(k, probability: p, group: group, words: ids) }
                }
                // The context's backoff, log10 γ(h): the unigrams' in memory, the others as a run.
                if m == 2 {
                    unigramBackoff[Int(word)] = log10(gamma)
                    unigramFlags[Int(word)] = 1
                } else {
                    ids[0] = word
                    (ids + 1).update(from: below.words(Int(suffix[i])), count: m - 2)
                    try backoffs!.append(ids)
                    try backoffWriter.double(log10(gamma))
                }
                group += 1
                i = end
            }
            runs.probabilities.append(try run.finish())
            if let backoffs { runs.backoffs.append(try backoffs.finish()) }
            below = this
        }
        return runs
    }
}

/// What the order above needs of an estimated order, by position: plain probability, context
/// group and words. A small owner of three buffers of `count` elements (`order` words each).
private final class EstimatedOrder {
    let order: Int
    let probability: UnsafeMutablePointer<Double>
    let group: UnsafeMutablePointer<UInt32>
    private let ngrams: UnsafeMutablePointer<UInt32>

    init(count: Int, order: Int) {
        self.order = order
        probability = .allocate(capacity: max(count, 1))
        group = .allocate(capacity: max(count, 1))
        ngrams = .allocate(capacity: max(count * order, 1))
    }

    deinit {
        probability.deallocate()
        group.deallocate()
        ngrams.deallocate()
    }

    @inline(__always)
    func words(_ i: Int) -> UnsafePointer<UInt32> { UnsafePointer(ngrams + i * order) }

    @inline(__always)
    func set(_ i: Int, probability p: Double, group g: UInt32, words: UnsafePointer<UInt32>) {
        probability[i] = p
        group[i] = g
        (ngrams + i * order).update(from: words, count: order)
    }

    /// Starts loading what the n-grams with suffix `i` read.
    @inline(__always)
    func prefetch(_ i: Int) {
        ngk_prefetch_read(probability + i)
        ngk_prefetch_read(group + i)
        ngk_prefetch_read(ngrams + i * order)
    }
}
