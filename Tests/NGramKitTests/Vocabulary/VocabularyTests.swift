import Foundation
import NGramKit
import Testing

@Suite("Vocabulary: ids, reserved words, closed and restricted vocabularies")
struct VocabularyTests {
    @Test("Reserved ids come first; other words get ids in order of first appearance")
    func ids() throws {
        let vocabulary = Vocabulary()
        #expect(vocabulary.count == 3)
        #expect(vocabulary.lookup("<unk>") == Vocabulary.unknownID)
        #expect(vocabulary.lookup("<s>") == Vocabulary.beginID)
        #expect(vocabulary.lookup("</s>") == Vocabulary.endID)
        #expect(vocabulary.addIfAbsent("zebra") == 3)
        #expect(vocabulary.addIfAbsent("apple") == 4)
        #expect(vocabulary.addIfAbsent("zebra") == 3)
        #expect(vocabulary.word(4) == "apple")
        #expect(vocabulary.lookup("missing") == nil)
    }

    @Test("Thousands of words, with shared prefixes and lengths around 8 bytes, all found again")
    func manyWords() throws {
        let vocabulary = Vocabulary()
        let words = (0..<20_000).map { "w\($0 * 7919 % 100_003)-" + String(repeating: "x", count: $0 % 19) }
        for (index, word) in words.enumerated() { #expect(vocabulary.addIfAbsent(word) == UInt32(index + 3)) }
        for (index, word) in words.enumerated() where index % 97 == 0 {
            #expect(vocabulary.lookup(word) == UInt32(index + 3))
            #expect(vocabulary.word(UInt32(index + 3)) == word)
        }
        #expect(vocabulary.lookup("") == nil)
    }

    @Test("A closed vocabulary maps unknown words to <unk>")
    func closed() throws {
        let directory = try TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = try TestSupport.write(Array("the\t10\ncat\n\n<unk>\t3\n".utf8), named: "vocab", in: directory)
        let vocabulary = try VocabularyFile.read(path)
        #expect(vocabulary.count == 5)
        let counts = try TestSupport.count("the cat sat on the mat\n", order: 2, vocabulary: vocabulary)
        #expect(counts.count(of: "<unk>") == 3)
        #expect(counts.count(of: "the <unk>") == 1)
        #expect(counts.count(of: "<unk> <unk>") == 1)
        #expect(counts.uniqueCount(order: 1) == 5)
    }

    @Test("--min-count and --max-vocab turn the rest into <unk>")
    func restricted() throws {
        let text = "a a a b b c\nd a b\n"
        let minCounted = try TestSupport.count(text, order: 2, restriction: VocabularyRestriction(minCount: 2))
        #expect(minCounted.vocabulary.count == 5)  // <unk> <s> </s> a b
        #expect(minCounted.count(of: "<unk>") == 2)  // c, d
        #expect(minCounted.count(of: "b <unk>") == 1)
        #expect(minCounted.count(of: "<s> <unk>") == 1)
        let capped = try TestSupport.count(text, order: 1, restriction: VocabularyRestriction(maxSize: 1))
        #expect(capped.vocabulary.count == 4)
        #expect(capped.count(of: "a") == 4)
        #expect(capped.count(of: "<unk>") == 5)  // b ×3, c, d
        // Ties go to the word seen first: c and d both occur once, c first.
        let tie = try TestSupport.count(text, order: 1, restriction: VocabularyRestriction(maxSize: 3))
        #expect(tie.vocabulary.lookup("c") != nil)
        #expect(tie.vocabulary.lookup("d") == nil)
    }

    @Test("The vocabulary file lists words most frequent first and reads back as a closed vocabulary")
    func vocabularyFile() throws {
        let directory = try TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let counts = try TestSupport.count("b a b c b a\n", order: 1)
        let path = directory.appendingPathComponent("vocab").path
        let sink = try OutputSink(path: path)
        try VocabularyFile.render(counts.vocabulary, counts: counts.unigramCounts, into: sink)
        try sink.commit()
        #expect(try TestSupport.lines(of: path) == ["b\t3", "a\t2", "c\t1"])
        let vocabulary = try VocabularyFile.read(path)
        #expect(vocabulary.isClosed)
        #expect(vocabulary.lookup("c") == 5)
    }
}

@Suite("Vocabulary: one closed vocabulary, many counts")
struct SharedVocabularyTests {
    @Test("Counting twice with the same closed vocabulary gives the same counts (no counts leak between counters)")
    func reuse() throws {
        let vocabulary = Vocabulary()
        for word in ["the", "cat"] { vocabulary.addIfAbsent(word) }
        vocabulary.close()
        let first = try TestSupport.count("the cat sat\n", order: 1, vocabulary: vocabulary)
        let second = try TestSupport.count("the cat sat\n", order: 1, vocabulary: vocabulary)
        #expect(first.unigramCounts == second.unigramCounts)
        #expect(second.count(of: "the") == 1)
        #expect(second.count(of: "<unk>") == 1)
        #expect(second.vocabulary.lookup("sat") == nil)
    }
}
