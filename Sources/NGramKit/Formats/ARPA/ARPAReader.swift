import Foundation

/// Reads ARPA backoff models, the text format of KenLM, SRILM, MITLM and IRSTLM.
///
/// In:  an ARPA file, plain or gzip (told apart by content), or `-` for standard input:
///      any preamble (comments, tool banners; a UTF-8 byte-order mark) up to `\data\`; one
///      `ngram n=count` line per order (n = 1, 2, ... in turn); then the sections `\1-grams:` ...
///      `\N-grams:` in order, each holding its n-grams in any order as `log10 prob, words,
///      [log10 backoff]` separated by TABs or spaces; then `\end\`. Blank lines and `\r\n`
///      endings are accepted anywhere.
/// Out: an `NGramModel`. Words get ids in the order of the 1-grams section, after the reserved
///      `<unk>`, `<s>`, `</s>` (0, 1, 2) wherever those appear. Values must be finite numbers
///      and probabilities at most 0 (`ARPALine`); `-99` is the number -99, as in KenLM. An
///      n-gram whose context is not in the file (pruned models) gets its context as a *blank*, an
///      entry with a NaN probability that serves only as a context; a missing suffix is filled in
///      as KenLM does (`ARPAParser+Suffixes`). The preamble lines that `ARPAWriter` writes record
///      the smoothing (Stupid Backoff's α, whose normalizers are then rebuilt from the backoffs;
///      Kneser-Ney's discounts) and the tokenizer of the training text (`ModelProvenance`).
///
/// How: a plain file is mapped and its higher-order sections are read in parallel
/// (`ARPAParser+Bulk`); gzip files, standard input and any file the bulk reader does not
/// expect are read line by line (`ARPAParser+Lines`), which gives the exact error, blank or
/// repair. Both build the same model, bit for bit, for any number of threads. The counts of the
/// `\data\` header are trusted only as far as the file can hold them: a plain file's size bounds
/// them before anything is allocated, and tables for other inputs start small and grow.
///
/// Every malformed input is a one-line `NGramKitError.malformedModel` naming the file and line.
public enum ARPAReader {
    /// Which reader read a file (`readReportingPath`).
    package enum ReadPath: Equatable {
        /// The parallel reader of a mapped plain file.
        case bulk
        /// Line by line: asked for, not a mapped plain file, or handed back for this reason.
        case lineByLine(reason: String)
    }

    /// Reads an ARPA model.
    /// - Parameters:
    ///   - path: the file (plain or gzip, by content), or `-` for standard input.
    ///   - threads: threads for the n-gram sections of a plain file (the model is the same for any).
    ///   - lineByLine: true reads every line in turn, as a gzip file or standard input are
    ///     (tests compare the two readers).
    ///   - chunkBytes: bytes per chunk of a section in the parallel reader (tests make it small).
    ///   - warn: receives one line for each repair that changes scores (a missing `<unk>`).
    /// - Returns: the model; its provenance is what the file's NGramKit comment lines record.
    /// - Throws: `NGramKitError.malformedModel` naming the line for a malformed or truncated file,
    ///   a binary model, counts that disagree with the `\data\` header, a word missing from the
    ///   1-grams, a duplicate n-gram or a backoff on the highest order; `cannotOpen`,
    ///   `isDirectory` or `corruptGzip` when the file cannot be read.
    public static func read(_ path: String, threads: Int = ThreadCount.all,
                            lineByLine: Bool = false, chunkBytes: Int = 4 << 20,
                            warn: (String) -> Void = { _ in }) throws -> NGramModel {
        try readReportingPath(path, threads: threads, lineByLine: lineByLine, chunkBytes: chunkBytes, warn: warn).model
    }

    /// `read`, also saying which reader read the file (so tests can tell the bulk reader ran).
    package static func readReportingPath(_ path: String, threads: Int = ThreadCount.all,
                                          lineByLine: Bool = false, chunkBytes: Int = 4 << 20,
                                          warn: (String) -> Void = { _ in }) throws -> (model: NGramModel, path: ReadPath) {
        var reason = lineByLine ? "asked for" : "not a plain file that can be mapped"
        if !lineByLine && path != "-", let file = MappedText(path: path) {
            // Warnings wait until the bulk read either succeeds or throws: when it hands the
            // file back, the line reader gives them again.
            var warnings: [String] = []
            let parser = ARPAParser(name: path)
            parser.chunkBytes = max(1, chunkBytes)
            do {
                if let model = try parser.readMapped(file, threads: max(1, threads), warn: { warnings.append($0) }) {
                    warnings.forEach(warn)
                    return (model, .bulk)
                }
            } catch {
                warnings.forEach(warn)
                throw error
            }
            reason = parser.handedBack ?? "handed back"
        }
        let parser = lineParser(path)
        let lines = try readLines(path, into: parser, warn: warn)
        return (try parser.finish(lastLine: lines), .lineByLine(reason: reason))
    }

    /// A parser for the line reader: a plain file's size bounds its header's counts.
    private static func lineParser(_ path: String) -> ARPAParser {
        let parser = ARPAParser(name: path == "-" ? "<stdin>" : path)
        if path != "-", let info = Platform.status(path), Platform.isRegular(info), !isGzip(path) {
            parser.knownSize = Int(info.st_size)
        }
        return parser
    }

    /// Hands every line of `path` to `parser`; returns the number of lines.
    private static func readLines(_ path: String, into parser: ARPAParser, warn: (String) -> Void) throws -> Int {
        try LineReader.forEachLine(inFile: path) { line, number in
            try parser.consume(line, number, readableAfter: LineReader.readableSlack, warn: warn)
        }
    }

    /// What `read(_:within:space:threads:warn:)` gives: the model in memory, or, past the
    /// budget, the parser (vocabulary, 1-grams, counts) and its higher orders in sorted runs.
    enum BudgetedRead {
        case model(NGramModel)
        case spilled(ARPAParser, ARPASpill)
    }

    /// Reads an ARPA model in memory when the counts of its `\data\` header fit `budget`
    /// (as `read` does), else reads its 1-grams into memory and its higher orders into sorted
    /// runs in temporary files (`ARPASpill`), line by line.
    /// - Parameter pastBudget: read as past the budget even a model that fits (for tests).
    static func read(_ path: String, within budget: MemoryBudget, space: LazyTemporarySpace, threads: Int,
                     pastBudget: Bool = false, warn: (String) -> Void) throws -> BudgetedRead {
        if !pastBudget, path != "-", let announced = try? announcedCounts(path),
           BinaryModelWriter.compileMemory(announced: announced) <= budget.bytes {
            return .model(try read(path, threads: threads, warn: warn))
        }
        let parser = lineParser(path)
        // Decided once the 1-grams are read, with the vocabulary's real size.
        parser.spillWhen = { announced, vocabulary in
            // The vocabulary, and the 1-grams' values: growing arrays while read, buffers after.
            let words = vocabulary.memoryFootprint + vocabulary.count * 64
            guard pastBudget || BinaryModelWriter.compileMemory(announced: announced, vocabularyBytes: words) > budget.bytes else { return nil }
            // The 1-grams stay in memory; the runs need room beside them.
            guard budget.bytes - words >= MemoryBudget.minimumBytes else {
                throw NGramKitError.invalidOption(name: "--memory", value: budget.description,
                                                  expected: "at least \(ByteCount.text(words + MemoryBudget.minimumBytes)) for \(parser.name): its \(vocabulary.count) words and their 1-grams stay in memory (\(ByteCount.text(words))), beside room to sort the n-grams")
            }
            return ARPASpill(order: announced.count, vocabularySize: vocabulary.count, fixedBytes: words,
                             space: try space.get(), budget: budget, threads: threads)
        }
        let lines = try readLines(path, into: parser, warn: warn)
        if let spill = parser.spill {
            try parser.checkEnded(lastLine: lines)
            return .spilled(parser, spill)
        }
        return .model(try parser.finish(lastLine: lines))
    }

    /// The n-gram counts per order of the file's `\data\` header, read from its first lines
    /// (nil when the file ends before its 1-grams); errors in those lines are thrown.
    static func announcedCounts(_ path: String) throws -> [Int]? {
        struct HeaderRead: Error {}
        let parser = ARPAParser(name: path)
        do {
            _ = try LineReader.forEachLine(inFile: path) { line, number in
                try parser.consume(line, number, readableAfter: LineReader.readableSlack, warn: { _ in })
                if case .section = parser.place { throw HeaderRead() }
            }
        } catch is HeaderRead {
            return parser.announced
        }
        return nil
    }

    /// Whether the file starts with gzip's magic bytes.
    private static func isGzip(_ path: String) -> Bool {
        guard let handle = FileHandle(forReadingAtPath: path) else { return false }
        defer { try? handle.close() }
        let head = handle.readData(ofLength: 2)
        return head.count == 2 && head[head.startIndex] == 0x1F && head[head.startIndex + 1] == 0x8B
    }
}
