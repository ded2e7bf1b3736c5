import Foundation
import NGramKit
import Testing

/// `ngramkit build`, `ppl` and `query` as a user runs them.
@Suite("ngramkit build / ppl / query")
struct ModelCommandLineTests {
    private func run(_ arguments: [String], stdin: String? = nil) throws -> (status: Int32, stdout: String, stderr: String) {
        try TestSupport.run(CommandLineTests.binary, arguments, stdin: stdin.map { Data($0.utf8) }, currentDirectory: TestSupport.packageRoot)
    }

    /// A failed run: non-zero exit and exactly one line on stderr containing every fragment.
    private func expectOneLineError(_ result: (status: Int32, stdout: String, stderr: String), contains fragments: [String],
                                    sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(result.status != 0, sourceLocation: sourceLocation)
        let lines = result.stderr.split(separator: "\n").filter { !$0.isEmpty }
        #expect(lines.count == 1, "stderr: \(result.stderr)", sourceLocation: sourceLocation)
        for fragment in fragments {
            #expect(result.stderr.contains(fragment), "stderr lacks '\(fragment)': \(result.stderr)", sourceLocation: sourceLocation)
        }
    }

    private func json(_ text: String) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
    }

    @Test("build writes an ARPA that ppl scores with KenLM's perplexities (Brown order 4)")
    func buildThenPpl() throws {
        let directory = try TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let arpa = directory.appendingPathComponent("brown.arpa").path
        let train = try TestSupport.sharedFile("fixtures/kenlm/brown.train5k.txt.gz")
        let test = try TestSupport.sharedFile("fixtures/kenlm/brown.test1k.txt.gz")
        let built = try run(["build", "--order", "4", "--text", train, "--arpa", arpa])
        #expect(built.status == 0, "\(built.stderr)")
        #expect(built.stdout.isEmpty)
        #expect(built.stderr.contains("4-grams     101251"))
        let scored = try run(["ppl", "--model", arpa, "--text", test, "--json"])
        #expect(scored.status == 0, "\(scored.stderr)")
        let object = try json(scored.stdout)
        #expect(object["sentences"] as? Int == 1000)
        #expect(object["tokens"] as? Int == 20966)
        #expect(object["oovs"] as? Int == 1853)
        let perplexity = try #require(object["perplexity"] as? Double)
        let excluding = try #require(object["perplexity_excluding_oovs"] as? Double)
        #expect(abs(perplexity - 506.67308469339963) / 506.67308469339963 < 1e-6, "\(perplexity)")
        #expect(abs(excluding - 295.676691703837) / 295.676691703837 < 1e-6, "\(excluding)")
        #expect(object["log10_prob"] is Double)
        // The same model scored by the text report, KenLM's labels.
        let text = try run(["ppl", "--model", arpa, "--text", test])
        #expect(text.stdout.contains("Perplexity including OOVs:\t"))
        #expect(text.stdout.contains("OOVs:\t1853"))
        #expect(text.stdout.contains("Tokens:\t20966"))
    }

    @Test("ppl reads KenLM's own ARPA files and gives the fixture's perplexities")
    func kenlmModel() throws {
        let model = try TestSupport.sharedFile("fixtures/kenlm/brown.o4.arpa.gz")
        let test = try TestSupport.sharedFile("fixtures/kenlm/brown.test1k.txt.gz")
        let scored = try run(["ppl", "--model", model, "--text", test, "--json"])
        #expect(scored.status == 0, "\(scored.stderr)")
        let object = try json(scored.stdout)
        let perplexity = try #require(object["perplexity"] as? Double)
        #expect(abs(perplexity - 506.67308469339963) / 506.67308469339963 < 1e-6, "\(perplexity)")
    }

    @Test("--per-sentence prints one line per sentence and nothing else; the lines add up to the total")
    func perSentence() throws {
        let directory = try TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let arpa = directory.appendingPathComponent("m.arpa").path
        let text = "the cat sat\nthe dog sat\nthe cat ran\n\nthe cat sat on the mat\n"
        #expect(try run(["build", "--order", "2", "--text", "-", "--arpa", arpa], stdin: text).status == 0)
        let lines = try run(["ppl", "--model", arpa, "--text", "-", "--per-sentence"], stdin: "the cat sat\nzebra sat\n\n")
        #expect(lines.status == 0, "\(lines.stderr)")
        let rows = lines.stdout.split(separator: "\n").map { $0.split(separator: "\t") }
        #expect(rows.count == 3)
        #expect(rows.allSatisfy { $0.count == 3 })
        #expect(rows.map { Int($0[1]) } == [4, 3, 1])    // tokens with </s>
        #expect(rows.map { Int($0[2]) } == [0, 1, 0])    // OOVs
        let total = try json(try run(["ppl", "--model", arpa, "--text", "-", "--json"], stdin: "the cat sat\nzebra sat\n\n").stdout)
        let sum = rows.reduce(0.0) { $0 + Double($1[0])! }
        #expect(abs(sum - (total["log10_prob"] as! Double)) < 1e-5)
    }

    @Test("query prints word=id length log10p for each token and Total/OOV per sentence, like KenLM")
    func query() throws {
        let model = try TestSupport.sharedFile("fixtures/kenlm/brown.o4.arpa.gz")
        let result = try run(["query", "--model", model], stdin: "It is un-American .\n")
        #expect(result.status == 0, "\(result.stderr)")
        let first = try #require(result.stdout.split(separator: "\n").first)
        let fields = first.split(separator: "\t")
        #expect(fields.count == 6)   // four words, </s>, Total
        #expect(fields[2].hasPrefix("un-American=0 1 "))
        #expect(fields[4].hasPrefix("</s>=2 "))
        #expect(fields[5].hasPrefix("Total: ") && fields[5].hasSuffix(" OOV: 1"))
        #expect(result.stdout.contains("Perplexity including OOVs:"))
    }

    @Test("--counts: counting and estimation as separate steps give the same model byte for byte")
    func fromCounts() throws {
        let directory = try TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let train = try TestSupport.sharedFile("fixtures/kenlm/brown.train5k.txt.gz")
        let counts = directory.appendingPathComponent("counts.txt").path
        let direct = directory.appendingPathComponent("direct.arpa").path
        let twoStep = directory.appendingPathComponent("two-step.arpa").path
        let threaded = directory.appendingPathComponent("threaded.arpa").path
        #expect(try run(["count", "--order", "3", "--text", train, "--out", counts]).status == 0)
        #expect(try run(["build", "--order", "3", "--text", train, "--arpa", direct, "--threads", "1"]).status == 0)
        // The counts file does not say how its text was tokenized; --tokenizer says it for the model.
        #expect(try run(["build", "--order", "3", "--counts", counts, "--tokenizer", "whitespace", "--arpa", twoStep]).status == 0)
        #expect(try run(["build", "--order", "3", "--text", train, "--arpa", threaded, "--threads", "3"]).status == 0)
        let a = try Data(contentsOf: URL(fileURLWithPath: direct))
        #expect(a.count > 1_000_000)
        #expect(a == (try Data(contentsOf: URL(fileURLWithPath: twoStep))))
        #expect(a == (try Data(contentsOf: URL(fileURLWithPath: threaded))))
    }

    @Test("Stupid Backoff: ppl reports the normalized perplexity and, labelled, the raw score")
    func stupidBackoff() throws {
        let directory = try TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let arpa = directory.appendingPathComponent("sb.arpa").path
        let train = try TestSupport.sharedFile("fixtures/kenlm/brown.train5k.txt.gz")
        let test = try TestSupport.sharedFile("fixtures/kenlm/brown.test1k.txt.gz")
        let built = try run(["build", "--order", "3", "--smoothing", "stupid-backoff", "--min-count", "2", "--text", train, "--arpa", arpa])
        #expect(built.status == 0, "\(built.stderr)")
        let object = try json(try run(["ppl", "--model", arpa, "--text", test, "--json"]).stdout)
        #expect(object["smoothing"] as? String == "stupid-backoff")
        let perplexity = try #require(object["perplexity"] as? Double)
        #expect(perplexity > 1 && perplexity.isFinite)
        #expect(object["raw_stupid_backoff_log10_score"] is Double)
        let text = try run(["ppl", "--model", arpa, "--text", test]).stdout
        #expect(text.contains("Raw Stupid Backoff score (not a probability; not a perplexity)"))
        // Without <unk> in training, OOVs have no mass: the file says -99 for <unk> (probability
        // zero, as SRILM and KenLM write it), which ppl reads as the number -99, as KenLM's query
        // does: a finite, huge perplexity, and no message about probability zero.
        let open = directory.appendingPathComponent("sb-open.arpa").path
        #expect(try run(["build", "--order", "3", "--smoothing", "stupid-backoff", "--text", train, "--arpa", open]).status == 0)
        #expect(try String(contentsOfFile: open, encoding: .utf8).contains("\n-99\t<unk>\t"))
        let huge = try run(["ppl", "--model", open, "--text", test])
        #expect(!huge.stdout.contains("inf") && !huge.stdout.contains("probability 0"), "\(huge.stdout)")
        let infiniteJSON = try json(try run(["ppl", "--model", open, "--text", test, "--json"]).stdout)
        #expect((infiniteJSON["perplexity"] as? Double).map { $0 > 1e6 && $0.isFinite } == true)
        #expect(infiniteJSON["zero_probability_tokens"] as? Int == 0)
        #expect((infiniteJSON["perplexity_excluding_oovs"] as? Double).map { $0.isFinite } == true)
    }

    @Test("A 3-sentence corpus builds at order 5 with one fallback-discount warning line per order that needs it")
    func fallbackDiscounts() throws {
        let directory = try TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let arpa = directory.appendingPathComponent("tiny.arpa").path
        let result = try run(["build", "--order", "5", "--text", "-", "--arpa", arpa], stdin: "a b c d\na b d c\nb c a\n")
        #expect(result.status == 0, "\(result.stderr)")
        let warnings = result.stderr.split(separator: "\n").filter { $0.hasPrefix("warning:") }
        #expect(!warnings.isEmpty)
        #expect(warnings.allSatisfy { $0.contains("fallback discounts D1=0.5 D2=1.0 D3+=1.5") && $0.contains("--discount-fallback") })
        #expect(FileManager.default.fileExists(atPath: arpa))
        let custom = try run(["build", "--order", "5", "--text", "-", "--arpa", arpa, "--discount-fallback", "0.4", "0.8", "1.2"], stdin: "a b c d\na b d c\nb c a\n")
        #expect(custom.stderr.contains("D1=0.4 D2=0.8 D3+=1.2"))
    }

    @Test("An empty corpus is a one-line error and leaves no model behind")
    func emptyCorpus() throws {
        let directory = try TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let empty = try TestSupport.write([], named: "empty.txt", in: directory)
        let arpa = directory.appendingPathComponent("m.arpa").path
        expectOneLineError(try run(["build", "--order", "3", "--text", empty, "--arpa", arpa]), contains: ["the training text is empty"])
        #expect(!FileManager.default.fileExists(atPath: arpa))
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory.path) == ["empty.txt"])
    }

    @Test("Bad models are one-line errors naming the line, with a non-zero exit")
    func badModels() throws {
        let directory = try TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let good = """
        \\data\\
        ngram 1=4
        ngram 2=2

        \\1-grams:
        -1.0\t<unk>\t0
        0\t<s>\t-0.3
        -0.5\t</s>\t0
        -0.6\ta\t-0.2

        \\2-grams:
        -0.2\t<s> a
        -0.1\ta </s>

        \\end\\

        """
        let goodPath = try TestSupport.write(Array(good.utf8), named: "good.arpa", in: directory)
        #expect(try run(["ppl", "--model", goodPath, "--text", "-"], stdin: "a\n").status == 0)
        let cases: [(name: String, text: String, fragments: [String])] = [
            ("truncated.arpa", good.split(separator: "\n", omittingEmptySubsequences: false).prefix(12).joined(separator: "\n") + "\n", ["truncated.arpa:12:"]),
            ("counts.arpa", good.replacingOccurrences(of: "ngram 2=2", with: "ngram 2=3"), ["counts.arpa:", "3"]),
            ("number.arpa", good.replacingOccurrences(of: "-0.6\ta", with: "abc\ta"), ["number.arpa:9:"]),
            ("length.arpa", good.replacingOccurrences(of: "-0.1\ta </s>", with: "-0.1\ta a </s>"), ["length.arpa:13:"]),
        ]
        for bad in cases {
            let path = try TestSupport.write(Array(bad.text.utf8), named: bad.name, in: directory)
            expectOneLineError(try run(["ppl", "--model", path, "--text", "-"], stdin: "a\n"), contains: bad.fragments)
        }
    }
}
