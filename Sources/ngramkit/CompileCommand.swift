import ArgumentParser
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
        bytes, the same as `ngramkit build --binary`. The output is checked before the input is \
        read and gets its name only when complete. A model that needs more than --memory (by the \
        counts of its \\data\\ header) is sorted and laid out through temporary files in \
        --temp-dir, with the 1-grams in memory: the same bytes. One line on stderr gives its size: \
        bytes per n-gram of the n-gram tables, and of the whole file (vocabulary, header and \
        padding too), and the temporary bytes at peak when it went past the budget.
        """
    )

    @Argument(help: "The ARPA model to read (plain or gzip).")
    var model: String

    @Argument(help: "The binary model to write.")
    var output: String

    @Flag(name: .long, help: "Map the written file again and check its payload checksum (reads the whole file).")
    var verify = false

    @Flag(name: .long, help: "Also store the successor index that `ngramkit next` and `generate` walk: per context its next words, most probable first (about 4 bytes per context entry and 8 per n-gram more). Without it they build the index in memory when they load the model.")
    var successors = false

    @OptionGroup var threadOptions: ThreadOptions

    @OptionGroup var memoryOptions: MemoryOptions

    func validate() throws {
        if output == "-" { throw ValidationError("the binary model must go to a file, not standard output") }
    }

    func run() throws {
        let result = try BinaryModelWriter.compile(model, to: output, threads: threadOptions.count, verify: verify,
                                                   memory: try memoryOptions.budget(), successors: successors, progress: ProgressReporter.forTerminal()) {
            StandardError.write("ngramkit: \($0)\n")
        }
        let summary = result.summary
        let spilled = result.spilled ? "; past the memory budget, \(ByteCount.text(result.temporaryBytes)) of temporary files at peak" : ""
        StandardError.write("wrote \(output): \(summary.bytes) bytes, \(summary.ngrams) n-grams: "
            + "\(String(format2: summary.tableBytesPerNGram)) bytes/n-gram in the n-gram tables, "
            + "\(String(format2: summary.bytesPerNGram)) with the vocabulary (\(summary.vocabularyBytes) bytes) and header"
            + (successors ? "; successor index \(summary.successorBytes) bytes" : "")
            + "\(verify ? "; checksum verified" : "") (read \(String(format2: result.readSeconds)) s)\(spilled)\n")
    }
}
