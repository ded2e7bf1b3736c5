import Foundation

/// Runs of n-grams in canonical order (word ids compared first word first), with a payload
/// each, in temporary files; and their merge. What partitions of a job that spills hand on to
/// the writer, which merges every partition's run of an order into one canonical stream.
///
/// Record: the number of leading ids it shares with the record before (varint), its other ids
/// (varints), then the payload (a varint count, or a `Double`'s 8 bytes). Neighbours in
/// canonical order share most of their words, so a record takes a few bytes.
package final class SortedRunWriter {
    let writer: RecordWriter
    let order: Int
    private var previous: [UInt32]
    /// Where this run starts in the file, and its records.
    package let start: Int
    package private(set) var count = 0

    /// A run of n-grams of `order` appended to `writer`'s file from its current end.
    package init(writer: RecordWriter, order: Int) throws {
        try writer.drain()
        self.writer = writer
        self.order = order
        previous = [UInt32](repeating: .max, count: order)
        start = writer.file.count
    }

    /// Appends the n-gram `ids` (exactly `order` of them; each record after the one before).
    @inline(__always)
    package func append(_ ids: UnsafePointer<UInt32>) throws {
        var shared = 0
        while shared < order && ids[shared] == previous[shared] { shared += 1 }
        try writer.varint(UInt64(shared))
        for k in shared..<order {
            try writer.varint(UInt64(ids[k]))
            previous[k] = ids[k]
        }
        count += 1
    }

    /// The run's position in its file once the writer is drained (`finish`).
    package func finish() throws -> SortedRun {
        try writer.finish()
        return SortedRun(file: writer.file, order: order, start: start, length: writer.file.count - start, count: count)
    }
}

/// A finished run: where it is and how many records it holds.
package struct SortedRun {
    package let file: TemporaryFile
    package let order: Int
    package let start: Int
    package let length: Int
    package let count: Int

    /// A reader of the run with a buffer of `bufferBytes`.
    package func reader(bufferBytes: Int) throws -> SortedRunReader {
        SortedRunReader(reader: try file.reader(from: start, length: length, bufferBytes: bufferBytes), order: order, count: count)
    }
}

/// Reads a run one record at a time: `ids` holds the current n-gram once `next()` returned true;
/// the caller then reads the payload from `payload`.
package final class SortedRunReader {
    package let payload: TemporaryFileReader
    let order: Int
    private var left: Int
    /// The current n-gram's `order` ids.
    package let ids: UnsafeMutablePointer<UInt32>

    init(reader: TemporaryFileReader, order: Int, count: Int) {
        payload = reader
        self.order = order
        left = count
        ids = .allocate(capacity: order)
        ids.initialize(repeating: 0, count: order)
    }

    deinit { ids.deallocate() }

    /// Whether the current n-gram is `other` (`order` ids).
    @inline(__always)
    package func holds(_ other: UnsafePointer<UInt32>) -> Bool {
        for k in 0..<order where ids[k] != other[k] { return false }
        return true
    }

    /// Moves to the next record's ids; false at the end of the run.
    @inline(__always)
    package func next() throws -> Bool {
        guard left > 0 else { return false }
        left -= 1
        let shared = Int(try payload.varint())
        guard shared <= order else { throw TemporaryFileReader.truncated() }
        for k in shared..<order { ids[k] = UInt32(truncatingIfNeeded: try payload.varint()) }
        return true
    }
}

/// A run read one record at a time, which `RunMerge` merges with others.
package protocol MergeableRun: AnyObject {
    /// Moves to the next record; false at the end of the run.
    func next() throws -> Bool
    /// A number that orders the current record first: records with smaller leads come first.
    var lead: UInt64 { get }
    /// Whether the current record comes before `other`'s, when their leads are equal.
    func precedes(_ other: Self) -> Bool
}

extension SortedRunReader: MergeableRun {
    /// The first two ids as one number.
    @inline(__always)
    package var lead: UInt64 { UInt64(ids[0]) << 32 | (order > 1 ? UInt64(ids[1]) : 0) }

    @inline(__always)
    package func precedes(_ other: SortedRunReader) -> Bool {
        for k in 2..<max(2, order) where ids[k] != other.ids[k] { return ids[k] < other.ids[k] }
        return false
    }
}

/// The merge of sorted runs: `next()` hands out the run whose current record comes first of
/// all, until every run is read. Equal records (the same n-gram from a file's run and from
/// the runs of what requires it, in `SpilledARPAModel`) come out one after another, lower run
/// first; elsewhere records are distinct across runs (an n-gram belongs to one partition; a
/// code or an index to one entry).
package struct RunMerge<Run: MergeableRun> {
    package let readers: [Run]
    /// A binary heap of run indexes, by their current records.
    private var heap: [Int] = []
    /// Each run's current lead, compared before the rest.
    private var leads: [UInt64]
    /// The run handed out last, moved on at the next call (after the caller read its payload).
    private var handedOut: Int?

    package init(_ readers: [Run]) throws {
        self.readers = readers
        leads = [UInt64](repeating: 0, count: readers.count)
        for (index, reader) in readers.enumerated() where try reader.next() {
            heap.append(index)
            leads[index] = reader.lead
        }
        for i in stride(from: heap.count / 2 - 1, through: 0, by: -1) { siftDown(i) }
    }

    @inline(__always)
    private func less(_ a: Int, _ b: Int) -> Bool {
        if leads[a] != leads[b] { return leads[a] < leads[b] }
        if readers[a].precedes(readers[b]) { return true }
        if readers[b].precedes(readers[a]) { return false }
        return a < b
    }

    private mutating func siftDown(_ start: Int) {
        var i = start
        while true {
            let left = 2 * i + 1, right = left + 1
            var smallest = i
            if left < heap.count && less(heap[left], heap[smallest]) { smallest = left }
            if right < heap.count && less(heap[right], heap[smallest]) { smallest = right }
            if smallest == i { return }
            heap.swapAt(i, smallest)
            i = smallest
        }
    }

    /// The run whose current record comes next (the caller reads its payload before calling
    /// again), or nil when all are read.
    package mutating func next() throws -> Int? {
        if let run = handedOut {
            handedOut = nil
            if try readers[run].next() {
                leads[run] = readers[run].lead
                siftDown(0)
            } else {
                heap[0] = heap[heap.count - 1]
                heap.removeLast()
                if !heap.isEmpty { siftDown(0) }
            }
        }
        guard let top = heap.first else { return nil }
        handedOut = top
        return top
    }
}

/// The merge of runs of n-grams of one order, in canonical order.
package typealias SortedRunMerge = RunMerge<SortedRunReader>

extension RunMerge where Run == SortedRunReader {
    /// Calls `body(run, ids)` for every record, smallest n-gram first; `body` reads the record's
    /// payload from `readers[run].payload`.
    package static func forEach(_ readers: [SortedRunReader], _ body: (Int, UnsafePointer<UInt32>) throws -> Void) throws {
        var merge = try SortedRunMerge(readers)
        while let run = try merge.next() { try body(run, UnsafePointer(readers[run].ids)) }
    }

    /// Fills `batch` with the next records' n-grams, calling `payload(reader, i)` to read record
    /// `i`'s payload into the batch; returns how many (0 at the end).
    package mutating func fill(_ batch: MergedBatch, payload: (SortedRunReader, Int) throws -> Void) throws -> Int {
        let n = batch.order
        var i = 0
        while i < batch.capacity, let run = try next() {
            let reader = readers[run]
            (batch.ids + i * n).update(from: reader.ids, count: n)
            try payload(reader, i)
            i += 1
        }
        return i
    }
}

/// Runs of records sorted by a 64-bit key (a table's codes, entries' canonical indexes), each
/// key stored as its difference from the one before (a varint), then the payload.
package final class KeyedRunWriter {
    let writer: RecordWriter
    private var previous: UInt64 = 0
    package let start: Int
    package private(set) var count = 0

    package init(writer: RecordWriter) throws {
        try writer.drain()
        self.writer = writer
        start = writer.file.count
    }

    /// Appends a record's key (at least the previous one); its payload follows through `writer`.
    @inline(__always)
    package func append(key: UInt64) throws {
        try writer.varint(key - previous)
        previous = key
        count += 1
    }

    package func finish() throws -> KeyedRun {
        try writer.finish()
        return KeyedRun(file: writer.file, start: start, length: writer.file.count - start, count: count)
    }
}

package struct KeyedRun {
    package let file: TemporaryFile
    package let start: Int
    package let length: Int
    package let count: Int

    package func reader(bufferBytes: Int) throws -> KeyedRunReader {
        KeyedRunReader(reader: try file.reader(from: start, length: length, bufferBytes: bufferBytes), count: count)
    }
}

/// Reads a keyed run: `key` is the current record's once `next()` returned true; the caller
/// then reads its payload from `payload`.
package final class KeyedRunReader: MergeableRun {
    package let payload: TemporaryFileReader
    private var left: Int
    package private(set) var key: UInt64 = 0

    init(reader: TemporaryFileReader, count: Int) {
        payload = reader
        left = count
    }

    package func next() throws -> Bool {
        guard left > 0 else { return false }
        left -= 1
        key += try payload.varint()
        return true
    }

    package var lead: UInt64 { key }
    package func precedes(_ other: KeyedRunReader) -> Bool { false }
}

/// A batch of merged records of one order: `count` n-grams of `order` ids each, and two 64-bit
/// values per record (a count, or a probability and a backoff as `Double` bit patterns).
/// A small owner of its two buffers (`capacity` records each).
package final class MergedBatch: @unchecked Sendable {
    package let order: Int
    package let capacity: Int
    package let ids: UnsafeMutablePointer<UInt32>
    package let values: UnsafeMutablePointer<UInt64>
    /// One flag per record (whether a probability's n-gram is a context: it has a backoff).
    package let flags: UnsafeMutablePointer<UInt8>
    package var count = 0

    init(order: Int, capacity: Int) {
        self.order = order
        self.capacity = capacity
        ids = .allocate(capacity: order * capacity)
        values = .allocate(capacity: 2 * capacity)
        flags = .allocate(capacity: capacity)
    }

    deinit {
        ids.deallocate()
        values.deallocate()
        flags.deallocate()
    }

    /// The ids of record `i`.
    @inline(__always)
    package func ngram(_ i: Int) -> UnsafePointer<UInt32> { UnsafePointer(ids + i * order) }
}

extension RunMerge {
    /// Merging and formatting on two threads: `fill` (on a second thread) puts the next records
    /// into a batch and says how many (0 at the end); `consume` (on the calling thread) takes the
    /// batches in order. Two batches go back and forth, so memory stays at two batches.
    /// - Throws: the first error of either side (the other stops at its next batch).
    package static func pipelined(order: Int, batchRecords: Int = 1 << 14,
                                  fill: @escaping (MergedBatch) throws -> Int,
                                  consume: (MergedBatch) throws -> Void) throws {
        let full = BlockingQueue<MergedBatch>(), empty = BlockingQueue<MergedBatch>()
        for _ in 0..<2 { empty.push(MergedBatch(order: order, capacity: batchRecords)) }
        let done = Completion()
        let failure = UncheckedSendable(ErrorBox())
        let producer = UncheckedSendable(fill)
        DispatchQueue.global().async {
            defer { full.close(); done.signal() }
            while let batch = empty.pop() {
                do {
                    batch.count = try producer.value(batch)
                } catch {
                    failure.value.error = error
                    return
                }
                if batch.count == 0 { return }
                full.push(batch)
            }
        }
        var consumerError: Error?
        while let batch = full.pop() {
            do { try consume(batch) } catch { consumerError = error; break }
            empty.push(batch)
        }
        // Stop the producer if it still runs, and wait for it.
        empty.close(discarding: true)
        done.wait()
        if let error = consumerError ?? failure.value.error { throw error }
    }
}

/// An error handed from one thread to another, read only after the thread is done.
private final class ErrorBox: @unchecked Sendable {
    var error: Error?
}
