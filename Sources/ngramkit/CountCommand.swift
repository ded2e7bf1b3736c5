import ArgumentParser
import NGramKit

struct CountCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "count",
        abstract: "Count every n-gram of orders 1...N exactly.",
        usage: "ngramkit count [--order N] [--text FILE...] [--out FILE] [--json] [--memory SIZE] [--temp-dir DIR] [options]",
        discussion: """
        Reads --text (standard input when none is given), writes `ngram<TAB>count` lines \
        (SRILM's count-file shape, readable back by `build --counts`) with --out, and prints a \
        summary: sentences, tokens, vocabulary size, distinct n-grams per order, time and peak \
        memory (as one JSON object with --json). Each line is a sentence, padded as <s> ... </s>.
        """
    )

    @OptionGroup var orderOption: OrderOption
    @OptionGroup var textOptions: TextOptions
    @OptionGroup var vocabularyOptions: VocabularyOptions

    @Option(name: .long, help: "Write the counts to this file ('-' for standard output; a name ending in .gz is written gzipped). Default: no counts file.")
    var out: String?

    @Flag(name: .long, help: "Print the summary as one JSON object on stdout instead of text.")
    var json = false

    @OptionGroup var threadOptions: ThreadOptions
    @OptionGroup var memoryOptions: MemoryOptions

    func validate() throws {
        if json && out == "-" {
            throw ValidationError("--json and --out - would both write to standard output; write the counts to a file")
        }
    }

    func run() throws {
        let configuration = CountJob.Configuration(
            order: orderOption.order, paths: try textOptions.files(), tokenizer: try textOptions.configuration(),
            vocabularyPath: vocabularyOptions.vocab, restriction: vocabularyOptions.restriction, outputPath: out,
            threads: threadOptions.count, standardOutputInUse: out != "-", memory: try memoryOptions.budget())
        let summary = try CountJob.count(configuration, progress: ProgressReporter.forTerminal())
        if json {
            try StandardOutput.line(summary.json)
        } else if out != "-" {
            try StandardOutput.line(summary.text)
        } else {
            StandardError.write(summary.text + "\n")
        }
    }
}
