import Foundation
@testable import NGramKit
import Testing

/// `NGramModel.scoreMany`: sentences as bytes, scored in lockstep on threads, bit for bit as one
/// `score` each, with and without `<s>` and `</s>`; the first bad sentence named by its number.
@Suite struct ScoreManyTests {
    @Test("The same values as score, for any number of threads and every bos/eos", arguments: [1, 2, 5])
    func sameAsScore(threads: Int) throws {
        let model = try NextWordsTests.model(.kneserNey, order: 4)
        let lines = Array(try TestSupport.lines(of: try TestSupport.sharedFile("fixtures/kenlm/brown.test1k.txt.gz")).prefix(5000)) + ["", "  "]
        let bytes = lines.map { Array($0.utf8) }
        for (bos, eos) in [(true, true), (true, false), (false, true), (false, false)] {
            var out = [Double](repeating: .nan, count: lines.count)
            try withBuffers(bytes) { buffers in
                try out.withUnsafeMutableBufferPointer { try model.scoreMany(buffers, bos: bos, eos: eos, threads: threads, into: $0.baseAddress!) }
            }
            let expected = try lines.map { try model.score($0, bos: bos, eos: eos) }
            #expect(out == expected, "bos \(bos) eos \(eos)")
        }
    }

    @Test("The first sentence with a reserved token is named by its number")
    func firstFailure() throws {
        let model = try LibraryEntryPointTests.model()
        let bytes = ["the cat", "a </s> b", "the dog", "<s>"].map { Array($0.utf8) }
        var out = [Double](repeating: 0, count: bytes.count)
        #expect(throws: NGramKitError.reservedToken(path: "sentence 2", line: 1, token: "</s>")) {
            try withBuffers(bytes) { buffers in
                try out.withUnsafeMutableBufferPointer { try model.scoreMany(buffers, threads: 2, into: $0.baseAddress!) }
            }
        }
    }

    func withBuffers<R>(_ bytes: [[UInt8]], _ body: (UnsafeBufferPointer<UnsafeBufferPointer<UInt8>>) throws -> R) rethrows -> R {
        let copies = bytes.map { b -> UnsafeMutableBufferPointer<UInt8> in
            let copy = UnsafeMutableBufferPointer<UInt8>.allocate(capacity: max(b.count, 1))
            _ = copy.initialize(from: b)
            return copy
        }
        defer { copies.forEach { $0.deallocate() } }
        let views = copies.enumerated().map { UnsafeBufferPointer(start: $0.element.baseAddress, count: bytes[$0.offset].count) }
        return try views.withUnsafeBufferPointer { try body($0) }
    }
}
