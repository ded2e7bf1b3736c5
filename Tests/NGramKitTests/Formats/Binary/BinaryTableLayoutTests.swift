import Foundation
@testable import NGramKit
import Testing

/// The binary tables' layout (format version 2): codes are a bijection of key + 1 that keeps 0
/// free, homes grow with codes, and entries sit in code order close to their homes.
@Suite struct BinaryTableLayoutTests {
    @Test("Codes: a bijection of 1 ..< 2^K onto itself (K = 1...14, every value), never 0")
    func codesAreABijection() {
        for bits in 1...14 {
            let size = 1 << bits
            var seen = [Bool](repeating: false, count: size)
            var collisions = 0
            for key in 0..<(size - 1) {
                let code = Int(BinaryTable.code(UInt64(key), bits: bits))
                #expect(code > 0 && code < size)
                if code <= 0 || code >= size { return }
                if seen[code] { collisions += 1 }
                seen[code] = true
            }
            #expect(collisions == 0, "K = \(bits)")
        }
    }

    @Test("Homes grow with codes and cover 0 ..< M, for wide and narrow codes")
    func homesAreMonotone() {
        for (bits, homes) in [(8, 200), (20, 1000), (44, 9_999_991), (61, 123_456_789)] {
            var generator = SplitMix64(state: UInt64(bits))
            var codes = (0..<5000).map { _ in generator.next() >> UInt64(64 - bits) }
            codes += [1, (1 << UInt64(bits)) - 1]
            codes.sort()
            var previous = -1
            for code in codes {
                let home = BinaryTable.home(code: code, bits: bits, homes: homes)
                #expect(home >= previous && home < homes)
                previous = home
            }
            #expect(BinaryTable.home(code: (1 << UInt64(bits)) - 1, bits: bits, homes: homes) == homes - 1)
        }
    }

    @Test("Brown 5k, order 4: every table in code order, each entry found from its home a few slots on")
    func entriesNearTheirHomes() throws {
        let directory = try TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let model = try ARPARoundTripTests.model(.kneserNey, order: 4)
        let path = directory.appendingPathComponent("brown.bin").path
        try BinaryModelWriter.write(model, to: path)
        let binary = try #require(try ModelFile.load(path).binary)
        for table in binary.tables {
            var entries = 0, displacement = 0, previous: UInt64 = 0
            for slot in 0..<table.slots {
                let code = table.storedCode(slot)
                guard code != 0 else { continue }
                #expect(code > previous, "codes increase along the table")
                previous = code
                let home = table.home(code: code)
                #expect(home <= slot)
                entries += 1
                displacement += slot - home
                #expect(table.find(code: code, home: home) == slot)
            }
            #expect(entries > 50_000)
            // Linear probing with uniform homes at load 0.85: a present key sits on average
            // (1 / (1 - 0.85) - 1) / 2 = 2.83 slots past its home. Clustered homes (a poor
            // code) give longer scans.
            let mean = Double(displacement) / Double(entries)
            #expect(mean > 2.3 && mean < 3.4, "mean displacement \(mean)")
        }
    }
}

/// Tables are laid out on several threads (pieces of the model's slots, a parallel sort, and
/// positions carried from piece to piece): the file must not depend on their number.
@Suite struct BinaryWriterThreadsTests {
    @Test("Brown 5k, order 4: the same binary bytes with 1, 2, 3 and 7 threads")
    func sameBytesForAnyThreads() throws {
        let directory = try TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let model = try ARPARoundTripTests.model(.kneserNey, order: 4)
        // Several pieces need tables of at least 2^16 slots.
        #expect(model.tables.allSatisfy { $0.capacity >= 1 << 16 })
        var files: [Data] = []
        for threads in [1, 2, 3, 7] {
            let path = directory.appendingPathComponent("t\(threads).bin").path
            try BinaryModelWriter.write(model, to: path, threads: threads)
            files.append(try Data(contentsOf: URL(fileURLWithPath: path)))
        }
        #expect(files[0].count > 1_000_000)
        for file in files.dropFirst() { #expect(file == files[0]) }
    }
}
