import Foundation

/// N-grams that arrive in any order, each with a few 64-bit payload words, gathered in memory
/// up to a chunk and written as `SortedRun`s in canonical order (word ids compared first word
/// first): the external sort of a job that reads n-grams out of order past its memory budget
/// (`compile` of an ARPA file larger than the budget).
///
/// In:  `add(ids, payload)`, any number of times.
/// Out: `finish()`: the runs, each in canonical order, with the payload written by `write`
///      after each n-gram; merged by `RunMerge`. With `combineEqual`, the records of one
///      n-gram within a chunk become one whose first payload word is the OR of theirs (flags).
///
/// How: a chunk is ordered by least-significant-digit radix sorts of a permutation, one sort
/// per group of ids that fits 64 bits, last group first (the sorts are stable, so the result
/// is lexicographic). Memory: the chunk's ids and payload, a permutation and the sort's scratch.
package final class NGramRunSorter {
    package let order: Int
    private let payloadWords: Int
    private let wordBits: Int
    private let chunkRecords: Int
    private let combineEqual: Bool
    private let threads: Int
    private let space: TemporarySpace
    private let write: (RecordWriter, UnsafePointer<UInt64>) throws -> Void
    private var ids: [UInt32] = []
    private var payload: [UInt64] = []
    private var count = 0
    private var runs: [SortedRun] = []

    /// Bytes a record of `order` ids and `payloadWords` words takes in a chunk, with the sort's scratch.
    package static func recordBytes(order: Int, payloadWords: Int) -> Int { 4 * order + 8 * payloadWords + 24 }

    /// - Parameters:
    ///   - wordLimit: every id is below it.
    ///   - memory: bytes the chunk may take (at least room for 4096 records is used).
    package init(order: Int, payloadWords: Int, wordLimit: Int, memory: Int, combineEqual: Bool = false,
                 threads: Int, space: TemporarySpace, write: @escaping (RecordWriter, UnsafePointer<UInt64>) throws -> Void) {
        self.order = order
        self.payloadWords = payloadWords
        wordBits = max(1, BinaryModel.bitWidth(UInt64(max(wordLimit - 1, 1))))
        chunkRecords = min(Int(UInt32.max), max(4096, memory / NGramRunSorter.recordBytes(order: order, payloadWords: payloadWords)))
        self.combineEqual = combineEqual
        self.threads = threads
        self.space = space
        self.write = write
    }

    /// Adds an n-gram (`order` ids) and its payload (`payloadWords` words).
    @inline(__always)
    package func add(_ ngram: UnsafePointer<UInt32>, _ values: UnsafePointer<UInt64>) throws {
        for k in 0..<order { ids.append(ngram[k]) }
        for k in 0..<payloadWords { payload.append(values[k]) }
        count += 1
        if count >= chunkRecords { try sortChunk() }
    }

    /// Sorts what is gathered and writes it as a run; returns every run written.
    package func finish() throws -> [SortedRun] {
        try sortChunk()
        defer { runs = [] }
        return runs
    }

    private func sortChunk() throws {
        guard count > 0 else { return }
        var permutation = (0..<count).map { UInt32(truncatingIfNeeded: $0) }
        let perKey = max(1, 64 / wordBits)
        var keys = [UInt64](repeating: 0, count: count)
        var end = order
        while end > 0 {
            let start = max(0, end - perKey)
            let bits = (end - start) * wordBits
            ids.withUnsafeBufferPointer { ids in
                for i in 0..<count {
                    let row = Int(permutation[i]) * order
                    var key: UInt64 = 0
                    for k in start..<end { key = key << UInt64(wordBits) | UInt64(ids[row + k]) }
                    keys[i] = key
                }
            }
            ParallelRadixSort.sort(keys: &keys, values: &permutation, significantBits: bits, threads: threads)
            end = start
        }
        let run = try SortedRunWriter(writer: RecordWriter(file: try space.makeFile()), order: order)
        let combined = UnsafeMutablePointer<UInt64>.allocate(capacity: max(payloadWords, 1))
        defer { combined.deallocate() }
        try ids.withUnsafeBufferPointer { ids in
            try payload.withUnsafeBufferPointer { payload in
                var i = 0
                while i < count {
                    let row = Int(permutation[i])
                    let ngram = ids.baseAddress! + row * order
                    combined.update(from: payload.baseAddress! + row * payloadWords, count: payloadWords)
                    i += 1
                    if combineEqual {
                        while i < count, memcmp(ids.baseAddress! + Int(permutation[i]) * order, ngram, 4 * order) == 0 {
                            combined[0] |= payload[Int(permutation[i]) * payloadWords]
                            i += 1
                        }
                    }
                    try run.append(ngram)
                    try write(run.writer, combined)
                }
            }
        }
        runs.append(try run.finish())
        ids.removeAll(keepingCapacity: true)
        payload.removeAll(keepingCapacity: true)
        count = 0
    }
}
