import Foundation
import NGramKit
import Testing

/// What a model records of how it was made, and what scoring makes of it: the tokenizer of the
/// training text (ARPA comment line, binary header), used by `ppl`, `query` and the library unless
/// told otherwise; and the zero-probability message, worded for the model's smoothing.
@Suite("Model provenance")
struct ModelProvenanceTests {
    /// King James verses, whose punctuation sticks to words under the whitespace tokenizer
    /// ("said,") and is split off under the unicode one: training and test text.
    static func verses(in directory: URL) throws -> (train: String, test: String) {
        let lines = try TestSupport.lines(of: TestSupport.packageRoot.appendingPathComponent("Corpora/kjv.txt.gz").path)
        let train = try TestSupport.write(Array(lines[0..<3000].joined(separator: "\n").utf8) + [0x0A], named: "train.txt", in: directory)
        let test = try TestSupport.write(Array(lines[3000..<3300].joined(separator: "\n").utf8) + [0x0A], named: "test.txt", in: directory)
        return (train, test)
    }

    private func run(_ arguments: [String]) throws -> TestSupport.Outcome { try TestSupport.runTool(arguments) }

    private func perplexity(_ result: TestSupport.Outcome) throws -> Double {
        let object = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any], "\(result.stderr)")
        return try #require(object["perplexity"] as? Double)
    }

    @Test("A model built with --tokenizer unicode --lowercase scores with it by default; another tokenizer warns, naming both")
    func recordedTokenizer() throws {
        let directory = try TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let (train, test) = try Self.verses(in: directory)
        let arpa = directory.appendingPathComponent("m.arpa").path, binary = directory.appendingPathComponent("m.bin").path
        #expect(try run(["build", "--order", "3", "--tokenizer", "unicode", "--lowercase", "--text", train,
                         "--arpa", arpa, "--binary", binary]).status == 0)
        #expect(try String(contentsOfFile: arpa, encoding: .utf8).contains("\n# ngramkit tokenizer kind=unicode lowercase=yes invalid-utf8=error\n"))
        let explicit = try perplexity(try run(["ppl", "--model", arpa, "--text", test, "--json", "--tokenizer", "unicode", "--lowercase"]))
        for model in [arpa, binary] {
            let implicit = try run(["ppl", "--model", model, "--text", test, "--json"])
            #expect(implicit.stderr.isEmpty, "\(implicit.stderr)")
            #expect(abs(try perplexity(implicit) - explicit) < 1e-6 * explicit, "\(model)")
            // The per-token output too.
            #expect(try run(["query", "--model", model, "--text", test]).stdout
                    == (try run(["query", "--model", model, "--text", test, "--tokenizer", "unicode", "--lowercase"])).stdout)
        }
        let other = try run(["ppl", "--model", arpa, "--text", test, "--json", "--tokenizer", "whitespace"])
        #expect(other.status == 0)
        #expect(other.errorLines.count == 1 && other.stderr.contains("--tokenizer unicode --lowercase")
                && other.stderr.contains("--tokenizer whitespace"), "\(other.stderr)")
        #expect(try perplexity(other) > 1.5 * explicit)
        // compile carries the record into the binary header: the same bytes as build --binary.
        let compiled = directory.appendingPathComponent("c.bin").path
        #expect(try run(["compile", arpa, compiled]).status == 0)
        #expect(try Data(contentsOf: URL(fileURLWithPath: compiled)) == Data(contentsOf: URL(fileURLWithPath: binary)))
        // The library uses it too.
        let loaded = try ModelFile.load(binary)
        #expect(loaded.provenance.tokenizer == (try TokenizerConfiguration(kind: .unicode, lowercase: true)))
        let viaLibrary = try Perplexity.evaluate(model: loaded, paths: [test])
        #expect(abs(viaLibrary.perplexity - explicit) < 1e-3 * explicit)
        #expect(try loaded.tokens(of: "And God said, Let there be light") == ["and", "god", "said", ",", "let", "there", "be", "light"])
    }

    @Test("The record reads back as written, and only as written")
    func recordedForm() throws {
        for kind in TokenizerKind.allCases {
            for lowercase in [false, true] where !(kind == .whitespace && lowercase) {
                for policy in InvalidUTF8Policy.allCases {
                    let configuration = try TokenizerConfiguration(kind: kind, lowercase: lowercase, invalidUTF8: policy)
                    #expect(TokenizerConfiguration(recorded: configuration.recorded) == configuration)
                }
            }
        }
        for bad in ["", "kind=unicode", "kind=unicode lowercase=maybe invalid-utf8=error", "kind=whitespace lowercase=yes invalid-utf8=error",
                    "kind=x lowercase=no invalid-utf8=error", "kind=unicode kind=unicode lowercase=no invalid-utf8=error"] {
            #expect(TokenizerConfiguration(recorded: bad) == nil, "\(bad)")
        }
    }

    @Test("A counts file does not say how its text was tokenized: nothing is recorded unless --tokenizer says it")
    func countsRecordNothing() throws {
        let directory = try TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let (train, _) = try Self.verses(in: directory)
        let counts = directory.appendingPathComponent("c.txt").path, arpa = directory.appendingPathComponent("c.arpa").path
        #expect(try run(["count", "--order", "2", "--tokenizer", "unicode", "--text", train, "--out", counts]).status == 0)
        #expect(try run(["build", "--order", "2", "--counts", counts, "--arpa", arpa]).status == 0)
        #expect(try ARPAReader.read(arpa).provenance.tokenizer == nil)
        #expect(try run(["build", "--order", "2", "--counts", counts, "--tokenizer", "unicode", "--arpa", arpa]).status == 0)
        #expect(try ARPAReader.read(arpa).provenance.tokenizer?.kind == .unicode)
    }

    @Test("Probability zero is said only where it is real, in the words of the model's smoothing")
    func zeroProbabilityMessage() throws {
        // Stupid Backoff in memory without <unk> trained: OOVs have probability 0.
        let directory = try TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let counts = try TestSupport.count("a b c\nb c a\nc a b\n", order: 2)
        let sb = try NGramModel.estimate(from: counts, options: EstimationOptions(smoothing: .stupidBackoff))
        let text = try TestSupport.write(Array("a zzz b\n".utf8), named: "t.txt", in: directory)
        let inMemory = try Perplexity.evaluate(model: sb, paths: [text])
        #expect(inMemory.zeroProbabilityTokens == 1)
        #expect(inMemory.text(model: sb).contains("inf (1 tokens have probability 0 under this model; Stupid Backoff has no mass"))
        // Written as ARPA, probability 0 is -99, read back as the number -99 (KenLM's reading).
        let arpa = directory.appendingPathComponent("sb.arpa").path
        try ARPAWriter.write(sb, to: arpa)
        let read = try ARPAReader.read(arpa)
        let fromFile = try Perplexity.evaluate(model: read, paths: [text])
        #expect(fromFile.zeroProbabilityTokens == 0 && fromFile.perplexity.isFinite && fromFile.perplexity > 1e10)
        #expect(!fromFile.text(model: read).contains("probability 0"))
        // Another smoothing is worded for itself, never as Stupid Backoff.
        let kneserNey = try NGramModel.estimate(from: try TestSupport.count("a b c\nb c a\n", order: 2))
        var result = PerplexityResult()
        result.sentences = 1
        result.tokens = 3
        result.zeroProbabilityTokens = 2
        result.log10Prob = -.infinity
        let text2 = result.text(model: kneserNey)
        #expect(text2.contains("2 tokens have probability 0 under this model; the model gives them no mass") && !text2.contains("Stupid Backoff"))
    }
}
