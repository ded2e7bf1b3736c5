import ArgumentParser
import NGramKit

struct InterpolateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "interpolate",
        abstract: "Interpolate models linearly: tune the weights on development text and write one merged model.",
        usage: "ngramkit interpolate --model A --model B [...] --dev FILE [--weights w1,w2,...] (--arpa OUT | --binary OUT)",
        discussion: """
        Tunes the weights by EM on the exact mixture's perplexity of --dev (as SRILM's \
        compute-best-mix), printing each iteration's weights and development perplexity (stderr, \
        or JSON on stdout with --json), then writes one backoff model: the union of the models' \
        n-grams over the union of their vocabularies, each with the mixed probability, and \
        backoffs recomputed so every context sums to 1 (as SRILM's ngram -mix-lm -write-lm and \
        MITLM's interpolate-ngram). Its development perplexity is printed beside the exact \
        mixture's; `ngramkit ppl --model A --model B --weights ...` gives the exact mixture's on \
        any text. Outputs get their names only when complete.
        """
    )

    @Option(name: .long, help: "A model to interpolate (ARPA or binary); give two or more.")
    var model: [String] = []

    @Option(name: .long, help: "Development text the weights are tuned on (one sentence per line, plain or gzip), tokenized as the first model records.")
    var dev: [String] = []

    @Option(name: .long, help: "Fixed weights, comma-separated in --model order, summing to 1, instead of tuning them. Default: tuned by EM on --dev from equal weights.")
    var weights: WeightList?

    @Option(name: .long, help: "EM stops when no weight moves by more than this in an iteration.")
    var tolerance: Double = 1e-7

    @Option(name: .long, help: "Write the merged model as ARPA to this file ('-' for standard output).")
    var arpa: String?

    @Option(name: .long, help: "Write the merged model in NGramKit's binary format to this file.")
    var binary: String?

    @Flag(name: .long, help: "With --binary: also store the successor index of `next` and `generate`.")
    var successors = false

    @Flag(name: .long, help: "Print the weights, the iterations and the perplexities as one JSON object on stdout instead of text on stderr.")
    var json = false

    @OptionGroup var threadOptions: ThreadOptions

    func validate() throws {
        if model.count < 2 { throw ValidationError("give two or more --model FILE to interpolate") }
        if arpa == nil && binary == nil { throw ValidationError("give --arpa FILE, --binary FILE or both: where to write the merged model") }
        if dev.isEmpty && weights == nil { throw ValidationError("give --dev FILE to tune the weights on, or --weights") }
        if json && arpa == "-" { throw ValidationError("--json and --arpa - both write to standard output; pick one") }
        if !(tolerance > 0) { throw ValidationError("--tolerance must be above 0, not \(tolerance)") }
    }

    func run() throws {
        var history: [(Int, [Double], Double)] = []
        let configuration = ModelInterpolationJob.Configuration(models: model, dev: dev, weights: weights?.values, arpaPath: arpa,
                                                                binaryPath: binary, successors: successors, threads: threadOptions.count,
                                                                tolerance: tolerance)
        let summary = try ModelInterpolationJob.run(configuration, progress: ProgressReporter.forTerminal()) { iteration, weights, perplexity in
            history.append((iteration, weights, perplexity))
            if !json {
                StandardError.write("iteration \(iteration): weights \(weights.map { String($0) }.joined(separator: " ")), development perplexity \(perplexity)\n")
            }
        }
        if json {
            let sink = try OutputSink(path: "-")
            try sink.write(string: summary.json(history: history) + "\n")
            try sink.commit()
            return
        }
        var lines = ["weights: \(summary.weights.map { String($0) }.joined(separator: " "))" + (summary.iterations > 0 ? " (\(summary.iterations) EM iterations)" : " (given)")]
        if let exact = summary.devPerplexity, let merged = summary.mergedDevPerplexity {
            lines.append("development perplexity: exact mixture \(exact), merged model \(merged) (\(summary.devTokens) tokens, \(summary.devOOVs) known to no model)")
        }
        lines.append("merged model: " + summary.ngramCounts.enumerated().map { "\($0.element) \($0.offset + 1)-grams" }.joined(separator: ", "))
        StandardError.write(lines.joined(separator: "\n") + "\n")
    }
}
