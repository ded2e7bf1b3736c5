import ArgumentParser
import NGramKit
#if canImport(Glibc)
import Glibc
#endif

struct CountCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "count",
        abstract: "Count every n-gram of orders 1...N exactly.",
        discussion: """
        Writes `ngram<TAB>count` lines (SRILM's count-file shape, readable back) with --out, and \
        prints a summary: sentences, tokens, vocabulary size, distinct n-grams per order, time and \
        peak memory (as one JSON object with --json). Each line is a sentence, padded as <s> ... </s>.
        """
    )

    @Option(name: .long, help: "Highest n-gram order (1 or more). Default: 5.")
    var order: Int = 5

    @OptionGroup var textOptions: TextOptions
    @OptionGroup var vocabularyOptions: VocabularyOptions

    @Option(name: .long, help: "Write the counts to this file ('-' for standard output); written to a temporary file and renamed when complete. Default: no counts file.")
    var out: String?

    @Flag(name: .long, help: "Print the summary as one JSON object on stdout. Default: a text summary.")
    var json = false

    @Option(name: .long, help: "Threads for counting; the counts are identical for any number. Default: all cores.")
    var threads: Int?

    func validate() throws {
        if order < 1 { throw ValidationError("--order must be at least 1, not \(order)") }
        if let threads, threads < 1 { throw ValidationError("--threads must be at least 1, not \(threads)") }
        if json && out == "-" {
            throw ValidationError("--json and --out - would both write to standard output; write the counts to a file")
        }
    }

    func run() throws {
        let start = ProgressClock.now()
        let configuration = try textOptions.configuration()
        let counter = try NGramCounter(order: order, vocabulary: try vocabularyOptions.closedVocabulary(),
                                       restriction: vocabularyOptions.restriction)
        counter.progress = ProgressReporter.forTerminal()
        if let threads { counter.threads = threads }
        try counter.addFiles(try textOptions.files(), configuration: configuration)
        let counts = try counter.finish()
        let seconds = ProgressClock.now() - start
        if let out {
            let sink = try OutputSink(path: out)
            try CountsFile.write(counts, to: sink)
            try sink.commit()
        }
        let summary = CountSummary(counts: counts, files: try textOptions.files(), seconds: seconds, phases: counter.phaseSeconds)
        if json {
            print(summary.json)
        } else if out != "-" {
            print(summary.text)
        } else {
            StandardError.write(summary.text + "\n")
        }
    }
}
