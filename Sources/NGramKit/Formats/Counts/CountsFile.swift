import Foundation
import CNGramKitSupport

/// Counts files: `w1 w2 ... wn<TAB>count`, one n-gram a line (SRILM's count-file shape).
///
/// Writing puts the n-grams in a canonical order that does not depend on hash-table layout:
/// order by order; unigrams by word id (first appearance); each higher order by its context's
/// position in the order below, then by word id. So the same counts always give the same
/// bytes, and a file read back and written again is identical.
///
/// Reading accepts the lines in any order, sums repeated lines, and rebuilds the continuation
/// counts from the n-grams themselves. Every n-gram's context and suffix must be in the file (as
/// they are in any complete count: estimation needs both), and the counts of each order must add
/// up to less than 2^63 (the totals are kept in 64 bits); anything else is a one-line error.
public enum CountsFile {
    /// Writes every n-gram of `counts` with its raw count, in `CanonicalOrder`, to the file
    /// `path` (`-` is standard output; a name ending in `.gz` is written gzipped), complete or
    /// not at all.
    /// - Throws: `NGramKitError.cannotWrite` for an unwritable location.
    public static func write(_ counts: NGramCounts, to path: String, threads: Int = ThreadCount.all) throws {
        let sink = try OutputSink(path: path)
        try write(counts, to: sink, threads: ThreadCount.usable(threads))
        try sink.commit()
    }

    /// Writes every n-gram of `counts` to `sink` (the caller commits it).
    /// - Parameter threads: threads that format lines (the bytes are the same for any number).
    package static func write(_ counts: NGramCounts, to sink: OutputSink, threads: Int = ThreadCount.all) throws {
        let vocabulary = counts.vocabulary
        try writeUnigrams(counts.unigramCounts, vocabulary: vocabulary, to: sink)
        let tables = counts.tables
        try CanonicalOrder.write(tables: tables, vocabulary: vocabulary, threads: threads, to: sink, prefetch: { n, slot in
            ngk_prefetch_read(tables[n - 2].address(ofSlot: slot))   // the count, read at random
        }) { n, slot, context, word, out in
            out.append(context)
            out.append(byte: 0x20)
            out.append(vocabulary.bytes(of: word))
            out.append(byte: 0x09)
            out.append(decimal: tables[n - 2].count(ofSlot: slot))
            out.append(byte: 0x0A)
        }
    }

    /// The unigram lines, in id order; words that never occurred are left out.
    static func writeUnigrams(_ unigramCounts: [UInt64], vocabulary: Vocabulary, to sink: OutputSink) throws {
        for id in 0..<vocabulary.count where unigramCounts[id] > 0 {
            try sink.write(vocabulary.bytes(of: UInt32(id)))
            try sink.write(byte: 0x09)
            try sink.write(decimal: unigramCounts[id])
            try sink.write(byte: 0x0A)
        }
    }

    /// Writes the counts of a job that spilled (`SpilledCounts`) to `sink`: the same bytes as
    /// `write(_:to:threads:)` of the same counts in memory. Each partition's n-grams become one
    /// run per order in a temporary file; the runs of each order are merged into canonical order.
    package static func write(_ counts: SpilledCounts, to sink: OutputSink, space: TemporarySpace, bufferBytes: Int) throws {
        let vocabulary = counts.base.vocabulary
        try writeUnigrams(counts.base.unigramCounts, vocabulary: vocabulary, to: sink)
        guard counts.order >= 2 else { return }
        let runs = try counts.runs(space: space) { partition, n, entry, writer in
            try writer.varint(partition.orders[n - 2].raw[entry])
        }
        let line = LineBuffer()
        for n in 2...counts.order {
            let merge = CountMerge(try SortedRunMerge(try runs.map { try $0[n - 2].reader(bufferBytes: bufferBytes) }))
            let words = IncrementalNGramText(vocabulary: vocabulary, order: n)
            // Merged on a second thread, formatted on this one.
            try SortedRunMerge.pipelined(order: n, fill: { try merge.fill($0) }) { batch in
                for i in 0..<batch.count {
                    if i + 32 < batch.count { words.prefetch(batch.ngram(i + 32), stage: 0) }
                    if i + 16 < batch.count { words.prefetch(batch.ngram(i + 16), stage: 1) }
                    line.append(words.text(of: batch.ngram(i)))
                    line.append(byte: 0x09)
                    line.append(decimal: batch.values[2 * i])
                    line.append(byte: 0x0A)
                }
                try sink.write(UnsafeBufferPointer(start: line.bytes, count: line.count))
                line.removeAll()
            }
        }
    }

    /// The n-grams of one order merged from every partition's run, with their counts.
    private final class CountMerge: @unchecked Sendable {
        private var merge: SortedRunMerge
        init(_ merge: SortedRunMerge) { self.merge = merge }

        func fill(_ batch: MergedBatch) throws -> Int {
            try merge.fill(batch) { reader, i in batch.values[2 * i] = try reader.payload.varint() }
        }
    }

    /// Reads a counts file (plain or gzip).
    /// - Parameters:
    ///   - path: the file, `-` for standard input.
    ///   - maximumOrder: lines of higher order are skipped; nil keeps every order in the file.
    ///   - vocabulary: a closed vocabulary to map words through, or nil to take the file's words.
    /// - Throws: `NGramKitError.malformedLine` naming the line for a line without a TAB, a
    ///   non-numeric or zero count, counts of one order adding up to 2^63 or more, a misplaced
    ///   `<s>` or `</s>`, or an n-gram whose context or suffix is missing.
    public static func read(_ path: String, maximumOrder: Int? = nil, vocabulary given: Vocabulary? = nil) throws -> NGramCounts {
        let name = path == "-" ? "<stdin>" : path
        let vocabulary = given ?? Vocabulary()
        var unigramCounts = [UInt64](repeating: 0, count: vocabulary.count)
        // Per order ≥ 2: n ids, count low, count high, line number low, high; flat, one record a line.
        var records: [GrowableBuffer<UInt32>] = []
        // The sum of the counts of each order so far (`[n - 1]`), kept below 2^63.
        var totals: [UInt64] = []
        var highest = 1
        var ids = [UInt32](repeating: 0, count: 64)
        try LineReader.forEachLine(inFile: path) { line, lineNumber in
            if line.isEmpty { return }
            guard let tab = line.lastIndex(of: 0x09) else {
                throw NGramKitError.malformedLine(path: name, line: lineNumber, reason: "no TAB between the n-gram and its count; expected 'w1 ... wn<TAB>count'")
            }
            var count: UInt64 = 0
            var digits = 0
            for byte in line[(tab + 1)...] {
                guard byte >= 0x30 && byte <= 0x39 else {
                    throw NGramKitError.malformedLine(path: name, line: lineNumber, reason: "the count is not a whole number; expected 'w1 ... wn<TAB>count'")
                }
                let (product, overflow1) = count.multipliedReportingOverflow(by: 10)
                let (sum, overflow2) = product.addingReportingOverflow(UInt64(byte - 0x30))
                guard !overflow1 && !overflow2 else {
                    throw NGramKitError.malformedLine(path: name, line: lineNumber, reason: "the count is too large")
                }
                count = sum
                digits += 1
            }
            guard digits > 0, count > 0 else {
                throw NGramKitError.malformedLine(path: name, line: lineNumber, reason: "the count must be a positive whole number")
            }
            var n = 0
            var tokenizer = WhitespaceTokenizer()
            try tokenizer.tokenize(UnsafeBufferPointer(rebasing: line[..<tab])) { token in
                if n == ids.count { ids.append(0) }
                ids[n] = vocabulary.lookupOrAdd(token)
                n += 1
            }
            guard n > 0 else {
                throw NGramKitError.malformedLine(path: name, line: lineNumber, reason: "no words before the TAB")
            }
            if let maximumOrder, n > maximumOrder { return }
            for i in 0..<n {
                if (ids[i] == Vocabulary.beginID && i != 0) || (ids[i] == Vocabulary.endID && i != n - 1) {
                    throw NGramKitError.malformedLine(path: name, line: lineNumber, reason: "<s> may only start and </s> may only end an n-gram")
                }
            }
            while totals.count < n { totals.append(0) }
            let (total, overflow) = totals[n - 1].addingReportingOverflow(count)
            guard !overflow && total <= UInt64(Int.max) else {
                throw NGramKitError.malformedLine(path: name, line: lineNumber, reason: "the counts of the \(n)-grams add up to 2^63 or more by this line, more than NGramKit's 64-bit totals hold; the count is wrong, or the file must be split")
            }
            totals[n - 1] = total
            if n == 1 {
                let id = Int(ids[0])
                if id >= unigramCounts.count { unigramCounts.append(contentsOf: repeatElement(0, count: id + 1 - unigramCounts.count)) }
                unigramCounts[id] += count
                return
            }
            while records.count < n - 1 { records.append(GrowableBuffer<UInt32>(initialCapacity: 1 << 12)) }
            let record = records[n - 2]
            for i in 0..<n { record.append(ids[i]) }
            record.append(UInt32(truncatingIfNeeded: count))
            record.append(UInt32(truncatingIfNeeded: count >> 32))
            record.append(UInt32(truncatingIfNeeded: lineNumber))
            record.append(UInt32(truncatingIfNeeded: lineNumber >> 32))
            highest = max(highest, n)
        }
        if unigramCounts.count < vocabulary.count {
            unigramCounts.append(contentsOf: repeatElement(0, count: vocabulary.count - unigramCounts.count))
        }
        let order = maximumOrder.map { max(1, min($0, highest)) } ?? highest
        let sentences = Int(unigramCounts[Int(Vocabulary.beginID)])
        let tokens = Int(unigramCounts.reduce(0, +)) - sentences - Int(unigramCounts[Int(Vocabulary.endID)])

        var tables: [CountTable] = []
        if order >= 2 {
            for n in 2...order {
                let record = records[n - 2]
                let width = n + 4
                let entries = record.count / width
                let contextLimit = n == 2 ? vocabulary.count : tables[n - 3].capacity
                let table = try CountTable(order: n, capacity: Int(Double(entries) / 0.8) + 64,
                                           wordLimit: vocabulary.count, contextLimit: contextLimit)
                // Lines of one context usually come together (a counts file written by `write`
                // is sorted by context), so the context found for one line serves the next ones.
                var previousBase = -1
                var context: UInt32 = 0
                for e in 0..<entries {
                    let base = e * width
                    if n == 2 {
                        context = record[base]
                    } else if previousBase < 0 || !(0..<(n - 1)).allSatisfy({ record[base + $0] == record[previousBase + $0] }) {
                        context = record[base]
                        for level in 2..<n {
                            guard let slot = tables[level - 2].find(context: context, word: record[base + level - 1]) else {
                                let words = (0..<(n - 1)).map { vocabulary.text(of: record[base + $0]) }.joined(separator: " ")
                                throw NGramKitError.malformedLine(path: name, line: Int(record[base + n + 2]) | Int(record[base + n + 3]) << 32,
                                    reason: "the context '\(words)' of this n-gram is not in the file; counts must be complete")
                            }
                            context = UInt32(slot)
                        }
                    }
                    previousBase = base
                    let key = table.key(context: context, word: record[base + n - 1])
                    let count = UInt64(record[base + n]) | UInt64(record[base + n + 1]) << 32
                    table.add(key, amount: count)
                }
                tables.append(table)
            }
        }
        let counts = NGramCounts(order: order, vocabulary: vocabulary, unigramCounts: unigramCounts,
                                 unigramContinuation: order >= 2 ? [UInt32](repeating: 0, count: vocabulary.count) : [],
                                 tables: tables, sentences: sentences, tokens: tokens)
        if let missing = rebuildContinuation(counts) {
            // The line of the n-gram whose suffix is missing (rare: only now is it looked for).
            let n = missing.count
            let record = records[n - 2], width = n + 4
            var line = 0
            for e in 0..<(record.count / width) where (0..<n).allSatisfy({ record[e * width + $0] == missing[$0] }) {
                line = Int(record[e * width + n + 2]) | Int(record[e * width + n + 3]) << 32
                break
            }
            let words = missing.map { vocabulary.text(of: $0) }
            throw NGramKitError.malformedLine(path: name, line: line, reason: "the suffix '\(words.dropFirst().joined(separator: " "))' of the n-gram '\(words.joined(separator: " "))' is not in the file; counts must be complete (every suffix of a counted n-gram is counted)")
        }
        return counts
    }

    /// Sets every continuation count from the n-grams one order up: each distinct n-gram adds
    /// one to its suffix. The suffix of (context c, word w) is (suffix of c, w), so with the
    /// suffix of every slot of the order below at hand it takes one lookup per n-gram.
    /// - Returns: the word ids of an n-gram whose suffix is missing (incomplete counts), or nil.
    static func rebuildContinuation(_ counts: NGramCounts) -> [UInt32]? {
        guard counts.order >= 2 else { return nil }
        let none = UInt32.max
        var lowerSuffix: [UInt32] = []   // slot -> its suffix's slot (word id for bigrams), or `none`
        for n in 2...counts.order {
            let table = counts.table(order: n)
            let lower = n >= 3 ? counts.table(order: n - 1) : nil
            lower?.prepareContinuation()
            var suffixOf = [UInt32](repeating: none, count: n < counts.order ? table.capacity : 0)
            for slot in 0..<table.capacity where table.isOccupied(slot) {
                let word = table.word(ofSlot: slot)
                let suffix: UInt32
                if let lower {
                    let contextSuffix = lowerSuffix[Int(table.context(ofSlot: slot))]
                    guard contextSuffix != none, let found = lower.find(context: contextSuffix, word: word) else {
                        return counts.words(order: n, slot: slot)
                    }
                    suffix = UInt32(found)
                    lower.continuation![found] += 1
                } else {
                    suffix = word
                    counts.unigramContinuation[Int(word)] += 1
                }
                if n < counts.order { suffixOf[slot] = suffix }
            }
            lowerSuffix = suffixOf
        }
        return nil
    }
}
