import ArgumentParser
import NGramKit

struct TokenizeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tokenize",
        abstract: "Print the text as NGramKit tokenizes it: tokens separated by spaces, one sentence per line.",
        discussion: "Feed the output to KenLM or SRILM to give them exactly the tokens NGramKit sees."
    )

    @OptionGroup var textOptions: TextOptions

    @Option(name: .long, help: "Write to this file instead of standard output (renamed into place when complete). Default: standard output.")
    var out: String = "-"

    func run() throws {
        let sink = try OutputSink(path: out)
        try TokenizedText.write(paths: try textOptions.files(), configuration: try textOptions.configuration(), to: sink)
        try sink.commit()
    }
}
