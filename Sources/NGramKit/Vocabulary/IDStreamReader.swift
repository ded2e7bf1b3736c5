import CNGramKitSupport

/// Text in; word ids out: the text-to-ids step every job that reads training text shares
/// (`NGramCounter` counts its stream; `ScalingCorpus` cuts it into units and slices).
///
/// In:  text files (`-` is standard input) and a tokenizer, or lines given directly.
/// Out: `stream`, the ids `<s> w1 ... wn </s>` of every sentence in order (4 bytes a token; not
///      kept when `keepsStream` is false: the vocabulary's occurrence counts are then all that is
///      gathered); `vocabulary`, open or closed, with every word's occurrences; the numbers of
///      sentences and tokens (words, markers excluded).
///
/// Reading and tokenizing run on a second thread (`TokenizingReader`); this thread turns tokens
/// into ids, so ids follow first appearance exactly as in a single-threaded read. The stream is
/// reserved a batch ahead: a stream that memory cannot hold is an error naming the memory needed
/// (`bytesPerToken` is what each token costs the job, the stream and what it keeps beside it).
final class IDStreamReader {
    /// The words; a closed vocabulary maps unknown words to `<unk>`.
    var vocabulary: Vocabulary
    /// The ids of the text read so far.
    let stream = GrowableBuffer<UInt32>(initialCapacity: 1 << 20)
    var sentences = 0
    var tokens = 0
    let keepsStream: Bool
    /// Memory each token costs the job (for the limit of `stream` and its message).
    let bytesPerToken: Int
    /// The job, for messages ("counting orders up to 5 of this text").
    let job: String
    /// Reports progress; set by the command-line tool when stderr is a terminal.
    var progress: ProgressReporter?
    /// Scratch space for one line's tokens (`addText`).
    private let batch = TokenBatch()
    /// Where the stream goes once it holds `spillThreshold` ids (a job past its memory budget):
    /// whole sentences at a time are moved out of `stream` into a temporary file.
    var spill: TokenSpill?
    var spillThreshold = Int.max
    /// Makes `spill` the first time the stream reaches `spillThreshold`.
    var makeSpill: (() throws -> TokenSpill)?

    init(vocabulary: Vocabulary, keepsStream: Bool, bytesPerToken: Int = 4, job: String = "reading this text") {
        self.vocabulary = vocabulary
        self.keepsStream = keepsStream
        self.bytesPerToken = bytesPerToken
        self.job = job
    }

    /// Reads every line of `paths` as one sentence each.
    /// - Throws: `NGramKitError` for unreadable or corrupt files, invalid UTF-8 (unicode and
    ///   character tokenizers), literal `<s>` or `</s>` tokens, and a stream that memory cannot
    ///   hold; the lines before the error have been read.
    func addFiles<T: Tokenizer>(_ paths: [String], tokenizer: inout T) throws {
        let reader = TokenizingReader(paths: paths, tokenizer: tokenizer)
        var currentPath = ""
        try reader.forEachBatch { batch in
            if batch.path != currentPath {
                currentPath = batch.path
                progress?.startFile(currentPath)
            }
            try addLines(of: batch)
            progress?.advance(lines: batch.lineCount, bytes: batch.inputBytes, tokens: tokens)
        }
        progress?.finishReading(tokens: tokens)
    }

    /// Reads every line of `paths` with the tokenizer `configuration` describes.
    func addFiles(_ paths: [String], configuration: TokenizerConfiguration) throws {
        var user = FileReader(reader: self, paths: paths)
        try configuration.apply(&user)
    }

    private struct FileReader: TokenizerUser {
        let reader: IDStreamReader
        let paths: [String]
        func use<T: Tokenizer>(_ tokenizer: inout T) throws { try reader.addFiles(paths, tokenizer: &tokenizer) }
    }

    /// Turns the tokens of a batch into ids, line by line.
    func addLines(of batch: TokenBatch) throws {
        let vocabulary = self.vocabulary
        let stream = self.stream
        let total = batch.count
        let tags = batch.tags
        // Prefetch the vocabulary slot a few tokens ahead of each lookup.
        let ahead = 16
        for i in 0..<min(ahead, total) { ngk_prefetch_write(vocabulary.homeSlotAddress(tags[i].hash)) }
        let keepStream = keepsStream
        if keepStream { try reserveStream(extra: total + 2 * batch.lineCount) }
        var index = 0
        for (line, end) in batch.lineEnds.enumerated() {
            if keepStream { stream.append(Vocabulary.beginID) }
            while index < end {
                if index + ahead < total { ngk_prefetch_write(vocabulary.homeSlotAddress(tags[index + ahead].hash)) }
                let token = batch.token(index)
                let id = vocabulary.countOccurrence(token, tag: tags[index])
                if id == Vocabulary.beginID || id == Vocabulary.endID {
                    throw NGramKitError.reservedToken(path: batch.path, line: batch.firstLineNumber + line,
                                                      token: String(decoding: token, as: UTF8.self))
                }
                if keepStream { stream.append(id) }
                index += 1
            }
            if keepStream { stream.append(Vocabulary.endID) }
        }
        sentences += batch.lineCount
        tokens += total
        try spillIfDue()
    }

    /// Moves the stream (whole sentences) to the spill file once it holds `spillThreshold` ids.
    func spillIfDue() throws {
        if stream.count >= spillThreshold, let makeSpill {
            if spill == nil { spill = try makeSpill() }
            try spill!.take(stream)
        }
    }

    /// Moves what is left of the stream to the spill file, when there is one: afterwards the
    /// whole stream is `spill`'s.
    func finishSpilling() throws {
        if let spill { try spill.take(stream) }
    }

    /// Makes room in the stream for `extra` more ids, or says how much memory the job needs
    /// when the machine cannot give it.
    private func reserveStream(extra: Int) throws {
        let wanted = stream.count + extra
        guard wanted > stream.capacity else { return }
        // A stream that spills never holds more than its threshold and a batch.
        if makeSpill != nil { return try stream.reserve(wanted, limit: .max, what: job, advice: "") }
        let physical = Platform.physicalMemory
        // The stream may grow while what the job keeps beside it still fits in 3/4 of memory.
        let limit = physical > 0 ? physical / bytesPerToken * 4 * 3 / 4 : Int.max
        try stream.reserve(wanted, limit: limit,
                           what: "\(job) (\(stream.count) tokens and markers so far, \(bytesPerToken) bytes each)",
                           advice: "read a smaller part of the text or use a lower --order; working past memory (spilling to disk) is not built yet")
    }

    /// Adds the lines of `text`: one sentence per `\n` (`\r\n` too); a final line without `\n`
    /// is a sentence too.
    func addText<T: Tokenizer>(_ text: String, tokenizer: inout T, path: String) throws {
        var copy = text
        try copy.withUTF8 { bytes in
            var lineNumber = 0
            var start = 0
            while start < bytes.count {
                var end = start
                while end < bytes.count && bytes[end] != 0x0A { end += 1 }
                lineNumber += 1
                let lineEnd = end > start && bytes[end - 1] == 0x0D ? end - 1 : end  // \r\n as in files
                try addLine(UnsafeBufferPointer(rebasing: bytes[start..<lineEnd]), tokenizer: &tokenizer, path: path, lineNumber: lineNumber)
                start = end + 1
            }
        }
    }

    /// Adds one sentence (the single-threaded path of `addText`).
    private func addLine<T: Tokenizer>(_ line: UnsafeBufferPointer<UInt8>, tokenizer: inout T, path: String, lineNumber: Int) throws {
        let batch = self.batch
        batch.removeAll()
        batch.path = path
        batch.firstLineNumber = lineNumber
        do {
            try tokenizer.tokenize(line) { batch.append($0) }
        } catch let TokenizationFailure.invalidUTF8(byteOffset) {
            throw NGramKitError.invalidUTF8(path: path, line: lineNumber, byteOffset: byteOffset)
        }
        batch.endLine(inputBytes: line.count + 1)
        batch.computeTags()
        try addLines(of: batch)
    }
}
