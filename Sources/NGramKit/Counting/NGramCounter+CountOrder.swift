import CNGramKitSupport
import Foundation

/// One counting pass: the order n-1 slots of every position in, the order-n table out.
///
/// In:  `ids` (the token stream) and `previous[i]` = slot in order n-1 of the (n-1)-gram ending at
///      position i (`noSlot` where none, across a sentence start; for n = 2 the word ids).
/// Out: the order-n table; `out[i]` = the order-n slot of each position (when a higher order
///      follows); the continuation counts of order n-1 (or of the unigrams) incremented once per
///      distinct n-gram, at its suffix; a HyperLogLog of the order-(n+1) keys, to size the next table.
///
/// Threads: every worker reads the whole stream but handles only the keys of its partitions
/// (partition mod workers), so each partition is filled by one thread in text order and the
/// table comes out identical for any number of threads. Continuation counts are shared and
/// incremented atomically when more than one thread runs.
extension NGramCounter {
    /// Marks a position where no n-gram of the current order ends.
    static let noSlot = UInt32.max
    /// How many positions ahead the loop prefetches.
    static let lookahead = 16

    /// What the workers of one pass share. Pointers stay valid for the whole pass; each worker
    /// writes only its own positions of `out`, its own partitions of `table`, and its own result.
    struct Pass: @unchecked Sendable {
        let total: Int
        let ids: UnsafePointer<UInt32>
        let previous: UnsafePointer<UInt32>
        let out: UnsafeMutablePointer<UInt32>?
        let table: CountTable
        let wordBits: Int
        let suffixContinuation: UnsafeMutablePointer<UInt32>
        let workers: Int
        let results: UnsafeMutablePointer<WorkerResult>
    }

    struct WorkerResult {
        var inserted = 0
        var partitionOccupied: [Int] = []
        var overflowed = false
        var nextEstimator = HyperLogLog()
    }

    /// The hash HyperLogLog sees for the n-gram `context word` (independent of key packing).
    @inline(__always)
    static func estimatorHash(context: UInt32, word: UInt32) -> UInt64 {
        Hashing.mix(UInt64(context) << 32 | UInt64(word))
    }

    /// Estimates the number of distinct bigrams, on all workers.
    func estimateBigrams(workers: Int) -> Double {
        let total = stream.count
        let ids = UnsafePointer(stream.storage)
        let estimators = UnsafeMutablePointer<HyperLogLog>.allocate(capacity: workers)
        estimators.initialize(repeating: HyperLogLog(), count: workers)
        defer { estimators.deinitialize(count: workers); estimators.deallocate() }
        let shared = UncheckedPointers(ids: ids, estimators: estimators)
        DispatchQueue.concurrentPerform(iterations: workers) { t in
            let lower = max(1, total * t / workers), upper = total * (t + 1) / workers
            var estimator = HyperLogLog()
            for i in lower..<max(lower, upper) where shared.ids[i] != Vocabulary.beginID {
                estimator.add(hash: NGramCounter.estimatorHash(context: shared.ids[i - 1], word: shared.ids[i]))
            }
            shared.estimators[t] = estimator
        }
        var merged = HyperLogLog()
        for t in 0..<workers { merged.merge(estimators[t]) }
        return merged.estimate
    }

    struct UncheckedPointers: @unchecked Sendable {
        let ids: UnsafePointer<UInt32>
        let estimators: UnsafeMutablePointer<HyperLogLog>
    }

    /// Counts order `n` and returns its table and the estimated number of order-(n+1) n-grams.
    func countOrder(_ n: Int, lower: CountTable?, estimate: Double, previous: UnsafePointer<UInt32>,
                    out: UnsafeMutablePointer<UInt32>?, unigramContinuation: UnsafeMutablePointer<UInt32>) throws -> (CountTable, Double) {
        let contextLimit = n == 2 ? vocabulary.count : lower!.capacity
        var capacity = Int((estimate * 1.01 / targetLoad).rounded(.up)) + 64
        let suffixContinuation: UnsafeMutablePointer<UInt32>
        let suffixCount: Int
        if let lower {
            lower.prepareContinuation(threads: threads)
            suffixContinuation = lower.continuation!.base
            suffixCount = lower.capacity
        } else {
            suffixContinuation = unigramContinuation
            suffixCount = vocabulary.count
        }
        while true {
            guard capacity < Int(UInt32.max) - 16 else {
                throw NGramKitError.capacityExceeded(what: "the order-\(n) table (\(capacity) slots)", limit: "2^32 slots")
            }
            let table = try CountTable(order: n, capacity: capacity, wordLimit: vocabulary.count, contextLimit: contextLimit, threads: threads)
            let workers = max(1, min(threads, table.partitionCount))
            let results = UnsafeMutablePointer<WorkerResult>.allocate(capacity: workers)
            results.initialize(repeating: WorkerResult(), count: workers)
            defer { results.deinitialize(count: workers); results.deallocate() }
            let pass = Pass(total: stream.count, ids: UnsafePointer(stream.storage), previous: previous, out: out,
                            table: table, wordBits: CountTable.bitWidth(vocabulary.count - 1),
                            suffixContinuation: suffixContinuation, workers: workers, results: results)
            if workers == 1 {
                NGramCounter.countPartitions(pass, worker: 0)
            } else {
                DispatchQueue.concurrentPerform(iterations: workers) { NGramCounter.countPartitions(pass, worker: $0) }
            }
            if (0..<workers).contains(where: { results[$0].overflowed }) {
                // The estimate was too low for some partition: start the order again, larger.
                suffixContinuation.update(repeating: 0, count: suffixCount)
                capacity += capacity / 2
                continue
            }
            var next = HyperLogLog()
            var occupied = [Int](repeating: 0, count: table.partitionCount)
            for t in 0..<workers {
                table.occupied += results[t].inserted
                next.merge(results[t].nextEstimator)
                for (p, count) in results[t].partitionOccupied.enumerated() { occupied[p] += count }
            }
            table.partitionOccupied = occupied
            return (table, out == nil ? 0 : next.estimate)
        }
    }

    /// One worker's share of a pass: every position whose key falls in a partition it owns.
    static func countPartitions(_ pass: Pass, worker: Int) {
        let total = pass.total
        let ids = pass.ids
        let previous = pass.previous
        let table = pass.table
        let wordBits = UInt64(pass.wordBits)
        let workers = pass.workers
        let shared = workers > 1
        let limit = table.partitionLimit
        // Which worker owns each partition (a table lookup instead of a division per key).
        let owner = (0..<table.partitionCount).map { $0 % workers }
        var partitionOccupied = [Int](repeating: 0, count: table.partitionCount)
        var inserted = 0
        var overflowed = false
        var nextEstimator = HyperLogLog()
        let invalid = UInt64.max          // no n-gram ends here
        let elsewhere = UInt64.max - 1    // another worker's partition

        // Keys and hashes of the next `lookahead` positions, computed early to prefetch.
        let window = lookahead
        let keys = UnsafeMutablePointer<UInt64>.allocate(capacity: window)
        let hashes = UnsafeMutablePointer<UInt64>.allocate(capacity: window)
        defer { keys.deallocate(); hashes.deallocate() }
        var ring = 0
        partitionOccupied.withUnsafeMutableBufferPointer { occupiedBuffer in
            let occupiedPerPartition = occupiedBuffer.baseAddress!
            for i in 0..<(total + window) {
                // Process position j, whose slot was prefetched `window` steps ago.
                let j = i - window
                if j >= 0 {
                    let k = keys[ring]
                    if k == invalid {
                        if worker == 0, let out = pass.out { out[j] = noSlot }
                    } else if k != elsewhere {
                        let h = hashes[ring]
                        let p = table.partition(h)
                        if occupiedPerPartition[p] >= limit {
                            overflowed = true
                            break
                        }
                        let (slot, isNew) = table.increment(k, hash: h)
                        if isNew {
                            occupiedPerPartition[p] += 1
                            inserted += 1
                            let suffix = pass.suffixContinuation + Int(previous[j])
                            if shared { ngk_atomic_increment_u32(suffix) } else { suffix.pointee += 1 }
                        }
                        if let out = pass.out {
                            out[j] = UInt32(truncatingIfNeeded: slot)
                            let next = j + 1
                            if next < total && ids[next] != Vocabulary.beginID {
                                nextEstimator.add(hash: estimatorHash(context: UInt32(truncatingIfNeeded: slot), word: ids[next]))
                            }
                        }
                    }
                }
                if i < total {
                    let word = ids[i]
                    let context = i == 0 ? noSlot : previous[i - 1]
                    if word == Vocabulary.beginID || context == noSlot {
                        keys[ring] = invalid
                    } else {
                        let k = UInt64(context) << wordBits | UInt64(word)
                        let h = CountTable.hash(k)
                        if shared && owner[table.partition(h)] != worker {
                            keys[ring] = elsewhere
                        } else {
                            keys[ring] = k
                            hashes[ring] = h
                            ngk_prefetch_write(table.address(ofSlot: table.homeSlot(h)))
                            // A new n-gram adds one to its suffix's continuation count.
                            ngk_prefetch_write(pass.suffixContinuation + Int(previous[i]))
                        }
                    }
                }
                ring += 1
                if ring == window { ring = 0 }
            }
        }
        pass.results[worker] = WorkerResult(inserted: inserted, partitionOccupied: partitionOccupied,
                                            overflowed: overflowed, nextEstimator: nextEstimator)
    }
}
