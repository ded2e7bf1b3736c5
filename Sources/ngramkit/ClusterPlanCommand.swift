import ArgumentParser
import NGramKit

struct ClusterPlanCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "plan",
        abstract: "Stage 2 (driver): merge the parts' vocabularies into word ids and the partitions of the n-grams (by next-to-last word)."
    )

    @Option(name: .long, parsing: .upToNextOption, help: "The vocabulary file of every text part, in the text's order.")
    var vocabularies: [String] = []

    @OptionGroup var orderOption: OrderOption

    @Option(name: .long, parsing: .unconditional, help: "Partitions of the n-grams: the tasks of the count and estimate stages.")
    var partitions: Int

    @Option(name: .long, help: "One task's memory (a size: 800M, 4G): refuse a plan whose largest partition would not fit it in the count and estimate stages. Default: not checked.")
    var memory: String?

    @Option(name: .long, help: "The plan file to write.")
    var out: String

    @OptionGroup var scratch: ClusterScratchOption

    func run() throws {
        try ClusterBuild.plan(vocabularies: vocabularies, order: orderOption.order, partitions: partitions,
                              taskBudget: try memory.map { try MemoryBudget.parse($0, temporaryDirectory: nil) }, output: out,
                              space: try scratch.space())
    }
}
