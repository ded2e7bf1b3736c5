import ArgumentParser
import NGramKit

struct ClusterCountCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "count",
        abstract: "Stage 4 (each partition): raw and adjusted counts of its n-grams from their windows, and its summary."
    )

    @Option(name: .long, help: "The plan file (stage 2).")
    var plan: String

    @Option(name: .long, parsing: .unconditional, help: "The partition, 0 to the plan's partitions minus 1.")
    var partition: Int

    @Option(name: .long, parsing: .upToNextOption, help: "This partition's sections of the windows files (raw ids), in any order.")
    var windows: [String] = []

    @Option(name: .long, help: "The counts file to write.")
    var out: String

    @Option(name: .long, help: "The summary file to write (for the globals stage).")
    var summary: String

    @OptionGroup var scratch: ClusterScratchOption

    func run() throws {
        try ClusterBuild.count(plan: plan, partition: partition, windows: windows, output: out, summaryOutput: summary,
                               space: try scratch.space())
    }
}
