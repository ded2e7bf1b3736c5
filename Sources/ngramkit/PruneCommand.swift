import ArgumentParser
import NGramKit

struct PruneCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "prune",
        abstract: "Make a model smaller by relative-entropy pruning, with its backoff weights recomputed.",
        usage: "ngramkit prune MODEL OUT (--prune-entropy THRESHOLD | --prune-target N) [--format arpa|binary] [--held-out FILE...]",
        discussion: """
        Reads a backoff model (ARPA, plain or gzip, from NGramKit, KenLM, SRILM or another \
        toolkit; or an NGramKit binary model) and removes the n-grams of order 2 and up whose \
        removal costs least, by Stolcke's relative-entropy criterion (SRILM's `ngram -prune`). \
        The context and the suffix of every kept n-gram are kept too; kept n-grams keep their \
        probabilities; the backoff weights of the contexts that lost an n-gram are recomputed, so \
        the model is a distribution in every context. Unigrams are never removed. The output is \
        checked before the model is read and gets its name only when complete. A summary goes to \
        stderr (JSON on stdout with --json): n-grams per order before and after, the threshold, \
        Stolcke's estimate of the perplexity increase and, with --held-out, the measured one.
        """
    )

    @Argument(help: "The model to prune: ARPA (plain or gzip) or NGramKit binary (told apart by content).")
    var model: String

    @Argument(help: "Where to write the pruned model ('-' for standard output, ARPA only).")
    var output: String

    @Option(name: .long, help: "Format of the pruned model: arpa (a name ending in .gz is gzipped) or binary.")
    var format: PruningConfiguration.Format = .arpa

    @OptionGroup var pruningOptions: PruningOptions

    @Flag(name: .long, help: "Print the summary as one JSON object on stdout instead of text on stderr.")
    var json = false

    @OptionGroup var threadOptions: ThreadOptions
    @OptionGroup var memoryOptions: MemoryOptions

    func validate() throws {
        if pruningOptions.criterion == nil { throw ValidationError("give --prune-entropy THRESHOLD or --prune-target N: how much to prune") }
        if json && output == "-" { throw ValidationError("--json and the output - would both write to standard output") }
        if format == .binary && output == "-" { throw ValidationError("a binary model must go to a file, not standard output") }
    }

    func run() throws {
        let configuration = PruningConfiguration(modelPath: model, outputPath: output, format: format, criterion: pruningOptions.criterion!,
                                                 heldOutPaths: pruningOptions.heldOut, threads: threadOptions.count,
                                                 standardOutputInUse: json, memory: try memoryOptions.budget())
        let report = try PruningJob.run(configuration, progress: ProgressReporter.forTerminal()) { StandardError.write("ngramkit: \($0)\n") }
        if json { try StandardOutput.line(report.json) } else { StandardError.write(report.text + "\n") }
    }
}

extension PruningConfiguration.Format: ExpressibleByArgument {}
