import Foundation
import NGramKit
import Testing

/// Properties: the hash-based counter agrees with a naive counter written in the test, on
/// random texts, for orders 1 to 7; growth of undersized tables and narrow count fields change
/// nothing.
@Suite("Counting: agreement with a naive reference")
struct ReferenceCountsTests {
    /// Random text with a Zipf-like vocabulary, so n-grams repeat.
    static func randomText(seed: UInt64, sentences: Int, vocabulary: Int) -> String {
        var generator = SplitMix64(state: seed)
        var lines: [String] = []
        for _ in 0..<sentences {
            let length = Int(generator.next() % 9)
            var words: [String] = []
            for _ in 0..<length {
                let u = Double(generator.next() % 1_000_000) / 1_000_000
                words.append("w\(Int(pow(u, 3) * Double(vocabulary)))")
            }
            lines.append(words.joined(separator: " "))
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// Raw and adjusted counts the slow, obvious way.
    static func naiveCounts(_ text: String, order: Int) -> (raw: [[String]: UInt64], adjusted: [[String]: UInt64]) {
        var raw: [[String]: UInt64] = [:]
        var lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        if text.hasSuffix("\n") { lines.removeLast() }
        for line in lines {
            let words = ["<s>"] + line.split(separator: " ").map(String.init) + ["</s>"]
            for end in 0..<words.count {
                for n in 1...order where end - n + 1 >= 0 {
                    let gram = Array(words[(end - n + 1)...end])
                    if n >= 2 && gram.dropFirst().contains("<s>") { continue }
                    raw[gram, default: 0] += 1
                }
            }
        }
        var adjusted: [[String]: UInt64] = [:]
        for (gram, count) in raw {
            if gram.count == order || gram.first == "<s>" {
                adjusted[gram] = count
            } else {
                adjusted[gram] = 0
            }
        }
        for gram in raw.keys where gram.count >= 2 {
            let suffix = Array(gram.dropFirst())
            if suffix.first != "<s>" && suffix.count < order { adjusted[suffix, default: 0] += 1 }
        }
        return (raw, adjusted)
    }

    @Test("Random texts, orders 1-7: every raw and adjusted count matches", arguments: [1, 2, 3, 4, 5, 7])
    func agreesWithNaiveCounts(order: Int) throws {
        for seed in UInt64(1)...3 {
            let text = Self.randomText(seed: seed &* 7919 &+ UInt64(order), sentences: 400, vocabulary: 60)
            let counts = try TestSupport.count(text, order: order)
            let (raw, adjusted) = Self.naiveCounts(text, order: order)
            for n in 1...order {
                let expected = raw.keys.filter { $0.count == n }.count
                if n == 1 {
                    // The vocabulary also holds <unk>, which never occurs here.
                    #expect(counts.uniqueCount(order: 1) == expected + 1)
                } else {
                    #expect(counts.uniqueCount(order: n) == expected, "order \(n)")
                }
            }
            for (gram, count) in raw {
                let key = gram.joined(separator: " ")
                #expect(counts.count(of: key) == count, "\(key)")
                #expect(counts.adjustedCount(of: key) == adjusted[gram]!, "adjusted \(key)")
            }
        }
    }

    @Test("Undersized tables grow and give the same counts")
    func growth() throws {
        let text = Self.randomText(seed: 42, sentences: 3000, vocabulary: 200)
        let expected = try TestSupport.count(text, order: 4)
        let counter = try NGramCounter(order: 4)
        counter.targetLoad = 20  // tables start at 1/20 of the needed size
        var tokenizer = WhitespaceTokenizer()
        try counter.addText(text, tokenizer: &tokenizer)
        let grown = try counter.finish()
        #expect(try countsFileText(grown) == countsFileText(expected))
        for n in 2...4 {
            #expect(grown.countsOfCounts(order: n, adjusted: true) == expected.countsOfCounts(order: n, adjusted: true))
        }
    }

    @Test("A count wider than its field overflows into the side table and survives growth")
    func countOverflow() throws {
        let table = try CountTable(order: 2, capacity: 16, wordLimit: 100, contextLimit: 100, countFieldBits: 4)
        let keys = (0..<10).map { table.key(context: UInt32($0), word: UInt32($0 * 3 % 100)) }
        for (index, key) in keys.enumerated() {
            for _ in 0..<(index * 7 + 1) { table.add(key) }
        }
        table.add(keys[0], amount: 1000)
        func check() {
            for (index, key) in keys.enumerated() {
                let slot = table.find(key)
                #expect(slot != nil)
                let expected = UInt64(index * 7 + 1) + (index == 0 ? 1000 : 0)
                #expect(slot.map { table.count(ofSlot: $0) } == expected, "key \(index)")
            }
        }
        check()
        table.resize(to: 64)
        check()
    }

    private func countsFileText(_ counts: NGramCounts) throws -> String {
        let directory = try TestSupport.temporaryDirectory()
        let path = directory.appendingPathComponent("counts").path
        let sink = try OutputSink(path: path)
        try CountsFile.write(counts, to: sink)
        try sink.commit()
        return try TestSupport.lines(of: path).joined(separator: "\n")
    }
}

#if canImport(Glibc)
import Glibc
#endif

@Suite("Counting: threads")
struct ThreadedCountingTests {
    @Test("1 and 2 threads build identical tables, slot for slot, and identical counts files")
    func identicalTables() throws {
        // Large enough that orders 2-4 are partitioned (tables of 2^16 slots and more).
        let corpus = TestSupport.packageRoot.appendingPathComponent(DefaultCorpus.path).path
        var results: [NGramCounts] = []
        for threads in [1, 2, 3] {
            let counter = try NGramCounter(order: 4)
            counter.threads = threads
            var tokenizer = WhitespaceTokenizer()
            try counter.addFiles([corpus], tokenizer: &tokenizer)
            results.append(try counter.finish())
        }
        let reference = results[0]
        #expect(reference.table(order: 3).partitionCount == 16)
        for other in results.dropFirst() {
            for n in 2...4 {
                let a = reference.table(order: n), b = other.table(order: n)
                #expect(a.capacity == b.capacity)
                #expect(a.occupied == b.occupied)
                var identical = true
                for slot in 0..<a.capacity where a.count(ofSlot: slot) != b.count(ofSlot: slot)
                    || (a.isOccupied(slot) && (a.context(ofSlot: slot) != b.context(ofSlot: slot) || a.word(ofSlot: slot) != b.word(ofSlot: slot)
                        || a.adjustedCount(ofSlot: slot) != b.adjustedCount(ofSlot: slot))) {
                    identical = false
                    break
                }
                #expect(identical, "order \(n)")
            }
            #expect(other.unigramContinuation == reference.unigramContinuation)
            #expect(try Self.countsFile(other, threads: 3) == Self.countsFile(reference, threads: 1))
        }
        #expect(try Self.countsFile(reference, threads: 1).count > 1_000_000)
    }

    /// The bytes of the counts file of `counts`, formatted on `threads` threads.
    static func countsFile(_ counts: NGramCounts, threads: Int) throws -> [UInt8] {
        let directory = try TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("counts").path
        try CountsFile.write(counts, to: path, threads: threads)
        return [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
    }
}
