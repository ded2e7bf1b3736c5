import Foundation
@testable import NGramKit
import Testing

/// `Parallel.map` with items that must run alone (the partitions too large to share the memory
/// budget): the same results in item order, the lone items first and never beside another.
@Suite("Parallel map with items run alone")
struct ParallelTests {
    @Test("Results in item order for any number of workers; lone items run first, one at a time", arguments: [1, 2, 4])
    func alone(workers: Int) throws {
        let lone: Set<Int> = [3, 7, 8]
        let lock = NSLock()
        var running = 0, order: [Int] = [], overlapped = false
        let results = try Parallel.map(20, workers: workers, alone: lone.contains) { item, _ -> Int in
            lock.withLock {
                running += 1
                if lone.contains(item) && running > 1 { overlapped = true }
                order.append(item)
            }
            usleep(2_000)
            lock.withLock { running -= 1 }
            return item * item
        }
        #expect(results == (0..<20).map { $0 * $0 })
        #expect(Array(order.prefix(3)) == [3, 7, 8], "\(order)")
        #expect(!overlapped)
        // Nothing alone: the plain map.
        #expect(try Parallel.map(5, workers: workers, alone: { _ in false }) { item, _ in item + 1 } == [1, 2, 3, 4, 5])
    }
}
