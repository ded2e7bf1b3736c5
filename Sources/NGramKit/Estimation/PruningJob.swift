import Foundation

/// `ngramkit prune` as one library call, and the pruning step of `ngramkit build`: a model in, a
/// smaller model and a report out.
///
/// In:  a `PruningConfiguration`: the model file (ARPA or binary, KenLM's, SRILM's or
///      NGramKit's), the criterion, the output and its format, held-out text to measure on.
/// Out: the pruned model written (complete or not at all, as every NGramKit output) and a
///      `PruningReport`: n-grams before and after, the threshold, Stolcke's estimate of the
///      perplexity increase and, with held-out text, the measured one.
///
/// KenLM cannot prune a model it has built (kpu/kenlm#241); SRILM's `ngram -prune` and OpenGrm's
/// `ngramshrink` can, and this is the same operation on any backoff model.
public enum PruningJob {
    /// Prunes the model file and writes the result.
    /// - Throws: `NGramKitError` for a bad criterion, clashing or unwritable files, an unreadable
    ///   or malformed model or held-out text, or a model too large for memory.
    public static func run(_ configuration: PruningConfiguration, progress: ProgressReporter? = nil,
                           warn: (String) -> Void = { _ in }) throws -> PruningReport {
        try configuration.criterion.validate()
        let threads = ThreadCount.usable(configuration.threads)
        if configuration.format == .binary && configuration.outputPath == "-" {
            throw NGramKitError.invalidOption(name: "the output", value: "-", expected: "a file (a binary model is mapped, so it cannot go to standard output)")
        }
        try JobFiles.checkDistinct(inputs: [("", configuration.modelPath)] + configuration.heldOutPaths.map { ("--held-out", $0) },
                                   outputs: [("", configuration.outputPath)], writesStandardOutput: configuration.standardOutputInUse)
        // The output is opened before any input is read.
        let outputs = try ModelOutputs(arpaPath: configuration.format == .arpa ? configuration.outputPath : nil,
                                       binaryPath: configuration.format == .binary ? configuration.outputPath : nil)
        let start = ProgressClock.now()
        progress?.status("reading \(configuration.modelPath)")
        let model = try ModelFile.load(configuration.modelPath, threads: threads, warn: warn)
        try checkMemory(model, budget: configuration.memory ?? .standard())
        var report = try prune(model, configuration.criterion, heldOut: configuration.heldOutPaths, threads: threads, progress: progress)
        try outputs.write(report.model, threads: threads, progress: progress)
        progress?.done()
        report.summary.seconds = ProgressClock.now() - start
        return report.summary
    }

    /// The pruned model and its report (the step `build --prune-entropy` runs on the model it
    /// estimated).
    /// - Parameter heldOut: text to score with the model before and after (tokenized as the
    ///   model records); none: no measurement.
    static func prune(_ model: NGramModel, _ criterion: PruningCriterion, heldOut: [String], threads: Int,
                      progress: ProgressReporter?) throws -> (model: NGramModel, summary: PruningReport) {
        let before = try heldOut.isEmpty ? nil : measure(model, heldOut, threads: threads, progress: progress)
        progress?.status("pruning (relative entropy)")
        let pruned = try RelativeEntropyPruning.prune(model, criterion, threads: threads)
        let after = try heldOut.isEmpty ? nil : measure(pruned.model, heldOut, threads: threads, progress: progress)
        let report = PruningReport(criterion: criterion, threshold: pruned.threshold, ngramsBefore: model.ngramCounts,
                                   ngramsAfter: pruned.model.ngramCounts, estimatedPerplexityIncrease: pruned.estimatedPerplexityIncrease,
                                   heldOutBefore: before, heldOutAfter: after)
        return (pruned.model, report)
    }

    private static func measure(_ model: NGramModel, _ paths: [String], threads: Int, progress: ProgressReporter?) throws -> PerplexityResult {
        progress?.status("scoring the held-out text")
        return try Perplexity.evaluate(model: model, paths: paths, threads: threads)
    }

    /// Pruning holds the model, its copy's scores and the pruned model: about three times the
    /// model's tables. Past the budget it stops before the work, with what to do.
    static func checkMemory(_ model: NGramModel, budget: MemoryBudget) throws {
        let needed = memoryNeeded(model)
        guard needed <= budget.bytes else {
            throw NGramKitError.invalidOption(name: "--memory", value: ByteCount.text(budget.bytes),
                                              expected: "at least \(ByteCount.text(needed)) to prune this model (\(model.totalNGrams) n-grams) in memory; raise --memory")
        }
    }

    /// The memory pruning `model` takes at most, the model included: the model, per slot of its
    /// tables the scores, suffixes, history probabilities, flags and maps of `PruningScores`, and
    /// one pruned model (at most the model's size). A mapped binary model is copied in first.
    package static func memoryNeeded(_ model: NGramModel) -> Int {
        if let binary = model.binary {
            let entries = binary.entryCounts.reduce(0, +)
            return entries * (2 * bytesPerModelEntry) + Int(Double(entries) / 0.7) * bytesPerSlot
        }
        let slots = model.tables.reduce(model.vocabulary.count) { $0 + $1.capacity }
        return 2 * model.memoryFootprint + slots * bytesPerSlot
    }

    /// Working memory of pruning per slot of the model's tables (`PruningScores`: 8 + 4 + 8 bytes
    /// of lower-order probability, suffix and score, 8 of history probability while they are
    /// made, flags and the map to the pruned model's slots), with room to spare.
    static let bytesPerSlot = 40
    /// A model's bytes per entry in memory (key slot at the tables' load, probability, backoff).
    static let bytesPerModelEntry = 32
}

/// What `PruningJob.run` prunes, how, and where the result goes.
public struct PruningConfiguration: Sendable {
    /// The format of the pruned model.
    public enum Format: String, Sendable, CaseIterable {
        case arpa, binary
    }

    public var modelPath: String
    public var outputPath: String
    public var format: Format
    public var criterion: PruningCriterion
    /// Text to measure the perplexity on before and after (none: not measured).
    public var heldOutPaths: [String]
    /// Threads (nil: all cores); the model is the same for any number.
    public var threads: Int?
    /// The caller prints to standard output (`--json`), so the output must not go there.
    public var standardOutputInUse: Bool
    /// The memory the model and its pruning may take (nil: `MemoryBudget.standard()`).
    public var memory: MemoryBudget?

    public init(modelPath: String, outputPath: String, format: Format = .arpa, criterion: PruningCriterion,
                heldOutPaths: [String] = [], threads: Int? = nil, standardOutputInUse: Bool = false, memory: MemoryBudget? = nil) {
        self.modelPath = modelPath
        self.outputPath = outputPath
        self.format = format
        self.criterion = criterion
        self.heldOutPaths = heldOutPaths
        self.threads = threads
        self.standardOutputInUse = standardOutputInUse
        self.memory = memory
    }
}

/// What pruning did to a model.
public struct PruningReport: Sendable {
    public var criterion: PruningCriterion
    /// The threshold applied (found by search for a target size).
    public var threshold: Double
    /// N-grams per order before and after.
    public var ngramsBefore: [Int]
    public var ngramsAfter: [Int]
    /// Stolcke's estimate of the relative perplexity increase on the model's own distribution.
    public var estimatedPerplexityIncrease: Double
    /// The held-out text scored by the model before and after (nil without held-out text).
    public var heldOutBefore: PerplexityResult?
    public var heldOutAfter: PerplexityResult?
    /// Wall time of the whole job (set by `PruningJob.run`; 0 inside a build).
    public var seconds = 0.0

    /// The measured relative perplexity increase on the held-out text, when measured.
    public var heldOutIncrease: Double? {
        guard let before = heldOutBefore, let after = heldOutAfter else { return nil }
        return after.perplexity / before.perplexity - 1
    }

    /// The fields of the JSON object, without braces (`build --json` nests them).
    var jsonFields: String {
        "\"threshold\":\(JSON.exact(threshold)),\"target_ngrams\":\(target.map(String.init) ?? "null"),"
            + "\"ngrams_before\":[\(ngramsBefore.map(String.init).joined(separator: ","))],"
            + "\"ngrams_after\":[\(ngramsAfter.map(String.init).joined(separator: ","))],"
            + "\"estimated_perplexity_increase\":\(JSON.exact(estimatedPerplexityIncrease)),"
            + "\"held_out_perplexity_before\":\(heldOutBefore.map { JSON.exact($0.perplexity) } ?? "null"),"
            + "\"held_out_perplexity_after\":\(heldOutAfter.map { JSON.exact($0.perplexity) } ?? "null"),"
            + "\"held_out_tokens\":\(heldOutBefore.map { String($0.tokens) } ?? "null")"
    }

    /// One JSON object on one line.
    public var json: String { "{" + jsonFields + ",\"seconds\":\(JSON.number(seconds))}" }

    /// Aligned lines for a terminal.
    public var text: String {
        let before = ngramsBefore.reduce(0, +), after = ngramsAfter.reduce(0, +)
        var lines = ["pruned      relative entropy, threshold \(threshold)"
                        + (target.map { " (found for a target of \($0) n-grams)" } ?? ""),
                     "n-grams     \(before) -> \(after) (\(String(format1: 100 * Double(after) / Double(max(before, 1))))% kept)"]
        for n in ngramsBefore.indices {
            lines.append("  \(n + 1)-grams   \(ngramsBefore[n]) -> \(ngramsAfter[n])")
        }
        lines.append("perplexity  \(percent(estimatedPerplexityIncrease)) on the model's own distribution (Stolcke's estimate)")
        if let before = heldOutBefore, let after = heldOutAfter, let increase = heldOutIncrease {
            lines.append("held-out    \(String(format2: before.perplexity)) -> \(String(format2: after.perplexity)) "
                         + "(\(percent(increase)), \(before.tokens) tokens)")
        }
        if seconds > 0 { lines.append("time        \(String(format1: seconds)) s") }
        return lines.joined(separator: "\n")
    }

    private var target: Int? {
        if case .targetNGrams(let count) = criterion { return count }
        return nil
    }

    /// A signed share: "+1.25%", "−0.40%", "+0.0012%" for a small one.
    private func percent(_ share: Double) -> String {
        let value = share * 100, sign = value < 0 ? "−" : "+"
        return abs(value) < 0.01 && value != 0 ? sign + String(format: "%.2g%%", abs(value)) : sign + "\(String(format2: abs(value)))%"
    }
}
