import ArgumentParser
import NGramKit

struct BuildCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "build",
        abstract: "Estimate an n-gram language model and write it as ARPA and/or binary.",
        usage: "ngramkit build --order N [--text FILE... | --counts FILE] (--arpa OUT | --binary OUT) [options]",
        discussion: """
        Counts the text (standard input when no --text is given, as lmplz reads it) or reads \
        counts written by `ngramkit count --out`, estimates interpolated modified Kneser-Ney (as \
        KenLM's lmplz), normalized Stupid Backoff or one of the classical methods (--smoothing), and writes an ARPA file readable by KenLM, \
        SRILM and `ngramkit ppl`, and/or NGramKit's binary format (--binary: mapped in constant \
        time by `ppl` and `query`; the same bytes as `ngramkit compile` of the ARPA file). The \
        model records the tokenizer, which ppl and query then use. Every output location is \
        checked before any input is read; each file is written under a temporary name and gets \
        its name only when all are complete (an ARPA name ending in .gz is written gzipped). A \
        summary goes to stderr (JSON on stdout with --json). With --prune-entropy or --prune-target \
        the estimated model is pruned by relative entropy before it is written (as `ngramkit \
        prune` does; it must fit in --memory).
        """
    )

    @OptionGroup var orderOption: OrderOption
    @OptionGroup var textOptions: TextOptions
    @OptionGroup var vocabularyOptions: VocabularyOptions

    @Option(name: .long, help: "Read counts written by `ngramkit count --out` instead of text (plain or gzip); with --tokenizer, the model records that tokenizer (a counts file does not say which made it). Default: count the text.")
    var counts: String?

    @Option(name: .long, help: "Write the model as ARPA to this file ('-' for standard output). At least one of --arpa and --binary is required.")
    var arpa: String?

    @Option(name: .long, help: "Write the model in NGramKit's binary format to this file (see `ngramkit compile`). At least one of --arpa and --binary is required.")
    var binary: String?

    @Flag(name: .long, help: "With --binary: also store the successor index that `ngramkit next` and `generate` walk (as `ngramkit compile --successors`).")
    var successors = false

    @Option(name: .long, help: "Smoothing: kneser-ney (interpolated modified Kneser-Ney, as lmplz), stupid-backoff (Brants et al. 2007, stored normalized), katz (Good-Turing backoff as SRILM's ngram-count without options: counts up to 7 discounted, unigrams not, singletons of orders 3 and up left out), witten-bell (interpolated, as SRILM -wbdiscount -interpolate), witten-bell-backoff (SRILM -wbdiscount), absolute-discounting (interpolated, D = n1/(n1+2 n2) per order), kneser-ney-original (interpolated, one discount per order) or additive (add-delta, --delta). Past --memory only kneser-ney, kneser-ney-original and stupid-backoff are built.")
    var smoothing: SmoothingMethod = .kneserNey

    @Option(name: .customLong("interpolate-unigrams"), help: "true: the unigrams are interpolated with the uniform distribution over the vocabulary (as lmplz); false: what the discounts leave of the unigrams goes to <unk> alone (lmplz --interpolate_unigrams 0; SRILM when <unk> is unseen). Not for stupid-backoff.")
    var interpolateUnigrams = true

    @Option(name: .customLong("vocab-pad"), help: "With interpolated unigrams, spread what the discounts leave of them over this many words when the vocabulary has fewer, as if padded with <unk>s (lmplz --vocab_pad), so that perplexities with OOVs compare across vocabularies; 0 for none. Not for stupid-backoff.")
    var vocabPad = 0

    @Option(name: .long, help: "Additive smoothing's delta, > 0: p(w|h) = (c(hw) + delta*|V|*p(w|h')) / (c(h) + delta*|V|), add-delta at the unigrams; 1 is add-one.")
    var delta = 1.0

    @Option(name: .long, parsing: .unconditional, help: "Stupid Backoff's backoff factor, in (0, 1].")
    var alpha: Double = StupidBackoff.defaultAlpha

    @Flag(name: .customLong("unigram-add-one"), help: "Stupid Backoff: unigram scores (c(w)+1)/(N+|V|-1) instead of c(w)/N, so every vocabulary word has a probability (what `ngramkit scale` uses under its fixed vocabulary).")
    var unigramAddOne = false

    @Option(name: .customLong("discount-fallback"), parsing: .upToNextOption,
            help: "Kneser-Ney discounts D1 D2 D3+ for orders where the closed form fails (tiny or deduplicated data), each Dk in [0, k]; a warning says when they are used.")
    var discountFallback: [Float] = [0.5, 1, 1.5]

    @Flag(name: .long, help: "Print the summary as one JSON object on stdout instead of text on stderr.")
    var json = false

    @Option(name: .long, parsing: .upToNextOption, help: "Count thresholds per order, as lmplz --prune: an n-gram of order n whose count is at most the n-th value is left out, its mass given to its context's backoff (not for stupid-backoff; for katz, each is SRILM's -gtNmin minus one). Non-decreasing, the first 0 (unigrams are not pruned); the last value serves the higher orders: 0 1 prunes singletons of orders 2 and up. Default: none (katz: 0 0 1, as SRILM).")
    var prune: [UInt64] = []

    @OptionGroup var pruningOptions: PruningOptions
    @OptionGroup var threadOptions: ThreadOptions
    @OptionGroup var memoryOptions: MemoryOptions

    func validate() throws {
        if !(alpha > 0 && alpha <= 1) { throw ValidationError("--alpha must be in (0, 1], not \(alpha)") }
        if discountFallback.count != 3 { throw ValidationError("--discount-fallback takes three numbers: D1 D2 D3+") }
        for (k, d) in discountFallback.enumerated() where !(d >= 0 && d <= Float(k + 1)) {
            throw ValidationError("--discount-fallback: D\(k == 2 ? "3+" : String(k + 1)) must be in [0, \(k + 1)], not \(d)")
        }
        if counts != nil && !textOptions.text.isEmpty { throw ValidationError("give --text or --counts, not both") }
        if json && arpa == "-" { throw ValidationError("--json and --arpa - would both write to standard output") }
        if arpa == nil && binary == nil { throw ValidationError("give --arpa FILE, --binary FILE or both: where to write the model") }
        if binary == "-" { throw ValidationError("--binary must name a file, not standard output") }
        if successors && binary == nil { throw ValidationError("--successors stores an index in the binary model: give --binary FILE too") }
    }

    func run() throws {
        let source: BuildConfiguration.Source
        if let counts {
            // A counts file does not say how its text was tokenized: record --tokenizer if given.
            source = .counts(path: counts, tokenizer: textOptions.tokenizer == nil ? nil : try textOptions.configuration())
        } else {
            source = .text(paths: try textOptions.files(), tokenizer: try textOptions.configuration())
        }
        var estimation = EstimationOptions(smoothing: smoothing, alpha: alpha,
                                           discountFallback: KneserNeyDiscount(discountFallback[0], discountFallback[1], discountFallback[2]),
                                           unigramAddOne: unigramAddOne, countThresholds: prune)
        estimation.interpolateUnigrams = interpolateUnigrams
        estimation.additiveDelta = delta
        estimation.vocabularyPad = vocabPad
        let configuration = BuildConfiguration(order: orderOption.order, source: source, vocabularyPath: vocabularyOptions.vocab,
                                               restriction: vocabularyOptions.restriction, estimation: estimation,
                                               arpaPath: arpa, binaryPath: binary, threads: threadOptions.count,
                                               standardOutputInUse: json, memory: try memoryOptions.budget(),
                                               pruning: pruningOptions.criterion, heldOutPaths: pruningOptions.heldOut,
                                               successors: successors)
        let summary = try BuildPipeline.run(configuration, progress: ProgressReporter.forTerminal()) { StandardError.write($0 + "\n") }
        if json { try StandardOutput.line(summary.json) } else { StandardError.write(summary.text + "\n") }
    }
}
