import ArgumentParser
import NGramKit

struct TokenizeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tokenize",
        abstract: "Print the text as NGramKit tokenizes it: tokens separated by spaces, one sentence per line.",
        discussion: "Reads --text (standard input when none is given). Feed the output to KenLM or SRILM to give them exactly the tokens NGramKit sees."
    )

    @OptionGroup var textOptions: TextOptions

    @Option(name: .long, help: "Write to this file ('-' for standard output; a name ending in .gz is written gzipped); renamed into place when complete.")
    var out: String = "-"

    func run() throws {
        try TokenizedText.write(paths: try textOptions.files(), configuration: try textOptions.configuration(), to: out)
    }
}
