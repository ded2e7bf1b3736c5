/// `ngramkit build` as one library call: text (or counts) in; a model written as ARPA and/or
/// binary out, and its summary.
///
/// In:  a `BuildConfiguration`: the source, the vocabulary policy, the estimator and its
///      settings, the outputs, and the one thread count every stage uses (as KenLM's
///      `PipelineConfig` is the one configuration of `lmplz`).
/// Out: the files (each complete or not written at all) and a `ModelSummary`.
///
/// Steps: the configuration is checked, outputs are checked against inputs and each other, and
/// opened (their temporary files made) before any input is read; then count
/// (`NGramCounter`) or read counts (`CountsFile`), estimate, write every output, and only when
/// all are written, give each its name. So an unwritable location fails at once, and a failure
/// anywhere leaves every target as it was.
public enum BuildPipeline {
    /// Runs the build.
    /// - Parameters:
    ///   - progress: a one-line progress display (nil: quiet).
    ///   - warn: receives warning lines (fallback discounts, a model without `<unk>`).
    /// - Throws: `NGramKitError` for a bad configuration (`invalidOption`), clashing files
    ///   (`sameFile`), unwritable outputs, unreadable or malformed input, or empty input.
    public static func run(_ configuration: BuildConfiguration, progress: ProgressReporter? = nil,
                           warn: (String) -> Void = { _ in }) throws -> ModelSummary {
        try configuration.validate()
        let threads = ThreadCount.usable(configuration.threads)
        var inputs: [JobFiles.Named] = []
        switch configuration.source {
        case .text(let paths, _): inputs += paths.map { ("--text", $0) }
        case .counts(let path, _): inputs.append(("--counts", path))
        }
        if let vocabulary = configuration.vocabularyPath { inputs.append(("--vocab", vocabulary)) }
        inputs += configuration.heldOutPaths.map { ("--held-out", $0) }
        var named: [JobFiles.Named] = []
        if let arpa = configuration.arpaPath { named.append(("--arpa", arpa)) }
        if let binary = configuration.binaryPath { named.append(("--binary", binary)) }
        try JobFiles.checkDistinct(inputs: inputs, outputs: named, writesStandardOutput: configuration.standardOutputInUse)
        // Every output is opened before any input is read.
        let outputs = try ModelOutputs(arpaPath: configuration.arpaPath, binaryPath: configuration.binaryPath,
                                       successors: configuration.successors)

        let start = ProgressClock.now()
        let closed = try configuration.vocabularyPath.map { try VocabularyFile.read($0) }
        let counts: NGramCounts
        var tokenizer: TokenizerConfiguration? = nil
        switch configuration.source {
        case .counts(let path, let declared):
            tokenizer = declared
            counts = try CountsFile.read(path, maximumOrder: configuration.order, vocabulary: closed)
            if counts.order < configuration.order {
                throw NGramKitError.invalidOption(name: "--order", value: String(configuration.order),
                                                  expected: "at most \(counts.order), the highest order of the n-grams in \(path)")
            }
        case .text(let paths, let chosen):
            tokenizer = chosen
            let counter = try NGramCounter(order: configuration.order, vocabulary: closed, restriction: configuration.restriction)
            counter.progress = progress
            counter.threads = threads
            // Past the budget, counted and estimated a partition at a time.
            let budget = configuration.memory ?? .standard()
            let space = LazyTemporarySpace(budget: budget)
            counter.limitMemory(to: budget, space: space.get)
            try counter.addFiles(paths, configuration: chosen)
            if try !counter.fitsInMemory(bytesPerNGram: configuration.estimation.smoothing.bytesPerNGramInMemory) {
                let estimation = configuration.estimation
                guard estimation.smoothing.estimatesPastBudget else {
                    throw NGramKitError.invalidOption(name: "--memory", value: ByteCount.text(budget.bytes),
                                                      expected: "room for the whole model: --smoothing \(estimation.smoothing.rawValue) is estimated in memory only (past the budget: kneser-ney, kneser-ney-original, stupid-backoff); raise --memory")
                }
                guard estimation.interpolateUnigrams else {
                    throw NGramKitError.invalidOption(name: "--memory", value: ByteCount.text(budget.bytes),
                                                      expected: "room for the whole model: --interpolate-unigrams false is built in memory only; raise --memory")
                }
                if configuration.pruning != nil || !estimation.countThresholds.isEmpty {
                    throw NGramKitError.invalidOption(name: "--memory", value: ByteCount.text(budget.bytes),
                                                      expected: "room for the whole model: pruning works on a model in memory; raise --memory, or build without pruning")
                }
                return try buildSpilled(counter, configuration: configuration, tokenizer: chosen, budget: budget, space: try space.get(),
                                        outputs: outputs, start: start, progress: progress, warn: warn)
            }
            counts = try counter.finish()
        }
        let countSeconds = ProgressClock.now() - start
        progress?.status("estimating \(configuration.estimation.smoothing.rawValue) order \(configuration.order)")
        var model = try NGramModel.estimate(consuming: counts, options: configuration.estimation, threads: threads, warn: warn)
        model.provenance.tokenizer = tokenizer
        let estimateSeconds = ProgressClock.now() - start - countSeconds
        var pruning: PruningReport? = nil
        if let criterion = configuration.pruning {
            try PruningJob.checkMemory(model, budget: configuration.memory ?? .standard())
            (model, pruning) = try PruningJob.prune(model, criterion, heldOut: configuration.heldOutPaths, threads: threads, progress: progress)
        }
        let pruneSeconds = ProgressClock.now() - start - countSeconds - estimateSeconds
        try outputs.write(model, threads: threads, progress: progress)
        progress?.done()
        let now = ProgressClock.now()
        var summary = ModelSummary(model: model, sentences: counts.sentences, tokens: counts.tokens, seconds: now - start,
                                   phases: [("count", countSeconds), ("estimate", estimateSeconds)]
                                       + (pruning == nil ? [] : [("prune", pruneSeconds)])
                                       + [("write", now - start - countSeconds - estimateSeconds - pruneSeconds)])
        summary.pruning = pruning
        return summary
    }
}

extension BuildPipeline {
    /// The rest of a build past the memory budget: counted a partition at a time, estimated a
    /// partition at a time (`PartitionedEstimate`), written by merging the
    /// partitions' runs; the same ARPA bytes as in memory.
    static func buildSpilled(_ counter: NGramCounter, configuration: BuildConfiguration, tokenizer: TokenizerConfiguration,
                             budget: MemoryBudget, space: TemporarySpace, outputs: ModelOutputs, start: Double,
                             progress: ProgressReporter?, warn: (String) -> Void) throws -> ModelSummary {
        let spilled = try counter.finishPartitioned(space: space, bytesPerEntry: PartitionedEstimate.bytesPerEntry)
        guard spilled.base.sentences > 0 else {
            throw NGramKitError.emptyInput(what: "the training text", hint: "pass text with at least one line (or counts of it)")
        }
        let countSeconds = ProgressClock.now() - start
        var (estimated, provenance) = try PartitionedEstimate.estimate(spilled, options: configuration.estimation, space: space,
                                                                       threads: ThreadCount.usable(configuration.threads),
                                                                       progress: progress, warn: warn)
        provenance.tokenizer = tokenizer
        let estimateSeconds = ProgressClock.now() - start - countSeconds
        _ = try SpilledModelWriter.write(spilled, estimated, provenance: provenance, arpa: outputs.arpa, binary: outputs.binary, space: space,
                                         budget: budget, threads: ThreadCount.usable(configuration.threads), progress: progress,
                                         successors: configuration.successors)
        try outputs.commit()
        progress?.done()
        let now = ProgressClock.now()
        var summary = ModelSummary(order: configuration.order, provenance: provenance, ngrams: spilled.uniqueCounts,
                                   sentences: spilled.base.sentences, tokens: spilled.base.tokens, seconds: now - start,
                                   phases: [("count", countSeconds), ("estimate", estimateSeconds),
                                            ("write", now - start - countSeconds - estimateSeconds)])
        summary.partitions = spilled.plan.count
        summary.peakTemporaryBytes = space.peakBytes
        return summary
    }
}

/// What `BuildPipeline.run` builds, from what, and where it goes.
public struct BuildConfiguration: Sendable {
    /// Where the counts come from.
    public enum Source: Sendable {
        /// Text files (`-` is standard input), tokenized so.
        case text(paths: [String], tokenizer: TokenizerConfiguration)
        /// A counts file written by `ngramkit count --out`, and the tokenizer that made its text
        /// when the caller knows it (a counts file does not say): the model records it.
        case counts(path: String, tokenizer: TokenizerConfiguration?)
    }

    /// The highest order, 1...`BuildConfiguration.maximumOrder`.
    public var order: Int
    public var source: Source
    /// A closed vocabulary file (`--vocab`), or nil.
    public var vocabularyPath: String?
    /// `--min-count` and `--max-vocab` (text only).
    public var restriction: VocabularyRestriction
    /// The estimator and its settings.
    public var estimation: EstimationOptions
    /// Where to write the model as ARPA (`-` is standard output), as binary, or both.
    public var arpaPath: String?
    public var binaryPath: String?
    /// Whether the binary model stores the successor index that `next` and `generate` walk
    /// (`SuccessorIndex`); without it they build the index in memory when they load the model.
    public var successors: Bool
    /// Threads for every stage (nil: all cores); the model is the same for any number.
    public var threads: Int?
    /// Set when the caller also prints to standard output, so that an output naming it
    /// (`--arpa /dev/stdout > file`) is refused.
    public var standardOutputInUse: Bool
    /// The memory the build may use and where it spills the rest (nil: `MemoryBudget.standard()`).
    public var memory: MemoryBudget?
    /// Relative-entropy pruning of the estimated model (nil: none; see `RelativeEntropyPruning`).
    public var pruning: PruningCriterion?
    /// Text scored before and after pruning, to report the measured perplexity increase.
    public var heldOutPaths: [String]

    /// The highest order the ARPA reader and the binary format take.
    public static let maximumOrder = BinaryModel.maximumOrder

    public init(order: Int, source: Source, vocabularyPath: String? = nil, restriction: VocabularyRestriction = .init(),
                estimation: EstimationOptions = .init(), arpaPath: String? = nil, binaryPath: String? = nil,
                threads: Int? = nil, standardOutputInUse: Bool = false, memory: MemoryBudget? = nil,
                pruning: PruningCriterion? = nil, heldOutPaths: [String] = [], successors: Bool = false) {
        self.successors = successors
        self.memory = memory
        self.pruning = pruning
        self.heldOutPaths = heldOutPaths
        self.order = order
        self.source = source
        self.vocabularyPath = vocabularyPath
        self.restriction = restriction
        self.estimation = estimation
        self.arpaPath = arpaPath
        self.binaryPath = binaryPath
        self.threads = threads
        self.standardOutputInUse = standardOutputInUse
    }

    /// Checks every setting before any work.
    /// - Throws: `NGramKitError.invalidOption` naming the option and its allowed range.
    public func validate() throws {
        guard order >= 1 && order <= BuildConfiguration.maximumOrder else {
            throw NGramKitError.invalidOption(name: "--order", value: String(order), expected: "an order from 1 to \(BuildConfiguration.maximumOrder) (the most the ARPA reader and the binary format take)")
        }
        if let threads, threads < 1 {
            throw NGramKitError.invalidOption(name: "--threads", value: String(threads), expected: "at least 1")
        }
        guard arpaPath != nil || binaryPath != nil else {
            throw NGramKitError.invalidOption(name: "--arpa/--binary", value: "none", expected: "--arpa FILE, --binary FILE or both: where to write the model")
        }
        if binaryPath == "-" {
            throw NGramKitError.invalidOption(name: "--binary", value: "-", expected: "a file (a binary model is mapped, so it cannot go to standard output)")
        }
        if let binaryPath, binaryPath.hasSuffix(".gz") {
            throw NGramKitError.invalidOption(name: "--binary", value: binaryPath, expected: "a name without .gz (a binary model is mapped in place, so it is never compressed)")
        }
        if standardOutputInUse && arpaPath == "-" {
            throw NGramKitError.invalidOption(name: "--arpa", value: "-", expected: "a file: the summary already goes to standard output (--json)")
        }
        try estimation.validate()
        try pruning?.validate()
        if !heldOutPaths.isEmpty && pruning == nil {
            throw NGramKitError.invalidOption(name: "--held-out", value: heldOutPaths[0], expected: "--prune-entropy or --prune-target with it: held-out text measures pruning")
        }
    }
}
