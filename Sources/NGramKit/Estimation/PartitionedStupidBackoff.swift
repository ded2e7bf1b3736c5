import Foundation

/// Normalized Stupid Backoff a partition at a time, for a build past its memory budget.
///
/// In:  `SpilledCounts` (raw counts of every order), α, and whether unigrams are add-one.
/// Out: `PartitionedEstimate`: per partition the runs of (n-gram, log10 p) and of (context,
///      log10 backoff); the unigrams' values in memory.
///
/// The same numbers as `StupidBackoff.estimate`, bit for bit. A context group h (neighbours in
/// canonical order) gives c(h) = Σ c(h w) and Σ c(h' w) over its successors, whole-number sums
/// exact in any order; its suffix's group one order down, in the same partition, gives Z(h') and
/// c(h'); so Z(h), every log10 p(w|h) and h's backoff are the same expressions
/// (`StupidBackoff.contextNormalizer`, `logProbability`, `contextLogBackoff`) of the same values.
enum PartitionedStupidBackoff {
    /// The estimator of one partition and of the unigrams (`PartitionedEstimate.Estimator`).
    /// - Throws: `NGramKitError.emptyInput` for counts without sentences; `invalidOption` for α
    ///   outside (0, 1].
    static func estimator(_ counts: SpilledCounts, alpha: Double, unigramAddOne: Bool) throws
        -> ((PartitionCounts, PartitionedEstimate.UnigramContexts, RecordWriter, RecordWriter) throws -> PartitionedEstimate.Runs,
            () -> LargeBuffer<Double>) {
        try StupidBackoff.check(sentences: counts.base.sentences, alpha: alpha)
        let unigrams = StupidBackoff.unigramScores(counts.base, unigramAddOne: unigramAddOne)
        return ({
            try estimate($0, alpha: alpha, unigramCounts: unigrams.counts, unigramTotal: unigrams.total, unigramContexts: $1,
                         probabilityWriter: $2, backoffWriter: $3)
        }, {
            let logProb = unigrams.scores
            for id in 0..<logProb.count { logProb[id] = StupidBackoff.logProbability(score: logProb[id], normalizer: 1) }
            logProb[Int(Vocabulary.beginID)] = 0   // placeholder: <s> is never predicted
            return logProb
        })
    }

    /// Estimates one partition, order by order; probabilities go to `probabilityWriter`'s file,
    /// backoffs of orders 2...N-1 to `backoffWriter`'s, the unigram contexts' backoffs (this
    /// partition's own words) to `unigramContexts`.
    /// - Parameters:
    ///   - unigramCounts: the count each unigram score is made of (add-one included), by id.
    ///   - unigramTotal: their sum N.
    static func estimate(_ counts: PartitionCounts, alpha: Double, unigramCounts: [Double], unigramTotal: Double,
                         unigramContexts: PartitionedEstimate.UnigramContexts, probabilityWriter: RecordWriter,
                         backoffWriter: RecordWriter) throws -> PartitionedEstimate.Runs {
        let n = counts.order
        let logAlpha = log10(alpha)
        var runs = PartitionedEstimate.Runs()
        // The order below: each n-gram's context group and words; each group's Z and c(h).
        var below = EstimatedOrder(count: 0, order: 1, withProbability: false)
        var belowNormalizer: [Double] = [], belowTotal: [Double] = []
        let ids = UnsafeMutablePointer<UInt32>.allocate(capacity: n)
        defer { ids.deallocate() }
        let ahead = 16
        for m in 2...n {
            let entries = counts.orders[m - 2]
            let count = entries.count
            let isHighest = m == n
            let first = entries.first, suffix = entries.suffix, raw = entries.raw
            let belowRaw = m >= 3 ? counts.orders[m - 3].raw : raw
            let this = EstimatedOrder(count: isHighest ? 0 : count, order: m, withProbability: false)
            var normalizers: [Double] = [], totals: [Double] = []
            let run = try SortedRunWriter(writer: probabilityWriter, order: m)
            let backoffs = m >= 3 ? try SortedRunWriter(writer: backoffWriter, order: m - 1) : nil
            var group: UInt32 = 0
            var i = 0
            while i < count {
                // One context group h: c(h) and Σ c(h' w) over its successors, then Z(h).
                let word = first[i]
                let suffixGroup = m >= 3 ? Int(below.group[Int(suffix[i])]) : 0
                var total = 0.0, successorsBelow = 0.0
                var end = i
                repeat {
                    total += Double(raw[end])
                    let s = Int(suffix[end])
                    successorsBelow += m == 2 ? unigramCounts[s] : Double(belowRaw[s])
                    end += 1
                } while end < count && first[end] == word && (m < 3 || Int(below.group[Int(suffix[end])]) == suffixGroup)
                let lowerNormalizer = m == 2 ? 1.0 : belowNormalizer[suffixGroup]
                let z = StupidBackoff.contextNormalizer(alpha: alpha, lowerZ: lowerNormalizer, successorsBelow: successorsBelow,
                                                        lowerContextTotal: m == 2 ? unigramTotal : belowTotal[suffixGroup])
                for k in i..<end {
                    if m >= 3 && k + ahead < count { below.prefetch(Int(suffix[k + ahead])) }
                    let s = Int(suffix[k])
                    ids[0] = word
                    if m == 2 { ids[1] = UInt32(s) } else { (ids + 1).update(from: below.words(s), count: m - 1) }
                    try run.append(ids)
                    try probabilityWriter.double(StupidBackoff.logProbability(score: Double(raw[k]) / total, normalizer: z))
                    if !isHighest { this.set(k, group: group, words: ids) }
                }
                // The context's backoff, log10(α·Z(h')/Z(h)): the unigrams' in memory, the others as a run.
                if m == 2 {
                    unigramContexts.set(word, logBackoff: StupidBackoff.contextLogBackoff(logAlpha: logAlpha, lowerNormalizer: 1.0, normalizer: z))
                } else {
                    ids[0] = word
                    (ids + 1).update(from: below.words(Int(suffix[i])), count: m - 2)
                    try backoffs!.append(ids)
                    try backoffWriter.double(StupidBackoff.contextLogBackoff(logAlpha: logAlpha, lowerNormalizer: lowerNormalizer, normalizer: z))
                }
                if !isHighest {
                    normalizers.append(z)
                    totals.append(total)
                }
                group += 1
                i = end
            }
            runs.probabilities.append(try run.finish())
            if let backoffs { runs.backoffs.append(try backoffs.finish()) }
            below = this
            belowNormalizer = normalizers
            belowTotal = totals
        }
        return runs
    }
}
