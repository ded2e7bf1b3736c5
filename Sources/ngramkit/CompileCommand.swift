import ArgumentParser
import Foundation
import NGramKit

struct CompileCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "compile",
        abstract: "Convert an ARPA model into NGramKit's binary format.",
        discussion: """
        Reads an ARPA model (plain or gzip; NGramKit's, KenLM's or another toolkit's) and writes \
        the versioned, page-aligned binary file that `ngramkit ppl --model` and `query --model` \
        map in constant time. Values are stored as single-precision floats, the ARPA file's own \
        precision, so the binary scores what the ARPA scores. The same ARPA always gives the same \
        bytes, the same as `ngramkit build --binary`. The file is written to a temporary name and \
        renamed when complete. One line on stderr gives its size.
        """
    )

    @Argument(help: "The ARPA model to read (plain or gzip).")
    var model: String

    @Argument(help: "The binary model to write.")
    var output: String

    @Flag(name: .long, help: "Map the written file again and check its payload checksum (reads the whole file). Default: off.")
    var verify = false

    @Option(name: .long, help: "Threads that read the ARPA file and lay out the tables; the binary is byte-identical for any number. Default: all cores.")
    var threads: Int?

    func validate() throws {
        if output == "-" { throw ValidationError("the binary model must go to a file, not standard output") }
        if let threads, threads < 1 { throw ValidationError("--threads must be at least 1, not \(threads)") }
    }

    func run() throws {
        let start = ProgressClock.now()
        let progress = ProgressReporter.forTerminal()
        progress?.status("reading \(model)")
        let loaded = try ModelFile.load(model, threads: threads) { StandardError.write("ngramkit: \($0)\n") }
        if loaded.binary != nil {
            throw ValidationError("\(model) is already a binary model; compile takes an ARPA file")
        }
        let readSeconds = ProgressClock.now() - start
        progress?.status("writing \(output)")
        let summary = try BinaryModelWriter.write(loaded, to: output, threads: threads ?? ProcessInfo.processInfo.activeProcessorCount)
        if verify {
            progress?.status("verifying \(output)")
            try ModelFile.verify(output)
        }
        progress?.done()
        let total = ProgressClock.now() - start
        StandardError.write("wrote \(output): \(summary.bytes) bytes, \(summary.ngrams) n-grams, "
            + "\(String(format2: summary.bytesPerNGram)) bytes/n-gram\(verify ? ", checksum verified" : "") "
            + "(read \(String(format2: readSeconds)) s, write \(String(format2: total - readSeconds)) s)\n")
    }
}

extension String {
    /// `value` with two decimals.
    init(format2 value: Double) {
        let scaled = (value * 100).rounded()
        let whole = Int(scaled) / 100, fraction = abs(Int(scaled) % 100)
        self = "\(scaled < 0 && whole == 0 ? "-" : "")\(whole).\(fraction < 10 ? "0" : "")\(fraction)"
    }
}
