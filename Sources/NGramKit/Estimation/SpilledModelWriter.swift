/// The model of a build that spilled, written to its ARPA file and/or binary model from one merge
/// per order of the partitions' runs: the same bytes as the in-memory build's outputs.
///
/// In:  `PartitionedEstimate` (every partition's runs of probabilities and backoffs,
///      the unigrams in memory), the counts' totals, the model's provenance.
/// Out: the outputs, complete but not committed (the job commits them together).
///
/// Per order, the probability runs are merged on a second thread and joined with the merged
/// backoff runs (an n-gram that is no context gets backoff 0); this thread formats ARPA lines
/// (`IncrementalNGramText` builds each n-gram's words from the one before) and hands every n-gram
/// to the binary writer (`SpilledBinaryWriter`), which reads the order below's runs again to
/// find contexts, and to `restricted` (the part of the model a held-out text needs, kept in
/// memory: the scaling harness's slices past the budget).
enum SpilledModelWriter {
    static func write(_ counts: SpilledCounts, _ estimated: PartitionedEstimate, provenance: ModelProvenance,
                      arpa sink: OutputSink?, binary: OutputFile?, restricted: RestrictedModelBuilder? = nil,
                      space: TemporarySpace, budget: MemoryBudget, threads: Int, progress: ProgressReporter?,
                      successors: Bool = false) throws -> BinaryModelWriter.Summary? {
        let order = counts.order
        let vocabulary = counts.base.vocabulary
        let runs = estimated.runs
        // Two runs a partition merged at once (probabilities and backoffs), in a sixteenth of the budget.
        let bufferBytes = MemoryBudget.readerBufferBytes(runs: 2 * max(1, runs.count), share: budget.bytes / 16)
        if let sink {
            try ARPAWriter.writeHeader(provenance: provenance, ngramCounts: counts.uniqueCounts, isComplete: true, to: sink)
            try ARPAWriter.writeUnigrams(vocabulary: vocabulary, logProb: estimated.unigramLogProb,
                                         logBackoff: order > 1 ? estimated.unigramLogBackoff : nil, to: sink)
        }
        let binaryWriter = try binary.map {
            try SpilledBinaryWriter(output: $0, order: order, vocabularySize: vocabulary.count, ngramCounts: counts.uniqueCounts,
                                    provenance: provenance, space: space, budget: budget, threads: threads)
        }
        try binaryWriter?.begin(vocabulary: vocabulary, unigramLogProb: estimated.unigramLogProb,
                                unigramLogBackoff: estimated.unigramLogBackoff, unigramFlags: estimated.unigramFlags)
        let started = ProgressClock.now()
        // Each order's share of the n-grams, for the estimate of what is left.
        var written = counts.uniqueCounts[0]
        let total = counts.uniqueCounts.reduce(0, +)
        if order >= 2 {
            for n in 2...order {
                progress?.phase("writing the model (n-grams)", done: written, of: total, started: started)
                if let sink { try sink.write(string: "\n\\\(n)-grams:\n") }
                try restricted?.beginOrder(n)
                try binaryWriter?.beginOrder(n, belowRuns: n >= 3 ? try runs.map { try $0.probabilities[n - 3].reader(bufferBytes: bufferBytes) } : nil)
                try writeOrder(n, order: order, runs: runs, bufferBytes: bufferBytes, vocabulary: vocabulary,
                               text: sink.map { sink in { try sink.write($0) } }, binary: binaryWriter, restricted: restricted) { batch in
                    written += batch
                    progress?.phase("writing the model (n-grams)", done: written, of: total, started: started)
                }
                try binaryWriter?.endOrder()
                restricted?.endOrder()
            }
        }
        if let sink { try sink.write(string: "\n\\end\\\n") }
        return try binaryWriter?.finish(successors: successors)
    }
}

extension SpilledModelWriter {
    /// Merges every run of order `n` (with the backoffs of its contexts) in canonical order:
    /// formats the ARPA lines to `text` (nil: none) and hands every n-gram to `binary` and
    /// `restricted`; `wrote(k)` after each batch of k n-grams.
    /// - Throws: the runs' read errors, `text`'s write errors, and `cannotWrite` for a backoff
    ///   without its n-gram (an internal error).
    static func writeOrder(_ n: Int, order: Int, runs: [PartitionedEstimate.Runs], bufferBytes: Int, vocabulary: Vocabulary,
                           text: ((UnsafeBufferPointer<UInt8>) throws -> Void)?, binary binaryWriter: SpilledBinaryWriter?,
                           restricted: RestrictedModelBuilder?, wrote: (Int) -> Void) throws {
        let merge = try ProbabilityMerge(readers: try runs.map { try $0.probabilities[n - 2].reader(bufferBytes: bufferBytes) },
                                         backoffs: n < order ? try runs.map { try $0.backoffs[n - 2].reader(bufferBytes: bufferBytes) } : [])
        let words = IncrementalNGramText(vocabulary: vocabulary, order: n)
        let line = LineBuffer()
        let writesText = text != nil
        // Merged on a second thread, written on this one.
        try SortedRunMerge.pipelined(order: n, fill: { try merge.fill($0) }) { batch in
            for i in 0..<batch.count {
                if writesText && i + 32 < batch.count { words.prefetch(batch.ngram(i + 32), stage: 0) }
                if writesText && i + 16 < batch.count { words.prefetch(batch.ngram(i + 16), stage: 1) }
                let probability = Double(bitPattern: batch.values[2 * i]), backoff = Double(bitPattern: batch.values[2 * i + 1])
                try binaryWriter?.add(batch.ngram(i), logProb: probability, logBackoff: backoff, isContext: batch.flags[i] != 0)
                try restricted?.offer(batch.ngram(i), logProb: probability, logBackoff: backoff, isContext: batch.flags[i] != 0)
                guard writesText else { continue }
                line.append(distinctLog10: probability)
                line.append(byte: 0x09)
                line.append(words.text(of: batch.ngram(i)))
                if n < order {
                    line.append(byte: 0x09)
                    line.append(log10: backoff)
                }
                line.append(byte: 0x0A)
            }
            if let text {
                try text(UnsafeBufferPointer(start: line.bytes, count: line.count))
                line.removeAll()
            }
            wrote(batch.count)
        }
        if try merge.backoffLeft() {
            throw NGramKitError.cannotWrite(path: "the model", reason: "a context's backoff has no n-gram (internal error; please report it)")
        }
    }
}

/// The n-grams of one order merged from every partition's run, each with its probability and,
/// joined from the merged backoff runs (a subset of the same n-grams, in the same order), its
/// backoff (0 for an n-gram that is no context).
private final class ProbabilityMerge: @unchecked Sendable {
    private var merge: SortedRunMerge
    private var backoffMerge: SortedRunMerge
    private let hasBackoffs: Bool
    /// The next context's run (its ids stay in that reader until the merge moves on) and backoff.
    private var pending: (run: Int, value: Double)?

    init(readers: [SortedRunReader], backoffs: [SortedRunReader]) throws {
        merge = try SortedRunMerge(readers)
        backoffMerge = try SortedRunMerge(backoffs)
        hasBackoffs = !backoffs.isEmpty
    }

    private func nextBackoff() throws -> (run: Int, value: Double)? {
        guard let run = try backoffMerge.next() else { return nil }
        return (run, try backoffMerge.readers[run].payload.double())
    }

    /// Fills `batch` with the next records; returns how many (0 at the end).
    func fill(_ batch: MergedBatch) throws -> Int {
        try merge.fill(batch) { reader, i in
            batch.values[2 * i] = try reader.payload.double().bitPattern
            var backoff = 0.0, isContext = false
            if hasBackoffs {
                if pending == nil { pending = try nextBackoff() }
                if let context = pending, backoffMerge.readers[context.run].holds(reader.ids) {
                    backoff = context.value
                    isContext = true
                    pending = nil
                }
            }
            batch.values[2 * i + 1] = backoff.bitPattern
            batch.flags[i] = isContext ? 1 : 0
        }
    }

    /// Whether a backoff is left over once every n-gram is written (it should never be).
    func backoffLeft() throws -> Bool {
        if pending != nil { return true }
        return try nextBackoff() != nil
    }
}
