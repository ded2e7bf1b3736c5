#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import CNGramKitSupport
import Dispatch
import Foundation

/// Reads ARPA backoff models, the text format of KenLM, SRILM, MITLM and IRSTLM.
///
/// In:  an ARPA file, plain or gzip (told apart by content), or `-` for standard input:
///      any preamble (comments, tool banners) up to `\data\`; one `ngram n=count` line per order
///      (n = 1, 2, ... in turn); then the sections `\1-grams:` ... `\N-grams:` in order, each
///      holding its n-grams in any order as `log10 prob, words, [log10 backoff]` separated by
///      TABs or spaces; then `\end\`. Blank lines and `\r\n` endings are accepted anywhere.
/// Out: an `NGramModel`. Words get ids in the order of the 1-grams section, after the reserved
///      `<unk>`, `<s>`, `</s>` (0, 1, 2) wherever those appear. A probability of -99 or less is
///      probability zero (−infinity). An n-gram whose context is not in the file (pruned models)
///      gets its context as a *blank*, an entry with a NaN probability that serves only as a
///      context, as KenLM does. A preamble line `# ngramkit stupid-backoff alpha=α` (written by
///      `ARPAWriter`) marks a Stupid Backoff model; its normalizers are rebuilt from the backoffs.
///
/// How: one pass over the lines, on their bytes (no `String` per line). The 1-grams fix the
/// vocabulary; each higher order's key table is made when its section starts, once the order
/// below is complete, and an n-gram's context is found by chained lookups from its first word.
/// Values sit in flat arrays at the n-gram's slot. A lower table only changes again when a
/// blank is added to it; if that makes it grow, it and every table keyed on it are rebuilt.
/// Higher-order lines are parsed one by one but looked up in batches of `batchSize`: every
/// lookup is a likely cache miss on a large model, and a batch lets each step prefetch the
/// slots of the lines a few places ahead. Errors still come out in line order.
///
/// A plain file is mapped and read faster: preamble, header, 1-grams and markers go through the
/// same line code, but the body of each higher-order section is cut into chunks at line ends,
/// chunks are parsed and looked up in parallel into records (key, values), and the records are
/// inserted by threads that each own some of the table's partitions, in line order within a
/// partition: the table is then exactly the one the line reader builds, for any thread count.
/// Words repeated from the line before reuse its ids and contexts (files written in context
/// order repeat most of them). Any line this path does not expect (malformed, a duplicate, a
/// word or context missing, more n-grams than announced) makes it hand the whole file to the
/// line reader, which gives the exact error, blank or repair.
///
/// Every malformed input is a one-line `NGramKitError.malformedModel` naming the file and line.
public enum ARPAReader {
    /// Reads an ARPA model.
    /// - Parameters:
    ///   - path: the file (plain or gzip, by content), or `-` for standard input.
    ///   - warn: receives one line for each repair that changes scores (a missing `<unk>`).
    /// - Returns: the model; its smoothing is `.stupidBackoff` for NGramKit's Stupid Backoff
    ///   files and `.unknown` otherwise.
    /// - Throws: `NGramKitError.malformedModel` naming the line for a malformed or truncated file,
    ///   a binary model, counts that disagree with the `\data\` header, a word missing from the
    ///   1-grams, a duplicate n-gram or a backoff on the highest order; `cannotOpen`,
    ///   `isDirectory` or `corruptGzip` when the file cannot be read.
    ///   - threads: threads for the n-gram sections of a plain file (the model is the same for any).
    ///   - lineByLine: true reads every line in turn, as a gzip file or standard input are
    ///     (tests compare the two readers).
    ///   - chunkBytes: bytes per chunk of a section in the parallel reader (tests make it small).
    public static func read(_ path: String, threads: Int = ProcessInfo.processInfo.activeProcessorCount,
                            lineByLine: Bool = false, chunkBytes: Int = 4 << 20,
                            warn: (String) -> Void = { _ in }) throws -> NGramModel {
        if !lineByLine && path != "-", let file = MappedText(path: path) {
            // Warnings wait until the fast read either succeeds or throws: when it gives up (an
            // input it leaves to the line reader), the line reader gives them again.
            var warnings: [String] = []
            do {
                let parser = ARPAParser(name: path)
                parser.chunkBytes = max(1, chunkBytes)
                if let model = try parser.readMapped(file, threads: max(1, threads), warn: { warnings.append($0) }) {
                    warnings.forEach(warn)
                    return model
                }
            } catch {
                warnings.forEach(warn)
                throw error
            }
        }
        let parser = ARPAParser(name: path == "-" ? "<stdin>" : path)
        let lines = try LineReader.forEachLine(inFile: path) { line, number in
            try parser.consume(line, number, warn: warn)
        }
        return try parser.finish(lastLine: lines)
    }
}

/// The state of one read: where in the file it is and everything gathered so far.
private final class ARPAParser: @unchecked Sendable {
    private enum Place {
        case preamble
        case header
        case section(Int)
        case done
    }

    private let name: String
    private var place = Place.preamble
    private var alpha: Double?
    private var discounts: [KneserNeyDiscount]?

    // From the `\data\` header: n-grams announced per order and the line that announced them.
    private var announced: [Int] = []
    private var announcedLine: [Int] = []
    private var order: Int { announced.count }

    private let vocabulary = Vocabulary()
    // 1-grams while their section is read, by word id (the vocabulary grows with them).
    private var unigramProb: [Double] = [0, 0, 0]
    private var unigramBackoff: [Double] = [0, 0, 0]
    private var unigramSeen: [Bool] = [false, false, false]
    private var unigramProbBuffer = LargeBuffer<Double>(zeroedCount: 0)
    private var unigramBackoffBuffer = LargeBuffer<Double>(zeroedCount: 0)

    // Orders 2...N: key table and values by slot (`[n - 2]`); no backoffs for the highest order.
    private var tables: [CountTable] = []
    private var probs: [LargeBuffer<Double>] = []
    private var backoffs: [LargeBuffer<Double>] = []
    /// N-grams read per order (blanks excluded).
    private var read: [Int] = []
    /// Line of the current section's `\n-grams:` marker.
    private var sectionLine = 0

    private static let maximumOrder = 60
    // Field bounds of the current line.
    private let maxFields = 64
    private let fieldStart: UnsafeMutablePointer<Int>
    private let fieldEnd: UnsafeMutablePointer<Int>

    // The batch of higher-order lines parsed but not yet looked up: their words (n tokens per
    // line), line numbers and values; the word ids, and the context slots one order down.
    private static let batchSize = 1024
    /// How many places ahead the lookup loops prefetch.
    private static let ahead = 16
    private let batch = TokenBatch()
    private var pending = 0
    private let batchLine: UnsafeMutablePointer<Int>
    private let batchProb: UnsafeMutablePointer<Double>
    private let batchBackoff: UnsafeMutablePointer<Double>
    private let batchIDs: UnsafeMutablePointer<UInt32>
    private var contextIn: UnsafeMutablePointer<UInt32>
    private var contextOut: UnsafeMutablePointer<UInt32>
    /// Bumped whenever tables are rebuilt, which moves slots.
    private var generation = 0
    /// N-grams per partition of each table (`[(n - 2) * 16 + partition]`) and the most a
    /// partition may hold (`[n - 2]`), kept here rather than in the tables' arrays, whose every
    /// access costs a retain; copied into the tables at the end.
    private let partitionUse: UnsafeMutablePointer<Int>
    private let partitionRoom: UnsafeMutablePointer<Int>
    /// Record buffers of the bulk reader, one per chunk of a wave.
    /// Bytes per chunk of a section in the bulk reader (cut at line ends).
    fileprivate var chunkBytes = 4 << 20
    fileprivate var recordBuffers: [(buffer: UnsafeMutablePointer<BulkRecord>, capacity: Int)] = []

    init(name: String) {
        self.name = name
        fieldStart = .allocate(capacity: maxFields)
        fieldEnd = .allocate(capacity: maxFields)
        batchLine = .allocate(capacity: ARPAParser.batchSize)
        batchProb = .allocate(capacity: ARPAParser.batchSize)
        batchBackoff = .allocate(capacity: ARPAParser.batchSize)
        batchIDs = .allocate(capacity: ARPAParser.batchSize * ARPAParser.maximumOrder)
        contextIn = .allocate(capacity: ARPAParser.batchSize)
        contextOut = .allocate(capacity: ARPAParser.batchSize)
        partitionUse = .allocate(capacity: ARPAParser.maximumOrder * 16)
        partitionRoom = .allocate(capacity: ARPAParser.maximumOrder)
    }

    deinit {
        fieldStart.deallocate()
        fieldEnd.deallocate()
        batchLine.deallocate()
        batchProb.deallocate()
        batchBackoff.deallocate()
        batchIDs.deallocate()
        contextIn.deallocate()
        contextOut.deallocate()
        partitionUse.deallocate()
        partitionRoom.deallocate()
        freeRecordBuffers()
    }

    private func error(_ line: Int?, _ reason: String) -> NGramKitError {
        .malformedModel(path: name, line: line, reason: reason)
    }

    /// The preamble line of NGramKit's Stupid Backoff models, before α.
    private static let stupidBackoffMarker = "# ngramkit stupid-backoff alpha="
    /// The preamble line of NGramKit's modified Kneser-Ney models, before the discounts
    /// (`D1,D2,D3+` per order, orders separated by spaces).
    private static let kneserNeyMarker = "# ngramkit kneser-ney discounts="

    private static let lineShape = "'<log10 prob> <TAB> <words> [<TAB> <log10 backoff>]'"

    // MARK: Lines

    /// Takes one line of the file.
    @inline(__always)
    func consume(_ line: UnsafeBufferPointer<UInt8>, _ number: Int, warn: (String) -> Void) throws {
        if case .section(let n) = place, let first = line.first, first != 0x5C /* \ */ {
            try ngramLine(line, number, order: n)
            return
        }
        try slowLine(trimmed(line), number, warn: warn)
    }

    /// Every line that is not an n-gram: preamble, header, markers, blank lines.
    private func slowLine(_ line: UnsafeBufferPointer<UInt8>, _ number: Int, warn: (String) -> Void) throws {
        switch place {
        case .preamble:
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
                guard let a = ARPAParser.parseNumber(value), a > 0 && a <= 1 else {
                    throw error(number, "the Stupid Backoff alpha '\(ARPAParser.quote(value))' is not a number in (0, 1]; fix or delete this comment line")
                }
                alpha = a
            } else if starts(line, with: ARPAParser.kneserNeyMarker) {
                // Provenance only (scores never depend on it): an unreadable line is ignored.
                let text = String(decoding: UnsafeBufferPointer(rebasing: line[ARPAParser.kneserNeyMarker.utf8.count...]), as: UTF8.self)
                let orders = text.split(separator: " ").map { $0.split(separator: ",").compactMap { Float(String($0)) } }
                if !orders.isEmpty && orders.allSatisfy({ $0.count == 3 }) {
                    discounts = orders.map { KneserNeyDiscount($0[0], $0[1], $0[2]) }
                }
            }
        case .header:
            if line.isEmpty { return }
            if starts(line, with: "ngram") {
                try headerLine(line, number)
            } else if equals(line, "\\1-grams:") {
                guard order > 0 else {
                    throw error(number, "the \\data\\ header lists no 'ngram n=count' line before \\1-grams:; the header must give the count of every order")
                }
                startSection(1, number)
            } else {
                throw error(number, "unexpected line '\(ARPAParser.quote(line))' in the \\data\\ header; expected 'ngram <n>=<count>' or '\\1-grams:'")
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
                throw error(number, "unexpected line '\(ARPAParser.quote(line))' after the \(n)-grams section; expected \(next) (the \\data\\ header announces \(order) orders)")
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
        let bad = error(number, "malformed header line '\(ARPAParser.quote(line))'; expected 'ngram <n>=<count>' with whole numbers")
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

    /// Makes the empty table of order `n` (the order below is complete).
    private func startTable(_ n: Int) throws {
        let contextLimit = n == 2 ? vocabulary.count : tables[n - 3].capacity
        let table = try CountTable(order: n, capacity: Int(Double(announced[n - 1]) / 0.8) + 64,
                                   wordLimit: vocabulary.count, contextLimit: contextLimit)
        tables.append(table)
        adopt(order: n)
        probs.append(LargeBuffer(zeroedCount: table.capacity))
        backoffs.append(LargeBuffer(zeroedCount: n < order ? table.capacity : 0))
    }

    // MARK: N-gram lines

    /// One n-gram line of section `n` (it does not start with a backslash): parsed and checked
    /// here; 1-grams are stored at once, higher orders join the batch.
    @inline(__always)
    private func ngramLine(_ line: UnsafeBufferPointer<UInt8>, _ number: Int, order n: Int) throws {
        // Fields: runs of bytes between spaces and TABs.
        let base = line.baseAddress!
        let count = line.count
        var fields = 0
        var i = 0
        while true {
            while i < count && (base[i] == 0x20 || base[i] == 0x09) { i += 1 }
            if i == count { break }
            let start = i
            while i < count && base[i] != 0x20 && base[i] != 0x09 { i += 1 }
            if fields < maxFields {
                fieldStart[fields] = start
                fieldEnd[fields] = i
            }
            fields += 1
        }
        if fields == 0 { return }   // a blank line
        guard fields == n + 1 || fields == n + 2 else {
            throw try failing(error(number, "expected \(n) words in the \(n)-grams section, found \(fields) fields in all; a \(n)-gram line is \(ARPAParser.lineShape) (\(n + 1) or \(n + 2) fields)"))
        }
        var prob = try parseField(line, 0, what: "log10 probability", number)
        if prob <= -99 { prob = -.infinity }   // SRILM and KenLM write probability zero as -99
        var backoff = 0.0
        if fields == n + 2 {
            backoff = try parseField(line, n + 1, what: "log10 backoff", number)
            if n == order && backoff != 0 {
                throw try failing(error(number, "this \(n)-gram has a backoff weight (\(ARPAParser.quote(field(line, n + 1)))) but \(n) is the highest order, whose n-grams take none; check that the \\data\\ header lists every order"))
            }
        }
        read[n - 1] += 1
        if n == 1 {
            let id = Int(vocabulary.lookupOrAdd(field(line, 1)))
            if id == unigramProb.count {
                unigramProb.append(0)
                unigramBackoff.append(0)
                unigramSeen.append(false)
            }
            if unigramSeen[id] { throw duplicate(words: [field(line, 1)], number, order: 1) }
            unigramSeen[id] = true
            unigramProb[id] = prob
            unigramBackoff[id] = backoff
            return
        }
        for k in 1...n { batch.append(field(line, k)) }
        batchLine[pending] = number
        batchProb[pending] = prob
        batchBackoff[pending] = backoff
        pending += 1
        if pending == ARPAParser.batchSize { try flush() }
    }

    /// Stores the pending lines of the current section, then hands back `error` (of a later
    /// line), so that errors come out in line order.
    private func failing(_ error: NGramKitError) throws -> NGramKitError {
        try flush()
        return error
    }

    /// Looks up and stores the pending higher-order lines.
    ///
    /// Step by step over the whole batch, so that each step can prefetch: the words' vocabulary
    /// slots; the contexts, order by order (a missing one becomes a blank); the n-grams. A word
    /// missing from the 1-grams stops the batch there: the lines before it are stored (their
    /// own errors come first), then its error is thrown.
    private func flush() throws {
        guard pending > 0, case .section(let n) = place else { return }
        var count = pending
        pending = 0
        defer { batch.removeAll() }
        let ahead = ARPAParser.ahead
        // Word ids. (Class references are held in locals: the loops then retain nothing.)
        let vocabulary = self.vocabulary, batch = self.batch
        batch.computeTags()
        let tags = batch.tags, ids = batchIDs
        let tokens = count * n
        var missing: Int? = nil
        for t in 0..<tokens {
            if t + ahead < tokens { ngk_prefetch_read(vocabulary.homeSlotAddress(tags[t + ahead].hash)) }
            guard let id = vocabulary.lookup(batch.token(t), tag: tags[t]) else {
                missing = t
                count = t / n
                break
            }
            ids[t] = id
        }
        // Contexts, order by order: contextIn holds each line's context one order down.
        for r in 0..<count { contextIn[r] = ids[r * n] }
        if n >= 3 {
            for m in 2..<n {
                let input = contextIn, output = contextOut
                // A blank that grows the table moves the slots found so far: start the order again.
                var started = -1
                while started != generation {
                    started = generation
                    let table = tables[m - 2]
                    for r in 0..<count {
                        if r + ahead < count {
                            let key = table.key(context: input[r + ahead], word: ids[(r + ahead) * n + m - 1])
                            ngk_prefetch_read(table.address(ofSlot: table.homeSlot(CountTable.hash(key))))
                        }
                        let key = table.key(context: input[r], word: ids[r * n + m - 1])
                        if let found = table.find(key) {
                            output[r] = UInt32(truncatingIfNeeded: found)
                        } else {
                            let (slot, _) = try insert(into: table, order: m, key: key)
                            probs[m - 2][slot] = .nan
                            if started != generation { break }
                            output[r] = UInt32(truncatingIfNeeded: slot)
                        }
                    }
                }
                swap(&contextIn, &contextOut)
            }
        }
        // The n-grams themselves.
        let contexts = contextIn
        let hasBackoff = n < order
        var seen = generation
        var table = tables[n - 2], prob = probs[n - 2], backoff = backoffs[n - 2]
        for r in 0..<count {
            if r + ahead < count {
                // The n-gram lands at its home slot or just after it: its values too.
                let key = table.key(context: contexts[r + ahead], word: ids[(r + ahead) * n + n - 1])
                let home = table.homeSlot(CountTable.hash(key))
                ngk_prefetch_write(table.address(ofSlot: home))
                ngk_prefetch_write(prob.base + home)
                if hasBackoff { ngk_prefetch_write(backoff.base + home) }
            }
            let (slot, isNew) = try insert(into: table, order: n, key: table.key(context: contexts[r], word: ids[r * n + n - 1]))
            if seen != generation {
                // The insert grew the table: new table, new value arrays.
                seen = generation
                (table, prob, backoff) = (tables[n - 2], probs[n - 2], backoffs[n - 2])
            }
            guard isNew else { throw duplicate(words: (0..<n).map { batch.token(r * n + $0) }, batchLine[r], order: n) }
            prob[slot] = batchProb[r]
            if hasBackoff { backoff[slot] = batchBackoff[r] }
        }
        if let missing {
            let r = missing / n
            throw error(batchLine[r], "the word '\(ARPAParser.quote(batch.token(missing)))' of this \(n)-gram is not among the 1-grams; every word of an ARPA model needs a 1-gram line")
        }
    }

    private func duplicate(words: [UnsafeBufferPointer<UInt8>], _ number: Int, order n: Int) -> NGramKitError {
        let words = words.map { ARPAParser.quote($0) }.joined(separator: " ")
        return error(number, "the \(n)-gram '\(words)' appears a second time in its section; every n-gram may appear once, so remove the duplicate")
    }

    @inline(__always)
    private func field(_ line: UnsafeBufferPointer<UInt8>, _ k: Int) -> UnsafeBufferPointer<UInt8> {
        UnsafeBufferPointer(start: line.baseAddress! + fieldStart[k], count: fieldEnd[k] - fieldStart[k])
    }

    @inline(__always)
    private func parseField(_ line: UnsafeBufferPointer<UInt8>, _ k: Int, what: String, _ number: Int) throws -> Double {
        let text = field(line, k)
        guard let value = ARPAParser.parseNumber(text) else {
            throw try failing(error(number, "the \(what) '\(ARPAParser.quote(text))' is not a number; expected \(ARPAParser.lineShape)"))
        }
        return value
    }

    // MARK: Tables

    /// Inserts `key` into `table`, the table of order `k`, first growing it (and rebuilding the
    /// tables keyed on it) when its partition is full.
    /// - Returns: the n-gram's slot (in the grown table if it grew) and whether it is new.
    @inline(__always)
    private func insert(into table: CountTable, order k: Int, key: UInt64) throws -> (slot: Int, isNew: Bool) {
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
    private func adopt(order m: Int) {
        let table = tables[m - 2]
        for p in 0..<table.partitionCount { partitionUse[(m - 2) * 16 + p] = table.partitionOccupied[p] }
        partitionRoom[m - 2] = table.partitionLimit
    }

    /// Grows the table of order `k` by half and rebuilds the tables above it (their keys hold
    /// slots of the order below, and their context field may need more bits), values included.
    /// Rare: only a header that undercounts or many blanks get here.
    private func grow(order k: Int) throws {
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
            for (oldSlot, key) in keys {
                let slot = table.find(key)!
                map[oldSlot] = UInt32(slot)
                prob[slot] = probs[m - 2][oldSlot]
                if backoff.count > 0 { backoff[slot] = backoffs[m - 2][oldSlot] }
            }
            tables[m - 2] = table
            adopt(order: m)
            probs[m - 2] = prob
            backoffs[m - 2] = backoff
            moved = map
        }
    }

    // MARK: End

    /// Checks that the file was complete and builds the model.
    func finish(lastLine: Int) throws -> NGramModel {
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
        for (i, table) in tables.enumerated() {
            table.partitionOccupied = Array(UnsafeBufferPointer(start: partitionUse + i * 16, count: table.partitionCount))
        }
        var logProb = [unigramProbBuffer]
        logProb.append(contentsOf: probs)
        var logBackoff = [unigramBackoffBuffer]
        logBackoff.append(contentsOf: backoffs)
        var smoothing = ModelSmoothing.unknown
        var logNormalizer: [LargeBuffer<Double>] = []
        if let alpha {
            smoothing = .stupidBackoff(alpha: alpha)
            logNormalizer = normalizers(alpha: alpha)
        } else if let discounts, discounts.count == order {
            smoothing = .modifiedKneserNey(discounts: discounts)
        }
        return NGramModel(order: order, vocabulary: vocabulary, tables: tables, logProb: logProb,
                          logBackoff: logBackoff, ngramCounts: read, smoothing: smoothing,
                          logNormalizer: logNormalizer)
    }

    /// Stupid Backoff's log10 Z(h) for every context h of orders 1...N-1 (NaN for the rest),
    /// from log10 Z(h) = log10 α + log10 Z(h') − backoff(h), h' being h without its first word
    /// (see `StupidBackoff`). Z is also carried for stored n-grams that are no context, as
    /// α·Z(h') (what scoring assumes for them), so that every suffix has a value.
    private func normalizers(alpha: Double) -> [LargeBuffer<Double>] {
        guard order >= 2 else { return [] }
        let logAlpha = log10(alpha)
        var result: [LargeBuffer<Double>] = []
        var lowerZ: LargeBuffer<Double>? = nil          // Z of every entry one order down
        var lowerSuffix: LargeBuffer<UInt32>? = nil     // suffix slot of every entry one order down
        for k in 1..<order {
            let size = k == 1 ? vocabulary.count : tables[k - 2].capacity
            // Contexts: the n-grams that some stored (k+1)-gram (not a blank) extends.
            var isContext = [Bool](repeating: false, count: size)
            let above = tables[k - 1]
            let aboveProb = probs[k - 1]
            for slot in 0..<above.capacity where above.isOccupied(slot) && !aboveProb[slot].isNaN {
                isContext[Int(above.context(ofSlot: slot))] = true
            }
            let z = LargeBuffer<Double>(zeroedCount: size)
            let normalizer = LargeBuffer<Double>(zeroedCount: size)
            let backoff = k == 1 ? unigramBackoffBuffer : backoffs[k - 2]
            let suffixes = LargeBuffer<UInt32>(zeroedCount: k >= 2 && k < order - 1 ? size : 0)
            for slot in 0..<size {
                normalizer[slot] = .nan
                var zSuffix = 0.0   // log10 Z(ε) = 0 for 1-grams
                if k >= 2 {
                    let table = tables[k - 2]
                    guard table.isOccupied(slot) else { continue }
                    let word = table.word(ofSlot: slot)
                    var suffix: Int? = nil
                    if k == 2 {
                        suffix = Int(word)
                    } else {
                        let contextSuffix = lowerSuffix![Int(table.context(ofSlot: slot))]
                        if contextSuffix != .max { suffix = tables[k - 3].find(context: contextSuffix, word: word) }
                    }
                    guard let suffix else {
                        // A suffix missing (not an NGramKit file): no Z known here or above.
                        z[slot] = .nan
                        if suffixes.count > 0 { suffixes[slot] = .max }
                        continue
                    }
                    if suffixes.count > 0 { suffixes[slot] = UInt32(suffix) }
                    zSuffix = lowerZ![suffix]
                }
                if isContext[slot] {
                    z[slot] = logAlpha + zSuffix - backoff[slot]
                    normalizer[slot] = z[slot]
                } else {
                    z[slot] = logAlpha + zSuffix
                }
            }
            result.append(normalizer)
            lowerZ = z
            lowerSuffix = suffixes
        }
        return result
    }

    // MARK: Bytes

    private static let exactPowersOfTen: [Double] = [
        1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11,
        1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22,
    ]

    /// Parses `[-+]digits[.digits][(e|E)[-+]digits]` (digits on at least one side of the point)
    /// or `-inf` / `-infinity` (any case); nil for anything else, NaN included.
    ///
    /// Fast path (Clinger): a mantissa of at most 2^53 scaled by an exact power of ten of at
    /// most 10^22 is one correctly rounded IEEE operation; everything else goes to `strtod`.
    @inline(__always)
    static func parseNumber(_ text: UnsafeBufferPointer<UInt8>) -> Double? {
        let count = text.count
        guard count > 0 else { return nil }
        let p = text.baseAddress!
        var i = 0
        var negative = false
        if p[0] == 0x2D || p[0] == 0x2B {
            negative = p[0] == 0x2D
            i = 1
        }
        // Every digit goes into the mantissa, leading zeros too (they add nothing); more than 19
        // digits may overflow it, and go to `strtod`.
        var mantissa: UInt64 = 0
        var exponent = 0
        let integerStart = i
        while i < count, case let d = p[i] &- 0x30, d < 10 {
            mantissa = mantissa &* 10 &+ UInt64(d)
            i += 1
        }
        var digits = i - integerStart
        if i < count && p[i] == 0x2E /* . */ {
            i += 1
            let fractionStart = i
            // Eight digits at a time while eight bytes of the field remain (single-precision
            // values written in full have eight or nine): check that all are digits, then
            // combine pairs, quads and octets in place.
            while count - i >= 8 {
                let chunk = UnsafeRawPointer(p + i).loadUnaligned(as: UInt64.self).littleEndian
                let high: UInt64 = 0xF0F0_F0F0_F0F0_F0F0, zeros: UInt64 = 0x3030_3030_3030_3030
                guard chunk & high == zeros, (chunk &+ 0x0606_0606_0606_0606) & high == zeros else { break }
                var v = chunk &- zeros
                v = (v &* 10 &+ (v &>> 8)) & 0x00FF_00FF_00FF_00FF
                v = (v &* 100 &+ (v &>> 16)) & 0x0000_FFFF_0000_FFFF
                v = (v &* 10_000 &+ (v &>> 32)) & 0xFFFF_FFFF
                mantissa = mantissa &* 100_000_000 &+ v
                i += 8
            }
            if count - i >= 4 {
                let chunk = UnsafeRawPointer(p + i).loadUnaligned(as: UInt32.self).littleEndian
                let high: UInt32 = 0xF0F0_F0F0, zeros: UInt32 = 0x3030_3030
                if chunk & high == zeros && (chunk &+ 0x0606_0606) & high == zeros {
                    var v = chunk &- zeros
                    v = (v &* 10 &+ (v &>> 8)) & 0x00FF_00FF
                    v = (v &* 100 &+ (v &>> 16)) & 0xFFFF
                    mantissa = mantissa &* 10_000 &+ UInt64(v)
                    i += 4
                }
            }
            while i < count, case let d = p[i] &- 0x30, d < 10 {
                mantissa = mantissa &* 10 &+ UInt64(d)
                i += 1
            }
            exponent = fractionStart - i
            digits += i - fractionStart
        }
        let sawDigit = digits > 0
        let tooLong = digits > 19
        guard sawDigit else {
            return negative && isInfinity(UnsafeBufferPointer(rebasing: text[i...])) ? -.infinity : nil
        }
        if i < count && (p[i] | 0x20) == 0x65 /* e */ {
            i += 1
            var exponentNegative = false
            if i < count && (p[i] == 0x2D || p[i] == 0x2B) {
                exponentNegative = p[i] == 0x2D
                i += 1
            }
            var written = 0, digits = 0
            while i < count, case let d = p[i] &- 0x30, d < 10 {
                if written < 100_000 { written = written * 10 + Int(d) }
                digits += 1
                i += 1
            }
            guard digits > 0 else { return nil }
            exponent += exponentNegative ? -written : written
        }
        guard i == count else { return nil }
        if mantissa == 0 && !tooLong { return negative ? -0.0 : 0.0 }
        if !tooLong && mantissa <= 1 << 53 && exponent >= -22 && exponent <= 22 {
            let value = exponent < 0 ? Double(mantissa) / exactPowersOfTen[-exponent] : Double(mantissa) * exactPowersOfTen[exponent]
            return negative ? -value : value
        }
        return slowParse(text)
    }

    /// `strtod` on a NUL-terminated copy (already checked to be a plain decimal number).
    @inline(never)
    private static func slowParse(_ text: UnsafeBufferPointer<UInt8>) -> Double? {
        withUnsafeTemporaryAllocation(of: CChar.self, capacity: text.count + 1) { copy in
            let start = copy.baseAddress!
            UnsafeMutableRawPointer(start).copyMemory(from: text.baseAddress!, byteCount: text.count)
            start[text.count] = 0
            var end: UnsafeMutablePointer<CChar>? = nil
            let value = strtod(start, &end)
            return end == start + text.count ? value : nil
        }
    }

    private static func isInfinity(_ text: UnsafeBufferPointer<UInt8>) -> Bool {
        let lower = text.map { $0 | 0x20 }
        return lower.elementsEqual("inf".utf8) || lower.elementsEqual("infinity".utf8)
    }

    /// `line` without trailing spaces and TABs.
    private func trimmed(_ line: UnsafeBufferPointer<UInt8>) -> UnsafeBufferPointer<UInt8> {
        var end = line.count
        while end > 0 && (line[end - 1] == 0x20 || line[end - 1] == 0x09) { end -= 1 }
        return UnsafeBufferPointer(rebasing: line[..<end])
    }

    private func equals(_ line: UnsafeBufferPointer<UInt8>, _ text: String) -> Bool {
        line.elementsEqual(text.utf8)
    }

    private func starts(_ line: UnsafeBufferPointer<UInt8>, with text: String) -> Bool {
        line.count >= text.utf8.count && line.prefix(text.utf8.count).elementsEqual(text.utf8)
    }

    /// Bytes for an error message: at most 40 of them, control characters shown as `?`, so the
    /// message stays one line.
    static func quote(_ bytes: UnsafeBufferPointer<UInt8>) -> String {
        let shown = String(decoding: bytes.prefix(40).map { $0 < 0x20 || $0 == 0x7F ? 0x3F : $0 }, as: UTF8.self)
        return bytes.count > 40 ? shown + "..." : shown
    }
}

// MARK: - Bulk reading

/// A plain (not gzip) regular file mapped into memory, for `ARPAParser.readMapped`.
final class MappedText: @unchecked Sendable {
    let base: UnsafePointer<UInt8>
    let count: Int
    private let mapping: UnsafeMutableRawPointer

    /// Maps `path`; nil for anything the line reader should handle instead (a file that cannot
    /// be opened, a directory, an empty or gzip file, a pipe), so that it gives its own errors.
    init?(path: String) {
        var info = stat()
        guard stat(path, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG, info.st_size >= 2 else { return nil }
        let fd = open(path, O_RDONLY)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        let size = Int(info.st_size)
        guard let raw = mmap(nil, size, PROT_READ, MAP_PRIVATE, fd, 0), raw != MAP_FAILED else { return nil }
        let bytes = UnsafePointer<UInt8>(raw.assumingMemoryBound(to: UInt8.self))
        if bytes[0] == 0x1f && bytes[1] == 0x8b {
            munmap(raw, size)
            return nil
        }
        mapping = raw
        base = bytes
        count = size
    }

    deinit { munmap(mapping, count) }

    /// Drops the pages wholly inside `start..<end` from this process (they stay in the page
    /// cache), so that a read once parsed does not count them in the resident size.
    func release(_ start: Int, _ end: Int) {
        let page = Int(sysconf(Int32(_SC_PAGESIZE)))
        let first = (start + page - 1) / page * page
        let last = end / page * page
        if last > first { madvise(mapping + first, last - first, MADV_DONTNEED) }
    }
}

/// One parsed n-gram of a bulk section: its key in the order's table, the key's hash, values.
fileprivate struct BulkRecord {
    var key: UInt64
    var hash: UInt64
    var prob: Double
    var backoff: Double
}

/// The records of one chunk of a section, in line order.
private struct BulkChunk {
    var start = 0
    var end = 0
    var records: UnsafeMutablePointer<BulkRecord>? = nil
    var count = 0
    var lines = 0
    var ok = false
}

extension ARPAParser {

    /// Reads a mapped file: the preamble, header, 1-grams and markers line by line with
    /// `consume`, and the body of every higher-order section with `bulkSection`.
    /// - Returns: the model, or nil when some section holds anything the bulk reader leaves to
    ///   the line reader (any malformed line, a missing word or context, a duplicate, more
    ///   n-grams than the header announced): the caller then reads the file again line by line,
    ///   which gives the exact error or repair.
    func readMapped(_ file: MappedText, threads: Int, warn: (String) -> Void) throws -> NGramModel? {
        let base = file.base, size = file.count
        var position = 0, number = 0
        while position < size {
            let newline = memchr(base + position, 0x0A, size - position)
            let lineEnd = newline.map { UnsafeRawPointer(base).distance(to: UnsafeRawPointer($0)) } ?? size
            var end = lineEnd
            if end > position && base[end - 1] == 0x0D { end -= 1 }
            number += 1
            try consume(UnsafeBufferPointer(start: base + position, count: end - position), number, warn: warn)
            position = newline == nil ? size : lineEnd + 1
            if case .section(let n) = place, n >= 2, pending == 0 {
                let bodyEnd = ARPAParser.sectionEnd(file, from: position)
                guard let lines = try bulkSection(file, position, bodyEnd, order: n, threads: threads) else { return nil }
                number += lines
                file.release(0, bodyEnd)
                position = bodyEnd
            }
        }
        freeRecordBuffers()
        return try finish(lastLine: number)
    }

    fileprivate func freeRecordBuffers() {
        for (buffer, _) in recordBuffers { buffer.deallocate() }
        recordBuffers = []
    }

    /// The start of the first line at or after `from` that begins with a backslash (a section
    /// marker or `\end\`), or the file's size. The pages searched are released window by
    /// window, so that the search does not hold the whole section in the resident size.
    private static func sectionEnd(_ file: MappedText, from: Int) -> Int {
        let base = file.base, size = file.count
        if from >= size || base[from] == 0x5C { return min(from, size) }
        let window = 32 << 20
        var p = from
        var windowStart = from
        while p < size {
            let limit = min(size, windowStart + window)
            if let found = memchr(base + p, 0x5C, limit - p) {
                let i = UnsafeRawPointer(base).distance(to: UnsafeRawPointer(found))
                if base[i - 1] == 0x0A {
                    file.release(windowStart, i)
                    return i
                }
                p = i + 1
            } else {
                file.release(windowStart, limit)
                p = limit
                windowStart = limit
            }
        }
        return size
    }

    /// Reads the lines `start..<end` of section `n` (≥ 2; the order below is complete): chunks
    /// of lines are parsed and looked up in parallel into records (keys and values), then the
    /// records are inserted into the order's table, one thread per group of partitions, each
    /// partition's records in line order, so the table is the one the line reader builds,
    /// whatever the number of threads.
    /// - Returns: the number of lines, or nil to leave the file to the line reader.
    private func bulkSection(_ file: MappedText, _ start: Int, _ end: Int, order n: Int, threads: Int) throws -> Int? {
        let base = file.base
        // Chunks, cut after a newline.
        var chunks: [BulkChunk] = []
        var p = start
        while p < end {
            var q = min(p + chunkBytes, end)
            if q < end, let nl = memchr(base + q, 0x0A, end - q) {
                q = UnsafeRawPointer(base).distance(to: UnsafeRawPointer(nl)) + 1
            } else {
                q = end
            }
            chunks.append(BulkChunk(start: p, end: q))
            p = q
        }
        let table = tables[n - 2]
        let wave = max(16, 4 * threads)
        let groups = min(threads, table.partitionCount)
        var lines = 0
        var first = 0
        while first < chunks.count {
            let last = min(first + wave, chunks.count)
            let results = UnsafeMutablePointer<BulkChunk>.allocate(capacity: last - first)
            results.initialize(from: Array(chunks[first..<last]), count: last - first)
            defer { results.deallocate() }
            // Record buffers are kept from wave to wave (fresh pages cost the kernel a clearing).
            for i in 0..<(last - first) {
                // At most one record per 2n + 2 bytes ("p w w\n").
                let needed = (results[i].end - results[i].start) / (2 * n + 2) + 1
                if i == recordBuffers.count { recordBuffers.append((.allocate(capacity: needed), needed)) }
                if recordBuffers[i].capacity < needed {
                    recordBuffers[i].buffer.deallocate()
                    recordBuffers[i] = (.allocate(capacity: needed), needed)
                }
                results[i].records = recordBuffers[i].buffer
            }
            let shared = UncheckedSendable(results)
            let mapped = UncheckedSendable(file)
            DispatchQueue.concurrentPerform(iterations: last - first) { i in
                self.parseChunk(&shared.value[i], mapped.value, order: n)
            }
            for i in 0..<(last - first) {
                guard results[i].ok else { return nil }
                lines += results[i].lines
            }
            let inserted = UnsafeMutablePointer<Int>.allocate(capacity: groups)
            defer { inserted.deallocate() }
            let insertedShared = UncheckedSendable(inserted)
            let chunkCount = last - first
            DispatchQueue.concurrentPerform(iterations: groups) { g in
                insertedShared.value[g] = self.insertRecords(shared.value, chunkCount, order: n, group: g, of: groups)
            }
            for g in 0..<groups {
                guard inserted[g] >= 0 else { return nil }
                table.occupied += inserted[g]
                read[n - 1] += inserted[g]
            }
            file.release(chunks[first].start, chunks[last - 1].end)
            first = last
        }
        return lines
    }

    /// Parses the lines of `chunk` into records; `chunk.ok` stays false for anything unusual.
    private func parseChunk(_ chunk: inout BulkChunk, _ file: MappedText, order n: Int) {
        let base = file.base
        let safeEnd = file.count - 16    // a 16-byte load from a word starting before this is safe
        let batchSize = 512
        let ahead = ARPAParser.ahead
        let tokens = UnsafeMutablePointer<UnsafeBufferPointer<UInt8>>.allocate(capacity: batchSize * n)
        let tags = UnsafeMutablePointer<Vocabulary.Tag>.allocate(capacity: batchSize * n)
        let ids = UnsafeMutablePointer<UInt32>.allocate(capacity: batchSize * n)
        let contexts = UnsafeMutablePointer<UInt32>.allocate(capacity: batchSize)
        let probs = UnsafeMutablePointer<Double>.allocate(capacity: batchSize)
        let backoffs = UnsafeMutablePointer<Double>.allocate(capacity: batchSize)
        let fieldStart = UnsafeMutablePointer<Int>.allocate(capacity: n + 3)
        let fieldEnd = UnsafeMutablePointer<Int>.allocate(capacity: n + 3)
        // Whether a token equals the one at its place in the line before (same id), and how
        // many leading words a line shares with the line before (same contexts up to there):
        // files written in context order repeat most contexts from line to line.
        let tokenSame = UnsafeMutablePointer<Bool>.allocate(capacity: batchSize * n)
        let prefix = UnsafeMutablePointer<Int>.allocate(capacity: batchSize)
        defer {
            tokens.deallocate(); tags.deallocate(); ids.deallocate(); contexts.deallocate()
            probs.deallocate(); backoffs.deallocate(); fieldStart.deallocate(); fieldEnd.deallocate()
            tokenSame.deallocate(); prefix.deallocate()
        }
        let records = chunk.records!
        let vocabulary = self.vocabulary
        let lower = Array(tables.prefix(n - 2))
        let top = tables[n - 2]
        let highest = n == order
        var count = 0, lines = 0, pending = 0

        // Looks up the pending lines' words and contexts and appends their records.
        func lookUp() -> Bool {
            let tokenCount = pending * n
            for t in 0..<tokenCount where !tokenSame[t] {
                let token = tokens[t]
                tags[t] = Vocabulary.tag(token, paddedBytes: base.distance(to: token.baseAddress!) < safeEnd)
            }
            for t in 0..<tokenCount {
                if t + ahead < tokenCount && !tokenSame[t + ahead] { ngk_prefetch_read(vocabulary.homeSlotAddress(tags[t + ahead].hash)) }
                if tokenSame[t] {
                    ids[t] = ids[t - n]
                    continue
                }
                guard let id = vocabulary.lookup(tokens[t], tag: tags[t]) else { return false }
                ids[t] = id
            }
            for r in 0..<pending { contexts[r] = ids[r * n] }
            for m in stride(from: 2, to: n, by: 1) {
                let table = lower[m - 2]
                for r in 0..<pending {
                    if prefix[r] >= m {
                        contexts[r] = contexts[r - 1]
                        continue
                    }
                    if r + ahead < pending && prefix[r + ahead] < m {
                        let key = table.key(context: contexts[r + ahead], word: ids[(r + ahead) * n + m - 1])
                        ngk_prefetch_read(table.address(ofSlot: table.homeSlot(CountTable.hash(key))))
                    }
                    guard let slot = table.find(table.key(context: contexts[r], word: ids[r * n + m - 1])) else { return false }
                    contexts[r] = UInt32(truncatingIfNeeded: slot)
                }
            }
            for r in 0..<pending {
                let key = top.key(context: contexts[r], word: ids[r * n + n - 1])
                records[count] = BulkRecord(key: key, hash: CountTable.hash(key), prob: probs[r], backoff: backoffs[r])
                count += 1
            }
            pending = 0
            return true
        }

        var position = chunk.start
        let end = chunk.end
        while position < end {
            let newline = memchr(base + position, 0x0A, end - position)
            let lineEnd = newline.map { UnsafeRawPointer(base).distance(to: UnsafeRawPointer($0)) } ?? end
            var stop = lineEnd
            if stop > position && base[stop - 1] == 0x0D { stop -= 1 }
            lines += 1
            let lineStart = position
            position = newline == nil ? end : lineEnd + 1
            // Fields are runs of non-blank bytes. Sixteen bytes at a time: the bits where
            // blank and non-blank alternate are the fields' starts and ends.
            var fields = 0
            var i = lineStart
            var inField: UInt32 = 0   // 1 while a field is open at i
            while i < stop {
                let nonBlank: UInt32
                let width: Int
                if i <= safeEnd {
                    width = min(16, stop - i)
                    nonBlank = ~ngk_blank_mask16(base + i) & (UInt32(1) &<< UInt32(truncatingIfNeeded: width) &- 1)
                } else {
                    width = 1
                    nonBlank = base[i] == 0x20 || base[i] == 0x09 ? 0 : 1
                }
                // Bit b: byte b differs from the byte before (a start or an end). The byte after
                // the line counts as blank, so a field open at the line's end closes there; a
                // field open at a block's end otherwise goes on into the next block.
                var changes = nonBlank ^ (nonBlank &<< 1 | inField)
                changes &= (UInt32(1) &<< UInt32(truncatingIfNeeded: i + width == stop ? width + 1 : width)) &- 1
                while changes != 0 {
                    let bit = changes.trailingZeroBitCount
                    if nonBlank &>> UInt32(truncatingIfNeeded: bit) & 1 == 1 {
                        if fields == n + 2 { return }   // too many fields
                        fieldStart[fields] = i + bit
                    } else {
                        fieldEnd[fields] = i + bit
                        fields += 1
                    }
                    changes &= changes &- 1
                }
                inField = nonBlank &>> UInt32(truncatingIfNeeded: width &- 1) & 1
                i += width
            }
            if fields == 0 { continue }
            guard fields == n + 1 || fields == n + 2 else { return }
            guard var prob = ARPAParser.parseNumber(UnsafeBufferPointer(start: base + fieldStart[0], count: fieldEnd[0] - fieldStart[0])) else { return }
            if prob <= -99 { prob = -.infinity }
            var backoff = 0.0
            if fields == n + 2 {
                guard let b = ARPAParser.parseNumber(UnsafeBufferPointer(start: base + fieldStart[n + 1], count: fieldEnd[n + 1] - fieldStart[n + 1])) else { return }
                if highest && b != 0 { return }
                backoff = b
            }
            let row = pending * n
            var same = 0
            for k in 1...n {
                let token = UnsafeBufferPointer(start: base + fieldStart[k], count: fieldEnd[k] - fieldStart[k])
                tokens[row + k - 1] = token
                var equal = false
                if pending > 0 {
                    let before = tokens[row - n + k - 1]
                    equal = before.count == token.count && memcmp(before.baseAddress!, token.baseAddress!, token.count) == 0
                }
                tokenSame[row + k - 1] = equal
                if equal && same == k - 1 { same = k }
            }
            prefix[pending] = same
            probs[pending] = prob
            backoffs[pending] = backoff
            pending += 1
            if pending == batchSize { guard lookUp() else { return } }
        }
        guard lookUp() else { return }
        chunk.count = count
        chunk.lines = lines
        chunk.ok = true
    }

    /// Inserts the records of `chunks` whose partition is in `group` (of `groups`), in order.
    /// - Returns: the number inserted, or -1 for a duplicate or a partition past its room.
    private func insertRecords(_ chunks: UnsafeMutablePointer<BulkChunk>, _ chunkCount: Int, order n: Int, group: Int, of groups: Int) -> Int {
        let table = tables[n - 2]
        let prob = probs[n - 2], backoff = backoffs[n - 2]
        let hasBackoff = n < order
        let partitions = table.partitionCount
        let low = group * partitions / groups, high = (group + 1) * partitions / groups
        let use = partitionUse + (n - 2) * 16
        let room = partitionRoom[n - 2]
        let ahead = ARPAParser.ahead
        var inserted = 0
        for c in 0..<chunkCount {
            let records = chunks[c].records!
            let count = chunks[c].count
            for r in 0..<count {
                if r + ahead < count {
                    let hash = records[r + ahead].hash
                    let p = table.partition(hash)
                    if p >= low && p < high {
                        let home = table.homeSlot(hash)
                        ngk_prefetch_write(table.address(ofSlot: home))
                        ngk_prefetch_write(prob.base + home)
                        if hasBackoff { ngk_prefetch_write(backoff.base + home) }
                    }
                }
                let record = records[r]
                let p = table.partition(record.hash)
                guard p >= low && p < high else { continue }
                if use[p] + 1 > room { return -1 }
                let (slot, isNew) = table.increment(record.key, hash: record.hash, by: 1)
                guard isNew else { return -1 }
                use[p] += 1
                prob[slot] = record.prob
                if hasBackoff { backoff[slot] = record.backoff }
                inserted += 1
            }
        }
        return inserted
    }
}
