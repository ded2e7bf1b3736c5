import Foundation
import NGramKit
import Testing

/// A plain load of a binary model checks everything a lookup follows (the vocabulary's offsets
/// and index): a damaged one is a one-line error, never a crash or an endless lookup.
@Suite("Binary models: what a load checks")
struct BinaryValidationTests {
    /// A small binary model and the (offset, length) of its five fixed sections.
    static func model(in directory: URL) throws -> (bytes: [UInt8], sections: [(offset: Int, length: Int)], words: Int) {
        let arpa = directory.appendingPathComponent("m.arpa").path, binary = directory.appendingPathComponent("m.bin").path
        let built = try TestSupport.runTool(["build", "--order", "3", "--text", try TestSupport.sharedFile("fixtures/kenlm/brown.test1k.txt.gz"),
                                             "--arpa", arpa, "--binary", binary])
        try #require(built.status == 0, "\(built.stderr)")
        let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: binary)))
        func u64(_ at: Int) -> Int { Int(bytes[at..<(at + 8)].enumerated().reduce(UInt64(0)) { $0 | UInt64($1.element) << UInt64(8 * $1.offset) }) }
        let sections = (0..<5).map { (u64(88 + 16 * $0), u64(96 + 16 * $0)) }
        return (bytes, sections, u64(72))
    }

    static func put(_ value: UInt64, at offset: Int, width: Int, into bytes: inout [UInt8]) {
        for i in 0..<width { bytes[offset + i] = UInt8(truncatingIfNeeded: value >> UInt64(8 * i)) }
    }

    @Test("Damaged word ids, offsets and index slots: one-line errors, within a second, nothing crashes")
    func damagedVocabulary() throws {
        let directory = try TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let (good, sections, words) = try Self.model(in: directory)
        let offsets = sections[3].offset, index = sections[4].offset, indexBytes = sections[4].length
        // The first occupied index slot (32 bytes: tag, tag2, id + 1, length, count).
        let firstSlot = try #require(stride(from: index, to: index + indexBytes, by: 32).first { slot in
            good[(slot + 16)..<(slot + 20)].contains { $0 != 0 }
        })
        var cases: [(String, [UInt8])] = []
        var copy = good
        Self.put(UInt64(words + 5), at: firstSlot + 16, width: 4, into: &copy); cases.append(("a word id past the vocabulary", copy))
        copy = good
        for i in index..<(index + indexBytes) { copy[i] = 0xFF }; cases.append(("an index of 0xFF bytes", copy))
        copy = good
        for i in index..<(index + indexBytes) { copy[i] = 0 }; cases.append(("an empty index", copy))
        copy = good
        Self.put(UInt64(1) << 40, at: offsets + 8 * (words / 2), width: 8, into: &copy); cases.append(("a huge middle offset", copy))
        copy = good
        Self.put(0, at: offsets + 8 * (words - 1), width: 8, into: &copy); cases.append(("offsets going back", copy))
        copy = good
        Self.put(UInt64(sections[2].length + 10), at: offsets + 8 * words, width: 8, into: &copy); cases.append(("a last offset past the words", copy))
        copy = good
        Self.put(99, at: firstSlot + 20, width: 4, into: &copy); cases.append(("a slot's length", copy))
        let test = try TestSupport.write(Array("the the a of\nsupercalifragilisticexpialidocious words here\n".utf8), named: "t.txt", in: directory)
        for (name, bytes) in cases {
            let path = try TestSupport.write(bytes, named: "bad.bin", in: directory)
            for command in ["ppl", "query"] {
                let result = try TestSupport.runTool([command, "--model", path, "--text", test], timeout: 10)
                #expect(!result.timedOut && result.endedCleanly && result.status == 1, "\(name): \(result.status)")
                #expect(result.errorLines.count == 1 && result.stderr.contains("bad.bin: corrupt binary model: its vocabulary is damaged"),
                        "\(name): \(result.stderr)")
            }
        }
        // The intact model loads, and --verify passes.
        let intact = try TestSupport.write(good, named: "good.bin", in: directory)
        #expect(try TestSupport.runTool(["ppl", "--model", intact, "--text", test, "--verify"]).status == 0)
    }

    @Test("The reproducers of ../shared/reliability: idx_badid, idx_ff, boff_huge")
    func reproducers() throws {
        for (model, text) in [("idx_badid.bin", "tiny.txt"), ("idx_ff.bin", "tiny.txt"), ("boff_huge.bin", "longline.txt")] {
            let result = try TestSupport.runTool(["query", "--model", try TestSupport.sharedFile("reliability/\(model)"),
                                                  "--text", try TestSupport.sharedFile("reliability/\(text)")], timeout: 10)
            #expect(!result.timedOut && result.status == 1 && result.errorLines.count == 1 && result.stderr.contains("its vocabulary is damaged"),
                    "\(model): \(result.stderr)")
        }
    }
}
