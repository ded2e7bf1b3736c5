#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import CNGramKitSupport
import Dispatch

/// The bulk reader of a plain file, mapped into memory: the preamble, header, 1-grams and
/// markers go through the line reader's code (`consume`), but the body of each higher-order
/// section is cut into chunks at line ends, chunks are parsed (`ARPALine`) and looked up
/// (`resolve`, without blanks) in parallel into records (key, values), and the records are
/// inserted by threads that each own some of the table's partitions, in line order within a
/// partition: the table is then exactly the one the line reader builds, for any thread count.
///
/// Anything the bulk reader does not expect (a malformed line, a duplicate, a word or context
/// missing, more n-grams than announced) makes it hand the whole file to the line reader, which
/// gives the exact error, blank or repair; `handedBack` says why.
extension ARPAParser {
    /// Reads a mapped file.
    /// - Returns: the model, or nil when the file is left to the line reader (`handedBack` says why).
    func readMapped(_ file: MappedText, threads: Int, warn: (String) -> Void) throws -> NGramModel? {
        let base = file.base, size = file.count
        knownSize = size
        var position = 0, number = 0
        while position < size {
            let newline = memchr(base + position, 0x0A, size - position)
            let lineEnd = newline.map { UnsafeRawPointer(base).distance(to: UnsafeRawPointer($0)) } ?? size
            var end = lineEnd
            if end > position && base[end - 1] == 0x0D { end -= 1 }
            number += 1
            try consume(UnsafeBufferPointer(start: base + position, count: end - position), number,
                        readableAfter: size - end, warn: warn)
            position = newline == nil ? size : lineEnd + 1
            if case .section(let n) = place, n >= 2, batch.count == 0 {
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

    func freeRecordBuffers() {
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

    /// Reads the lines `start..<end` of section `n` (≥ 2; the order below is complete).
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
                guard results[i].problem == nil else {
                    handedBack = results[i].problem
                    return nil
                }
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
                guard inserted[g] >= 0 else {
                    handedBack = "the \(n)-grams section holds a duplicate or more n-grams than the header announces"
                    return nil
                }
                table.occupied += inserted[g]
                read[n - 1] += inserted[g]
            }
            file.release(chunks[first].start, chunks[last - 1].end)
            first = last
        }
        return lines
    }

    /// Parses the lines of `chunk` into records; `chunk.problem` says what made it stop early.
    private func parseChunk(_ chunk: inout BulkChunk, _ file: MappedText, order n: Int) {
        let base = file.base
        let vectorLimit = file.count - 16    // a 16-byte load from here on would leave the file
        let batch = ARPABatch(capacity: 512, maximumOrder: n)
        let fieldStart = UnsafeMutablePointer<Int>.allocate(capacity: n + 2)
        let fieldEnd = UnsafeMutablePointer<Int>.allocate(capacity: n + 2)
        defer { fieldStart.deallocate(); fieldEnd.deallocate() }
        let records = chunk.records!
        let top = tables[n - 2]
        let highest = n == order
        var count = 0, lines = 0

        // Looks up the batch's words and contexts and appends its records.
        func lookUp() -> String? {
            guard let (resolved, missing) = try? resolve(batch, insertBlanks: false) else { return "a lookup failed" }
            if let missing {
                switch missing {
                case .word: return "a word of the \(n)-grams is not among the 1-grams"
                case .context: return "an \(n)-gram's context is not in the file (a pruned model)"
                }
            }
            let contexts = batch.contexts, ids = batch.ids
            for r in 0..<resolved {
                let key = top.key(context: contexts[r], word: ids[r * n + n - 1])
                records[count] = BulkRecord(key: key, hash: CountTable.hash(key), prob: batch.prob[r], backoff: batch.backoff[r])
                count += 1
            }
            batch.removeAll()
            return nil
        }

        batch.start(order: n, file: base, bytes: file.count)
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
            let fields = ARPALine.split(base, from: lineStart, to: stop, vectorLimit: vectorLimit, limit: n + 2,
                                        starts: fieldStart, ends: fieldEnd)
            if fields == 0 { continue }
            guard case .success(let values) = ARPALine.values(base, fields: fields, order: n, highest: highest,
                                                               starts: fieldStart, ends: fieldEnd) else {
                chunk.problem = "a malformed \(n)-gram line"
                return
            }
            batch.append(line: base, starts: fieldStart, ends: fieldEnd, number: lines, prob: values.prob, backoff: values.backoff)
            if batch.isFull, let problem = lookUp() {
                chunk.problem = problem
                return
            }
        }
        if let problem = lookUp() {
            chunk.problem = problem
            return
        }
        chunk.count = count
        chunk.lines = lines
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

/// A plain (not gzip) regular file mapped into memory, for `ARPAParser.readMapped`.
///
/// Invariants: `base` maps `count` ≥ 2 readable bytes until deinit.
final class MappedText: @unchecked Sendable {
    let base: UnsafePointer<UInt8>
    let count: Int
    private let mapping: UnsafeMutableRawPointer

    /// Maps `path`; nil for anything the line reader should handle instead (a file that cannot
    /// be opened, a directory, an empty or gzip file, a pipe), so that it gives its own errors.
    init?(path: String) {
        guard let info = Platform.status(path), Platform.isRegular(info), info.st_size >= 2 else { return nil }
        let fd = Platform.openForReading(path)
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
struct BulkRecord {
    var key: UInt64
    var hash: UInt64
    var prob: Double
    var backoff: Double
}

/// The records of one chunk of a section, in line order.
struct BulkChunk {
    var start = 0
    var end = 0
    var records: UnsafeMutablePointer<BulkRecord>? = nil
    var count = 0
    var lines = 0
    /// Why the chunk was left to the line reader (nil: parsed).
    var problem: String? = nil
}
