import CNGramKitSupport
import Foundation

/// Exact n-gram counting, orders 1...N, for any N ≥ 1 chosen at run time.
///
/// In:  lines of text (files, gzip or plain, or standard input), a tokenizer, and a vocabulary
///      policy (open, closed from a file, or restricted by count or size).
/// Out: `NGramCounts`: raw counts for every order, continuation counts for orders below N,
///      counts-of-counts on request.
///
/// How: the text is read once into a stream of word ids (`<s> w1 ... wn </s>` per sentence,
/// 4 bytes a token). Orders are then counted one after another over that stream. Because order
/// n-1 is complete before order n starts, order n can key each n-gram by its context's final
/// slot in order n-1, the table can be sized to the data from a HyperLogLog estimate gathered
/// during the previous pass (no growth; in the rare case an estimate falls short the pass is
/// redone larger), and every key of the pass is known in advance, so the loop prefetches the
/// slots a few positions ahead of the probes. Each new n-gram of order n also adds one to the
/// continuation count of its suffix, the (n-1)-gram ending at the same position, whose slot the
/// previous pass left in the per-position array. Each pass runs on all cores, every thread
/// filling its own partitions of the table (see `CountTable`).
public final class NGramCounter {
    /// Highest order.
    public let order: Int
    /// Target load of a table sized from its estimate (slots in use / slots). 0.8 keeps linear
    /// probes within one or two cache lines and the tables under 14 bytes per n-gram; measured
    /// as fast as 0.7 on the Gutenberg benchmark.
    package var targetLoad = 0.8
    /// Threads for the counting passes (default: every core). The counts, and the tables
    /// slot for slot, are the same for any number.
    public var threads = ThreadCount.all
    /// The text as word ids, and the vocabulary with the words' occurrences.
    let reader: IDStreamReader
    var vocabulary: Vocabulary { reader.vocabulary }
    /// Word ids of the whole text, sentence markers included.
    var stream: GrowableBuffer<UInt32> { reader.stream }
    var sentences: Int { reader.sentences }
    var tokens: Int { reader.tokens }
    let restriction: VocabularyRestriction
    /// The job's memory budget (`limitMemory(to:space:)`); nil: all in memory.
    var budget: MemoryBudget?
    /// Unigram counts given with an id stream (`count(ids:vocabulary:order:threads:)`); nil
    /// when they come from reading text (the vocabulary counts occurrences then).
    var presetUnigramCounts: [UInt64]?
    /// Reports progress; set by the command-line tool when stderr is a terminal.
    public var progress: ProgressReporter? {
        get { reader.progress }
        set { reader.progress = newValue }
    }
    /// Wall-clock seconds per phase ("read", "order 2", ...), for benchmarks.
    public private(set) var phaseSeconds: [(phase: String, seconds: Double)] = []
    private var phaseStart = ProgressClock.now()

    func endPhase(_ name: String) {
        let now = ProgressClock.now()
        phaseSeconds.append((name, now - phaseStart))
        phaseStart = now
    }

    /// Creates a counter.
    /// - Parameters:
    ///   - order: highest order, at least 1.
    ///   - vocabulary: a closed vocabulary (from `VocabularyFile.read`) or nil for an open one.
    ///   - restriction: `--min-count` / `--max-vocab`, applied after reading.
    /// - Throws: `NGramKitError.invalidOption` for an order outside 1...`BuildConfiguration.maximumOrder`.
    public init(order: Int, vocabulary: Vocabulary? = nil, restriction: VocabularyRestriction = .init()) throws {
        guard order >= 1 else {
            throw NGramKitError.invalidOption(name: "--order", value: String(order), expected: "an integer of at least 1")
        }
        guard order <= BuildConfiguration.maximumOrder else {
            throw NGramKitError.invalidOption(name: "--order", value: String(order), expected: "an order from 1 to \(BuildConfiguration.maximumOrder)")
        }
        self.order = order
        // A copy: counting writes per-word counts into the vocabulary's slots.
        reader = IDStreamReader(vocabulary: vocabulary?.copyWithoutCounts() ?? Vocabulary(), keepsStream: order > 1,
                                bytesPerToken: 4 * (1 + (order > 2 ? 1 : 0) + (order > 3 ? 1 : 0)),
                                job: "counting orders up to \(order) of this text")
        self.restriction = restriction
    }

    /// Reads every line of `paths` (`-` is standard input) as one sentence each (see `IDStreamReader`).
    /// - Throws: `NGramKitError` for unreadable or corrupt files, invalid UTF-8 (unicode and
    ///   character tokenizers), literal `<s>` or `</s>` tokens, and a stream that memory cannot
    ///   hold; the lines before the error have been read.
    public func addFiles<T: Tokenizer>(_ paths: [String], tokenizer: inout T) throws {
        try reader.addFiles(paths, tokenizer: &tokenizer)
        endPhase("read")
    }

    /// Reads every line of `paths` with the tokenizer `configuration` describes.
    public func addFiles(_ paths: [String], configuration: TokenizerConfiguration) throws {
        try reader.addFiles(paths, configuration: configuration)
        endPhase("read")
    }

    /// Adds the lines of `text` (tests and small inputs): one sentence per `\n` (`\r\n` too); a
    /// final line without `\n` is a sentence too.
    public func addText<T: Tokenizer>(_ text: String, tokenizer: inout T, path: String = "<text>") throws {
        try reader.addText(text, tokenizer: &tokenizer, path: path)
    }

    /// Counts every order and returns the result. The counter cannot be used afterwards.
    public func finish() throws -> NGramCounts {
        var (unigramCounts, _) = finalUnigramCounts(remapStream: true)
        if unigramCounts.count < vocabulary.count {
            unigramCounts.append(contentsOf: repeatElement(0, count: vocabulary.count - unigramCounts.count))
        }
        var tables: [CountTable] = []
        var continuation: [UInt32] = []
        if order >= 2 {
            continuation = [UInt32](repeating: 0, count: vocabulary.count)
            // Slots per position, alternating between two buffers: pass n reads the order n-1
            // slots from one and writes its own to the other (threads may not share one buffer).
            // Pass n writes buffer (n + 1) % 2: buffer 1 from order 3 on, buffer 0 from order 4 on.
            let positions = [order > 3, order > 2].map { LargeBuffer<UInt32>(zeroedCount: $0 ? stream.count : 0, populatingThreads: threads) }
            var estimate = estimateBigrams(workers: max(1, threads))
            try continuation.withUnsafeMutableBufferPointer { unigramContinuation in
                for n in 2...order {
                    progress?.startOrder(n, of: order)
                    let previous = n == 2 ? UnsafePointer(stream.storage) : UnsafePointer(positions[n % 2].base)
                    let out = n < order ? positions[(n + 1) % 2].base : nil
                    let (table, next) = try countOrder(n, lower: tables.last, estimate: estimate, previous: previous,
                                                       out: out, unigramContinuation: unigramContinuation.baseAddress!)
                    tables.append(table)
                    estimate = next
                    endPhase("order \(n)")
                }
            }
        }
        progress?.done()
        return NGramCounts(order: order, vocabulary: vocabulary, unigramCounts: unigramCounts,
                           unigramContinuation: continuation, tables: tables,
                           sentences: sentences, tokens: tokens)
    }

    /// The unigram counts of the text read (`<s>` and `</s>` once per sentence), after the
    /// vocabulary restriction, which replaces rare words by `<unk>` in the vocabulary and the
    /// counts, and in the stream when `remapStream` (else the map is returned, for a stream
    /// that is read back later).
    func finalUnigramCounts(remapStream: Bool) -> ([UInt64], remap: [UInt32]?) {
        var unigramCounts = presetUnigramCounts ?? vocabulary.occurrenceCounts()
        unigramCounts[Int(Vocabulary.beginID)] = UInt64(sentences)
        unigramCounts[Int(Vocabulary.endID)] = UInt64(sentences)
        guard !restriction.isNone && !vocabulary.isClosed else { return (unigramCounts, nil) }
        let (restricted, remap) = restriction.apply(to: vocabulary, counts: unigramCounts)
        var counts = [UInt64](repeating: 0, count: restricted.count)
        for old in 0..<unigramCounts.count { counts[Int(remap[old])] += unigramCounts[old] }
        if remapStream {
            let ids = stream.storage
            remap.withUnsafeBufferPointer { map in
                for i in 0..<stream.count { ids[i] = map[Int(ids[i])] }
            }
        }
        reader.vocabulary = restricted
        return (counts, remapStream ? nil : remap)
    }
}
