import ArgumentParser
import NGramKit

struct ClusterWindowsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "windows",
        abstract: "Stage 3 (each text part): the last N word ids up to every position, one section per partition of the plan.",
        discussion: """
        Reads the part with the plan's tokenizer. The output's header is fixed-width: after the \
        8-byte magic, the kind byte and the header's length (UInt64), the number of partitions \
        (UInt32) and each section's bytes (UInt64); then the sections, little-endian UInt32 ids.
        """
    )

    @Option(name: .long, help: "The plan file (stage 2).")
    var plan: String

    @Option(name: .long, parsing: .upToNextOption, help: "The text part: the files its vocabulary stage read.")
    var text: [String] = []

    @Option(name: .long, help: "The windows file to write.")
    var out: String

    @OptionGroup var scratch: ClusterScratchOption

    func run() throws {
        guard !text.isEmpty else { throw ValidationError("give --text FILE...: the part's text") }
        try ClusterBuild.windows(plan: plan, text: text, output: out, space: try scratch.space())
    }
}
