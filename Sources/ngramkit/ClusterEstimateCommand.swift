import ArgumentParser
import NGramKit

struct ClusterEstimateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "estimate",
        abstract: "Stage 6 (each partition): its probabilities and backoffs, as runs in canonical order, cut into ranges of first words.",
        discussion: "Writes OUT.0 ... OUT.(R-1), one file per range (the format stage's tasks)."
    )

    @Option(name: .long, help: "The globals file (stage 5).")
    var globals: String

    @Option(name: .long, help: "The partition's counts file (stage 4).")
    var counts: String

    @Option(name: .long, parsing: .unconditional, help: "Ranges of first words, contiguous in word-id order and of about equal unigram counts.")
    var ranges = 1

    @Option(name: .long, help: "The estimate files' prefix: OUT.0 ... OUT.(ranges - 1) are written.")
    var out: String

    @OptionGroup var scratch: ClusterScratchOption

    func run() throws {
        try ClusterBuild.estimate(globals: globals, counts: counts, ranges: ranges, output: out, space: try scratch.space())
    }
}
