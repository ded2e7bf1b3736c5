import CNGramKitSupport
import Foundation

/// A model estimated a partition at a time, for a build past its memory budget: what every
/// partitioned estimator (`PartitionedKneserNey`, `PartitionedStupidBackoff`) gives, and the
/// loop over the partitions they share.
///
/// In:  `SpilledCounts` (global: unigrams, counts-of-counts; per partition: the n-grams of orders
///      2...N whose next-to-last word is in it, in canonical order) and the estimation options.
/// Out: per partition and order n, a run of (n-gram, log10 p) in canonical order, and a run of
///      (context, log10 backoff) for the contexts of order n (2 ≤ n ≤ N-1); the unigrams' values
///      in memory. `SpilledModelWriter` merges them into the model's files.
///
/// Why a partition is enough: every context group of order n (the n-grams `h w` of one `h`) has
/// one next-to-last word, and so has the suffix `h' w` of each of its n-grams, down to the
/// bigram; so whatever a context's sums and an n-gram's probability read lies in its partition,
/// beside the global unigrams.
struct PartitionedEstimate {
    /// One partition's runs: `probabilities[n - 2]`, `backoffs[n - 2]` (contexts of order n).
    struct Runs {
        var probabilities: [SortedRun] = []
        var backoffs: [SortedRun] = []
    }

    let runs: [Runs]
    let unigramLogProb: LargeBuffer<Double>
    let unigramLogBackoff: LargeBuffer<Double>
    /// 1 for the words that some bigram extends (the binary format's context flags).
    let unigramFlags: LargeBuffer<UInt8>

    /// What estimating a partition keeps per n-gram of it (its counts, and per order the values,
    /// groups and words the order above reads): the `bytesPerEntry` that sizes the partitions
    /// of a build past its budget.
    static let bytesPerEntry = 64

    /// Estimates `counts` with `options.smoothing`; with `keepCounts`, the partitions' counts
    /// stay for another estimate.
    /// - Returns: the runs and unigram values, and the model's provenance (its discounts or α).
    /// - Throws: `NGramKitError.emptyInput` for counts without sentences (Stupid Backoff), and
    ///   temporary-file errors.
    static func estimate(_ counts: SpilledCounts, options: EstimationOptions, space: TemporarySpace, threads: Int,
                         keepCounts: Bool = false, progress: ProgressReporter?,
                         warn: (String) -> Void) throws -> (PartitionedEstimate, ModelProvenance) {
        let estimator = try Estimator(counts, options: options, warn: warn)
        return (try PartitionedEstimate(partitionsOf: counts, space: space, threads: threads, keepCounts: keepCounts, progress: progress,
                                        estimate: estimator.estimatePartition, unigramLogProb: estimator.unigramLogProb),
                estimator.provenance)
    }

    /// How a partitioned estimator estimates one partition and the unigrams, from the global
    /// counts: what a build past its budget runs on its threads and a cluster on its machines.
    struct Estimator {
        let provenance: ModelProvenance
        /// Estimates one partition (see `PartitionedEstimate.init(partitionsOf:...)`).
        let estimatePartition: (PartitionCounts, UnigramContexts, RecordWriter, RecordWriter) throws -> Runs
        /// The unigrams' log10 probabilities; called once, after every partition.
        let unigramLogProb: () -> LargeBuffer<Double>

        /// The estimator of `options.smoothing` for `counts` (whose partitions are not read).
        /// - Throws: `NGramKitError.invalidOption` for options estimated only in memory;
        ///   `emptyInput` for counts without sentences (Stupid Backoff).
        init(_ counts: SpilledCounts, options: EstimationOptions, warn: (String) -> Void) throws {
            try PartitionedEstimate.check(options)
            switch options.smoothing {
            case .katz, .wittenBell, .wittenBellBackoff, .absoluteDiscounting, .additive:
                preconditionFailure("checked above")
            case .originalKneserNey, .kneserNey:
                let discounts = options.smoothing == .kneserNey
                    ? counts.kneserNeyDiscounts(fallback: options.discountFallback, warn: warn)
                    : counts.countsOfCounts.enumerated().map {
                        KneserNeyDiscount.original(countsOfCounts: $1, order: $0 + 1, fallback: options.discountFallback, warn: warn)
                    }
                provenance = options.smoothing == .kneserNey ? .kneserNey(discounts)
                    : ModelProvenance(smoothing: .originalKneserNey, discounts: discounts)
                (estimatePartition, unigramLogProb) = PartitionedKneserNey.estimator(counts, discounts: discounts,
                                                                                     vocabularyPad: options.vocabularyPad)
            case .stupidBackoff:
                provenance = .stupidBackoff(alpha: options.alpha)
                (estimatePartition, unigramLogProb) = try PartitionedStupidBackoff.estimator(counts, alpha: options.alpha,
                                                                                             unigramAddOne: options.unigramAddOne)
            }
        }
    }

    /// Checks that `options` can be estimated a partition at a time.
    /// - Throws: `NGramKitError.invalidOption` naming what needs a model in memory.
    static func check(_ options: EstimationOptions) throws {
        try options.validate()
        guard options.countThresholds.isEmpty else {
            throw NGramKitError.invalidOption(name: "--prune", value: options.countThresholds.map(String.init).joined(separator: " "),
                                              expected: "a model that fits in --memory: count pruning is done in memory; raise --memory")
        }
        guard options.interpolateUnigrams else {
            throw NGramKitError.invalidOption(name: "--interpolate-unigrams", value: "false",
                                              expected: "a model that fits in --memory: unigrams without interpolation are built in memory; raise --memory")
        }
        guard options.smoothing.estimatesPastBudget else {
            throw NGramKitError.invalidOption(name: "--smoothing", value: options.smoothing.rawValue,
                                              expected: "a model that fits in --memory: past the budget NGramKit estimates kneser-ney, kneser-ney-original and stupid-backoff, and \(options.smoothing.rawValue) only in memory; raise --memory")
        }
    }

    /// A finished estimate: every partition's runs (in partition order) and the unigrams' values.
    init(runs: [Runs], unigramLogProb: LargeBuffer<Double>, unigramLogBackoff: LargeBuffer<Double>, unigramFlags: LargeBuffer<UInt8>) {
        self.runs = runs
        self.unigramLogProb = unigramLogProb
        self.unigramLogBackoff = unigramLogBackoff
        self.unigramFlags = unigramFlags
    }

    /// The unigram contexts' backoffs and flags, by word id, written by the partitions (a
    /// bigram's context is its next-to-last word, so each partition writes only its own words').
    struct UnigramContexts: @unchecked Sendable {
        let logBackoff: LargeBuffer<Double>
        let flags: LargeBuffer<UInt8>

        /// Word `word` is a context with backoff `value`.
        @inline(__always)
        func set(_ word: UInt32, logBackoff value: Double) {
            logBackoff[Int(word)] = value
            flags[Int(word)] = 1
        }
    }

    /// Runs `estimate(partition, unigramContexts, probabilityWriter, backoffWriter)` on every
    /// partition, on up to `threads` threads (the partitions were sized for it), each writing to
    /// two new temporary files; the partitions' files are let go once read unless `keepCounts`.
    /// Then `unigramLogProb()` gives the unigrams' values.
    init(partitionsOf counts: SpilledCounts, space: TemporarySpace, threads: Int, keepCounts: Bool, progress: ProgressReporter?,
         estimate: (PartitionCounts, UnigramContexts, RecordWriter, RecordWriter) throws -> Runs,
         unigramLogProb: () -> LargeBuffer<Double>) throws {
        let vocabularySize = counts.order >= 2 ? counts.base.vocabulary.count : 0
        let contexts = UnigramContexts(logBackoff: LargeBuffer(zeroedCount: vocabularySize), flags: LargeBuffer(zeroedCount: vocabularySize))
        var runs: [Runs] = []
        if counts.order >= 2 {
            let progressLock = NSLock()
            let started = ProgressClock.now()
            var done = 0
            runs = try Parallel.map(counts.plan.count, workers: threads, alone: counts.alone.contains) { p, _ in
                let partition = try counts.partition(p, release: !keepCounts)
                let result = try estimate(partition, contexts, RecordWriter(file: try space.makeFile()), RecordWriter(file: try space.makeFile()))
                progressLock.withLock {
                    done += 1
                    progress?.phase("estimating partitions", done: done, of: counts.plan.count, started: started)
                }
                return result
            }
        }
        self.runs = runs
        self.unigramLogProb = unigramLogProb()
        unigramLogBackoff = contexts.logBackoff
        unigramFlags = contexts.flags
    }
}

/// What the order above reads of an order estimated in a partition, by position: context group,
/// words, and (when asked for) plain probability. A small owner of buffers of `count` elements
/// (`order` words each).
final class EstimatedOrder {
    let order: Int
    /// Nil unless made `withProbability`.
    let probability: UnsafeMutablePointer<Double>?
    let group: UnsafeMutablePointer<UInt32>
    private let ngrams: UnsafeMutablePointer<UInt32>

    init(count: Int, order: Int, withProbability: Bool) {
        self.order = order
        probability = withProbability ? .allocate(capacity: max(count, 1)) : nil
        group = .allocate(capacity: max(count, 1))
        ngrams = .allocate(capacity: max(count * order, 1))
    }

    deinit {
        probability?.deallocate()
        group.deallocate()
        ngrams.deallocate()
    }

    @inline(__always)
    func words(_ i: Int) -> UnsafePointer<UInt32> { UnsafePointer(ngrams + i * order) }

    @inline(__always)
    func set(_ i: Int, group g: UInt32, words: UnsafePointer<UInt32>) {
        group[i] = g
        (ngrams + i * order).update(from: words, count: order)
    }

    /// Starts loading what the n-grams with suffix `i` read.
    @inline(__always)
    func prefetch(_ i: Int) {
        if let probability { ngk_prefetch_read(probability + i) }
        ngk_prefetch_read(group + i)
        ngk_prefetch_read(ngrams + i * order)
    }
}
