import ArgumentParser
import NGramKit

struct ClusterWriteCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "write",
        abstract: "Stage 8 (driver): the ARPA file from the ranges' parts (or from the estimates) and/or the binary model from the estimates."
    )

    @Option(name: .long, help: "The globals file (stage 5).")
    var globals: String

    @Option(name: .long, parsing: .upToNextOption, help: "Every estimate file of every partition (stage 6), in any order: merged into the binary model, and into the ARPA file when no --parts are given.")
    var estimates: [String] = []

    @Option(name: .long, parsing: .upToNextOption, help: "The part of every range (stage 7), in any order: the ARPA file's sections.")
    var parts: [String] = []

    @Option(name: .long, help: "Write the model as ARPA to this file ('-' for standard output).")
    var arpa: String?

    @Option(name: .long, help: "Write the model in NGramKit's binary format to this file.")
    var binary: String?

    @Flag(name: .long, help: "With --binary: also store the successor index (as `build --successors`).")
    var successors = false

    @Flag(name: .long, help: "Print the summary as one JSON object on stdout instead of text on stderr.")
    var json = false

    @OptionGroup var threadOptions: ThreadOptions
    @OptionGroup var memoryOptions: MemoryOptions

    func validate() throws {
        if json && arpa == "-" { throw ValidationError("--json and --arpa - would both write to standard output") }
        if arpa == nil && binary == nil { throw ValidationError("give --arpa FILE, --binary FILE or both: where to write the model") }
        if successors && binary == nil { throw ValidationError("--successors stores an index in the binary model: give --binary FILE too") }
    }

    func run() throws {
        let budget = try memoryOptions.budget()
        let summary = try ClusterBuild.write(globals: globals, estimates: estimates, parts: parts, arpa: arpa, binary: binary, successors: successors,
                                             budget: budget, threads: threadOptions.count,
                                             space: try TemporarySpace(directory: budget.temporaryDirectory),
                                             progress: ProgressReporter.forTerminal())
        if json { try StandardOutput.line(summary.json) } else { StandardError.write(summary.text + "\n") }
    }
}
