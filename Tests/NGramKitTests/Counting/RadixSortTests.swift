@testable import NGramKit
import Testing

/// The canonical order of written files rests on these sorts: ascending keys, values carried
/// along, stable, and the same for any number of threads.
@Suite struct RadixSortTests {
    /// Keys with `bits` significant bits; `constantMask` bits are the same in every key (so
    /// some passes have one digit only and are skipped); duplicates keep their input order.
    static func input(count: Int, bits: Int, constantMask: UInt64, seed: UInt64) -> (keys: [UInt64], values: [UInt32]) {
        var random = SplitMix64(state: seed)
        let limit: UInt64 = bits >= 64 ? .max : (1 << UInt64(bits)) - 1
        let constant = random.next() & constantMask & limit
        var keys: [UInt64] = []
        for i in 0..<count {
            var key = (random.next() & limit & ~constantMask) | constant
            if i % 5 == 4 { key = keys[Int(random.next() % UInt64(i))] }   // duplicates
            keys.append(key)
        }
        return (keys, (0..<count).map { UInt32($0) })
    }

    static func expected(_ keys: [UInt64], _ values: [UInt32]) -> (keys: [UInt64], values: [UInt32]) {
        let order = (0..<keys.count).sorted { keys[$0] != keys[$1] ? keys[$0] < keys[$1] : $0 < $1 }
        return (order.map { keys[$0] }, order.map { values[$0] })
    }

    struct SortCase: Sendable, CustomTestStringConvertible {
        let count: Int
        let bits: Int
        let constantMask: UInt64
        var testDescription: String { "\(count) keys of \(bits) bits, constant bits \(String(constantMask, radix: 16))" }
    }

    static let cases: [SortCase] = [
        SortCase(count: 1, bits: 1, constantMask: 0),
        SortCase(count: 100, bits: 7, constantMask: 0),
        SortCase(count: 70_000, bits: 20, constantMask: 0),
        SortCase(count: 300_000, bits: 43, constantMask: 0),
        SortCase(count: 300_000, bits: 43, constantMask: 0x7FF << 11),
        SortCase(count: 300_000, bits: 40, constantMask: (1 << 40) - (1 << 20)),
        SortCase(count: 200_000, bits: 64, constantMask: 0),
        SortCase(count: 150_000, bits: 31, constantMask: (1 << 31) - 1),
    ]

    @Test("Sequential and parallel radix sorts equal a stable comparison sort", arguments: cases)
    func matchesReference(_ sortCase: SortCase) {
        let count = sortCase.count, bits = sortCase.bits, constantMask = sortCase.constantMask
        let (keys, values) = Self.input(count: count, bits: bits, constantMask: constantMask, seed: UInt64(count + bits))
        let reference = Self.expected(keys, values)
        var sequentialKeys = keys, sequentialValues = values
        RadixSort.sort(keys: &sequentialKeys, values: &sequentialValues, significantBits: bits)
        #expect(sequentialKeys == reference.keys)
        #expect(sequentialValues == reference.values)
        for threads in [1, 2, 3, 8] {
            var parallelKeys = keys, parallelValues = values
            ParallelRadixSort.sort(keys: &parallelKeys, values: &parallelValues, significantBits: bits, threads: threads)
            #expect(parallelKeys == reference.keys, "threads \(threads)")
            #expect(parallelValues == reference.values, "threads \(threads)")
        }
    }
}
