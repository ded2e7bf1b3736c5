import ArgumentParser
import Foundation
import NGramKit

/// `ngramkit scale`: the data-scaling harness (the main job; what `ngramkit` runs with no subcommand).
struct ScaleCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "scale",
        abstract: "Train on growing slices of a corpus, measure held-out loss, and fit L(D) = E + B·D^-β with bootstrap intervals.",
        usage: "ngramkit scale [--text FILE...] [--heldout FILE... | --heldout-fraction F] [--index FILE] [--orders LIST] [--smoothing LIST] [--sizes LIST | --start N --factor F] [--out DIR] [options]",
        discussion: """
        Protocol: the training text (--text, default the bundled corpus) is cut into units \
        (sentences, or documents with --index), shuffled once with --seed; held-out text is \
        --heldout, or the first whole units of that order up to --heldout-fraction of the tokens. \
        Every slice is a prefix of the remaining units (slices are nested). One vocabulary serves \
        every slice: the pool's words seen at least --min-count times (or --vocab), the rest \
        <unk>. The loss is held-out cross-entropy in nats per token, every word and one </s> per \
        sentence counted. Stupid Backoff is scored exactly normalized (with add-one unigrams, so \
        every vocabulary word has a probability); its raw score is reported beside it. Writes \
        points.csv, fits.json, report.md and SVG plots to --out; an interrupted run continues \
        from its points. With --repeats R the pool's units are shuffled R times (the first \
        shuffle is --seed's), the schedule measured on each.
        """
    )

    @OptionGroup var textOptions: TextOptions

    @Option(name: .long, parsing: .upToNextOption, help: "Held-out files, scored at every point (plain or gzip). Default: hold out --heldout-fraction of the training units.")
    var heldout: [String] = []

    @Option(name: .customLong("heldout-fraction"), parsing: .unconditional, help: "Fraction of the training tokens held out, by whole units, when no --heldout is given; in (0, 1).")
    var heldoutFraction: Double = 0.1

    @Option(name: .long, help: "Index file (TAB-separated, header with first_line and optionally shard columns, as the Gutenberg, Brown and Corpora/kjv index files): each row starts a document, and documents are the units of slices and of the held-out fraction. Default: none (sentences are the units).")
    var index: String?

    @Option(name: .long, help: "Closed vocabulary file (one word per line, first TAB field) used at every slice. Default: the pool's words seen at least --min-count times.")
    var vocab: String?

    @Option(name: .customLong("min-count"), parsing: .unconditional, help: "Pool words seen fewer times become <unk> (the fixed vocabulary).")
    var minCount: Int = 2

    @Option(name: .long, help: "Smoothing methods, comma-separated: kneser-ney, stupid-backoff, katz, witten-bell, witten-bell-backoff, absolute-discounting, kneser-ney-original, additive (see `ngramkit build --help`). A model past --memory is built for kneser-ney, kneser-ney-original and stupid-backoff only; the others' points there are left out, with a warning.")
    var smoothing: String = "kneser-ney,stupid-backoff"

    @Option(name: .long, help: "Model orders, comma-separated, each 1 to 10.")
    var orders: String = "1,2,3,4,5"

    @Option(name: .long, help: "Slice sizes in word tokens, comma-separated, each 1 to 1e15 (k, M and G suffixes allowed: 10k,1.5M). Default: geometric from --start by --factor up to the whole pool.")
    var sizes: String?

    @Option(name: .long, help: "First slice size of the geometric schedule, in word tokens (k, M and G allowed).")
    var start: String = "10k"

    @Option(name: .long, parsing: .unconditional, help: "Ratio between successive slice sizes of the geometric schedule, 1.05 to 1000.")
    var factor: Double = 2

    @Option(name: .long, help: "Seed of the shuffle of units and of the bootstrap.")
    var seed: UInt64 = 1

    @Option(name: .long, parsing: .unconditional, help: "Shuffles of the pool to measure the whole schedule on, 1 to 100: each point's mean and spread, and fits over all of them. The held-out set and vocabulary stay the same; a run continued with more repeats keeps the points it has.")
    var repeats: Int = 1

    @Option(name: .long, help: "Relative-entropy thresholds, comma-separated (e.g. 1e-8,1e-7,1e-6): every model of order 2 and up is also pruned at each (as `ngramkit prune --prune-entropy`), and each pruned model is a point: loss against model size N (n-grams and binary bytes) and D, the joint fit L(N, D) and the frontier in the report. Models built past the memory budget are not pruned. Default: none.")
    var prune: String?

    @Option(name: .long, parsing: .unconditional, help: "Stupid Backoff's backoff factor, in (0, 1].")
    var alpha: Double = StupidBackoff.defaultAlpha

    @Option(name: .long, parsing: .unconditional, help: "Bootstrap resamples for the fits' 95% intervals, 100 to 100000.")
    var bootstrap: Int = 1000

    @Option(name: .long, help: "Output folder (points.csv, fits.json, report.md, loss.svg, model-size.svg, run.json).")
    var out: String = "scale-results"

    @Flag(name: .long, help: "Discard the points of an earlier run in --out instead of continuing it.")
    var fresh = false

    @OptionGroup var threadOptions: ThreadOptions
    @OptionGroup var memoryOptions: MemoryOptions

    func validate() throws {
        if !(heldoutFraction > 0 && heldoutFraction < 1) { throw ValidationError("--heldout-fraction must be in (0, 1), not \(heldoutFraction)") }
        if minCount < 1 { throw ValidationError("--min-count must be at least 1, not \(minCount)") }
        if vocab != nil && minCount != 2 { throw ValidationError("--vocab gives the vocabulary; it cannot be combined with --min-count") }
        if !(alpha > 0 && alpha <= 1) { throw ValidationError("--alpha must be in (0, 1], not \(alpha)") }
        if !ScalingJob.Configuration.bootstrapRange.contains(bootstrap) {
            throw ValidationError("--bootstrap must be from 100 to 100000 resamples, not \(bootstrap)")
        }
        if !(factor.isFinite && SliceSchedule.factorRange.contains(factor)) {
            throw ValidationError("--factor must be from 1.05 to 1000, not \(factor) (give --sizes for any other list)")
        }
        _ = try smoothings()
        _ = try orderList()
        _ = try pruneThresholds()
        try schedule().validate()
    }

    func smoothings() throws -> [SmoothingMethod] {
        let list = try smoothing.split(separator: ",").map { name -> SmoothingMethod in
            guard let method = SmoothingMethod(rawValue: name.trimmingCharacters(in: .whitespaces)) else {
                throw ValidationError("--smoothing: unknown method '\(name)'; use \(SmoothingMethod.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            return method
        }
        guard !list.isEmpty else { throw ValidationError("--smoothing needs at least one method") }
        return list.reduce(into: []) { if !$0.contains($1) { $0.append($1) } }
    }

    func orderList() throws -> [Int] {
        let list = try orders.split(separator: ",").map { text -> Int in
            guard let n = Int(text.trimmingCharacters(in: .whitespaces)), ScalingOptions.orderRange.contains(n) else {
                throw ValidationError("--orders: '\(text)' is not an order from 1 to 10")
            }
            return n
        }
        guard !list.isEmpty else { throw ValidationError("--orders needs at least one order") }
        return Array(Set(list)).sorted()
    }

    func pruneThresholds() throws -> [Double] {
        guard let prune else { return [] }
        let list = try prune.split(separator: ",").map { text -> Double in
            guard let value = Double(text.trimmingCharacters(in: .whitespaces)), value.isFinite, value > 0 else {
                throw ValidationError("--prune: '\(text)' is not a relative-entropy threshold > 0 (like 1e-8)")
            }
            return value
        }
        guard !list.isEmpty else { throw ValidationError("--prune needs at least one threshold") }
        return Array(Set(list)).sorted()
    }

    /// A token count: a number (with an optional k, M or G suffix) from 1 to 1e15.
    static func tokenCount(_ text: Substring, option: String) throws -> Int {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        var multiplier = 1.0
        var number = Substring(trimmed)
        if let last = trimmed.last, "kKmMgG".contains(last) {
            multiplier = "kK".contains(last) ? 1e3 : "mM".contains(last) ? 1e6 : 1e9
            number = number.dropLast()
        }
        guard let value = Double(number), value.isFinite, case let tokens = value * multiplier,
              tokens >= 1 && tokens <= Double(SliceSchedule.sizeRange.upperBound) else {
            throw ValidationError("\(option): '\(text)' is not a token count from 1 to 1e15 (like 50000, 10k or 1.5M)")
        }
        return Int(tokens.rounded())
    }

    func schedule() throws -> SliceSchedule {
        if let sizes {
            let list = try sizes.split(separator: ",").map { try ScaleCommand.tokenCount($0, option: "--sizes") }
            guard !list.isEmpty else { throw ValidationError("--sizes needs at least one size") }
            return .sizes(list)
        }
        return .geometric(start: try ScaleCommand.tokenCount(Substring(start), option: "--start"), factor: factor)
    }

    func run() throws {
        var options = ScalingOptions(smoothings: try smoothings(), orders: try orderList(), schedule: try schedule(), alpha: alpha,
                                     memory: try memoryOptions.budget(), repeats: repeats)
        if let threads = threadOptions.count { options.threads = threads }
        options.pruneThresholds = try pruneThresholds()
        let corpus = ScalingCorpus.Configuration(
            trainingPaths: try textOptions.filesOrBundledCorpus(), heldoutPaths: heldout, heldoutFraction: heldoutFraction,
            indexPath: index, tokenizer: try textOptions.configuration(), minCount: UInt64(minCount),
            vocabularyPath: vocab, seed: seed)
        let summary = try ScalingJob.run(ScalingJob.Configuration(corpus: corpus, options: options, bootstrap: bootstrap,
                                                                  directory: out, fresh: fresh),
                                         progress: ProgressReporter.forTerminal())
        try StandardOutput.line(summary)
    }
}
