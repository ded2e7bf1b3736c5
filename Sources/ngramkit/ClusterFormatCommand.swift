import ArgumentParser
import NGramKit

struct ClusterFormatCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "format",
        abstract: "Stage 7 (each range of first words): the ARPA lines of every order whose first word is in the range."
    )

    @Option(name: .long, help: "The globals file (stage 5).")
    var globals: String

    @Option(name: .long, parsing: .unconditional, help: "The range, 0 to the estimates' ranges minus 1.")
    var range: Int

    @Option(name: .long, parsing: .upToNextOption, help: "This range's estimate file of every partition (stage 6), in any order.")
    var estimates: [String] = []

    @Option(name: .long, help: "The part file to write.")
    var out: String

    @OptionGroup var scratch: ClusterScratchOption

    func run() throws {
        try ClusterBuild.format(globals: globals, range: range, estimates: estimates, output: out, space: try scratch.space())
    }
}
