import Foundation
import NGramKit
import Testing

/// Small texts whose counts are worked out by hand in the comments.
@Suite("Counting: hand-computed cases")
struct HandComputedCountsTests {
    // Sentences, padded as <s> ... </s>:
    //   1: <s> a b a </s>
    //   2: <s> a b </s>
    //   3: <s> </s>            (an empty line is still a sentence)
    //   4: <s> a b a </s>      (a repeated sentence)
    static let text = "a b a\na b\n\na b a\n"

    @Test("Sentences, tokens and vocabulary")
    func totals() throws {
        let counts = try TestSupport.count(Self.text, order: 3)
        #expect(counts.sentences == 4)
        #expect(counts.tokens == 8)
        #expect(counts.vocabulary.count == 5)  // <unk> <s> </s> a b
    }

    @Test("Raw counts of every order")
    func rawCounts() throws {
        let counts = try TestSupport.count(Self.text, order: 3)
        // Unigrams: <s> and </s> once per sentence.
        #expect(counts.count(of: "<s>") == 4)
        #expect(counts.count(of: "</s>") == 4)
        #expect(counts.count(of: "a") == 5)
        #expect(counts.count(of: "b") == 3)
        #expect(counts.count(of: "<unk>") == 0)
        // Bigrams: <s> a ×3, a b ×3, b a ×2, a </s> ×2, b </s> ×1, <s> </s> ×1.
        #expect(counts.count(of: "<s> a") == 3)
        #expect(counts.count(of: "a b") == 3)
        #expect(counts.count(of: "b a") == 2)
        #expect(counts.count(of: "a </s>") == 2)
        #expect(counts.count(of: "b </s>") == 1)
        #expect(counts.count(of: "<s> </s>") == 1)
        #expect(counts.count(of: "</s> <s>") == 0)  // never across sentences
        #expect(counts.uniqueCount(order: 2) == 6)
        // Trigrams: <s> a b ×3, a b a ×2, b a </s> ×2, a b </s> ×1.
        #expect(counts.count(of: "<s> a b") == 3)
        #expect(counts.count(of: "a b a") == 2)
        #expect(counts.count(of: "b a </s>") == 2)
        #expect(counts.count(of: "a b </s>") == 1)
        #expect(counts.uniqueCount(order: 3) == 4)
    }

    @Test("Continuation counts: distinct left extensions; n-grams starting with <s> keep raw counts")
    func continuationCounts() throws {
        let counts = try TestSupport.count(Self.text, order: 3)
        // a is preceded by <s> and b; b by a; </s> by a, b and <s>.
        #expect(counts.adjustedCount(of: "a") == 2)
        #expect(counts.adjustedCount(of: "b") == 1)
        #expect(counts.adjustedCount(of: "</s>") == 3)
        #expect(counts.adjustedCount(of: "<s>") == 4)
        // Bigrams below the highest order: one left extension each, except <s>-initial ones.
        #expect(counts.adjustedCount(of: "a b") == 1)
        #expect(counts.adjustedCount(of: "b a") == 1)
        #expect(counts.adjustedCount(of: "a </s>") == 1)
        #expect(counts.adjustedCount(of: "b </s>") == 1)
        #expect(counts.adjustedCount(of: "<s> a") == 3)
        #expect(counts.adjustedCount(of: "<s> </s>") == 1)
        // The highest order keeps raw counts.
        #expect(counts.adjustedCount(of: "<s> a b") == 3)
        #expect(counts.adjustedCount(of: "a b a") == 2)
    }

    @Test("Counts-of-counts, raw and adjusted")
    func countsOfCounts() throws {
        let counts = try TestSupport.count(Self.text, order: 3)
        // Adjusted unigrams: <s> 4, </s> 3, a 2, b 1 (<unk> 0 is not counted).
        #expect(counts.countsOfCounts(order: 1, adjusted: true) == [0, 1, 1, 1, 1])
        // Raw unigrams: <s> 4, </s> 4, a 5, b 3.
        #expect(counts.countsOfCounts(order: 1, adjusted: false) == [0, 0, 0, 1, 2])
        // Adjusted bigrams: 3, 1, 1, 1, 1, 1.
        #expect(counts.countsOfCounts(order: 2, adjusted: true) == [0, 5, 0, 1, 0])
        // Raw bigrams: 3, 3, 2, 2, 1, 1.
        #expect(counts.countsOfCounts(order: 2, adjusted: false) == [0, 2, 2, 2, 0])
        // Trigrams: 3, 2, 2, 1.
        #expect(counts.countsOfCounts(order: 3, adjusted: true) == [0, 1, 2, 1, 0])
    }

    @Test("Order 1 counts words only")
    func unigramsOnly() throws {
        let counts = try TestSupport.count("x y x\n", order: 1)
        #expect(counts.count(of: "x") == 2)
        #expect(counts.count(of: "y") == 1)
        #expect(counts.adjustedCount(of: "x") == 2)  // no higher order: raw
        #expect(counts.uniqueCount(order: 1) == 5)
    }

    @Test("High orders (10) and orders longer than every sentence")
    func highOrders() throws {
        // 12 distinct words: <s> w1 ... w12 </s> has 14 positions, so 5 ten-grams.
        let words = (1...12).map { "w\($0)" }
        let counts = try TestSupport.count(words.joined(separator: " ") + "\nw1 w2\n", order: 10)
        #expect(counts.uniqueCount(order: 10) == 5)
        #expect(counts.count(of: "<s> " + words[0..<9].joined(separator: " ")) == 1)
        #expect(counts.count(of: words[3..<12].joined(separator: " ") + " </s>") == 1)
        #expect(counts.count(of: "<s> w1") == 2)
        #expect(counts.adjustedCount(of: "w1 w2") == 1)  // only <s> precedes it
        // A 2-word sentence has 4-grams "<s> w1 w2 </s>" but no 5-gram.
        #expect(counts.count(of: "<s> w1 w2 </s>") == 1)
        let short = try TestSupport.count("a b\n", order: 6)
        #expect(short.uniqueCount(order: 4) == 1)
        #expect(short.uniqueCount(order: 5) == 0)
        #expect(short.uniqueCount(order: 6) == 0)
    }

    @Test("Literal <unk> is the unknown word, counted like any word; <s> and </s> in text are errors")
    func reservedWords() throws {
        let counts = try TestSupport.count("a <unk> b <unk>\n", order: 2)
        #expect(counts.count(of: "<unk>") == 2)
        #expect(counts.count(of: "a <unk>") == 1)
        #expect(counts.vocabulary.count == 5)
        #expect(throws: NGramKitError.reservedToken(path: "<text>", line: 2, token: "<s>")) {
            try TestSupport.count("fine\nnot <s> fine\n", order: 2)
        }
        #expect(throws: NGramKitError.reservedToken(path: "<text>", line: 1, token: "</s>")) {
            try TestSupport.count("a </s>\n", order: 2)
        }
    }

    @Test("Order 0 is rejected")
    func orderZero() {
        #expect(throws: NGramKitError.self) { try NGramCounter(order: 0) }
    }
}

@Suite("Counting files: many files, large files, errors in the middle")
struct CountingFilesTests {
    @Test("Several files count as one text; line numbers in errors restart per file, across batch boundaries")
    func filesAndErrors() throws {
        let directory = try TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        // 30,000 lines of 5 tokens: more than one batch of tokens between the reading thread and the counter.
        var big = ""
        for i in 0..<30_000 { big += "w\(i % 97) x y z \(i % 13)\n" }
        let first = try TestSupport.write(Array(big.utf8), named: "first.txt", in: directory)
        let second = try TestSupport.write(Array("a b\n\nc\n".utf8), named: "second.txt", in: directory)
        let counter = try NGramCounter(order: 3)
        var tokenizer = WhitespaceTokenizer()
        try counter.addFiles([first, second], tokenizer: &tokenizer)
        let counts = try counter.finish()
        #expect(counts.sentences == 30_003)
        #expect(counts.tokens == 150_003)
        #expect(counts.count(of: "x y z") == 30_000)
        #expect(counts.count(of: "<s> </s>") == 1)
        #expect(counts.count(of: "z 0 </s>") == UInt64((0..<30_000).filter { $0 % 13 == 0 }.count))

        // A reserved token on line 25,001 of a big file, then one on line 3 of a second file.
        var bad = big
        bad += String(repeating: "fine line\n", count: 1000) + "oops <s>\n"
        let badBig = try TestSupport.write(Array(bad.utf8), named: "bad-big.txt", in: directory)
        let badSmall = try TestSupport.write(Array("ok\nok\n</s> here\n".utf8), named: "bad-small.txt", in: directory)
        #expect(throws: NGramKitError.reservedToken(path: badBig, line: 31_001, token: "<s>")) {
            let counter = try NGramCounter(order: 2)
            var tokenizer = WhitespaceTokenizer()
            try counter.addFiles([badBig], tokenizer: &tokenizer)
        }
        #expect(throws: NGramKitError.reservedToken(path: badSmall, line: 3, token: "</s>")) {
            let counter = try NGramCounter(order: 2)
            var tokenizer = WhitespaceTokenizer()
            try counter.addFiles([first, badSmall], tokenizer: &tokenizer)
        }
        // A missing second file is an error after the first was read.
        #expect(throws: NGramKitError.self) {
            let counter = try NGramCounter(order: 2)
            var tokenizer = WhitespaceTokenizer()
            try counter.addFiles([second, directory.appendingPathComponent("missing.txt").path], tokenizer: &tokenizer)
        }
        // Invalid UTF-8 deep in a file names its line.
        let invalid = try TestSupport.write(Array(big.utf8) + [0x61, 0xC3, 0x28, 0x0A], named: "invalid.txt", in: directory)
        #expect(throws: NGramKitError.invalidUTF8(path: invalid, line: 30_001, byteOffset: 1)) {
            let counter = try NGramCounter(order: 2)
            var tokenizer = UnicodeWordTokenizer()
            try counter.addFiles([invalid], tokenizer: &tokenizer)
        }
    }
}
