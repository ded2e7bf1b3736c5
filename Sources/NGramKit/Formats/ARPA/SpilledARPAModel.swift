import Foundation

/// An ARPA model read past the memory budget (`ARPASpill`), closed under contexts and suffixes
/// on disk, with the entries the in-memory reader would have: the same blanks and filled
/// suffixes (`ARPAParser+Suffixes` says which and why), so that its binary model is the same bytes.
///
/// In:  the parser after the whole file (vocabulary, 1-grams, counts, provenance) and its
///      spill's runs: per order, the file's n-grams in canonical order.
/// Out: per order n ≥ 2 (`orders[n - 2]`), one run of every entry in canonical order, each a
///      real n-gram (its probability and backoff), a blank (a context only) or a filled suffix,
///      with whether a real (n+1)-gram extends it; runs of the filled entries' probabilities;
///      the 1-grams' context flags. `CompleteOrderReader` reads an order back.
///
/// How: the closure needs only the orders above, so it runs from the highest order down: each
/// order is the merge of its file n-grams with what the order above requires of it: the contexts
/// of its entries (which arrive in canonical order, one run) and, unless the file says it is
/// complete, their suffixes (sorted in runs; a suffix of a real or filled entry must carry a
/// probability). An entry required but absent is a blank, or a fill if a probability is required.
/// The filled probabilities, backoff(context) + p(suffix), need the order below finished, so they
/// are computed from the lowest order up: contexts by walking the order below alongside, suffixes
/// by sorting the fills by suffix and walking it again.
final class SpilledARPAModel {
    let parser: ARPAParser
    let spill: ARPASpill
    var order: Int { parser.order }
    private(set) var orders: [CompleteOrder] = []
    private(set) var unigramFlags = LargeBuffer<UInt8>(zeroedCount: 0)

    /// What the order above requires of an entry (flags, OR-ed over its requirers).
    private static let needsProbability: UInt8 = 1
    private static let extendedByReal: UInt8 = 2

    init(parser: ARPAParser, spill: ARPASpill) throws {
        self.parser = parser
        self.spill = spill
        // A file that says it is complete is trusted while its counts are those it was written
        // with, unless a context turns out missing (as in memory).
        if let complete = try close(checkSuffixes: !parser.claimsCompleteness) {
            orders = complete
        } else {
            orders = try close(checkSuffixes: true)!
        }
        try fill()
    }

    /// The entries of every order from the highest down; nil when an entry is missing while
    /// `checkSuffixes` is false (the file's claim to be complete is wrong).
    private func close(checkSuffixes: Bool) throws -> [CompleteOrder]? {
        let top = order
        let vocabularySize = parser.vocabulary.count
        let space = spill.space
        let flags = LargeBuffer<UInt8>(zeroedCount: vocabularySize)
        var result: [CompleteOrder] = []
        var requirements: [SortedRun] = []
        for n in stride(from: top, through: 2, by: -1) {
            let hasBackoff = n < top
            let fileRuns = spill.runs[n - 2]
            let bufferBytes = spill.bufferBytes(runs: fileRuns.count + requirements.count)
            var merge = try SortedRunMerge(try (fileRuns + requirements).map { try $0.reader(bufferBytes: bufferBytes) })
            let out = try SortedRunWriter(writer: RecordWriter(file: try space.makeFile()), order: n)
            let contexts = n >= 3 ? try SortedRunWriter(writer: RecordWriter(file: try space.makeFile()), order: n - 1) : nil
            let suffixes = n >= 3 && checkSuffixes
                ? NGramRunSorter(order: n - 1, payloadWords: 1, wordLimit: vocabularySize, memory: spill.sortMemory,
                                 combineEqual: true, threads: spill.threads, space: space) { writer, values in
                    try writer.fixed(UInt8(truncatingIfNeeded: values[0]))
                }
                : nil
            let group = UnsafeMutablePointer<UInt32>.allocate(capacity: n)
            let context = UnsafeMutablePointer<UInt32>.allocate(capacity: n)
            defer {
                group.deallocate()
                context.deallocate()
            }
            var complete = CompleteOrder(order: n, hasBackoff: hasBackoff)
            var inGroup = false, hasContext = false, contextFlags: UInt8 = 0
            // The group's file n-gram, if any, and what is required of it.
            var isReal = false, prob = 0.0, backoff = 0.0, firstLine = 0, secondLine: Int? = nil, needs: UInt8 = 0
            var suffixValue: UInt64 = 0
            func emit() throws -> Bool {
                if let secondLine {
                    let words = (0..<n).map { parser.vocabulary.bytes(of: group[$0]) }
                    throw parser.duplicate(words: words, secondLine, order: n)
                }
                let kind: CompleteOrder.Kind = isReal ? .real : (needs & SpilledARPAModel.needsProbability != 0 ? .filled : .blank)
                if kind == .filled { complete.fills += 1 }
                if kind != .real && !checkSuffixes { return false }
                try out.append(group)
                let isContext = needs & SpilledARPAModel.extendedByReal != 0
                try out.writer.fixed(kind.rawValue | (isContext ? CompleteOrder.contextBit : 0))
                if kind == .real {
                    try out.writer.double(prob)
                    if hasBackoff { try out.writer.double(backoff) }
                }
                if n >= 3 {
                    let mine = kind == .real ? SpilledARPAModel.extendedByReal : 0
                    if hasContext && CompleteOrderReader.compare(context, group, count: n - 1) == 0 {
                        contextFlags |= mine
                    } else {
                        if hasContext {
                            try contexts!.append(context)
                            try contexts!.writer.fixed(contextFlags)
                        }
                        context.update(from: group, count: n - 1)
                        contextFlags = mine
                        hasContext = true
                    }
                    if let suffixes {
                        suffixValue = kind == .blank ? 0 : UInt64(SpilledARPAModel.needsProbability)
                        try suffixes.add(group + 1, &suffixValue)
                    }
                } else if kind == .real {
                    flags[Int(group[0])] = 1
                }
                return true
            }
            while let run = try merge.next() {
                let reader = merge.readers[run]
                if inGroup && !reader.holds(group) {
                    guard try emit() else { return nil }
                    inGroup = false
                }
                if !inGroup {
                    group.update(from: reader.ids, count: n)
                    inGroup = true
                    isReal = false
                    secondLine = nil
                    needs = 0
                }
                if run < fileRuns.count {
                    let record = try ARPASpill.readRecord(reader.payload, hasBackoff: hasBackoff)
                    if isReal {
                        // The second occurrence in the file is the duplicate.
                        let later = max(firstLine, record.line)
                        firstLine = min(firstLine, record.line)
                        secondLine = min(secondLine ?? later, later)
                    } else {
                        firstLine = record.line
                    }
                    isReal = true
                    prob = record.prob
                    backoff = record.backoff
                } else {
                    needs |= try reader.payload.fixed(UInt8.self)
                }
            }
            if inGroup { guard try emit() else { return nil } }
            if hasContext {
                try contexts!.append(context)
                try contexts!.writer.fixed(contextFlags)
            }
            requirements = try (contexts.map { [try $0.finish()] } ?? []) + (suffixes?.finish() ?? [])
            complete.run = try out.finish()
            result.append(complete)
        }
        unigramFlags = flags
        return result.reversed()
    }

    /// Computes the filled entries' probabilities, lowest order first: log10 p = the context's
    /// backoff (0 for a blank or a fill) + the suffix's probability, as `fillProbabilities` does.
    private func fill() throws {
        let top = order, bufferBytes = spill.bufferBytes(runs: 4)
        guard top >= 2 else { return }
        let unigramProb = parser.unigramProbBuffer, unigramBackoff = parser.unigramBackoffBuffer
        for n in 2...top where orders[n - 2].fills > 0 {
            let entries = try CompleteOrderReader(orders[n - 2], bufferBytes: bufferBytes, withFills: false)
            if n == 2 {
                let out = try SortedRunWriter(writer: RecordWriter(file: try spill.space.makeFile()), order: 2)
                while try entries.next() {
                    guard entries.kind == .filled else { continue }
                    try out.append(entries.ids)
                    try out.writer.double(unigramBackoff[Int(entries.ids[0])] + unigramProb[Int(entries.ids[1])])
                }
                orders[0].fillRuns = [try out.finish()]
                continue
            }
            // The context's backoff, walking the order below in canonical order.
            let below = try CompleteOrderReader(orders[n - 3], bufferBytes: bufferBytes)
            let bySuffix = NGramRunSorter(order: n - 1, payloadWords: 2, wordLimit: parser.vocabulary.count, memory: spill.sortMemory,
                                          threads: spill.threads, space: spill.space) { writer, values in
                try writer.varint(values[0])
                try writer.fixed(values[1])
            }
            var values: [UInt64] = [0, 0]
            while try entries.next() {
                guard entries.kind == .filled else { continue }
                try below.seek(entries.ids)
                values[0] = UInt64(entries.ids[0])
                values[1] = below.logBackoff.bitPattern
                try bySuffix.add(entries.ids + 1, values)
            }
            // The suffix's probability, walking the order below again in suffix order.
            let again = try CompleteOrderReader(orders[n - 3], bufferBytes: bufferBytes)
            let byNGram = NGramRunSorter(order: n, payloadWords: 1, wordLimit: parser.vocabulary.count, memory: spill.sortMemory,
                                         threads: spill.threads, space: spill.space) { writer, values in
                try writer.fixed(values[0])
            }
            let ngram = UnsafeMutablePointer<UInt32>.allocate(capacity: n)
            defer { ngram.deallocate() }
            let runs = try bySuffix.finish()
            let readers = try runs.map { try $0.reader(bufferBytes: spill.bufferBytes(runs: runs.count)) }
            try SortedRunMerge.forEach(readers) { run, suffix in
                try again.seek(suffix)
                let payload = readers[run].payload
                ngram[0] = UInt32(truncatingIfNeeded: try payload.varint())
                (ngram + 1).update(from: suffix, count: n - 1)
                let contextBackoff = Double(bitPattern: try payload.fixed(UInt64.self))
                values[0] = (contextBackoff + again.logProb).bitPattern
                try byNGram.add(ngram, values)
            }
            orders[n - 2].fillRuns = try byNGram.finish()
        }
    }
}

/// One order of a `SpilledARPAModel`: where its entries are and how many are filled.
struct CompleteOrder {
    enum Kind: UInt8 {
        case real = 0, blank = 1, filled = 2
    }
    /// Added to an entry's kind when a real n-gram of the order above extends it.
    static let contextBit: UInt8 = 4

    let order: Int
    let hasBackoff: Bool
    /// Every entry in canonical order: kind byte, then (real entries) probability and backoff.
    var run: SortedRun?
    /// The filled entries' probabilities, in canonical order across the runs' merge.
    var fillRuns: [SortedRun] = []
    /// Filled entries.
    var fills = 0

    init(order: Int, hasBackoff: Bool) {
        self.order = order
        self.hasBackoff = hasBackoff
    }

    /// Skips an entry's payload in a reader of `run`.
    func skipPayload(_ payload: TemporaryFileReader) throws {
        let kind = try payload.fixed(UInt8.self) & 3
        if kind == Kind.real.rawValue {
            _ = try payload.double()
            if hasBackoff { _ = try payload.double() }
        }
    }
}

/// Reads a `CompleteOrder` in canonical order: each entry's ids, kind, probability (NaN for a
/// blank), backoff (0 unless real) and context flag.
final class CompleteOrderReader {
    private let entries: SortedRunReader
    private var fills: SortedRunMerge?
    private let order: Int
    private let hasBackoff: Bool
    private var valid = false
    private(set) var kind = CompleteOrder.Kind.real
    private(set) var isContext = false
    private(set) var logProb = 0.0
    private(set) var logBackoff = 0.0
    var ids: UnsafeMutablePointer<UInt32> { entries.ids }

    /// - Parameter withFills: false reads filled entries with a NaN probability (before their
    ///   probabilities are computed).
    init(_ complete: CompleteOrder, bufferBytes: Int, withFills: Bool = true) throws {
        entries = try complete.run!.reader(bufferBytes: bufferBytes)
        let fillBuffer = MemoryBudget.readerBufferBytes(runs: complete.fillRuns.count, share: bufferBytes)
        fills = withFills ? try SortedRunMerge(complete.fillRuns.map { try $0.reader(bufferBytes: fillBuffer) }) : nil
        order = complete.order
        hasBackoff = complete.hasBackoff
    }

    /// Moves to the next entry; false at the end.
    func next() throws -> Bool {
        valid = try entries.next()
        guard valid else { return false }
        let byte = try entries.payload.fixed(UInt8.self)
        kind = CompleteOrder.Kind(rawValue: byte & 3) ?? .blank
        isContext = byte & CompleteOrder.contextBit != 0
        logBackoff = 0
        switch kind {
        case .real:
            logProb = try entries.payload.double()
            if hasBackoff { logBackoff = try entries.payload.double() }
        case .blank:
            logProb = .nan
        case .filled:
            logProb = .nan
            if fills != nil {
                guard let run = try fills!.next(), fills!.readers[run].holds(ids) else {
                    throw CompleteOrderReader.internalError("a filled entry has no probability")
                }
                logProb = try fills!.readers[run].payload.double()
            }
        }
        return true
    }

    /// Moves forward to the entry `target` (`order` ids; targets come in canonical order).
    func seek(_ target: UnsafePointer<UInt32>) throws {
        while !valid || CompleteOrderReader.compare(ids, target, count: order) < 0 {
            guard try next() else { throw CompleteOrderReader.internalError("an entry is missing") }
        }
        guard CompleteOrderReader.compare(ids, target, count: order) == 0 else {
            throw CompleteOrderReader.internalError("an entry is missing")
        }
    }

    /// Compares `count` ids in canonical order: negative, 0 or positive.
    @inline(__always)
    static func compare(_ a: UnsafePointer<UInt32>, _ b: UnsafePointer<UInt32>, count: Int) -> Int {
        for k in 0..<count where a[k] != b[k] { return a[k] < b[k] ? -1 : 1 }
        return 0
    }

    @inline(never)
    static func internalError(_ what: String) -> NGramKitError {
        .cannotWrite(path: "the binary model", reason: "\(what) while closing an ARPA model past the memory budget (internal error; please report it)")
    }
}
