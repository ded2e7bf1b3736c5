/// `ngramkit count` and `ngramkit vocab` as library calls: text in; a counts file or a
/// vocabulary file, and a summary, out.
///
/// As `BuildPipeline`: the configuration is checked, the output is checked against the inputs
/// and opened before any input is read, and it gets its name only when complete.
public enum CountJob {
    /// What to count and where the counts go.
    public struct Configuration: Sendable {
        /// The highest order, 1...`BuildConfiguration.maximumOrder`.
        public var order: Int
        /// Text files (`-` is standard input).
        public var paths: [String]
        public var tokenizer: TokenizerConfiguration
        /// A closed vocabulary file (`--vocab`), or nil.
        public var vocabularyPath: String?
        public var restriction: VocabularyRestriction
        /// Where to write the counts (`-` is standard output), or nil for none.
        public var outputPath: String?
        /// Threads for counting (nil: all cores); the counts are the same for any number.
        public var threads: Int?
        /// Set when the caller prints the summary to standard output.
        public var standardOutputInUse: Bool
        /// The memory the job may use and where it spills the rest (nil: `MemoryBudget.standard()`).
        public var memory: MemoryBudget?

        public init(order: Int, paths: [String], tokenizer: TokenizerConfiguration, vocabularyPath: String? = nil,
                    restriction: VocabularyRestriction = .init(), outputPath: String? = nil, threads: Int? = nil,
                    standardOutputInUse: Bool = false, memory: MemoryBudget? = nil) {
            self.memory = memory
            self.order = order
            self.paths = paths
            self.tokenizer = tokenizer
            self.vocabularyPath = vocabularyPath
            self.restriction = restriction
            self.outputPath = outputPath
            self.threads = threads
            self.standardOutputInUse = standardOutputInUse
        }

        /// Checks every setting before any work.
        public func validate() throws {
            guard order >= 1 && order <= BuildConfiguration.maximumOrder else {
                throw NGramKitError.invalidOption(name: "--order", value: String(order), expected: "an order from 1 to \(BuildConfiguration.maximumOrder)")
            }
            if let threads, threads < 1 {
                throw NGramKitError.invalidOption(name: "--threads", value: String(threads), expected: "at least 1")
            }
        }

        private var inputs: [JobFiles.Named] {
            paths.map { ("--text", $0) } + (vocabularyPath.map { [("--vocab", $0)] } ?? [])
        }

        /// Checks the files and opens the output.
        fileprivate func openOutput(role: String) throws -> OutputSink? {
            try validate()
            try JobFiles.checkDistinct(inputs: inputs, outputs: outputPath.map { [(role, $0)] } ?? [],
                                       writesStandardOutput: standardOutputInUse)
            return try outputPath.map { try OutputSink(file: OutputFile(path: $0)) }
        }

        fileprivate func counter(order: Int, progress: ProgressReporter?) throws -> NGramCounter {
            let counter = try NGramCounter(order: order, vocabulary: try vocabularyPath.map { try VocabularyFile.read($0) },
                                           restriction: restriction)
            counter.progress = progress
            counter.threads = ThreadCount.usable(threads)
            return counter
        }
    }

    /// Counts every n-gram of orders 1...`order` and writes them to `outputPath` (SRILM's count
    /// file shape, `CountsFile`), when given.
    /// - Returns: the summary (sentences, tokens, distinct n-grams per order, time, memory).
    public static func count(_ configuration: Configuration, progress: ProgressReporter? = nil) throws -> CountSummary {
        let sink = try configuration.openOutput(role: "--out")
        let start = ProgressClock.now()
        let counter = try configuration.counter(order: configuration.order, progress: progress)
        let budget = configuration.memory ?? .standard()
        let space = LazyTemporarySpace(budget: budget)
        counter.limitMemory(to: budget, space: space.get)
        try counter.addFiles(configuration.paths, configuration: configuration.tokenizer)
        // What the in-memory path keeps per distinct n-gram beside the tables: the writer's keys.
        if try counter.fitsInMemory(bytesPerNGram: 40) {
            let counts = try counter.finish()
            let seconds = ProgressClock.now() - start
            if let sink {
                try CountsFile.write(counts, to: sink, threads: ThreadCount.usable(configuration.threads))
                try sink.commit()
            }
            return CountSummary(counts: counts, files: configuration.paths, seconds: seconds, phases: counter.phaseSeconds)
        }
        let spilled = try counter.finishPartitioned(space: try space.get(), bytesPerEntry: 48)
        let seconds = ProgressClock.now() - start
        if let sink {
            progress?.status("merging \(spilled.plan.count) partitions into \(sink.path)")
            try CountsFile.write(spilled, to: sink, space: try space.get(), bufferBytes: spilled.mergeBufferBytes(budget: budget))
            try sink.commit()
            progress?.done()
        }
        var summary = CountSummary(counts: spilled.base, files: configuration.paths, seconds: seconds, phases: counter.phaseSeconds)
        summary.uniqueNGrams = spilled.uniqueCounts
        summary.tableBytes = 0
        summary.partitions = spilled.plan.count
        summary.peakTemporaryBytes = try space.get().peakBytes
        return summary
    }

    /// Writes the vocabulary of the text as `word<TAB>count` lines, most frequent first
    /// (`VocabularyFile`), to `outputPath` (`order` is ignored).
    public static func vocabulary(_ configuration: Configuration, progress: ProgressReporter? = nil) throws {
        let sink = try configuration.openOutput(role: "--out") ?? OutputSink(path: "-")
        let counter = try configuration.counter(order: 1, progress: progress)
        try counter.addFiles(configuration.paths, configuration: configuration.tokenizer)
        let counts = try counter.finish()
        try VocabularyFile.render(counts.vocabulary, counts: counts.unigramCounts, into: sink)
        try sink.commit()
    }
}
