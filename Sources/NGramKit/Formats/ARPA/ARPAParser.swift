#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import CNGramKitSupport
import Foundation

/// The state of one ARPA read, whichever reader drives it (`ARPAParser+Lines` line by line,
/// `ARPAParser+Bulk` in parallel over a mapped file): where in the file it is, the model so far,
/// and the steps both readers share: the header and section markers, the batch lookups
/// (`resolve`), the tables and their growth, and the finished model (`finish`).
///
/// In:  the lines of an ARPA file in order (the bulk reader hands over the bodies of
///      higher-order sections as records instead).
/// Out: `finish` gives the `NGramModel`: words in the order of the 1-grams after `<unk>`, `<s>`,
///      `</s>`; a context missing from the file becomes a *blank* (NaN probability, a context
///      only) and a missing suffix of a stored n-gram is filled in (`ARPAParser+Suffixes`).
///
/// Invariants: sections come in order, so when section n starts, orders below n are complete
/// (but for blanks and grown tables); `partitionUse` mirrors each table's `partitionOccupied`
/// while the file is read (copied back by `finish`); `generation` changes whenever tables are
/// rebuilt, which moves slots.
final class ARPAParser: @unchecked Sendable {
    enum Place {
        case preamble
        case header
        case section(Int)
        case done
    }

    let name: String
    var place = Place.preamble
    private var alpha: Double?
    private var discounts: [KneserNeyDiscount]?
    private var recordedSmoothing: SmoothingMethod?
    private var tokenizer: TokenizerConfiguration?
    /// The n-gram counts per order that the file's `completeMarker` line gives (empty without one).
    private var claimedCompleteCounts: [Int] = []

    // From the `\data\` header: n-grams announced per order and the line that announced them.
    var announced: [Int] = []
    var announcedLine: [Int] = []
    var order: Int { announced.count }
    /// Bytes of the file when it is a plain file of known size; the header's counts must fit
    /// in it. Nil for gzip and standard input, whose tables start small and grow instead.
    var knownSize: Int?

    let vocabulary = Vocabulary()
    // 1-grams while their section is read, by word id (the vocabulary grows with them).
    var unigramProb: [Double] = [0, 0, 0]
    var unigramBackoff: [Double] = [0, 0, 0]
    var unigramSeen: [Bool] = [false, false, false]
    var unigramProbBuffer = LargeBuffer<Double>(zeroedCount: 0)
    var unigramBackoffBuffer = LargeBuffer<Double>(zeroedCount: 0)

    // Orders 2...N: key table and values by slot (`[n - 2]`); no backoffs for the highest order.
    var tables: [CountTable] = []
    var probs: [LargeBuffer<Double>] = []
    var backoffs: [LargeBuffer<Double>] = []
    /// N-grams read per order (blanks and filled suffixes excluded).
    var read: [Int] = []
    /// Slots of filled-in suffixes per order (`[n - 2]`): entries that are not n-grams of the file.
    var filled: [Set<Int>] = []
    /// Blanks made per order (`[n - 2]`; those of a grown table are carried over).
    var blankCount: [Int] = []
    /// Line of the current section's `\n-grams:` marker.
    var sectionLine = 0

    static let maximumOrder = 60
    /// Field bounds of the current line (an n-gram line of order n has n + 1 or n + 2 fields).
    static let maxFields = maximumOrder + 2
    let fieldStart: UnsafeMutablePointer<Int>
    let fieldEnd: UnsafeMutablePointer<Int>

    /// Lines per batch of the line reader.
    static let batchSize = 1024
    /// How many places ahead the lookup loops prefetch.
    static let ahead = 16
    /// The line reader's batch of higher-order lines not yet looked up.
    let batch = ARPABatch(capacity: ARPAParser.batchSize, maximumOrder: ARPAParser.maximumOrder)
    /// Bumped whenever tables are rebuilt, which moves slots.
    var generation = 0
    /// N-grams per partition of each table (`[(n - 2) * 16 + partition]`) and the most a
    /// partition may hold (`[n - 2]`), kept here rather than in the tables' arrays, whose every
    /// access costs a retain; copied into the tables at the end.
    let partitionUse: UnsafeMutablePointer<Int>
    let partitionRoom: UnsafeMutablePointer<Int>

    // The bulk reader's settings and storage.
    /// Bytes per chunk of a section (cut at line ends).
    var chunkBytes = 4 << 20
    /// Record buffers, one per chunk of a wave, kept from wave to wave.
    var recordBuffers: [(buffer: UnsafeMutablePointer<BulkRecord>, capacity: Int)] = []
    /// Why the bulk reader handed the file to the line reader (nil while it has not).
    var handedBack: String?

    // Past the memory budget (`ARPASpill`): asked once the 1-grams are read whether the
    // higher orders go to sorted runs instead of tables.
    var spillWhen: ((_ announced: [Int], _ vocabulary: Vocabulary) throws -> ARPASpill?)?
    /// Where the higher orders go when they do not fit (nil: tables in memory).
    var spill: ARPASpill?

    init(name: String) {
        self.name = name
        fieldStart = .allocate(capacity: ARPAParser.maxFields)
        fieldEnd = .allocate(capacity: ARPAParser.maxFields)
        partitionUse = .allocate(capacity: ARPAParser.maximumOrder * 16)
        partitionRoom = .allocate(capacity: ARPAParser.maximumOrder)
    }

    deinit {
        fieldStart.deallocate()
        fieldEnd.deallocate()
        partitionUse.deallocate()
        partitionRoom.deallocate()
        freeRecordBuffers()
    }

    func error(_ line: Int?, _ reason: String) -> NGramKitError {
        .malformedModel(path: name, line: line, reason: reason)
    }

    /// The preamble line of NGramKit's Stupid Backoff models, before α.
    static let stupidBackoffMarker = "# ngramkit stupid-backoff alpha="
    /// The preamble line of NGramKit's modified Kneser-Ney models, before the discounts
    /// (`D1,D2,D3+` per order, orders separated by spaces).
    static let kneserNeyMarker = "# ngramkit kneser-ney discounts="
    /// The preamble line of NGramKit's models of the other smoothing methods, before the name.
    static let smoothingMarker = "# ngramkit smoothing="
    /// The preamble line recording the tokenizer of the training text (`TokenizerConfiguration.recorded`).
    static let tokenizerMarker = "# ngramkit tokenizer "
    /// The preamble line of a file written from a model whose every n-gram has its context and
    /// its suffix stored as n-grams (every estimated model), followed by the n-gram counts per
    /// order and `completeMarkerEnd`: the reader need not look for holes, as long as the
    /// header's counts are still those (a filter that prunes the file and keeps its comments
    /// changes them).
    static let completeMarker = "# ngramkit complete n-grams="
    static let completeMarkerEnd = ": the context and the suffix of every n-gram are n-grams of this file"

    static let lineShape = "'<log10 prob> <TAB> <words> [<TAB> <log10 backoff>]'"

    // MARK: Lines other than n-grams

    /// Every line that is not an n-gram: preamble, header, markers, blank lines.
    func slowLine(_ line: UnsafeBufferPointer<UInt8>, _ number: Int, warn: (String) -> Void) throws {
        switch place {
        case .preamble:
            var line = line
            // A UTF-8 byte-order mark (some editors write one) is not part of the first line.
            if number == 1 && line.count >= 3 && line[0] == 0xEF && line[1] == 0xBB && line[2] == 0xBF {
                line = UnsafeBufferPointer(rebasing: line[3...])
            }
            if number == 1 && starts(line, with: "mmap lm http://kheafield.com/code") {
                throw error(number, "this is a KenLM binary model, not an ARPA text file; NGramKit reads ARPA models, so pass the .arpa file it was built from")
            }
            if line.contains(0) {
                throw error(number, "binary data before the \\data\\ line; this is not an ARPA text model (gzip is read as such); pass an ARPA file")
            }
            if equals(line, "\\data\\") {
                place = .header
            } else if starts(line, with: ARPAParser.stupidBackoffMarker) {
                let value = UnsafeBufferPointer(rebasing: line[ARPAParser.stupidBackoffMarker.utf8.count...])
                guard let a = ARPALine.parseNumber(value), a > 0 && a <= 1 else {
                    throw error(number, "the Stupid Backoff alpha '\(ARPALine.quote(value))' is not a number in (0, 1]; fix or delete this comment line")
                }
                alpha = a
            } else if starts(line, with: ARPAParser.kneserNeyMarker) {
                // Provenance only (scores never depend on it): an unreadable line is ignored.
                let text = String(decoding: UnsafeBufferPointer(rebasing: line[ARPAParser.kneserNeyMarker.utf8.count...]), as: UTF8.self)
                let orders = text.split(separator: " ").map { $0.split(separator: ",").compactMap { Float(String($0)) } }
                if !orders.isEmpty && orders.allSatisfy({ $0.count == 3 }) {
                    discounts = orders.map { KneserNeyDiscount($0[0], $0[1], $0[2]) }
                }
            } else if starts(line, with: ARPAParser.smoothingMarker) {
                // Provenance only: an unknown name is ignored.
                recordedSmoothing = SmoothingMethod(rawValue: String(decoding: UnsafeBufferPointer(rebasing: line[ARPAParser.smoothingMarker.utf8.count...]), as: UTF8.self))
            } else if starts(line, with: ARPAParser.completeMarker) {
                // Provenance only: an unreadable line claims nothing, and holes are searched for.
                let text = String(decoding: UnsafeBufferPointer(rebasing: line[ARPAParser.completeMarker.utf8.count...]), as: UTF8.self)
                if text.hasSuffix(ARPAParser.completeMarkerEnd) {
                    let counts = text.dropLast(ARPAParser.completeMarkerEnd.count).split(separator: ",").map { Int($0) }
                    if counts.allSatisfy({ $0 != nil }) { claimedCompleteCounts = counts.map { $0! } }
                }
            } else if starts(line, with: ARPAParser.tokenizerMarker) {
                let text = String(decoding: UnsafeBufferPointer(rebasing: line[ARPAParser.tokenizerMarker.utf8.count...]), as: UTF8.self)
                guard let recorded = TokenizerConfiguration(recorded: text) else {
                    throw error(number, "the tokenizer line '\(ARPALine.quote(UnsafeBufferPointer(rebasing: line[2...])))' is not one NGramKit writes (kind=whitespace|unicode|character lowercase=yes|no invalid-utf8=error|replace); fix or delete this comment line")
                }
                tokenizer = recorded
            }
        case .header:
            if line.isEmpty { return }
            if starts(line, with: "ngram") {
                try headerLine(line, number)
            } else if equals(line, "\\1-grams:") {
                guard order > 0 else {
                    throw error(number, "the \\data\\ header lists no 'ngram n=count' line before \\1-grams:; the header must give the count of every order")
                }
                try checkAnnouncedCounts()
                startSection(1, number)
            } else {
                throw error(number, "unexpected line '\(ARPALine.quote(line))' in the \\data\\ header; expected 'ngram <n>=<count>' or '\\1-grams:'")
            }
        case .section(let n):
            if line.isEmpty { return }
            try flush()
            try endSection(n, number, warn: warn)
            if n < order && equals(line, "\\\(n + 1)-grams:") {
                try startTable(n + 1)
                startSection(n + 1, number)
            } else if equals(line, "\\end\\") {
                // Orders announced with no n-grams may leave out their (empty) sections.
                guard n == order || announced[n...].allSatisfy({ $0 == 0 }) else {
                    throw error(number, "\\end\\ comes before the \(n + 1)-grams section, which the \\data\\ header (line \(announcedLine[n])) announces with \(announced[n]) n-grams; the model is truncated")
                }
                if n < order {
                    for m in (n + 1)...order {
                        try startTable(m)
                        read.append(0)
                    }
                }
                place = .done
            } else {
                let next = n < order ? "'\\\(n + 1)-grams:'" : "'\\end\\'"
                throw error(number, "unexpected line '\(ARPALine.quote(line))' after the \(n)-grams section; expected \(next) (the \\data\\ header announces \(order) orders)")
            }
        case .done:
            return   // anything after \end\ is not part of the model
        }
    }

    /// `ngram n=count`, with optional blanks around `=`.
    private func headerLine(_ line: UnsafeBufferPointer<UInt8>, _ number: Int) throws {
        var i = 5
        func blanks() { while i < line.count && (line[i] == 0x20 || line[i] == 0x09) { i += 1 } }
        func integer() -> Int? {
            var value = 0, digits = 0
            while i < line.count && line[i] &- 0x30 < 10 {
                let (product, o1) = value.multipliedReportingOverflow(by: 10)
                let (sum, o2) = product.addingReportingOverflow(Int(line[i] - 0x30))
                if o1 || o2 { return nil }
                value = sum
                digits += 1
                i += 1
            }
            return digits > 0 ? value : nil
        }
        let bad = error(number, "malformed header line '\(ARPALine.quote(line))'; expected 'ngram <n>=<count>' with whole numbers")
        guard i < line.count, line[i] == 0x20 || line[i] == 0x09 else { throw bad }
        blanks()
        guard let n = integer() else { throw bad }
        blanks()
        guard i < line.count && line[i] == 0x3D /* = */ else { throw bad }
        i += 1
        blanks()
        guard let count = integer(), i == line.count else { throw bad }
        guard n <= ARPAParser.maximumOrder else {
            throw error(number, "order \(n) is above the highest order NGramKit supports (\(ARPAParser.maximumOrder))")
        }
        guard n == order + 1 else {
            throw error(number, "the header line 'ngram \(n)=...' should be 'ngram \(order + 1)=...'; orders must be listed in turn from 1")
        }
        announced.append(count)
        announcedLine.append(number)
    }

    /// Refuses a header whose counts a file of `knownSize` bytes cannot hold, before anything is
    /// allocated for them: an n-gram line of order n takes at least 2n + 2 bytes (a one-digit
    /// probability, n one-byte words, n blanks, a newline).
    private func checkAnnouncedCounts() throws {
        guard let knownSize else { return }
        var needed = 0
        for (index, count) in announced.enumerated() {
            let n = index + 1
            let (bytes, o1) = count.multipliedReportingOverflow(by: 2 * n + 2)
            let (total, o2) = needed.addingReportingOverflow(bytes)
            if o1 || o2 || total > knownSize {
                throw error(announcedLine[index], "the \\data\\ header announces \(count) \(n)-grams, more than this file of \(knownSize) bytes can hold (an order-\(n) line takes at least \(2 * n + 2) bytes); the header is wrong or the file is truncated")
            }
            needed = total
        }
    }

    private func startSection(_ n: Int, _ number: Int) {
        place = .section(n)
        sectionLine = number
        read.append(0)
    }

    /// Checks the section just ended against the header, and completes the 1-grams.
    private func endSection(_ n: Int, _ number: Int, warn: (String) -> Void) throws {
        if read[n - 1] != announced[n - 1] {
            throw error(number, "the \(n)-grams section (from line \(sectionLine)) holds \(read[n - 1]) n-grams but the \\data\\ header (line \(announcedLine[n - 1])) announces \(announced[n - 1]); the file is truncated or its header is wrong")
        }
        if n == 1 { try finishUnigrams(number, warn: warn) }
        if n >= 2 { try spill?.endOrder(n) }
    }

    /// Supplies the reserved words the 1-grams lacked and moves the values into buffers.
    private func finishUnigrams(_ number: Int, warn: (String) -> Void) throws {
        guard unigramSeen[Int(Vocabulary.endID)] else {
            throw error(number, "the 1-grams section (from line \(sectionLine)) has no </s>; every sentence ends with it, so the model cannot score one; add a 1-gram for </s>")
        }
        if !unigramSeen[Int(Vocabulary.unknownID)] {
            warn("\(name): the model has no <unk>; out-of-vocabulary words get log10 probability -100, as in KenLM")
            unigramProb[Int(Vocabulary.unknownID)] = -100
        }
        // <s> is context only: its probability is never used, so a missing one is no loss.
        if !unigramSeen[Int(Vocabulary.beginID)] { unigramProb[Int(Vocabulary.beginID)] = 0 }
        // The reserved words now stand in the model like any 1-gram (and are written back).
        read[0] = vocabulary.count
        let count = vocabulary.count
        unigramProbBuffer = LargeBuffer(zeroedCount: count)
        unigramProb.withUnsafeBufferPointer { unigramProbBuffer.base.update(from: $0.baseAddress!, count: count) }
        unigramBackoffBuffer = LargeBuffer(zeroedCount: order > 1 ? count : 0)
        if order > 1 {
            unigramBackoff.withUnsafeBufferPointer { unigramBackoffBuffer.base.update(from: $0.baseAddress!, count: count) }
        }
        unigramProb = []
        unigramBackoff = []
        unigramSeen = []
    }

    /// Entries a table is first made for when the file's size does not bound the header's count
    /// (gzip, standard input): more n-grams than this grow the table as they come.
    static let untrustedInitialEntries = 1 << 22

    /// Makes the empty table of order `n` (the order below is complete).
    private func startTable(_ n: Int) throws {
        if n == 2, let spillWhen {
            spill = try spillWhen(announced, vocabulary)
            self.spillWhen = nil
        }
        if spill != nil { return }
        let contextLimit = n == 2 ? vocabulary.count : tables[n - 3].capacity
        let expected = knownSize == nil ? min(announced[n - 1], ARPAParser.untrustedInitialEntries) : announced[n - 1]
        let table = try CountTable(order: n, capacity: Int(Double(expected) / 0.8) + 64,
                                   wordLimit: vocabulary.count, contextLimit: contextLimit)
        tables.append(table)
        filled.append([])
        blankCount.append(0)
        adopt(order: n)
        probs.append(LargeBuffer(zeroedCount: table.capacity))
        backoffs.append(LargeBuffer(zeroedCount: n < order ? table.capacity : 0))
    }

    /// A 1-gram: its word joins the vocabulary.
    func storeUnigram(_ word: UnsafeBufferPointer<UInt8>, prob: Double, backoff: Double, _ number: Int) throws {
        read[0] += 1
        let id = Int(vocabulary.lookupOrAdd(word))
        if id == unigramProb.count {
            unigramProb.append(0)
            unigramBackoff.append(0)
            unigramSeen.append(false)
        }
        if unigramSeen[id] { throw duplicate(words: [word], number, order: 1) }
        unigramSeen[id] = true
        unigramProb[id] = prob
        unigramBackoff[id] = backoff
    }

    /// The error for line `number` of section `n` that `ARPALine` found, with the line's fields.
    func problem(_ problem: ARPALine.Problem, base: UnsafePointer<UInt8>, _ number: Int, order n: Int) -> NGramKitError {
        func field(_ k: Int) -> String { ARPALine.quote(UnsafeBufferPointer(start: base + fieldStart[k], count: fieldEnd[k] - fieldStart[k])) }
        func wording(_ what: String, _ k: Int, _ value: ARPALine.ValueProblem) -> String {
            switch value {
            case .notANumber:
                return "the \(what) '\(field(k))' is not a number; expected \(ARPAParser.lineShape)"
            case .notFinite:
                return "the \(what) '\(field(k))' is not a finite number in single precision (ARPA values are; its magnitude must be below 3.4e38); fix the model"
            case .positive:
                return "the \(what) \(field(k)) is above 0, a probability above 1; fix the model (KenLM refuses such files too)"
            }
        }
        switch problem {
        case .fieldCount(let fields):
            let shown = fields > ARPAParser.maxFields ? "more than \(ARPAParser.maxFields)" : "\(fields)"
            return error(number, "expected \(n) words in the \(n)-grams section, found \(shown) fields in all; a \(n)-gram line is \(ARPAParser.lineShape) (\(n + 1) or \(n + 2) fields)")
        case .probability(let value):
            return error(number, wording("log10 probability", 0, value))
        case .backoff(let value):
            return error(number, wording("log10 backoff", n + 1, value))
        case .backoffOnHighestOrder:
            return error(number, "this \(n)-gram has a backoff weight (\(field(n + 1))) but \(n) is the highest order, whose n-grams take none; check that the \\data\\ header lists every order")
        }
    }

    func duplicate(words: [UnsafeBufferPointer<UInt8>], _ number: Int, order n: Int) -> NGramKitError {
        let words = words.map { ARPALine.quote($0) }.joined(separator: " ")
        return error(number, "the \(n)-gram '\(words)' appears a second time in its section; every n-gram may appear once, so remove the duplicate")
    }

    // MARK: Lookups

    /// What stopped `resolve` before the end of its batch.
    enum Missing {
        /// Token `t` is no word of the 1-grams.
        case word(Int)
        /// The context (first m words) of line `r` is not in the table of order m.
        case context(line: Int)
    }

    /// Looks up the words of `batch`'s lines (`batch.ids`, line by line).
    /// - Returns: how many lines, from the first, have every word among the 1-grams, and the
    ///   first word that is not (`Missing.word`), if any.
    @inline(__always)
    func resolveWords(_ batch: ARPABatch) -> (lines: Int, missing: Missing?) {
        let n = batch.order
        var count = batch.count
        var missing: Missing? = nil
        let ahead = ARPAParser.ahead
        // (Class references are held in locals: the loop then retains nothing.)
        let vocabulary = self.vocabulary
        batch.computeTags()
        let tags = batch.tags, ids = batch.ids, same = batch.same
        let tokens = count * n
        for t in 0..<tokens {
            if t + ahead < tokens && !same[t + ahead] { ngk_prefetch_read(vocabulary.homeSlotAddress(tags[t + ahead].hash)) }
            if same[t] {
                ids[t] = ids[t - n]
                continue
            }
            guard let id = vocabulary.lookup(batch.token(t), tag: tags[t]) else {
                missing = .word(t)
                count = t / n
                break
            }
            ids[t] = id
        }
        return (count, missing)
    }

    /// Looks up the words of `batch`'s lines, then their contexts order by order (the slot of
    /// words 1...m in the table of order m, for m = 2...n-1), leaving each line's context one
    /// order down in `batch.contexts` (the first word's id for bigrams).
    ///
    /// Step by step over the whole batch, so that each step can prefetch the slots of the line
    /// `ahead` places later; a line that repeats leading words of the line before
    /// (`batch.prefix`, usual in files written in context order) takes their ids and contexts
    /// from it.
    /// - Parameter insertBlanks: true (the line reader; one thread): a missing context becomes a
    ///   blank, and a table that grows on the way restarts its order. False (the bulk reader;
    ///   any thread; nothing is written): a missing context ends the batch there.
    /// - Returns: how many lines, from the first, are resolved (all of them, or those before the
    ///   first line with a missing word or context) and what was missing, if anything.
    @inline(__always)
    func resolve(_ batch: ARPABatch, insertBlanks: Bool) throws -> (lines: Int, missing: Missing?) {
        let n = batch.order
        var (count, missing) = resolveWords(batch)
        let ahead = ARPAParser.ahead
        let ids = batch.ids
        // Contexts, order by order: `batch.contexts` holds each line's context one order down.
        let prefix = batch.prefix
        for r in 0..<count { batch.contexts[r] = ids[r * n] }
        if n >= 3 {
            for m in 2..<n {
                let input = batch.contexts, output = batch.scratch
                // A blank that grows the table moves the slots found so far: start the order again.
                var started = -1
                while started != generation {
                    started = generation
                    let table = tables[m - 2]
                    var r = 0
                    while r < count {
                        if prefix[r] >= m {
                            output[r] = output[r - 1]
                            r += 1
                            continue
                        }
                        if r + ahead < count && prefix[r + ahead] < m {
                            let key = table.key(context: input[r + ahead], word: ids[(r + ahead) * n + m - 1])
                            ngk_prefetch_read(table.address(ofSlot: table.homeSlot(CountTable.hash(key))))
                        }
                        let key = table.key(context: input[r], word: ids[r * n + m - 1])
                        if let found = table.find(key) {
                            output[r] = UInt32(truncatingIfNeeded: found)
                        } else if insertBlanks {
                            let (slot, _) = try insert(into: table, order: m, key: key)
                            probs[m - 2][slot] = .nan
                            blankCount[m - 2] += 1
                            if started != generation { break }
                            output[r] = UInt32(truncatingIfNeeded: slot)
                        } else {
                            missing = .context(line: r)
                            count = r
                            break
                        }
                        r += 1
                    }
                }
                swap(&batch.contexts, &batch.scratch)
            }
        }
        return (count, missing)
    }

    // MARK: Tables

    /// Inserts `key` into `table`, the table of order `k`, first growing it (and rebuilding the
    /// tables keyed on it) when its partition is full.
    /// - Returns: the n-gram's slot (in the grown table if it grew) and whether it is new.
    @inline(__always)
    func insert(into table: CountTable, order k: Int, key: UInt64) throws -> (slot: Int, isNew: Bool) {
        let hash = CountTable.hash(key)
        let used = partitionUse + (k - 2) * 16 + table.partition(hash)
        if used.pointee + 1 > partitionRoom[k - 2] {
            if let slot = table.find(key) { return (slot, false) }
            try grow(order: k)
            return try insert(into: tables[k - 2], order: k, key: key)
        }
        // `add` without its load check; the count field 1 marks the slot used.
        let (slot, isNew) = table.increment(key, hash: hash, by: 1)
        if isNew {
            table.occupied += 1
            used.pointee += 1
        }
        return (slot, isNew)
    }

    /// Takes over the partition counts of the (new) table of order `m`.
    func adopt(order m: Int) {
        let table = tables[m - 2]
        for p in 0..<table.partitionCount { partitionUse[(m - 2) * 16 + p] = table.partitionOccupied[p] }
        partitionRoom[m - 2] = table.partitionLimit
    }

    /// Grows the table of order `k` by half and rebuilds the tables above it (their keys hold
    /// slots of the order below, and their context field may need more bits), values included.
    /// Rare: only a header that undercounts, a gzip file's untrusted count, or many blanks get here.
    func grow(order k: Int) throws {
        generation += 1
        var moved: [UInt32] = []
        for m in k...(tables.count + 1) {
            let old = tables[m - 2]
            let capacity = m == k ? old.capacity + old.capacity / 2 + 16 : max(old.capacity, Int(Double(old.occupied) / 0.8) + 64)
            let contextLimit = m == 2 ? vocabulary.count : tables[m - 3].capacity
            let table = try CountTable(order: m, capacity: capacity, wordLimit: vocabulary.count, contextLimit: contextLimit)
            var keys: [(old: Int, key: UInt64)] = []
            keys.reserveCapacity(old.occupied)
            for slot in 0..<old.capacity where old.isOccupied(slot) {
                let context = m == k ? old.context(ofSlot: slot) : moved[Int(old.context(ofSlot: slot))]
                let key = table.key(context: context, word: old.word(ofSlot: slot))
                table.add(key, amount: 1)
                keys.append((slot, key))
            }
            // Found only after every insert: `add` may itself have grown the table.
            var map = [UInt32](repeating: .max, count: old.capacity)
            let prob = LargeBuffer<Double>(zeroedCount: table.capacity)
            let backoff = LargeBuffer<Double>(zeroedCount: backoffs[m - 2].count > 0 ? table.capacity : 0)
            var fills = Set<Int>()
            for (oldSlot, key) in keys {
                let slot = table.find(key)!
                map[oldSlot] = UInt32(slot)
                prob[slot] = probs[m - 2][oldSlot]
                if backoff.count > 0 { backoff[slot] = backoffs[m - 2][oldSlot] }
                if filled[m - 2].contains(oldSlot) { fills.insert(slot) }
            }
            tables[m - 2] = table
            adopt(order: m)
            probs[m - 2] = prob
            backoffs[m - 2] = backoff
            filled[m - 2] = fills
            moved = map
        }
    }

    // MARK: End

    /// Checks that the file was complete and builds the model.
    func finish(lastLine: Int) throws -> NGramModel {
        try checkEnded(lastLine: lastLine)
        // A file that says it is complete is trusted while its counts are those it was written
        // with, unless a context was missing after all.
        let complete = claimsCompleteness && blankCount.allSatisfy { $0 == 0 }
        if !complete { try fillMissingSuffixes() }
        for (i, table) in tables.enumerated() {
            table.partitionOccupied = Array(UnsafeBufferPointer(start: partitionUse + i * 16, count: table.partitionCount))
        }
        var logProb = [unigramProbBuffer]
        logProb.append(contentsOf: probs)
        var logBackoff = [unigramBackoffBuffer]
        logBackoff.append(contentsOf: backoffs)
        return NGramModel(order: order, vocabulary: vocabulary, tables: tables, logProb: logProb,
                          logBackoff: logBackoff, ngramCounts: read, provenance: provenance,
                          filled: filled,
                          isComplete: blankCount.allSatisfy { $0 == 0 } && filled.allSatisfy(\.isEmpty))
    }

    /// Whether the file says its n-grams' contexts and suffixes are all n-grams of it, with the
    /// counts of its header (`completeMarker`).
    var claimsCompleteness: Bool { claimedCompleteCounts == announced }

    /// The smoothing and tokenizer the file's preamble records.
    var provenance: ModelProvenance {
        var provenance = ModelProvenance(tokenizer: tokenizer)
        if let alpha {
            provenance.smoothing = .stupidBackoff
            provenance.alpha = alpha
        } else if let discounts, discounts.count == order {
            provenance.smoothing = .kneserNey
            provenance.discounts = discounts
        } else if let recordedSmoothing {
            provenance.smoothing = recordedSmoothing
        }
        return provenance
    }

    /// Stores the last batch and checks that the file ended after `\end\`.
    func checkEnded(lastLine: Int) throws {
        try flush()
        switch place {
        case .done:
            break
        case .preamble:
            if lastLine == 0 { throw error(nil, "the file is empty; expected an ARPA model") }
            throw error(lastLine, "no \\data\\ line in the whole file; this is not an ARPA model (expected optional comments, then '\\data\\' and 'ngram <n>=<count>' lines)")
        case .header:
            throw error(lastLine, "the file ends inside the \\data\\ header (expected '\\1-grams:' and the n-grams); the model is truncated")
        case .section(let n):
            var expected: [String] = []
            let missing = announced[n - 1] - read[n - 1]
            if missing > 0 { expected.append("\(missing) more \(n)-grams") }
            if n < order { expected.append(n + 1 == order ? "the \(order)-grams section" : "the \(n + 1)- to \(order)-grams sections") }
            expected.append("\\end\\")
            let list = expected.count == 1 ? expected[0] : expected.dropLast().joined(separator: ", ") + " and " + expected.last!
            throw error(lastLine, "the file ends inside the \(n)-grams section (expected \(list)); the model is truncated")
        }
    }

    // MARK: Bytes

    /// `line` without trailing spaces and TABs.
    func trimmed(_ line: UnsafeBufferPointer<UInt8>) -> UnsafeBufferPointer<UInt8> {
        var end = line.count
        while end > 0 && (line[end - 1] == 0x20 || line[end - 1] == 0x09) { end -= 1 }
        return UnsafeBufferPointer(rebasing: line[..<end])
    }

    func equals(_ line: UnsafeBufferPointer<UInt8>, _ text: String) -> Bool {
        line.elementsEqual(text.utf8)
    }

    func starts(_ line: UnsafeBufferPointer<UInt8>, with text: String) -> Bool {
        line.count >= text.utf8.count && line.prefix(text.utf8.count).elementsEqual(text.utf8)
    }
}
