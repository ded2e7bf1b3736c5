import Foundation

/// Counting past the memory budget: the token stream spills to a temporary file while it is
/// read, and orders 2...N are counted a partition at a time (`PartitionPlan`, `PartitionCounter`),
/// each partition's counts kept in a temporary file for what comes next (a counts file, or
/// estimation a partition at a time).
///
/// In:  the text read by `addFiles` (after `budget` was set), the budget and its temporary space.
/// Out: `SpilledCounts`: everything global (vocabulary, unigram counts and continuation counts,
///      distinct n-grams and Kneser-Ney counts-of-counts per order) in memory, the n-grams of
///      orders 2...N in one temporary file per partition. The same counts as `finish()`, n-gram for n-gram.
extension NGramCounter {
    /// Sets the budget before any text is read: the stream moves to a temporary file once it
    /// holds a quarter of the budget.
    package func limitMemory(to budget: MemoryBudget, space: @escaping () throws -> TemporarySpace) {
        self.budget = budget
        reader.spillThreshold = max(1 << 16, budget.bytes / 16)
        reader.makeSpill = { try TokenSpill(space: space()) }
    }

    /// What a job that estimates a model in memory keeps per distinct n-gram beside the count
    /// tables (probabilities, backoffs, scratch): the `bytesPerNGram` of `build` and `scale`.
    package static let modelBytesPerNGram = 44

    /// Whether the counts fit the budget in memory, `bytesPerNGram` being what the job keeps per
    /// distinct n-gram beside the tables (estimation, writers). Reads the stream once to
    /// estimate the distinct n-grams when a first bound does not settle it.
    package func fitsInMemory(bytesPerNGram: Int) throws -> Bool {
        try highestOrderFitting([order], bytesPerNGram: bytesPerNGram) == order
    }

    /// The highest of `orders` (none above `order`) whose counts would fit the budget in memory,
    /// as `fitsInMemory` of a counter of that order says, or nil when none does. One read of the
    /// stream serves every order: the estimate of an order's distinct n-grams does not depend
    /// on the counter's highest order.
    package func highestOrderFitting(_ orders: [Int], bytesPerNGram: Int) throws -> Int? {
        guard let budget else { return orders.max() }
        if reader.spill != nil { return nil }
        let fixed = vocabulary.memoryFootprint + vocabulary.count * 40
        var distinct: [Double]?
        for k in orders.sorted(by: >) {
            precondition(k <= order)
            // A counter of order 1 keeps no stream.
            let ids = k > 1 ? stream.count : 0
            let perToken = 4 * (1 + (k > 2 ? 1 : 0) + (k > 3 ? 1 : 0))
            // Distinct n-grams of an order are at most the positions of the text.
            if fixed + ids * perToken + (k - 1) * ids * bytesPerNGram <= budget.bytes { return k }
            if distinct == nil { distinct = try estimateDistinct(source: .memory(stream), remap: nil) }
            let total = distinct![..<(k - 1)].reduce(0, +)
            if fixed + max(ids * perToken, Int(total * Double(bytesPerNGram))) <= budget.bytes { return k }
        }
        return nil
    }

    /// Estimated distinct n-grams of orders 2...N (HyperLogLog over the stream).
    func estimateDistinct(source: TokenSource, remap: [UInt32]?) throws -> [Double] {
        var estimators = [HyperLogLog](repeating: HyperLogLog(), count: max(order - 1, 0))
        let n = order
        try source.forEachChunk(remap: remap) { ids in
            var sentenceStart = 0
            for j in 0..<ids.count {
                let id = ids[j]
                if id == Vocabulary.beginID { sentenceStart = j; continue }
                var hash = Hashing.mix(UInt64(id) &+ 0x9E37_79B9_7F4A_7C15)
                var m = 2
                while m <= n && j - m + 1 >= sentenceStart {
                    hash = Hashing.mix(hash ^ (UInt64(ids[j - m + 1]) &* 0xBF58_476D_1CE4_E5B9 &+ UInt64(m)))
                    estimators[m - 2].add(hash: hash)
                    m += 1
                }
            }
        }
        return estimators.map(\.estimate)
    }

    /// Counts every order a partition at a time; the counter cannot be used afterwards.
    /// - Parameters:
    ///   - space: where the partitions' counts go.
    ///   - bytesPerEntry: what the next stage keeps per n-gram of one partition (sizes the partitions).
    package func finishPartitioned(space: TemporarySpace, bytesPerEntry: Int = 48) throws -> SpilledCounts {
        try reader.finishSpilling()
        let source: TokenSource = reader.spill.map { .spilled($0) } ?? .memory(stream)
        var (unigramCounts, remap) = finalUnigramCounts(remapStream: false)
        let vocabularySize = vocabulary.count
        if unigramCounts.count < vocabularySize {
            unigramCounts.append(contentsOf: repeatElement(0, count: vocabularySize - unigramCounts.count))
        }
        let n = order
        let base = NGramCounts(order: n, vocabulary: vocabulary, unigramCounts: unigramCounts,
                               unigramContinuation: [UInt32](repeating: 0, count: n >= 2 ? vocabularySize : 0),
                               tables: [], sentences: sentences, tokens: tokens)
        guard n >= 2 else {
            return SpilledCounts(base: base, countsOfCounts: [try base.kneserNeyCountsOfCounts(order: 1)],
                                 uniqueCounts: [vocabularySize], plan: PartitionPlan(weights: [], partitions: 1), partitions: [])
        }
        // How many partitions: what the stages keep per position and per n-gram, over what the
        // budget leaves beside the global tables.
        progress?.status("estimating the n-grams to plan partitions")
        let distinct = try estimateDistinct(source: source, remap: remap)
        let positions = max(1, source.count - sentences)
        let budgetBytes = budget?.bytes ?? Int.max / 4
        let fixed = vocabulary.memoryFootprint + vocabularySize * 48 + (16 << 20)
        // Partitions are counted (and later estimated) on all threads at once, each within its share.
        let workers = max(1, threads)
        let available = max(budgetBytes - fixed, budgetBytes / 8) / workers
        let total = Double(positions * (4 * n + 8)) + distinct.reduce(0, +) * Double(bytesPerEntry)
        let partitions = max(1, min(1 << 16, Int((total / Double(available)).rounded(.up))))
        let plan = PartitionPlan(weights: PartitionPlan.weights(unigramCounts: unigramCounts), partitions: partitions)
        // A word's n-grams cannot be split, so the partition of a frequent next-to-last word (a
        // comma: several % of the positions) can outgrow a worker's share: such partitions run
        // first, one at a time, and the others on all workers (the counts are the same).
        let loadTotal = Double(max(1, plan.loads.reduce(0, +)))
        let alone = Set((0..<plan.count).filter { total * Double(plan.loads[$0]) / loadTotal > Double(available) })
        space.expectedBytes = Int(distinct.reduce(0, +) * 6) + source.count * 2
        // Count each partition, keep it in a temporary file, and gather what is global: each
        // worker adds its bigrams' continuation counts to a table of its own; the rest is summed
        // per partition. Integer sums, so the totals do not depend on who counted what.
        let last = base.lastOpenNGram(order: 1)
        let weightTotal = Double(plan.loads.reduce(0, +))
        let continuations = (0..<min(workers, plan.count)).map { _ in LargeBuffer<UInt32>(zeroedCount: vocabularySize) }
        let progressLock = NSLock()
        let countingStarted = ProgressClock.now()
        var partitionsDone = 0
        progress?.phase("counting partitions", done: 0, of: plan.count, started: countingStarted)
        struct Counted {
            let file: TemporaryFile
            let summary: PartitionCounts.Summary
        }
        let counted = try Parallel.map(plan.count, workers: workers, alone: alone.contains) { p, worker -> Counted in
            let share = weightTotal > 0 ? Double(plan.loads[p]) / weightTotal : 1
            let counts = try PartitionCounter.count(source: source, remap: remap, plan: plan, partition: p, order: n,
                                                    vocabularySize: vocabularySize, unigramContinuation: continuations[worker],
                                                    capacityHints: distinct.map { Int($0 * share * 1.1) }, threads: 1)
            let result = Counted(file: try space.makeFile(), summary: counts.summary(lastWord: last))
            try counts.write(to: RecordWriter(file: result.file))
            progressLock.withLock {
                partitionsDone += 1
                progress?.phase("counting partitions", done: partitionsDone, of: plan.count, started: countingStarted)
            }
            return result
        }
        let files = counted.map { $0.file }
        var unigramContinuation = [UInt32](repeating: 0, count: vocabularySize)
        for table in continuations {
            for id in 0..<vocabularySize { unigramContinuation[id] += table[id] }
        }
        base.unigramContinuation = unigramContinuation
        let (countsOfCounts, uniqueCounts) = try PartitionCounts.Summary.combine(counted.map(\.summary), base: base)
        progress?.done()
        return SpilledCounts(base: base, countsOfCounts: countsOfCounts, uniqueCounts: uniqueCounts, plan: plan, partitions: files,
                             alone: alone)
    }
}

extension PartitionCounts {
    /// What the global tables take from one partition's counts: its distinct n-grams and
    /// counts-of-counts per order, and its candidate for KenLM's end-of-walk convention.
    package struct Summary {
        /// `unique[m]`: distinct n-grams of order m (2...N).
        package var unique: [Int]
        /// `countsOfCounts[m][k]`: n-grams of order m (2...N) with adjusted count k (1...4).
        package var countsOfCounts: [[UInt64]]
        /// The largest first word of this partition's bigrams that end in the last word.
        package var lastBigramFirst: UInt32?
        /// With `lastBigramFirst`: the end-of-walk n-grams it starts (`endOfWalk`).
        package var endOfWalk: [(order: Int, adjusted: UInt64, raw: UInt64)] = []

        /// The global counts-of-counts (orders 1...N) and distinct n-grams from every
        /// partition's summary (in partition order) and the global unigrams (`base`, its
        /// continuation counts complete).
        package static func combine(_ summaries: [Summary], base: NGramCounts) throws -> (countsOfCounts: [[UInt64]], unique: [Int]) {
            let n = base.order
            var uniqueCounts = [base.vocabulary.count] + [Int](repeating: 0, count: n - 1)
            var countsOfCounts = [[UInt64]](repeating: [UInt64](repeating: 0, count: 5), count: n)
            // KenLM's end-of-walk convention (`NGramCounts.lastOpenNGram`): the largest first word
            // of the bigrams ending in the last word, over every partition.
            var lastBigramFirst: (first: UInt32, partition: Int)? = nil
            precondition(summaries.allSatisfy { $0.unique.count == n + 1 })
            for (p, summary) in summaries.enumerated() {
                for m in 2...n {
                    uniqueCounts[m - 1] += summary.unique[m]
                    for k in 0..<5 { countsOfCounts[m - 1][k] += summary.countsOfCounts[m][k] }
                }
                if let first = summary.lastBigramFirst, lastBigramFirst == nil || first > lastBigramFirst!.first {
                    lastBigramFirst = (first, p)
                }
            }
            countsOfCounts[0] = try base.kneserNeyCountsOfCounts(order: 1)
            if let (_, p) = lastBigramFirst {
                for (m, adjusted, raw) in summaries[p].endOfWalk {
                    if adjusted >= 1 && adjusted <= 4 { countsOfCounts[m - 1][Int(adjusted)] -= 1 }
                    if raw >= 1 && raw <= 4 { countsOfCounts[m - 1][Int(raw)] += 1 }
                }
            }
            return (countsOfCounts, uniqueCounts)
        }
    }

    /// This partition's summary; `lastWord` is `NGramCounts.lastOpenNGram(order: 1)`.
    package func summary(lastWord last: Int?) -> Summary {
        let n = order
        var result = Summary(unique: [Int](repeating: 0, count: n + 1),
                             countsOfCounts: [[UInt64]](repeating: [UInt64](repeating: 0, count: 5), count: n + 1))
        for m in 2...n {
            let entries = orders[m - 2]
            result.unique[m] = entries.count
            for i in 0..<entries.count {
                let c = entries.adjusted(i)
                if c <= 4 { result.countsOfCounts[m][Int(c)] += 1 }
            }
        }
        if let last {
            let bigrams = orders[0]
            for i in 0..<bigrams.count where bigrams.suffix[i] == UInt32(last) {
                result.lastBigramFirst = max(result.lastBigramFirst ?? 0, bigrams.first[i])
            }
            if let first = result.lastBigramFirst { result.endOfWalk = endOfWalk(first: first, last: last) }
        }
        return result
    }

    /// The end-of-walk n-grams of orders 2...N-1, which extend the bigram `first last` to the
    /// left, each time with the largest first word (they all lie in this partition): per order,
    /// the adjusted count its counts-of-counts hold and the raw count KenLM counts instead.
    func endOfWalk(first: UInt32, last: Int) -> [(order: Int, adjusted: UInt64, raw: UInt64)] {
        let n = order
        var result: [(order: Int, adjusted: UInt64, raw: UInt64)] = []
        let bigrams = orders[0]
        var position = (0..<bigrams.count).first { bigrams.first[$0] == first && bigrams.suffix[$0] == UInt32(last) }
        var firstWord = first
        for m in 2..<n {
            guard let at = position else { break }
            let entries = orders[m - 2]
            result.append((m, entries.adjusted(at), entries.raw[at]))
            // The next order: the largest first word before this n-gram (none before <s>).
            guard m + 1 < n, firstWord != Vocabulary.beginID else { break }
            let above = orders[m - 1]
            var best: Int? = nil
            for i in 0..<above.count where above.suffix[i] == UInt32(at) {
                if best == nil || above.first[i] > above.first[best!] { best = i }
            }
            position = best
            if let best { firstWord = above.first[best] }
        }
        return result
    }
}

/// What `NGramCounter.finishPartitioned` counted: the global counts in memory, every
/// partition's n-grams in a temporary file (`PartitionCounts`).
package final class SpilledCounts {
    /// The vocabulary, unigram counts and continuation counts, sentences and tokens (no tables).
    package let base: NGramCounts
    /// Kneser-Ney counts-of-counts (adjusted counts, KenLM's conventions) of orders 1...N.
    package let countsOfCounts: [[UInt64]]
    /// Distinct n-grams of orders 1...N.
    package let uniqueCounts: [Int]
    package let plan: PartitionPlan
    /// The partitions too large to share the budget with another: worked on one at a time.
    package let alone: Set<Int>
    /// Each partition's counts; a file is let go (and its space freed) once it has served.
    private var partitions: [TemporaryFile?]
    private let lock = NSLock()

    init(base: NGramCounts, countsOfCounts: [[UInt64]], uniqueCounts: [Int], plan: PartitionPlan, partitions: [TemporaryFile],
         alone: Set<Int> = []) {
        self.alone = alone
        self.base = base
        self.countsOfCounts = countsOfCounts
        self.uniqueCounts = uniqueCounts
        self.plan = plan
        self.partitions = partitions
    }

    package var order: Int { base.order }

    /// The counts of partition `p`; with `release`, its file is let go afterwards. Calls for
    /// different partitions may run on different threads.
    package func partition(_ p: Int, release: Bool = false) throws -> PartitionCounts {
        guard let file = lock.withLock({ partitions[p] }) else { preconditionFailure("SpilledCounts: partition \(p) was already released") }
        let counts = try PartitionCounts.read(from: try file.reader(), order: order)
        if release { lock.withLock { partitions[p] = nil } }
        return counts
    }

    /// Modified Kneser-Ney discounts of every order, as `NGramCounts.kneserNeyDiscounts`.
    package func kneserNeyDiscounts(fallback: KneserNeyDiscount, warn: (String) -> Void) -> [KneserNeyDiscount] {
        countsOfCounts.enumerated().map { index, counts in
            KneserNeyDiscount.orFallback(countsOfCounts: counts, order: index + 1, fallback: fallback, warn: warn)
        }
    }
}

extension SpilledCounts {
    /// Every partition's n-grams as runs in canonical order, one per order (`runs[p][n - 2]`),
    /// each record's payload written by `payload(partition, n, entry, writer)`.
    package func runs(space: TemporarySpace,
                      payload: (PartitionCounts, Int, Int, RecordWriter) throws -> Void) throws -> [[SortedRun]] {
        var result: [[SortedRun]] = []
        let ids = UnsafeMutablePointer<UInt32>.allocate(capacity: order)
        defer { ids.deallocate() }
        for p in 0..<partitions.count {
            let counts = try partition(p, release: true)
            let writer = RecordWriter(file: try space.makeFile())
            var mine: [SortedRun] = []
            for n in 2...order {
                let run = try SortedRunWriter(writer: writer, order: n)
                for entry in 0..<counts.orders[n - 2].count {
                    counts.words(order: n, entry: entry, into: ids)
                    try run.append(ids)
                    try payload(counts, n, entry, writer)
                }
                mine.append(try run.finish())
            }
            result.append(mine)
        }
        return result
    }
}

extension SpilledCounts {
    /// The buffer of each run reader when every partition's run of an order is merged at once
    /// (two runs a partition: probabilities and backoffs): what a sixteenth of the budget gives.
    package func mergeBufferBytes(budget: MemoryBudget) -> Int {
        MemoryBudget.readerBufferBytes(runs: 2 * plan.count, share: budget.bytes / 16)
    }
}
