import ArgumentParser
import NGramKit

struct VocabCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "vocab",
        abstract: "Write the vocabulary as `word<TAB>count` lines, most frequent first.",
        discussion: "Reads --text (standard input when none is given). The file can be given back with --vocab to fix the vocabulary of later runs."
    )

    @OptionGroup var textOptions: TextOptions
    @OptionGroup var vocabularyOptions: VocabularyOptions

    @Option(name: .long, help: "Write to this file ('-' for standard output; a name ending in .gz is written gzipped); renamed into place when complete.")
    var out: String = "-"

    func run() throws {
        try CountJob.vocabulary(CountJob.Configuration(
            order: 1, paths: try textOptions.files(), tokenizer: try textOptions.configuration(),
            vocabularyPath: vocabularyOptions.vocab, restriction: vocabularyOptions.restriction, outputPath: out),
            progress: ProgressReporter.forTerminal())
    }
}
