import ArgumentParser
import NGramKit

/// `ngramkit cluster STAGE`: the stages of a build spread over a cluster, each run on one machine
/// by the Spark job in spark/ (see `ClusterBuild`).
struct ClusterCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cluster",
        abstract: "The stages of a build spread over a cluster (run by spark/ngramkit_spark.py).",
        discussion: """
        Each stage reads and writes NGramKit's compact cluster files; together they give the \
        model `ngramkit build --text` gives on one machine, byte for byte. In order: vocabulary \
        (each text part), plan (driver), windows (each text part), count (each partition), \
        globals (driver), estimate (each partition), format (each range of first words), write (driver). Every output is written \
        under a temporary name and renamed when complete.
        """,
        subcommands: [ClusterVocabularyCommand.self, ClusterPlanCommand.self, ClusterWindowsCommand.self, ClusterCountCommand.self,
                      ClusterGlobalsCommand.self, ClusterEstimateCommand.self, ClusterFormatCommand.self, ClusterWriteCommand.self]
    )
}

/// `--temp-dir`, where a stage keeps its scratch files (nameless: gone when it ends).
struct ClusterScratchOption: ParsableArguments {
    @Option(name: .customLong("temp-dir"), help: "Where the stage's scratch files go (nameless files, gone when it ends however it ends). Default: $TMPDIR, else /tmp.")
    var tempDir: String?

    func space() throws -> TemporarySpace {
        try TemporarySpace(directory: MemoryBudget.standard(temporaryDirectory: tempDir).temporaryDirectory)
    }
}
