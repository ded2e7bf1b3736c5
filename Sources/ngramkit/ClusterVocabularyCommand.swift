import ArgumentParser
import NGramKit

struct ClusterVocabularyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "vocabulary",
        abstract: "Stage 1 (each text part): its words in order of first appearance, their counts, its sentences and tokens."
    )

    @OptionGroup var textOptions: TextOptions

    @Option(name: .long, help: "The vocabulary file to write.")
    var out: String

    @OptionGroup var scratch: ClusterScratchOption

    func run() throws {
        try ClusterBuild.vocabulary(text: try textOptions.files(), tokenizer: try textOptions.configuration(), output: out,
                                    space: try scratch.space())
    }
}
