/// `ngramkit compile` as a library call: an ARPA file in, its binary model out, within a memory
/// budget.
///
/// In:  an ARPA file (any toolkit's; plain, gzip or standard input).
/// Out: its binary model: the same bytes whether the model fits the budget or not.
///
/// Within the budget the file is read into memory (`ARPAReader`) and laid out
/// (`BinaryModelWriter.write`). Past it, the n-grams of orders ≥ 2 go to sorted runs as they are
/// read (`ARPASpill`), are closed under contexts and suffixes on disk (`SpilledARPAModel`) and
/// are laid out table by table from there (`SpilledBinaryWriter`, as `build` does past its budget).
extension BinaryModelWriter {
    /// What `compile` did.
    public struct CompileResult: Sendable {
        /// What was written.
        public let summary: Summary
        /// Seconds the ARPA file took to read (and, past the budget, to sort and close).
        public let readSeconds: Double
        /// Whether the model was past the budget and went through temporary files.
        public let spilled: Bool
        /// Peak bytes of temporary files (0 when the model fit).
        public let temporaryBytes: Int
    }

    /// Memory an ARPA model takes per n-gram of orders ≥ 2 while it is read and laid out in
    /// memory: its table slot, probability and backoff, then the layout's arrays (measured).
    package static let compileBytesPerNGram = 48
    /// Per 1-gram: the vocabulary's entry and bytes, and the 1-grams' values.
    package static let compileBytesPerWord = 64

    /// The memory `compile` needs to hold a model of `announced` n-grams per order in memory
    /// (`Int.max` when that overflows: a header may announce anything).
    package static func compileMemory(announced: [Int], vocabularyBytes: Int? = nil) -> Int {
        func product(_ a: Int, _ b: Int) -> Int {
            let (value, overflow) = a.multipliedReportingOverflow(by: b)
            return overflow ? .max : value
        }
        func sum(_ a: Int, _ b: Int) -> Int {
            let (value, overflow) = a.addingReportingOverflow(b)
            return overflow ? .max : value
        }
        let words = vocabularyBytes ?? product(announced.first ?? 0, compileBytesPerWord)
        return announced.dropFirst().reduce(words) { sum($0, product($1, compileBytesPerNGram)) }
    }

    /// Reads the ARPA model `arpaPath` (any toolkit's; plain or gzip) and writes it to `output`
    /// in the binary format: the output is checked against the input and opened before the input
    /// is read, and named only when complete; with `verify`, the written file is mapped again and
    /// its payload checksum checked.
    /// - Parameters:
    ///   - threads: threads that read the ARPA file and lay out the tables (nil: all cores); the
    ///     bytes are the same for any number.
    ///   - memory: the budget (nil: `MemoryBudget.standard()`); a model that needs more (by the
    ///     counts of its `\data\` header) is sorted and laid out through temporary files in
    ///     its temporary directory. The bytes are the same.
    ///   - successors: store the successor index of `next` and `generate` (`SuccessorIndex`).
    ///   - warn: receives warning lines of the reader (a model without `<unk>`).
    /// - Throws: `NGramKitError` for the same file as input and output, an unwritable output, a
    ///   malformed ARPA file, a binary model as input, a failed verification, or a temporary
    ///   directory that cannot take the runs.
    public static func compile(_ arpaPath: String, to output: String, threads: Int? = nil, verify: Bool = false,
                               memory: MemoryBudget? = nil, successors: Bool = false,
                               progress: ProgressReporter? = nil, warn: (String) -> Void = { _ in }) throws -> CompileResult {
        try compile(arpaPath, to: output, threads: threads, verify: verify, memory: memory, pastBudget: false, successors: successors,
                    progress: progress, warn: warn)
    }

    /// `compile`; with `pastBudget`, a model that fits is still read and laid out as one past
    /// the budget (tests compare the two ways on small models).
    package static func compile(_ arpaPath: String, to output: String, threads: Int?, verify: Bool, memory: MemoryBudget?,
                                pastBudget: Bool, successors: Bool = false, progress: ProgressReporter? = nil, warn: (String) -> Void = { _ in }) throws -> CompileResult {
        if output == "-" {
            throw NGramKitError.invalidOption(name: "the output", value: "-", expected: "a file (a binary model is mapped, so it cannot go to standard output)")
        }
        if output.hasSuffix(".gz") {
            throw NGramKitError.invalidOption(name: "the output", value: output, expected: "a name without .gz (a binary model is mapped in place, so it is never compressed)")
        }
        try JobFiles.checkDistinct(inputs: [("", arpaPath)], outputs: [("", output)])
        let file = try OutputFile(path: output, seekable: true)
        let threads = ThreadCount.usable(threads)
        let budget = memory ?? MemoryBudget.standard()
        let space = LazyTemporarySpace(budget: budget)
        let start = ProgressClock.now()
        progress?.status("reading \(arpaPath)")
        if arpaPath != "-" && BinaryModel.hasMagic(arpaPath) {
            throw NGramKitError.malformedModel(path: arpaPath, line: nil, reason: "this is already a binary model (NGramKit's); compile takes an ARPA file")
        }
        let read = try ARPAReader.read(arpaPath, within: budget, space: space, threads: threads, pastBudget: pastBudget, warn: warn)
        let summary: Summary
        var spilled = false
        var readSeconds = ProgressClock.now() - start
        switch read {
        case .model(let model):
            progress?.status("writing \(output)")
            summary = try write(model, into: file, threads: threads, successors: successors)
        case .spilled(let parser, let spill):
            spilled = true
            progress?.status("closing \(arpaPath) under contexts and suffixes, past the memory budget")
            let model = try SpilledARPAModel(parser: parser, spill: spill)
            readSeconds = ProgressClock.now() - start
            progress?.status("writing \(output) past the memory budget")
            summary = try write(model, into: file, budget: spill.budget, threads: threads, successors: successors)
        }
        try file.commit()
        if verify {
            progress?.status("verifying \(output)")
            try ModelFile.verify(output)
        }
        progress?.done()
        return CompileResult(summary: summary, readSeconds: readSeconds, spilled: spilled, temporaryBytes: space.peakBytes)
    }

    /// Writes a model closed on disk, table by table (the same bytes as `write` of it in memory).
    private static func write(_ model: SpilledARPAModel, into output: OutputFile, budget: MemoryBudget, threads: Int,
                              successors: Bool) throws -> Summary {
        let parser = model.parser, order = model.order
        let writer = try SpilledBinaryWriter(output: output, order: order, vocabularySize: parser.vocabulary.count,
                                             ngramCounts: parser.read, provenance: parser.provenance,
                                             space: model.spill.space, budget: budget, threads: threads)
        try writer.begin(vocabulary: parser.vocabulary, unigramLogProb: parser.unigramProbBuffer,
                         unigramLogBackoff: parser.unigramBackoffBuffer, unigramFlags: model.unigramFlags)
        let bufferBytes = model.spill.bufferBytes(runs: 4)
        for n in 2...max(order, 2) where n <= order {
            let below = n >= 3 ? model.orders[n - 3] : nil
            try writer.beginOrder(n, belowRuns: try below.map { [try $0.run!.reader(bufferBytes: bufferBytes)] },
                                  skipBelow: { try below?.skipPayload($0) })
            let entries = try CompleteOrderReader(model.orders[n - 2], bufferBytes: bufferBytes)
            while try entries.next() {
                try writer.add(entries.ids, logProb: entries.logProb, logBackoff: entries.logBackoff, isContext: entries.isContext)
            }
            try writer.endOrder()
        }
        return try writer.finish(successors: successors)
    }
}
