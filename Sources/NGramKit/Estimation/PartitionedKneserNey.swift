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
    /// The estimated runs, per partition: `probabilities[n - 2]`, `backoffs[n - 2]` (contexts of
    /// order n, for 2 ≤ n ≤ N-1).
    struct Runs {
        var probabilities: [SortedRun] = []
        var backoffs: [SortedRun] = []
    }

    /// Estimates every partition.
    /// - Returns: the runs of each partition, and the unigrams' log10 probabilities and backoffs.
    static func estimate(_ counts: SpilledCounts, discounts: [KneserNeyDiscount], space: TemporarySpace,
                         progress: ProgressReporter?) throws -> (runs: [Runs], unigramLogProb: LargeBuffer<Double>, unigramLogBackoff: LargeBuffer<Double>) {
        let n = counts.order
        let vocabularySize = counts.base.vocabulary.count
        let unigrams = InitialProbabilities.unigrams(counts.base, discount: discounts[0])
        let unigramBackoff = LargeBuffer<Double>(zeroedCount: n >= 2 ? vocabularySize : 0)
        var runs: [Runs] = []
        if n >= 2 {
            for p in 0..<counts.plan.count {
                progress?.status("estimating partition \(p + 1) of \(counts.plan.count)")
                let partition = try counts.partition(p, release: true)
                runs.append(try estimate(partition, discounts: discounts, unigramProbabilities: unigrams.probabilities,
                                         unigramBackoff: unigramBackoff, writer: RecordWriter(file: try space.makeFile())))
            }
        }
        // The unigrams go to log10 as `Interpolate.finishLog10` turns them.
        let probabilities = unigrams.probabilities
        for i in 0..<probabilities.count { probabilities[i] = log10Probability(probabilities[i]) }
        return (runs, probabilities, unigramBackoff)
    }

    /// `Interpolate.finishLog10` of one probability.
    @inline(__always)
    static func log10Probability(_ p: Double) -> Double { p > 0 ? min(0, log10(p)) : -.infinity }

    /// Estimates one partition, order by order.
    static func estimate(_ counts: PartitionCounts, discounts: [KneserNeyDiscount], unigramProbabilities: LargeBuffer<Double>,
                         unigramBackoff: LargeBuffer<Double>, writer: RecordWriter) throws -> Runs {
        let n = counts.order
        var runs = Runs()
        var lower: [Double] = []            // plain probabilities of the order below (by position)
        var lowerGroup: [UInt32] = []       // context group of each n-gram of the order below
        let ids = UnsafeMutablePointer<UInt32>.allocate(capacity: n)
        defer { ids.deallocate() }
        for m in 2...n {
            let entries = counts.orders[m - 2]
            let discount = discounts[m - 1]
            let isHighest = m == n
            // Context groups: neighbours in canonical order share a context when their first
            // words and their suffixes' contexts are the same.
            var group = [UInt32](repeating: 0, count: entries.count)
            var sums: [(total: Double, gamma: Double)] = []
            for i in 0..<entries.count {
                let opens = i == 0 || entries.first[i] != entries.first[i - 1]
                    || (m >= 3 && lowerGroup[Int(entries.suffix[i])] != lowerGroup[Int(entries.suffix[i - 1])])
                if opens { sums.append((0, 0)) }
                group[i] = UInt32(sums.count - 1)
                let a = isHighest ? entries.raw[i] : entries.adjusted(i)
                sums[sums.count - 1].total += Double(a)
                sums[sums.count - 1].gamma += discount.amount(forCount: a)
            }
            for g in 0..<sums.count where sums[g].total > 0 { sums[g].gamma /= sums[g].total }
            // Probabilities, written in canonical order.
            var probabilities = [Double](repeating: 0, count: isHighest ? 0 : entries.count)
            let run = try SortedRunWriter(writer: writer, order: m)
            for i in 0..<entries.count {
                let a = isHighest ? entries.raw[i] : entries.adjusted(i)
                let context = sums[Int(group[i])]
                let below = m == 2 ? unigramProbabilities[Int(entries.suffix[i])] : lower[Int(entries.suffix[i])]
                let p = (Double(a) - discount.amount(forCount: a)) / context.total + context.gamma * below
                if !isHighest { probabilities[i] = p }
                counts.words(order: m, entry: i, into: ids)
                try run.append(ids)
                try writer.double(log10Probability(p))
            }
            runs.probabilities.append(try run.finish())
            // Each context's backoff, log10 γ(h): the unigrams' in memory, the others as a run.
            if m == 2 {
                var i = 0
                for g in 0..<sums.count {
                    while Int(group[i]) != g { i += 1 }
                    unigramBackoff[Int(entries.first[i])] = log10(sums[g].gamma)
                }
            } else {
                let backoffs = try SortedRunWriter(writer: writer, order: m - 1)
                var i = 0
                for g in 0..<sums.count {
                    while Int(group[i]) != g { i += 1 }
                    counts.words(order: m, entry: i, into: ids)
                    try backoffs.append(ids)
                    try writer.double(log10(sums[g].gamma))
                }
                runs.backoffs.append(try backoffs.finish())
            }
            lower = probabilities
            lowerGroup = group
        }
        return runs
    }
}

extension ARPAWriter {
    /// Writes the model of a build that spilled: the same bytes as `write(_:to:threads:)` of the
    /// same model estimated in memory. Each order's runs are merged, and joined with the merged
    /// runs of its contexts' backoffs (an n-gram that is no context gets backoff 0).
    static func write(spilled counts: SpilledCounts, runs: [PartitionedKneserNey.Runs], unigramLogProb: LargeBuffer<Double>,
                      unigramLogBackoff: LargeBuffer<Double>, provenance: ModelProvenance, bufferBytes: Int,
                      to sink: OutputSink) throws {
        let order = counts.order
        let vocabulary = counts.base.vocabulary
        try writeHeader(provenance: provenance, ngramCounts: counts.uniqueCounts, isComplete: true, to: sink)
        try writeUnigrams(vocabulary: vocabulary, logProb: unigramLogProb, logBackoff: order > 1 ? unigramLogBackoff : nil, to: sink)
        let line = LineBuffer()
        if order >= 2 {
            for n in 2...order {
                try sink.write(string: "\n\\\(n)-grams:\n")
                let readers = try runs.map { try $0.probabilities[n - 2].reader(bufferBytes: bufferBytes) }
                // The backoffs of order n, merged as the n-grams go (they are a subset, in the same order).
                let backoffReaders = n < order ? try runs.map { try $0.backoffs[n - 2].reader(bufferBytes: bufferBytes) } : []
                var pendingBackoff: (ids: [UInt32], value: Double)? = nil
                var backoffMerge = try SortedRunMerge(backoffReaders)
                func nextBackoff() throws -> (ids: [UInt32], value: Double)? {
                    guard let run = try backoffMerge.next() else { return nil }
                    return (backoffReaders[run].ids, try backoffReaders[run].payload.double())
                }
                try SortedRunMerge.forEach(readers) { run, ids in
                    let probability = try readers[run].payload.double()
                    line.append(distinctLog10: probability)
                    line.append(byte: 0x09)
                    for (k, id) in ids.enumerated() {
                        if k > 0 { line.append(byte: 0x20) }
                        line.append(vocabulary.bytes(of: id))
                    }
                    if n < order {
                        if pendingBackoff == nil { pendingBackoff = try nextBackoff() }
                        var backoff = 0.0
                        if let pending = pendingBackoff, pending.ids == ids {
                            backoff = pending.value
                            pendingBackoff = nil
                        }
                        line.append(byte: 0x09)
                        line.append(log10: backoff)
                    }
                    line.append(byte: 0x0A)
                    if line.count >= 1 << 16 {
                        try sink.write(UnsafeBufferPointer(start: line.bytes, count: line.count))
                        line.removeAll()
                    }
                }
                let leftOver = try nextBackoff()
                if pendingBackoff != nil || leftOver != nil {
                    throw NGramKitError.cannotWrite(path: sink.path, reason: "a context's backoff has no n-gram (internal error; please report it)")
                }
                try sink.write(UnsafeBufferPointer(start: line.bytes, count: line.count))
                line.removeAll()
            }
        }
        try sink.write(string: "\n\\end\\\n")
    }
}
