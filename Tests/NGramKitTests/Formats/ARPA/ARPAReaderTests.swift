import Foundation
import NGramKit
import Testing

/// ARPA reading: exact values from hand-written files, scoring through `ModelState`, blanks for
/// missing contexts, gzip and `\r\n` input, write → read → write byte identity, one-line errors
/// with the right line numbers, and KenLM's Brown model.
@Suite("ARPA reader")
struct ARPAReaderTests {
    // MARK: Helpers

    /// Writes `text` to a fresh temporary file named `name` and reads it as a model.
    private func read(_ text: String, named name: String = "model.arpa", warn: (String) -> Void = { _ in }) throws -> NGramModel {
        let directory = try TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = try TestSupport.write(Array(text.utf8), named: name, in: directory)
        return try ARPAReader.read(path, warn: warn)
    }

    /// Writes `model` as ARPA and returns the bytes.
    private func arpaBytes(_ model: NGramModel) throws -> Data {
        let directory = try TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("out.arpa").path
        let sink = try OutputSink(path: path)
        try ARPAWriter.write(model, to: sink)
        try sink.commit()
        return try Data(contentsOf: URL(fileURLWithPath: path))
    }

    private func id(_ model: NGramModel, _ word: String, sourceLocation: SourceLocation = #_sourceLocation) throws -> UInt32 {
        try #require(model.vocabulary.lookup(word), "\(word) not in the vocabulary", sourceLocation: sourceLocation)
    }

    /// log10 p of each word of `sentence` after `<s>` (out-of-vocabulary words score as `<unk>`)
    /// and the length of the n-gram that matched.
    private func scores(_ model: NGramModel, _ sentence: String) throws -> [(log10Prob: Double, matched: Int)] {
        let state = ModelState(model: model)
        state.beginSentence()
        return try sentence.split(separator: " ").map { word in
            try state.score(model.vocabulary.lookup(String(word)) ?? Vocabulary.unknownID)
        }
    }

    /// The stored log10 probability of an n-gram of the highest order, or nil when it is not
    /// stored: scored after its own context, which also checks that scoring reaches it through
    /// its chain of contexts (blanks included).
    private func highestOrderProb(_ model: NGramModel, _ ngram: String) throws -> Double? {
        let ids = try ngram.split(separator: " ").map { try id(model, String($0)) }
        guard model.slot(of: ids) != nil else { return nil }
        let state = ModelState(model: model)
        try state.setContext(Array(ids.dropLast()))
        let (p, matched) = try state.score(ids.last!)
        return matched == ids.count ? p : nil
    }

    /// The description of the `NGramKitError` that `body` throws, or nil when it throws none.
    private func errorDescription(_ body: () throws -> Void) -> String? {
        do {
            try body()
            return nil
        } catch {
            return (error as? NGramKitError)?.description ?? "not an NGramKitError: \(error)"
        }
    }

    private func close(_ a: Double?, _ b: Double, _ tolerance: Double = 1e-12) -> Bool {
        guard let a else { return false }
        return abs(a - b) <= tolerance
    }

    /// A trigram model: lines shuffled inside their sections, spaces instead of TABs on some
    /// lines, a missing backoff field (`c`), -99 probabilities, blank lines, a free-form
    /// preamble and trailing spaces on a marker.
    static let trigram = """
        # hand-written test model
        Some tool banner that is not a comment

        \\data\\
        ngram 1=6
        ngram 2 = 5
        ngram  3=4

        \\1-grams:
        -1.0\t</s>
        -99\t<s>\t-0.5
        -2.5 a -0.3
        -1.5\t<unk>\t0
        -2.0\tb\t-0.2
        -2.25\tc

        \\2-grams:\("  ")
        -0.7\ta b\t-0.1
        -0.4\t<s> a\t-0.25
        -0.6 b c
        -0.9\tb </s>\t0
        -1.1\tc </s>\t0

        \\3-grams:
        -0.2\ta b c
        -0.3\t<s> a b

        -0.15 b  c </s>
        -99\tb c b\t0

        \\end\\

        """

    // MARK: Values

    @Test("A hand-written trigram model reads back its exact values, ids in file order")
    func exactValues() throws {
        let model = try read(Self.trigram)
        #expect(model.order == 3)
        #expect(model.ngramCounts == [6, 5, 4])
        #expect(model.provenance == ModelProvenance())
        // The reserved words keep 0, 1, 2 wherever they appear; the others follow in file order.
        #expect(model.vocabulary.lookup("<unk>") == 0)
        #expect(model.vocabulary.lookup("<s>") == 1)
        #expect(model.vocabulary.lookup("</s>") == 2)
        #expect(model.vocabulary.lookup("a") == 3)
        #expect(model.vocabulary.lookup("b") == 4)
        #expect(model.vocabulary.lookup("c") == 5)
        #expect(model.vocabulary.count == 6)
        let expected: [(String, Double, Double)] = [
            ("</s>", -1.0, 0), ("a", -2.5, -0.3), ("<unk>", -1.5, 0), ("b", -2.0, -0.2), ("c", -2.25, 0),
            ("a b", -0.7, -0.1), ("<s> a", -0.4, -0.25), ("b c", -0.6, 0), ("b </s>", -0.9, 0), ("c </s>", -1.1, 0),
        ]
        for (ngram, prob, backoff) in expected {
            let entry = model.entry(ngram)
            #expect(entry?.logProb == prob, "\(ngram)")
            #expect(entry?.logBackoff == backoff, "\(ngram)")
        }
        // -99 is the number -99, as KenLM reads it.
        #expect(model.entry("<s>")?.logProb == -99)
        #expect(model.entry("<s>")?.logBackoff == -0.5)
        #expect(try highestOrderProb(model, "a b c") == -0.2)
        #expect(try highestOrderProb(model, "<s> a b") == -0.3)
        #expect(try highestOrderProb(model, "b c </s>") == -0.15)
        #expect(model.slot(of: [4, 5, 4]) != nil)   // b c b, probability zero
        #expect(model.entry("a c") == nil)
        #expect(model.entry("<s> b") == nil)
    }

    @Test("Scoring: a seen trigram, a backed-off trigram, a backed-off bigram, an OOV word")
    func scoring() throws {
        let model = try read(Self.trigram)
        // Every n-gram seen: p(a|<s>), p(b|<s> a), p(c|a b), p(</s>|b c).
        let seen = try scores(model, "a b c </s>")
        #expect(seen.map(\.log10Prob) == [-0.4, -0.3, -0.2, -0.15])
        #expect(seen.map(\.matched) == [2, 3, 3, 3])
        // p(</s> | a b): "a b </s>" is not stored, so p(</s> | b) + backoff(a b) = -0.9 + -0.1.
        let backedOff = try scores(model, "a b </s>")
        #expect(close(backedOff[2].log10Prob, -1.0))
        #expect(backedOff[2].matched == 2)
        // p(b | <s>): "<s> b" is not stored, so p(b) + backoff(<s>) = -2.0 + -0.5.
        let bigram = try scores(model, "b")
        #expect(close(bigram[0].log10Prob, -2.5))
        #expect(bigram[0].matched == 1)
        // An OOV word scores as <unk>: p(<unk>) + backoff(<s>) = -1.5 + -0.5.
        let oov = try scores(model, "zzz")
        #expect(close(oov[0].log10Prob, -2.0))
        #expect(oov[0].matched == 1)
    }

    @Test("Missing contexts get blanks, which score longer n-grams but are no n-grams themselves")
    func blanks() throws {
        // "a b c d" is stored, but neither "a b" nor "a b c" is.
        let model = try read("""
            \\data\\
            ngram 1=7
            ngram 2=3
            ngram 3=1
            ngram 4=1

            \\1-grams:
            -1.5\t<unk>\t0
            -99\t<s>\t-0.5
            -1.0\t</s>\t0
            -2.5\ta\t-0.3
            -2.0\tb\t-0.2
            -2.25\tc\t-0.1
            -2.75\td\t0

            \\2-grams:
            -0.4\t<s> a\t-0.25
            -0.6\tb c\t-0.05
            -0.5\tc d\t0

            \\3-grams:
            -0.35\tb c d\t0

            \\4-grams:
            -0.1\ta b c d

            \\end\\

            """)
        #expect(model.ngramCounts == [7, 3, 1, 1])
        let (a, b, c) = (try id(model, "a"), try id(model, "b"), try id(model, "c"))
        let ab = try #require(model.slot(of: [a, b]))
        let abc = try #require(model.slot(of: [a, b, c]))
        #expect(model.isBlank(order: 2, slot: ab))
        #expect(model.isBlank(order: 3, slot: abc))
        #expect(model.entry("a b") == nil)
        #expect(model.entry("a b c") == nil)
        #expect(try highestOrderProb(model, "a b c d") == -0.1)
        let s = try scores(model, "a b c d")
        // p(b | <s> a) = p(b) + backoff(a) + backoff(<s> a); the blank "a b" adds nothing.
        #expect(close(s[1].log10Prob, -2.0 - 0.3 - 0.25))
        // p(c | a b) = p(c | b): the blank context has backoff 0.
        #expect(close(s[2].log10Prob, -0.6))
        // p(d | a b c): found through the two blanks.
        #expect(s[3].log10Prob == -0.1)
        #expect(s[3].matched == 4)
        // Blanks are not written back.
        let text = String(decoding: try arpaBytes(model), as: UTF8.self)
        #expect(!text.contains("\ta b\t"))
        #expect(text.contains("ngram 2=3\n"))
    }

    @Test("Many missing contexts: lower tables grow while order 4 is read, and the tables above are rebuilt")
    func manyBlanks() throws {
        // 20 words; the 2-grams are "wj w0", the 3-grams "wj w0 w0", the 4-grams every
        // "wi wj w0 w0": 380 of their contexts are missing at order 3, and so are those
        // contexts' own contexts at order 2, so both tables, sized for 20, must grow.
        let words = (0..<20).map { "w\($0)" }
        var lines = ["\\data\\", "ngram 1=23", "ngram 2=20", "ngram 3=20", "ngram 4=400", "", "\\1-grams:",
                     "-1\t<unk>\t0", "-99\t<s>\t0", "-1\t</s>\t0"]
        lines += words.map { "-1.5\t\($0)\t-0.5" }
        lines += ["", "\\2-grams:"] + words.map { "-0.75\t\($0) w0\t-0.25" }
        lines += ["", "\\3-grams:"] + words.map { "-0.5\t\($0) w0 w0\t-0.125" }
        lines += ["", "\\4-grams:"]
        for i in 0..<20 { for j in 0..<20 { lines.append("-\(i * 20 + j + 1).5e-3\tw\(i) w\(j) w0 w0") } }
        lines += ["", "\\end\\", ""]
        let model = try read(lines.joined(separator: "\n"))
        #expect(model.ngramCounts == [23, 20, 20, 400])
        let w0 = try id(model, "w0")
        for i in 0..<20 {
            for j in 0..<20 {
                let ngram = "w\(i) w\(j) w0 w0"
                #expect(try highestOrderProb(model, ngram) == Double("-\(i * 20 + j + 1).5e-3")!, "\(ngram)")
                let (wi, wj) = (try id(model, "w\(i)"), try id(model, "w\(j)"))
                let bigram = try #require(model.slot(of: [wi, wj]))
                let trigram = try #require(model.slot(of: [wi, wj, w0]))
                #expect(model.isBlank(order: 2, slot: bigram) == (j != 0), "\(ngram)")
                #expect(model.isBlank(order: 3, slot: trigram) == (j != 0), "\(ngram)")
            }
        }
        #expect(model.entry("w3 w0 w0")?.logBackoff == -0.125)
        let first = try arpaBytes(model)
        #expect(try arpaBytes(try read(String(decoding: first, as: UTF8.self))) == first)
    }

    @Test("A header that undercounts: the table grows while the section is read, then the count is an error")
    func headerUndercount() throws {
        var lines = ["\\data\\", "ngram 1=13", "ngram 2=1", "", "\\1-grams:", "-1\t<unk>", "-1\t<s>", "-1\t</s>"]
        lines += (0..<10).map { "-1\tw\($0)" }
        lines += ["", "\\2-grams:"]
        for i in 0..<10 { for j in 0..<10 { lines.append("-0.5\tw\(i) w\(j)") } }
        lines += ["", "\\end\\", ""]
        let description = errorDescription { _ = try read(lines.joined(separator: "\n")) }
        // The 2-grams marker is line 20, their 100 lines are 21-120, and \end\ is line 122.
        #expect(description?.contains("model.arpa:122: the 2-grams section (from line 20) holds 100 n-grams but the \\data\\ header (line 3) announces 1") == true,
                "\(description ?? "no error")")
    }

    @Test("KenLM's Brown model scores its test text as KenLM's query does")
    func brownParity() throws {
        let model = try ARPAReader.read(try TestSupport.sharedFile("fixtures/kenlm/brown.o4.arpa.gz"))
        let text = try TestSupport.lines(of: try TestSupport.sharedFile("fixtures/kenlm/brown.test1k.txt.gz"))
        let query = try TestSupport.lines(of: try TestSupport.sharedFile("fixtures/kenlm/brown.o4.test1k.query.txt.gz"))
        #expect(text.count == query.count)
        let state = ModelState(model: model)
        var tokens = 0
        for (line, expected) in zip(text, query) {
            // Per token: "word=kenlm_id ngram_length log10p", TAB-separated, then the total.
            let fields = expected.split(separator: "\t").dropLast()
            let words = line.split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init) + ["</s>"]
            #expect(fields.count == words.count)
            state.beginSentence()
            for (word, field) in zip(words, fields) {
                let parts = field.split(separator: " ")
                let (p, matched) = try state.score(model.vocabulary.lookup(word) ?? Vocabulary.unknownID)
                // The file holds single-precision numbers, which KenLM prints with 8 digits.
                #expect(abs(p - Double(parts[2])!) < 2e-6, "\(line): \(word)")
                #expect(matched == Int(parts[1])!, "\(line): \(word)")
                tokens += 1
            }
        }
        #expect(tokens > 20_000)
    }

    @Test("Numbers: exponents, leading dots, long mantissas, all as strtod reads them")
    func numbers() throws {
        let values = ["-1e-05", "-.5", "-0.30102999566398119521", "-4.8554907", "+0.25", "-1.5E+2",
                      "-123456789012345678901234e-30", "-0", "7.", "-0.000000000000000000000000012345",
                      "-9007199254740993", "-2.2250738585072014e-308", "-3.4e38", "-1e-400"]
        var lines = ["\\data\\", "ngram 1=\(values.count + 3)", "ngram 2=0", "", "\\1-grams:",
                     "-1\t<unk>\t0", "-1\t<s>\t0", "-1\t</s>\t0"]
        for (i, value) in values.enumerated() { lines.append("-1\tw\(i)\t\(value)") }
        lines += ["", "\\2-grams:", "", "\\end\\", ""]
        let model = try read(lines.joined(separator: "\n"))
        for (i, value) in values.enumerated() {
            #expect(model.entry("w\(i)")?.logBackoff == Double(value)!, "\(value)")
        }
    }

    @Test("A unigram model: order 1, a zero backoff field accepted")
    func unigramModel() throws {
        let model = try read("\\data\\\nngram 1=3\n\n\\1-grams:\n-1\t<unk>\n-0.5\t<s>\t0\n-0.2\t</s>\n\n\\end\\\n")
        #expect(model.order == 1)
        #expect(model.ngramCounts == [3])
        let s = try scores(model, "</s>")
        #expect(s[0].log10Prob == -0.2)
    }

    // MARK: Input forms

    @Test("gzip input and \\r\\n line ends read like the plain file")
    func gzipAndCRLF() throws {
        let directory = try TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let plain = try read(Self.trigram)
        let gzPath = try TestSupport.write(try TestSupport.gzip(Array(Self.trigram.utf8)), named: "model.arpa.gz", in: directory)
        let crlfPath = try TestSupport.write(Array(Self.trigram.replacingOccurrences(of: "\n", with: "\r\n").utf8), named: "crlf.arpa", in: directory)
        let expected = try arpaBytes(plain)
        for path in [gzPath, crlfPath] {
            let model = try ARPAReader.read(path)
            #expect(model.ngramCounts == [6, 5, 4], "\(path)")
            #expect(try arpaBytes(model) == expected, "\(path)")
            #expect(model.entry("a b")?.logBackoff == -0.1, "\(path)")
        }
    }

    @Test("Write, read, write: the same bytes (hand-written and Kneser-Ney models)")
    func roundTrip() throws {
        let text = "the cat sat on the mat\nthe dog sat on the cat\na cat and a dog\nthe mat sat\n"
        let counts = try TestSupport.count(text, order: 3)
        let kneserNey = try ModifiedKneserNey.estimate(counts)
        let hand = try read(Self.trigram)
        for model in [hand, kneserNey] {
            let first = try arpaBytes(model)
            let readBack = try read(String(decoding: first, as: UTF8.self))
            #expect(readBack.ngramCounts == model.ngramCounts)
            #expect(try arpaBytes(readBack) == first)
        }
    }

    @Test("Stupid Backoff: the preamble line restores alpha, and the raw scores come back")
    func stupidBackoff() throws {
        let text = "the cat sat on the mat\nthe dog sat on the cat\na cat and a dog\nthe mat sat\n"
        let original = try StupidBackoff.estimate(try TestSupport.count(text, order: 3), alpha: 0.4)
        let first = try arpaBytes(original)
        let readBack = try read(String(decoding: first, as: UTF8.self))
        #expect(readBack.provenance == .stupidBackoff(alpha: 0.4))
        #expect(try arpaBytes(readBack) == first)
        for sentence in ["the cat sat on the mat </s>", "a dog sat on the mat </s>", "the cat and the dog </s>", "mat mat zzz the </s>"] {
            let a = ModelState(model: original), b = ModelState(model: readBack)
            a.beginSentence()
            b.beginSentence()
            for word in sentence.split(separator: " ") {
                let id = original.vocabulary.lookup(String(word)) ?? 0
                let x = try #require(try a.scoreRawStupidBackoff(id))
                let y = try #require(try b.scoreRawStupidBackoff(id))
                // The file holds single-precision numbers. An unseen word has probability 0 in
                // memory, which the file writes as -99, read back as the number -99 (as KenLM does).
                if x.log10Prob == -.infinity {
                    #expect(y.log10Prob <= -99 && y.log10Prob > -100, "\(sentence): \(word)")
                    continue
                }
                #expect(x.log10Prob == y.log10Prob || abs(x.log10Prob - y.log10Prob) < 1e-5, "\(sentence): \(word)")
                #expect(x.log10RawScore == y.log10RawScore || abs(x.log10RawScore - y.log10RawScore) < 1e-5, "\(sentence): \(word)")
            }
        }
    }

    @Test("KenLM's Brown order-4 model: counts and two entries")
    func brown() throws {
        let path = try TestSupport.sharedFile("fixtures/kenlm/brown.o4.arpa.gz")
        let model = try ARPAReader.read(path)
        #expect(model.order == 4)
        #expect(model.ngramCounts == [15087, 67360, 96983, 101251])
        let start = try #require(model.entry("<s>"))
        #expect(start.logProb == 0)
        #expect(abs(start.logBackoff - -0.5776727) < 1e-6)
        let fulton = try #require(model.entry("Fulton"))
        #expect(abs(fulton.logProb - -3.8536394) < 1e-6 && abs(fulton.logBackoff - -0.24576452) < 1e-6)
        let trigram = try #require(model.entry("<s> '' </s>"))
        #expect(abs(trigram.logProb - -0.64709103) < 1e-6 && trigram.logBackoff == 0)
        #expect(close(try highestOrderProb(model, "churches with blanket accusations"), -0.60482043, 1e-6))
    }

    // MARK: Errors

    /// A valid bigram model, one line per element (line numbers are index + 1).
    static let bigramLines = [
        "\\data\\",             // 1
        "ngram 1=4",            // 2
        "ngram 2=2",            // 3
        "",                     // 4
        "\\1-grams:",           // 5
        "-1.0\t<unk>\t0",       // 6
        "-99\t<s>\t-0.3",       // 7
        "-0.5\t</s>\t0",        // 8
        "-0.7\ta\t-0.2",        // 9
        "",                     // 10
        "\\2-grams:",           // 11
        "-0.2\t<s> a",          // 12
        "-0.1\ta </s>",         // 13
        "",                     // 14
        "\\end\\",              // 15
    ]

    struct BadFile: Sendable, CustomTestStringConvertible {
        let name: String
        /// Line number → replacement text (nil drops the line); `keep` cuts the file after that many lines.
        let replace: [Int: String]
        let keep: Int?
        let line: Int
        let fragment: String
        var testDescription: String { name }

        func text() -> String {
            var lines = ARPAReaderTests.bigramLines
            for (number, replacement) in replace { lines[number - 1] = replacement }
            if let keep { lines = Array(lines.prefix(keep)) }
            return lines.joined(separator: "\n") + "\n"
        }
    }

    static let badFiles: [BadFile] = [
        BadFile(name: "truncated in the 2-grams", replace: [:], keep: 12, line: 12,
                fragment: "the file ends inside the 2-grams section (expected 1 more 2-grams and \\end\\); the model is truncated"),
        BadFile(name: "truncated in the 1-grams", replace: [:], keep: 8, line: 8,
                fragment: "the file ends inside the 1-grams section (expected 1 more 1-grams, the 2-grams section and \\end\\)"),
        BadFile(name: "no \\end\\", replace: [:], keep: 14, line: 14, fragment: "(expected \\end\\)"),
        BadFile(name: "too few 2-grams for the header", replace: [3: "ngram 2=3"], keep: nil, line: 15,
                fragment: "holds 2 n-grams but the \\data\\ header (line 3) announces 3"),
        BadFile(name: "too many 1-grams for the header", replace: [2: "ngram 1=3"], keep: nil, line: 11,
                fragment: "holds 4 n-grams but the \\data\\ header (line 2) announces 3"),
        BadFile(name: "non-numeric probability", replace: [9: "abc\ta\t-0.2"], keep: nil, line: 9,
                fragment: "the log10 probability 'abc' is not a number; expected '<log10 prob> <TAB> <words> [<TAB> <log10 backoff>]'"),
        BadFile(name: "nan probability", replace: [12: "nan\t<s> a"], keep: nil, line: 12, fragment: "'nan' is not a number"),
        BadFile(name: "-inf probability", replace: [12: "-inf\t<s> a"], keep: nil, line: 12, fragment: "'-inf' is not a finite number"),
        BadFile(name: "overflowing probability", replace: [9: "-1e400\ta\t-0.2"], keep: nil, line: 9, fragment: "'-1e400' is not a finite number"),
        BadFile(name: "probability beyond single precision", replace: [9: "-1e39\ta\t-0.2"], keep: nil, line: 9, fragment: "'-1e39' is not a finite number"),
        BadFile(name: "positive probability", replace: [9: "3.5\ta\t-0.2"], keep: nil, line: 9, fragment: "the log10 probability 3.5 is above 0"),
        BadFile(name: "positive 2-gram probability", replace: [13: "1e-3\ta </s>"], keep: nil, line: 13, fragment: "the log10 probability 1e-3 is above 0"),
        BadFile(name: "backoff 1e308", replace: [7: "-99\t<s>\t1e308"], keep: nil, line: 7, fragment: "the log10 backoff '1e308' is not a finite number"),
        BadFile(name: "backoff 1e400", replace: [7: "-99\t<s>\t1e400"], keep: nil, line: 7, fragment: "the log10 backoff '1e400' is not a finite number"),
        BadFile(name: "header count past the file", replace: [3: "ngram 2=9223372036854775807"], keep: nil, line: 3,
                fragment: "the \\data\\ header announces 9223372036854775807 2-grams, more than this file"),
        BadFile(name: "header count of 2^32", replace: [3: "ngram 2=4294967296"], keep: nil, line: 3,
                fragment: "announces 4294967296 2-grams, more than this file"),
        BadFile(name: "non-numeric backoff", replace: [7: "-99\t<s>\t-0.3x"], keep: nil, line: 7,
                fragment: "the log10 backoff '-0.3x' is not a number"),
        BadFile(name: "a 2-gram line with one word", replace: [13: "-0.1\ta"], keep: nil, line: 13,
                fragment: "expected 2 words in the 2-grams section, found 2 fields"),
        BadFile(name: "a 2-gram line with four words", replace: [13: "-0.1\ta </s> a </s>"], keep: nil, line: 13,
                fragment: "expected 2 words in the 2-grams section, found 5 fields"),
        BadFile(name: "a word not in the 1-grams", replace: [13: "-0.1\ta zzz"], keep: nil, line: 13,
                fragment: "the word 'zzz' of this 2-gram is not among the 1-grams"),
        BadFile(name: "a duplicate 2-gram", replace: [13: "-0.3 <s>  a"], keep: nil, line: 13,
                fragment: "the 2-gram '<s> a' appears a second time"),
        BadFile(name: "a duplicate 1-gram", replace: [9: "-0.7\t</s>\t0"], keep: nil, line: 9,
                fragment: "the 1-gram '</s>' appears a second time"),
        BadFile(name: "a backoff on the highest order", replace: [13: "-0.1\ta </s>\t-0.5"], keep: nil, line: 13,
                fragment: "this 2-gram has a backoff weight (-0.5) but 2 is the highest order"),
        BadFile(name: "no </s>", replace: [8: "-0.5\tb\t0"], keep: nil, line: 11, fragment: "has no </s>"),
        BadFile(name: "a header line out of turn", replace: [3: "ngram 3=2"], keep: nil, line: 3,
                fragment: "should be 'ngram 2=...'"),
        BadFile(name: "a malformed header line", replace: [3: "ngram 2=two"], keep: nil, line: 3,
                fragment: "malformed header line 'ngram 2=two'"),
        BadFile(name: "sections out of order", replace: [11: "\\3-grams:"], keep: nil, line: 11,
                fragment: "unexpected line '\\3-grams:' after the 1-grams section; expected '\\2-grams:'"),
        BadFile(name: "no \\data\\", replace: [1: "data"], keep: 3, line: 3, fragment: "no \\data\\ line in the whole file"),
    ]

    @Test("Malformed files fail with one line naming the line", arguments: badFiles)
    func malformed(_ bad: BadFile) throws {
        let directory = try TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = try TestSupport.write(Array(bad.text().utf8), named: "bad.arpa", in: directory)
        do {
            _ = try ARPAReader.read(path)
            Issue.record("\(bad.name): read without error")
        } catch let error as NGramKitError {
            guard case .malformedModel(_, let line, _) = error else {
                Issue.record("\(bad.name): unexpected error \(error)")
                return
            }
            #expect(line == bad.line, "\(error.description)")
            #expect(error.description.hasPrefix("\(path):\(bad.line): "), "\(error.description)")
            #expect(error.description.contains(bad.fragment), "\(error.description)")
            #expect(!error.description.contains("\n"))
        }
    }

    @Test("A gzip file's header counts are not trusted: tables start small and grow, an announced 2^63 is an error, not a trap")
    func gzipHeaderCounts() throws {
        let directory = try TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        for (count, fragment) in [("9223372036854775807", "holds 2 n-grams but the \\data\\ header (line 3) announces 9223372036854775807"),
                                  ("4294967296", "announces 4294967296"), ("1000000000", "announces 1000000000")] {
            var lines = Self.bigramLines
            lines[2] = "ngram 2=\(count)"
            let gz = try TestSupport.write(try TestSupport.gzip(Array((lines.joined(separator: "\n") + "\n").utf8)), named: "h.arpa.gz", in: directory)
            let started = ProgressClock.now()
            let description = errorDescription { _ = try ARPAReader.read(gz) }
            #expect(description?.contains(fragment) == true, "\(description ?? "no error")")
            #expect(ProgressClock.now() - started < 5)
        }
        // A gzip model reads as the plain file does.
        let text = (0..<400).map { i in "w\(i % 37) w\(i % 11) x\(i % 5) w\(i % 7) y\(i % 13) z" }.joined(separator: "\n")
        let model = try ModifiedKneserNey.estimate(try TestSupport.count(text, order: 4))
        let plain = directory.appendingPathComponent("m.arpa").path
        try ARPAWriter.write(model, to: plain)
        let gz = try TestSupport.write(try TestSupport.gzip([UInt8](try Data(contentsOf: URL(fileURLWithPath: plain)))), named: "m.arpa.gz", in: directory)
        #expect(try ARPAReader.read(gz).ngramCounts == model.ngramCounts)
    }

    @Test("The valid bigram file reads, and a zero backoff on the highest order is ignored")
    func validBigram() throws {
        var lines = Self.bigramLines
        lines[12] = "-0.1\ta </s>\t0"
        let model = try read(lines.joined(separator: "\n") + "\n")
        #expect(model.ngramCounts == [4, 2])
        #expect(try scores(model, "a </s>").map(\.log10Prob) == [-0.2, -0.1])
    }

    @Test("A model without <unk> warns once and gives it log10 probability -100")
    func missingUnknown() throws {
        var lines = Self.bigramLines
        lines[5] = "-1.0\tb\t0"
        var warnings: [String] = []
        let model = try read(lines.joined(separator: "\n") + "\n", named: "nounk.arpa") { warnings.append($0) }
        #expect(warnings.count == 1)
        #expect(warnings.first?.contains("nounk.arpa: the model has no <unk>; out-of-vocabulary words get log10 probability -100") == true)
        #expect(model.entry("<unk>")?.logProb == -100)
        #expect(model.entry("<unk>")?.logBackoff == 0)
        #expect(model.entry("b")?.logProb == -1.0)
    }

    @Test("Binary files fail clearly: KenLM's binary format, corrupt gzip")
    func binaries() throws {
        let directory = try TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let kenlm = try TestSupport.write(Array("mmap lm http://kheafield.com/code format version 5\n".utf8) + [0, 0, 0, 1, 2, 3, 0x0A, 0xFF],
                                          named: "model.binary", in: directory)
        let gzipLike = try TestSupport.write([0x1F, 0x8B, 0x08, 0x00] + [UInt8](repeating: 0xAB, count: 64), named: "bad.arpa.gz", in: directory)
        let binary = try TestSupport.write([0x00, 0x01, 0x02, 0x0A, 0x00], named: "bin", in: directory)
        for (path, prefix, fragment) in [(kenlm, "\(kenlm):1: ", "KenLM binary model, not an ARPA text file"),
                                         (gzipLike, "\(gzipLike): ", "gzip"),
                                         (binary, "\(binary):1: ", "binary data before the \\data\\ line")] {
            let description = errorDescription { _ = try ARPAReader.read(path) }
            #expect(description?.hasPrefix(prefix) == true, "\(description ?? "no error")")
            #expect(description?.contains(fragment) == true, "\(description ?? "no error")")
            #expect(description?.contains("\n") == false)
        }
    }
}
