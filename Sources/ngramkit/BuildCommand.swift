import ArgumentParser
import Foundation
import NGramKit

struct BuildCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "build",
        abstract: "Estimate an n-gram language model and write it as ARPA and/or binary.",
        discussion: """
        Counts the text (or reads counts written by `ngramkit count --out`), estimates \
        interpolated modified Kneser-Ney (as KenLM's lmplz) or normalized Stupid Backoff, and \
        writes an ARPA file readable by KenLM, SRILM and `ngramkit ppl`, and/or NGramKit's \
        binary format (--binary: mapped in constant time by `ppl` and `query`; the same bytes as \
        `ngramkit compile` of the ARPA file). Each file is written to a temporary name and renamed \
        when complete. A summary goes to stderr (JSON on stdout with --json).
        """
    )

    @Option(name: .long, help: "Highest n-gram order (1 or more). Default: 5.")
    var order: Int = 5

    @OptionGroup var textOptions: TextOptions
    @OptionGroup var vocabularyOptions: VocabularyOptions

    @Option(name: .long, help: "Read counts written by `ngramkit count --out` instead of text (plain or gzip). Default: count --text.")
    var counts: String?

    @Option(name: .long, help: "Write the model as ARPA to this file ('-' for standard output). At least one of --arpa and --binary is required.")
    var arpa: String?

    @Option(name: .long, help: "Write the model in NGramKit's binary format to this file (see `ngramkit compile`). At least one of --arpa and --binary is required.")
    var binary: String?

    @Option(name: .long, help: "Smoothing: kneser-ney (interpolated modified Kneser-Ney) or stupid-backoff (Brants et al. 2007, stored normalized). Default: kneser-ney.")
    var smoothing: SmoothingMethod = .kneserNey

    @Option(name: .long, help: "Stupid Backoff's backoff factor, in (0, 1]. Default: 0.4.")
    var alpha: Double = StupidBackoff.defaultAlpha

    @Flag(name: .customLong("unigram-add-one"), help: "Stupid Backoff: unigram scores (c(w)+1)/(N+|V|-1) instead of c(w)/N, so every vocabulary word has a probability (what `ngramkit scale` uses under its fixed vocabulary). Default: off.")
    var unigramAddOne = false

    @Option(name: .customLong("discount-fallback"), parsing: .upToNextOption,
            help: "Kneser-Ney discounts D1 D2 D3+ for orders where the closed form fails (tiny or deduplicated data); a warning says when they are used. Default: 0.5 1 1.5.")
    var discountFallback: [Float] = [0.5, 1, 1.5]

    @Flag(name: .long, help: "Print the summary as one JSON object on stdout. Default: a text summary on stderr.")
    var json = false

    @Option(name: .long, help: "Threads for counting, estimation and writing; the model is byte-identical for any number. Default: all cores.")
    var threads: Int?

    func validate() throws {
        if order < 1 { throw ValidationError("--order must be at least 1, not \(order)") }
        if let threads, threads < 1 { throw ValidationError("--threads must be at least 1, not \(threads)") }
        if !(alpha > 0 && alpha <= 1) { throw ValidationError("--alpha must be in (0, 1], not \(alpha)") }
        if discountFallback.count != 3 { throw ValidationError("--discount-fallback takes three numbers: D1 D2 D3+") }
        for (k, d) in discountFallback.enumerated() where !(d >= 0 && d <= Float(k + 1)) {
            throw ValidationError("--discount-fallback: D\(k == 2 ? "3+" : String(k + 1)) must be in [0, \(k + 1)], not \(d)")
        }
        if counts != nil && !textOptions.text.isEmpty { throw ValidationError("give --text or --counts, not both") }
        if json && arpa == "-" { throw ValidationError("--json and --arpa - would both write to standard output") }
        if arpa == nil && binary == nil { throw ValidationError("give --arpa FILE, --binary FILE or both: where to write the model") }
        if binary == "-" { throw ValidationError("--binary must name a file, not standard output") }
    }

    func run() throws {
        let start = ProgressClock.now()
        let progress = ProgressReporter.forTerminal()
        let counted: NGramCounts
        if let counts {
            counted = try CountsFile.read(counts, maximumOrder: order, vocabulary: try vocabularyOptions.closedVocabulary())
            if counted.order < order {
                throw ValidationError("\(counts) holds n-grams up to order \(counted.order), fewer than --order \(order)")
            }
        } else {
            let counter = try NGramCounter(order: order, vocabulary: try vocabularyOptions.closedVocabulary(),
                                           restriction: vocabularyOptions.restriction)
            counter.progress = progress
            if let threads { counter.threads = threads }
            try counter.addFiles(try textOptions.files(), configuration: try textOptions.configuration())
            counted = try counter.finish()
        }
        let countSeconds = ProgressClock.now() - start
        progress?.status("estimating \(smoothing.rawValue) order \(order)")
        var options = EstimationOptions(smoothing: smoothing, alpha: alpha,
                                        discountFallback: KneserNeyDiscount(discountFallback[0], discountFallback[1], discountFallback[2]))
        if let threads { options.threads = threads }
        options.unigramAddOne = unigramAddOne
        let sentences = counted.sentences, tokens = counted.tokens
        let model = try NGramModel.estimate(from: counted, options: options) { StandardError.write($0 + "\n") }
        let estimateSeconds = ProgressClock.now() - start - countSeconds
        if let arpa {
            progress?.status("writing \(arpa)")
            let sink = try OutputSink(path: arpa)
            if let threads { try ARPAWriter.write(model, to: sink, threads: threads) } else { try ARPAWriter.write(model, to: sink) }
            try sink.commit()
        }
        if let binary {
            progress?.status("writing \(binary)")
            try BinaryModelWriter.write(model, to: binary, threads: threads ?? ProcessInfo.processInfo.activeProcessorCount)
        }
        progress?.done()
        let summary = ModelSummary(model: model, sentences: sentences, tokens: tokens,
                                   seconds: ProgressClock.now() - start,
                                   phases: [("count", countSeconds), ("estimate", estimateSeconds),
                                            ("write", ProgressClock.now() - start - countSeconds - estimateSeconds)])
        if json { print(summary.json) } else { StandardError.write(summary.text + "\n") }
    }
}

extension SmoothingMethod: ExpressibleByArgument {}
