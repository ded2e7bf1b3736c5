import ArgumentParser
import NGramKit

struct VocabCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "vocab",
        abstract: "Write the vocabulary as `word<TAB>count` lines, most frequent first.",
        discussion: "The file can be given back with --vocab to fix the vocabulary of later runs."
    )

    @OptionGroup var textOptions: TextOptions
    @OptionGroup var vocabularyOptions: VocabularyOptions

    @Option(name: .long, help: "Write to this file ('-' for standard output); renamed into place when complete. Default: standard output.")
    var out: String = "-"

    func run() throws {
        let configuration = try textOptions.configuration()
        let counter = try NGramCounter(order: 1, vocabulary: try vocabularyOptions.closedVocabulary(),
                                       restriction: vocabularyOptions.restriction)
        counter.progress = ProgressReporter.forTerminal()
        try counter.addFiles(try textOptions.files(), configuration: configuration)
        let counts = try counter.finish()
        let sink = try OutputSink(path: out)
        try VocabularyFile.render(counts.vocabulary, counts: counts.unigramCounts, into: sink)
        try sink.commit()
    }
}
