import CNGramKitSupport
import Foundation

/// Interpolated modified Kneser-Ney a partition at a time, for a build past its memory budget.
///
/// In:  `SpilledCounts` and the discounts of every order.
/// Out: `PartitionedEstimate`: per partition the runs of (n-gram, log10 p) and of (context,
///      log10 backoff); the unigrams' values in memory.
///
/// The same numbers as `ModifiedKneserNey`, bit for bit: the discounts come from the same
/// counts-of-counts; the unigrams from the same function; per context, Σ a(h w) adds whole
/// numbers and Σ D(a(h w)) adds at most three distinct single-precision values, sums that are
/// exact in double precision (below 2^29 successors per context) and so do not depend on the
/// order the n-grams come in; and each probability is the same expression of the same values,
/// u(w|h) + γ(h)·p(w|h'), whose p(w|h') the partition holds (the suffix shares the next-to-last word).
enum PartitionedKneserNey {
    /// The estimator of one partition and of the unigrams (`PartitionedEstimate.Estimator`).
    static func estimator(_ counts: SpilledCounts, discounts: [KneserNeyDiscount], vocabularyPad: Int = 0)
        -> ((PartitionCounts, PartitionedEstimate.UnigramContexts, RecordWriter, RecordWriter) throws -> PartitionedEstimate.Runs,
            () -> LargeBuffer<Double>) {
        let unigrams = InitialProbabilities.unigrams(counts.base, discount: discounts[0], vocabularyPad: vocabularyPad)
        return ({
            try estimate($0, discounts: discounts, unigramProbabilities: unigrams.probabilities, unigramContexts: $1,
                         probabilityWriter: $2, backoffWriter: $3)
        }, {
            // The unigrams go to log10 as `Interpolate.finishLog10` turns them.
            let probabilities = unigrams.probabilities
            for i in 0..<probabilities.count { probabilities[i] = log10Probability(probabilities[i]) }
            return probabilities
        })
    }

    /// `Interpolate.finishLog10` of one probability.
    @inline(__always)
    static func log10Probability(_ p: Double) -> Double { p > 0 ? min(0, log10(p)) : -.infinity }

    /// Estimates one partition, order by order; probabilities go to `probabilityWriter`'s file,
    /// backoffs of orders 2...N-1 to `backoffWriter`'s.
    static func estimate(_ counts: PartitionCounts, discounts: [KneserNeyDiscount], unigramProbabilities: LargeBuffer<Double>,
                         unigramContexts: PartitionedEstimate.UnigramContexts, probabilityWriter: RecordWriter,
                         backoffWriter: RecordWriter) throws -> PartitionedEstimate.Runs {
        let n = counts.order
        var runs = PartitionedEstimate.Runs()
        // The order below: each n-gram's plain probability and context group, and its words.
        var below = EstimatedOrder(count: 0, order: 1, withProbability: true)
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
            let this = EstimatedOrder(count: isHighest ? 0 : count, order: m, withProbability: true)
            let lowerProbability = below.probability!, thisProbability = this.probability!
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
                    let lower = m == 2 ? unigrams[s] : lowerProbability[s]
                    let p = (Double(a) - discount.amount(forCount: a)) / total + gamma * lower
                    ids[0] = word
                    if m == 2 { ids[1] = UInt32(s) } else { (ids + 1).update(from: below.words(s), count: m - 1) }
                    try run.append(ids)
                    try probabilityWriter.double(log10Probability(p))
                    if !isHighest {
                        thisProbability[k] = p
                        this.set(k, group: group, words: ids)
                    }
                }
                // The context's backoff, log10 γ(h): the unigrams' in memory, the others as a run.
                if m == 2 {
                    unigramContexts.set(word, logBackoff: log10(gamma))
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
