import ArgumentParser
import NGramKit

struct ClusterEstimateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "estimate",
        abstract: "Stage 6 (each partition): its probabilities and backoffs, as runs in canonical order."
    )

    @Option(name: .long, help: "The globals file (stage 5).")
    var globals: String

    @Option(name: .long, help: "The partition's counts file (stage 4).")
    var counts: String

    @Option(name: .long, help: "The estimate file to write.")
    var out: String

    @OptionGroup var scratch: ClusterScratchOption

    func run() throws {
        try ClusterBuild.estimate(globals: globals, counts: counts, output: out, space: try scratch.space())
    }
}
