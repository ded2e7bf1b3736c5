import Dispatch

/// Data-parallel loops whose result does not depend on the number of threads: the index range
/// is cut into contiguous pieces and each element is computed independently of the others.
enum Parallel {
    /// Calls `body` on contiguous pieces covering `0..<count`, on up to `threads` threads.
    /// Small ranges run on the calling thread.
    static func forEachPiece(of count: Int, threads: Int, minimumPiece: Int = 1 << 16, _ body: @Sendable (Range<Int>) -> Void) {
        let pieces = max(1, min(threads, count / max(minimumPiece, 1)))
        if pieces == 1 {
            body(0..<count)
            return
        }
        let size = (count + pieces - 1) / pieces
        DispatchQueue.concurrentPerform(iterations: pieces) { piece in
            let start = piece * size
            body(start..<min(start + size, count))
        }
    }
}

/// A value handed to worker threads that only read it or write disjoint parts of what it points to.
struct UncheckedSendable<Value>: @unchecked Sendable {
    let value: Value
    init(_ value: Value) { self.value = value }
}

extension Parallel {
    /// `map`, except that the items `alone` picks run first, one at a time (each needs the memory
    /// of several), and the others then on `workers` threads; the results in item order.
    static func map<R>(_ count: Int, workers: Int, alone: (Int) -> Bool, _ body: (Int, Int) throws -> R) throws -> [R] {
        let single = (0..<count).filter(alone)
        guard !single.isEmpty else { return try map(count, workers: workers, body) }
        let others = (0..<count).filter { !alone($0) }
        var results = [R?](repeating: nil, count: count)
        for item in single { results[item] = try body(item, 0) }
        let rest = try map(others.count, workers: workers) { try body(others[$0], $1) }
        for (i, item) in others.enumerated() { results[item] = rest[i] }
        return results.map { $0! }
    }

    /// Runs `body(index, worker)` for every index of `0..<count` on `workers` threads, worker t
    /// taking indexes t, t + workers, ...; returns the results by index. The first error thrown
    /// stops the workers at their next index and is rethrown. Each call's result depends only
    /// on its index, so the results are the same for any number of workers.
    static func map<R>(_ count: Int, workers: Int, _ body: (Int, Int) throws -> R) throws -> [R] {
        let workers = max(1, min(workers, count))
        if workers == 1 { return try (0..<count).map { try body($0, 0) } }
        let collector = Collector<R>(count: count)
        withoutActuallyEscaping(body) { body in
            let shared = UncheckedSendable(body)
            DispatchQueue.concurrentPerform(iterations: workers) { worker in
                for index in stride(from: worker, to: count, by: workers) where !collector.failed {
                    do {
                        collector.set(index, try shared.value(index, worker))
                    } catch {
                        collector.fail(error)
                    }
                }
            }
        }
        return try collector.results()
    }

    /// What the workers of `map` hand back, under a lock.
    private final class Collector<R>: @unchecked Sendable {
        private let lock = NSLock()
        private var values: [R?]
        private var failure: Error?

        init(count: Int) { values = [R?](repeating: nil, count: count) }

        var failed: Bool { lock.withLock { failure != nil } }
        func set(_ index: Int, _ value: R) { lock.withLock { values[index] = value } }
        func fail(_ error: Error) { lock.withLock { if failure == nil { failure = error } } }

        func results() throws -> [R] {
            if let failure { throw failure }
            return values.map { $0! }
        }
    }
}

import Foundation
