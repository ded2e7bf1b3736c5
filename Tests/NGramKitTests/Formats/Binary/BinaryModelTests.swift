import Foundation
import NGramKit
import Testing

/// NGramKit's binary model format: ARPA → binary keeps every entry, binary and ARPA models score
/// the same, damaged files are one-line errors, and the bytes depend only on the model.
@Suite struct BinaryModelTests {
    /// Writes `model` as ARPA and as binary in `directory`; returns both paths.
    static func writeBoth(_ model: NGramModel, in directory: URL, name: String = "model") throws -> (arpa: String, binary: String) {
        let arpa = directory.appendingPathComponent(name + ".arpa").path
        let binary = directory.appendingPathComponent(name + ".bin").path
        let sink = try OutputSink(path: arpa)
        try ARPAWriter.write(model, to: sink)
        try sink.commit()
        try BinaryModelWriter.write(model, to: binary)
        return (arpa, binary)
    }

    /// Values of the ARPA file (shortest Float forms) and of the binary model (Float32) agree to
    /// Float precision; sums of several of them to a little more.
    static func close(_ a: Double, _ b: Double) -> Bool {
        a == b || abs(a - b) <= 1e-6 * max(1, abs(b))
    }

    /// Every token of `text` scored by both models: same words, ids and matched lengths, log10
    /// probabilities equal to Float precision; returns both results.
    static func compareTokens(_ arpa: NGramModel, _ binary: NGramModel, text: String,
                              sourceLocation: SourceLocation = #_sourceLocation) throws -> (PerplexityResult, PerplexityResult) {
        var a: [(id: UInt32, matched: Int, p: Double)] = [], b: [(id: UInt32, matched: Int, p: Double)] = []
        let ra = try Perplexity.evaluate(model: arpa, paths: [text], onToken: { a.append(($0.id, $0.matched, $0.log10Prob)) })
        let rb = try Perplexity.evaluate(model: binary, paths: [text], onToken: { b.append(($0.id, $0.matched, $0.log10Prob)) })
        try #require(a.count == b.count, sourceLocation: sourceLocation)
        var mismatches = 0
        for (x, y) in zip(a, b) where x.id != y.id || x.matched != y.matched || !close(y.p, x.p) {
            mismatches += 1
            if mismatches <= 5 { Issue.record("ARPA \(x) vs binary \(y)", sourceLocation: sourceLocation) }
        }
        #expect(mismatches == 0, "\(mismatches) of \(a.count) tokens differ", sourceLocation: sourceLocation)
        #expect(ra.tokens == rb.tokens && ra.oovs == rb.oovs && ra.sentences == rb.sentences, sourceLocation: sourceLocation)
        return (ra, rb)
    }

    // MARK: Round trip

    static let handBuilt = """
        \\data\\
        ngram 1=7
        ngram 2=7
        ngram 3=4

        \\1-grams:
        -1.2041200\t<unk>\t0
        -99\t<s>\t-0.30103
        -0.6989700\t</s>\t0
        -0.6989700\ta\t-0.1760913
        -0.7781513\tb\t-0.2218487
        -1.0000000\tc\t-0.05
        -99\td

        \\2-grams:
        -0.30103\t<s> a\t-0.1
        -0.4771213\ta b\t-0.2
        -0.1249387\tb </s>\t0
        -0.6020600\tb c\t-0.3
        -0.2\tc </s>\t0.1
        -1.5\t<s> c\t0
        -0.8\ta a

        \\3-grams:
        -0.1\t<s> a b
        -0.2\ta b c
        -0.3\tb c </s>
        -0.25\tc a b

        \\end\\
        """

    @Test("Hand-built ARPA → binary: the same words, counts and every entry (as Float); a blank stays a context only")
    func handBuiltRoundTrip() throws {
        let directory = try TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let arpaPath = try TestSupport.write(Array(Self.handBuilt.utf8), named: "hand.arpa", in: directory)
        let arpa = try ARPAReader.read(arpaPath)
        let binaryPath = directory.appendingPathComponent("hand.bin").path
        let summary = try BinaryModelWriter.write(arpa, to: binaryPath)
        #expect(summary.ngrams == 18)
        let binary = try ModelFile.load(binaryPath)
        try #require(binary.binary != nil)
        try ModelFile.verify(binaryPath)
        #expect(binary.order == 3 && binary.ngramCounts == [7, 7, 4] && binary.provenance == ModelProvenance())
        #expect(binary.vocabulary.count == arpa.vocabulary.count)
        for id in 0..<UInt32(arpa.vocabulary.count) {
            #expect(binary.vocabulary.word(id) == arpa.vocabulary.word(id))
            #expect(binary.vocabulary.lookup(arpa.vocabulary.text(of: id)) == id)
        }
        #expect(binary.vocabulary.lookup("zebra") == nil)
        var entries = 0
        for line in Self.handBuilt.split(separator: "\n") where line.contains("\t") {
            let fields = line.split(separator: "\t")
            let ngram = String(fields[1])
            let expected = try #require(arpa.entry(ngram), "\(ngram)")
            let got = try #require(binary.entry(ngram), "\(ngram)")
            #expect(got.logProb == Double(Float(expected.logProb)), "\(ngram)")
            #expect(got.logBackoff == Double(Float(expected.logBackoff)), "\(ngram)")
            entries += 1
        }
        #expect(entries == 18)
        // "c a b" needs the context "c a", absent from the file: a blank, found but no n-gram.
        #expect(binary.entry("c a") == nil && arpa.entry("c a") == nil)
        let blank = try #require(binary.slot(of: ["c", "a"].map { binary.vocabulary.lookup($0)! }))
        #expect(binary.isBlank(order: 2, slot: blank))
        #expect(binary.entry("a c") == nil && binary.entry("d d d") == nil)
        // Scored alike, the history carried alike.
        let text = try TestSupport.write(Array("a b c\nc a b\nb c d a\nzebra a b\n\n".utf8), named: "t.txt", in: directory)
        _ = try Self.compareTokens(arpa, binary, text: text)
        let s1 = ModelState(model: arpa), s2 = ModelState(model: binary)
        let ids = ["c", "a"].map { arpa.vocabulary.lookup($0)! }
        try s1.setContext(ids)
        try s2.setContext(ids)
        let b = arpa.vocabulary.lookup("b")!
        let (p1, m1) = try s1.score(b), (p2, m2) = try s2.score(b)
        #expect(m1 == m2 && m1 == 3 && Self.close(p2, p1), "\(p1) \(m1) vs \(p2) \(m2)")
    }

    @Test("Unigram and Stupid Backoff models: same scores and raw scores as their ARPA files, the same bytes built or compiled",
          arguments: [(SmoothingMethod.kneserNey, 1), (.stupidBackoff, 3), (.kneserNey, 2)])
    func smoothings(smoothing: SmoothingMethod, order: Int) throws {
        let directory = try TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let built = try ARPARoundTripTests.model(smoothing, order: order, restriction: VocabularyRestriction(minCount: 2))
        let (arpaPath, binaryPath) = try Self.writeBoth(built, in: directory)
        let arpa = try ModelFile.load(arpaPath), binary = try ModelFile.load(binaryPath)
        #expect(binary.provenance == arpa.provenance)
        #expect(binary.ngramCounts == built.ngramCounts)
        let (ra, rb) = try Self.compareTokens(arpa, binary, text: try TestSupport.sharedFile("fixtures/kenlm/brown.test1k.txt.gz"))
        #expect(Self.close(rb.perplexity, ra.perplexity), "\(rb.perplexity) vs \(ra.perplexity)")
        if smoothing == .stupidBackoff {
            let raw = try #require(ra.rawLog10Score), rawBinary = try #require(rb.rawLog10Score)
            #expect(abs(raw - rawBinary) / abs(raw) < 1e-7, "\(rawBinary) vs \(raw)")
        }
        let compiled = directory.appendingPathComponent("compiled.bin").path
        try BinaryModelWriter.write(arpa, to: compiled)
        #expect(try Data(contentsOf: URL(fileURLWithPath: compiled)) == (try Data(contentsOf: URL(fileURLWithPath: binaryPath))))
    }

    // MARK: Parity with the ARPA models and KenLM

    @Test("PTB order 5 (<unk> -> UNKTOK): every test token as from the ARPA, and perplexity.tsv's perplexity")
    func ptb() throws {
        let directory = try TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let built = try KenLMPerplexityParityTests.build(order: 5, train: try KenLMPerplexityParityTests.prepared("ptb/ptb.train.txt.gz", in: directory))
        let (arpaPath, binaryPath) = try Self.writeBoth(built, in: directory)
        try ModelFile.verify(binaryPath)
        let arpa = try ModelFile.load(arpaPath), binary = try ModelFile.load(binaryPath)
        let bytes = try #require(try FileManager.default.attributesOfItem(atPath: binaryPath)[.size] as? Int)
        #expect(Double(bytes) / Double(binary.totalNGrams) <= 16, "\(Double(bytes) / Double(binary.totalNGrams)) bytes per n-gram")
        let test = try KenLMPerplexityParityTests.prepared("ptb/ptb.test.txt.gz", in: directory)
        let (_, result) = try Self.compareTokens(arpa, binary, text: test)
        let row = try #require(try KenLMPerplexityParityTests.rows().first { $0.corpus == "ptb" && $0.order == 5 && $0.eval.contains("test") })
        #expect(result.tokens == row.tokens && result.oovs == row.oovs)
        #expect(KenLMPerplexityParityTests.relative(result.perplexity, row.perplexity) < 1e-6, "\(result.perplexity) vs KenLM \(row.perplexity)")
        #expect(KenLMPerplexityParityTests.relative(result.perplexityExcludingOOVs, row.perplexityExcludingOOVs) < 1e-6)
    }

    @Test("Brown order 4 on brown.test1k: every token as from the ARPA and as KenLM's query; KenLM's own ARPA compiled too")
    func brown() throws {
        let directory = try TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let counter = try NGramCounter(order: 4)
        try counter.addFiles([try TestSupport.sharedFile("fixtures/kenlm/brown.train5k.txt.gz")], configuration: TokenizerConfiguration())
        let built = try NGramModel.estimate(from: try counter.finish())
        let (arpaPath, binaryPath) = try Self.writeBoth(built, in: directory)
        let arpa = try ModelFile.load(arpaPath), binary = try ModelFile.load(binaryPath)
        let test = try TestSupport.sharedFile("fixtures/kenlm/brown.test1k.txt.gz")
        _ = try Self.compareTokens(arpa, binary, text: test)
        let expected = try KenLMQueryParityTests.kenlmTokens()
        var ours: [(length: Int, log10Prob: Double)] = []
        _ = try Perplexity.evaluate(model: binary, paths: [test], onToken: { ours.append(($0.matched, $0.log10Prob)) })
        try #require(ours.count == expected.tokens.count)
        var mismatches = 0
        for (a, b) in zip(ours, expected.tokens) where a.length != b.length || abs(a.log10Prob - b.log10Prob) > 1e-5 { mismatches += 1 }
        #expect(mismatches == 0)
        // KenLM's own ARPA file, compiled: the fixture's perplexity.
        let kenlm = try ARPAReader.read(try TestSupport.sharedFile("fixtures/kenlm/brown.o4.arpa.gz"))
        let kenlmBinary = directory.appendingPathComponent("kenlm.bin").path
        try BinaryModelWriter.write(kenlm, to: kenlmBinary)
        let (_, result) = try Self.compareTokens(kenlm, try ModelFile.load(kenlmBinary), text: test)
        #expect(abs(result.perplexity - 506.67308469339963) / 506.67308469339963 < 1e-6, "\(result.perplexity)")
    }

    // MARK: Damaged files

    /// A small binary model's bytes.
    static func smallBinary(in directory: URL) throws -> [UInt8] {
        let path = try TestSupport.write(Array(handBuilt.utf8), named: "small.arpa", in: directory)
        let binary = directory.appendingPathComponent("small.bin").path
        try BinaryModelWriter.write(try ARPAReader.read(path), to: binary)
        return [UInt8](try Data(contentsOf: URL(fileURLWithPath: binary)))
    }

    /// Loading `bytes` fails with one `NGramKitError` line that names the file and contains `fragments`.
    static func expectLoadError(_ bytes: [UInt8], in directory: URL, _ fragments: [String],
                                sourceLocation: SourceLocation = #_sourceLocation) throws {
        let path = try TestSupport.write(bytes, named: "damaged-\(UUID().uuidString).bin", in: directory)
        do {
            _ = try ModelFile.load(path)
            Issue.record("loaded a damaged file", sourceLocation: sourceLocation)
        } catch let error as NGramKitError {
            let text = error.description
            #expect(text.hasPrefix(path), "\(text)", sourceLocation: sourceLocation)
            #expect(!text.contains("\n"), sourceLocation: sourceLocation)
            for fragment in fragments { #expect(text.contains(fragment), "\(text)", sourceLocation: sourceLocation) }
        }
    }

    @Test("Truncated, other version, corrupt header, random bytes, empty: one-line errors naming the file; a corrupt payload fails verification")
    func damaged() throws {
        let directory = try TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let good = try Self.smallBinary(in: directory)
        #expect(good.count > 4096)
        try Self.expectLoadError(Array(good[0..<(good.count - 1)]), in: directory, ["truncated", "ngramkit compile"])
        try Self.expectLoadError(Array(good[0..<(good.count / 2)]), in: directory, ["truncated", "ngramkit compile"])
        try Self.expectLoadError(Array(good[0..<100]), in: directory, ["truncated", "header"])
        try Self.expectLoadError(Array(good[0..<16]), in: directory, ["truncated"])
        try Self.expectLoadError(good + [0], in: directory, ["beyond its recorded end"])
        var otherVersion = good
        // Version 1 (hashed homes, load 0.9) and a version from the future.
        for version in [1, BinaryModel.formatVersion + 1] {
            otherVersion[16] = UInt8(version)
            try Self.expectLoadError(otherVersion, in: directory,
                                     ["format version \(version)", "reads version \(BinaryModel.formatVersion)", "ngramkit compile"])
        }
        for offset in [56, 72, 300, 4000] {
            var corrupt = good
            corrupt[offset] ^= 0x40
            try Self.expectLoadError(corrupt, in: directory, ["corrupt binary model header", "ngramkit compile"])
        }
        var rng = SplitMix64(state: 7)
        let random = (0..<10_000).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
        try Self.expectLoadError(random, in: directory, [])
        try Self.expectLoadError(Array(good[0..<16]) + random, in: directory, ["ngramkit compile"])
        try Self.expectLoadError([], in: directory, ["empty"])
        // The payload is checked on demand only (loading stays constant-time).
        var payload = good
        payload[good.count - 20] ^= 1
        let path = try TestSupport.write(payload, named: "payload.bin", in: directory)
        _ = try ModelFile.load(path)
        #expect(throws: NGramKitError.self) { try ModelFile.verify(path) }
        do { try ModelFile.verify(path) } catch let error as NGramKitError {
            #expect(error.description.contains("checksum") && error.description.hasPrefix(path))
        }
        // verify on an ARPA file says it has no checksum.
        #expect(throws: NGramKitError.self) { try ModelFile.verify(try TestSupport.write(Array(Self.handBuilt.utf8), named: "x.arpa", in: directory)) }
    }

    // MARK: Determinism and the command line

    private func run(_ arguments: [String]) throws -> (status: Int32, stdout: String, stderr: String) {
        try TestSupport.run(CommandLineTests.binary, arguments, currentDirectory: TestSupport.packageRoot)
    }

    @Test("build --binary equals compile of build --arpa, compiling twice gives the same bytes, ppl and query agree on both")
    func commandLine() throws {
        let directory = try TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let train = try TestSupport.sharedFile("fixtures/kenlm/brown.train5k.txt.gz")
        let test = try TestSupport.sharedFile("fixtures/kenlm/brown.test1k.txt.gz")
        let arpa = directory.appendingPathComponent("m.arpa").path
        let built = directory.appendingPathComponent("built.bin").path
        let c1 = directory.appendingPathComponent("c1.bin").path, c2 = directory.appendingPathComponent("c2.bin").path
        let b1 = try run(["build", "--order", "4", "--text", train, "--arpa", arpa, "--binary", built])
        #expect(b1.status == 0, "\(b1.stderr)")
        let onlyBinary = directory.appendingPathComponent("only.bin").path
        #expect(try run(["build", "--order", "4", "--text", train, "--binary", onlyBinary, "--threads", "1"]).status == 0)
        for (input, output) in [(arpa, c1), (arpa, c2)] {
            let compiled = try run(["compile", input, output, "--verify"])
            #expect(compiled.status == 0, "\(compiled.stderr)")
            #expect(compiled.stderr.contains("bytes/n-gram") && compiled.stderr.contains("checksum verified"))
        }
        let bytes = try [built, c1, c2, onlyBinary].map { try Data(contentsOf: URL(fileURLWithPath: $0)) }
        #expect(bytes[0] == bytes[1] && bytes[1] == bytes[2] && bytes[0] == bytes[3])
        // ppl and query: the binary scores what the ARPA scores.
        let pa = try run(["ppl", "--model", arpa, "--text", test, "--json"])
        let pb = try run(["ppl", "--model", built, "--text", test, "--json", "--verify"])
        #expect(pa.status == 0 && pb.status == 0, "\(pa.stderr) \(pb.stderr)")
        let ja = try #require(try JSONSerialization.jsonObject(with: Data(pa.stdout.utf8)) as? [String: Any])
        let jb = try #require(try JSONSerialization.jsonObject(with: Data(pb.stdout.utf8)) as? [String: Any])
        #expect(ja["tokens"] as? Int == jb["tokens"] as? Int && ja["oovs"] as? Int == jb["oovs"] as? Int)
        let (xa, xb) = (try #require(ja["perplexity"] as? Double), try #require(jb["perplexity"] as? Double))
        #expect(abs(xa - xb) / xa < 1e-7 && abs(xb - 506.67308469339963) / 506.67308469339963 < 1e-6, "\(xa) vs \(xb)")
        #expect(ja["smoothing"] as? String == jb["smoothing"] as? String)
        let qa = try run(["query", "--model", arpa, "--text", test]), qb = try run(["query", "--model", built, "--text", test])
        #expect(qa.status == 0 && qb.status == 0)
        // word=id length: identical; the printed Float values to their precision.
        let fa = qa.stdout.split(separator: "\n").prefix(1000), fb = qb.stdout.split(separator: "\n").prefix(1000)
        #expect(fa.count == fb.count)
        for (la, lb) in zip(fa, fb) {
            let ta = la.split(separator: "\t"), tb = lb.split(separator: "\t")
            #expect(ta.count == tb.count)
            for (x, y) in zip(ta, tb) where !x.hasPrefix("Total") {
                let px = x.split(separator: " "), py = y.split(separator: " ")
                #expect(px[0] == py[0] && px[1] == py[1], "\(x) vs \(y)")
                #expect(Self.close(Double(py[2])!, Double(px[2])!), "\(x) vs \(y)")
            }
        }
    }

    @Test("Command-line errors: no output for build, a truncated or foreign binary, compile of a binary")
    func commandLineErrors() throws {
        let directory = try TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let none = try run(["build", "--order", "2", "--text", try TestSupport.sharedFile("fixtures/kenlm/brown.test1k.txt.gz")])
        #expect(none.status != 0 && none.stderr.contains("--binary"))
        let good = try Self.smallBinary(in: directory)
        let truncated = try TestSupport.write(Array(good[0..<5000]), named: "cut.bin", in: directory)
        let ppl = try run(["ppl", "--model", truncated, "--text", try TestSupport.sharedFile("fixtures/kenlm/brown.test1k.txt.gz")])
        #expect(ppl.status != 0)
        let lines = ppl.stderr.split(separator: "\n")
        #expect(lines.count == 1 && ppl.stderr.contains(truncated) && ppl.stderr.contains("truncated") && ppl.stderr.contains("ngramkit compile"), "\(ppl.stderr)")
        let whole = try TestSupport.write(good, named: "whole.bin", in: directory)
        let again = try run(["compile", whole, directory.appendingPathComponent("again.bin").path])
        #expect(again.status != 0 && again.stderr.contains("already a binary model"))
        #expect(!FileManager.default.fileExists(atPath: directory.appendingPathComponent("again.bin").path))
        // No temporary file is left behind by a failed write.
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: directory.path).filter { $0.contains(".tmp-") }
        #expect(leftovers.isEmpty)
    }
}
