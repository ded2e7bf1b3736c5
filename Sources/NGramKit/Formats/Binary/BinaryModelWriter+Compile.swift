/// `ngramkit compile` as a library call: an ARPA file in, its binary model out.
extension BinaryModelWriter {
    /// Reads the ARPA model `arpaPath` (any toolkit's; plain or gzip) and writes it to `output`
    /// in the binary format: the output is checked against the input and opened before the input
    /// is read, and named only when complete; with `verify`, the written file is mapped again and
    /// its payload checksum checked.
    /// - Parameters:
    ///   - threads: threads that read the ARPA file and lay out the tables (nil: all cores); the
    ///     bytes are the same for any number.
    ///   - warn: receives warning lines of the reader (a model without `<unk>`).
    /// - Returns: what was written, and the seconds the read took.
    /// - Throws: `NGramKitError` for the same file as input and output, an unwritable output, a
    ///   malformed ARPA file, a binary model as input, or a failed verification.
    public static func compile(_ arpaPath: String, to output: String, threads: Int? = nil, verify: Bool = false,
                               progress: ProgressReporter? = nil, warn: (String) -> Void = { _ in }) throws -> (summary: Summary, readSeconds: Double) {
        if output == "-" {
            throw NGramKitError.invalidOption(name: "the output", value: "-", expected: "a file (a binary model is mapped, so it cannot go to standard output)")
        }
        if output.hasSuffix(".gz") {
            throw NGramKitError.invalidOption(name: "the output", value: output, expected: "a name without .gz (a binary model is mapped in place, so it is never compressed)")
        }
        try JobFiles.checkDistinct(inputs: [("", arpaPath)], outputs: [("", output)])
        let file = try OutputFile(path: output, seekable: true)
        let threads = ThreadCount.usable(threads)
        let start = ProgressClock.now()
        progress?.status("reading \(arpaPath)")
        if arpaPath != "-" && BinaryModel.hasMagic(arpaPath) {
            throw NGramKitError.malformedModel(path: arpaPath, line: nil, reason: "this is already a binary model (NGramKit's); compile takes an ARPA file")
        }
        let model = try ARPAReader.read(arpaPath, threads: threads, warn: warn)
        let readSeconds = ProgressClock.now() - start
        progress?.status("writing \(output)")
        let summary = try write(model, into: file, threads: threads)
        try file.commit()
        if verify {
            progress?.status("verifying \(output)")
            try ModelFile.verify(output)
        }
        progress?.done()
        return (summary, readSeconds)
    }
}
