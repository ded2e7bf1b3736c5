/// `ngramkit scale` as one library call: a corpus in; points, fits, report and plots in a
/// folder out, and the summary the command prints.
///
/// Steps: every option is checked and the output folder made before any input is read; then
/// the corpus is read once (`ScalingCorpus`), the points not yet on record are measured
/// (`ScalingExperiment`, each appended to `points.csv` as it comes), and the fits and report are
/// written (`ScalingReport`).
public enum ScalingJob {
    public struct Configuration: Sendable {
        public var corpus: ScalingCorpus.Configuration
        public var options: ScalingOptions
        /// Bootstrap resamples for the fits' 95% intervals, in `bootstrapRange`.
        public var bootstrap: Int
        /// The output folder.
        public var directory: String
        /// Discard the points of an earlier run in `directory` instead of continuing it.
        public var fresh: Bool

        /// Resamples the fits take: enough for a 95% interval, few enough to finish.
        public static let bootstrapRange = 100...100_000

        public init(corpus: ScalingCorpus.Configuration, options: ScalingOptions, bootstrap: Int = 1000,
                    directory: String = "scale-results", fresh: Bool = false) {
            self.corpus = corpus
            self.options = options
            self.bootstrap = bootstrap
            self.directory = directory
            self.fresh = fresh
        }

        /// Checks every option before any work.
        public func validate() throws {
            try options.validate()
            try corpus.validate()
            guard Configuration.bootstrapRange.contains(bootstrap) else {
                throw NGramKitError.invalidOption(name: "--bootstrap", value: String(bootstrap), expected: "a number of resamples from 100 to 100000")
            }
        }
    }

    /// Runs the harness.
    /// - Returns: the summary lines (`ScalingReport.summary`).
    public static func run(_ configuration: Configuration, progress: ProgressReporter? = nil) throws -> String {
        let wallStart = ProgressClock.now()
        try configuration.validate()
        var options = configuration.options
        options.threads = ThreadCount.usable(options.threads)
        try ScalingRun.prepare(configuration.directory)
        progress?.status("reading the corpus")
        let corpus = try ScalingCorpus(configuration.corpus, memory: options.memory, progress: progress)
        let run = try ScalingRun(directory: configuration.directory, settings: ScalingRun.settings(corpus: corpus, options: options),
                                 fresh: configuration.fresh)
        let experiment = ScalingExperiment(corpus: corpus, options: options)
        experiment.progress = progress
        var warnings: [String] = []
        experiment.warn = { warnings.append($0) }
        let resumed = run.points.count
        try experiment.run(skipping: run.done) { try run.record($0) }
        progress?.status("fitting (\(configuration.bootstrap) bootstrap resamples per curve)")
        let report = ScalingReport(corpus: corpus, options: options, points: run.points, plan: experiment.slices(),
                                   bootstrapResamples: configuration.bootstrap, seed: configuration.corpus.seed, warnings: warnings,
                                   scheduleNotes: experiment.scheduleNotes())
        try report.write(to: run)
        progress?.done()
        return report.summary(wallSeconds: ProgressClock.now() - wallStart, resumedPoints: resumed, directory: configuration.directory)
    }
}
