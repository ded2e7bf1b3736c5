import Foundation
import NGramKit
import Testing

/// `ngramkit prune` and `build --prune-entropy/--prune-target` as a user runs them.
@Suite("ngramkit prune / build --prune-*")
struct PruneCommandLineTests {
    private func run(_ arguments: [String]) throws -> (status: Int32, stdout: String, stderr: String) {
        try TestSupport.run(CommandLineTests.binary, arguments, currentDirectory: TestSupport.packageRoot)
    }

    private func json(_ text: String) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
    }

    private func oneLineError(_ result: (status: Int32, stdout: String, stderr: String), _ fragment: String,
                              sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(result.status != 0, sourceLocation: sourceLocation)
        #expect(result.stderr.split(separator: "\n").count == 1, "\(result.stderr)", sourceLocation: sourceLocation)
        #expect(result.stderr.contains(fragment), "\(result.stderr)", sourceLocation: sourceLocation)
    }

    @Test("prune: fewer n-grams, the held-out perplexity it reports is the one ppl measures, KenLM's model prunes too")
    func pruneReportsWhatPplMeasures() throws {
        let directory = try TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        // KenLM's own model: the operation KenLM lacks.
        let model = try TestSupport.sharedFile("fixtures/kenlm/brown.o4.arpa.gz")
        let test = try TestSupport.sharedFile("fixtures/kenlm/brown.test1k.txt.gz")
        let out = directory.appendingPathComponent("pruned.arpa.gz").path
        let pruned = try run(["prune", model, out, "--prune-entropy", "1e-7", "--held-out", test, "--json"])
        #expect(pruned.status == 0, "\(pruned.stderr)")
        let report = try json(pruned.stdout)
        let before = try #require(report["ngrams_before"] as? [Int]), after = try #require(report["ngrams_after"] as? [Int])
        #expect(before == [15087, 67360, 96983, 101251])
        #expect(after[0] == before[0] && zip(after, before).dropFirst().allSatisfy { $0 < $1 }, "\(after)")
        #expect(report["threshold"] as? Double == 1e-7)
        let perplexityBefore = try #require(report["held_out_perplexity_before"] as? Double)
        let perplexityAfter = try #require(report["held_out_perplexity_after"] as? Double)
        #expect(abs(perplexityBefore - 506.67308469339963) / 506.67308469339963 < 1e-6)
        #expect(perplexityAfter > perplexityBefore)
        let estimate = try #require(report["estimated_perplexity_increase"] as? Double)
        #expect(estimate > 0 && estimate < 0.5)
        let scored = try json(try run(["ppl", "--model", out, "--text", test, "--json"]).stdout)
        // The file holds single-precision values, as every ARPA file.
        let written = try #require(scored["perplexity"] as? Double)
        #expect(abs(written - perplexityAfter) / perplexityAfter < 1e-8, "\(written) vs \(perplexityAfter)")
        // The text summary, on stderr.
        let text = try run(["prune", model, out, "--prune-entropy", "1e-7"])
        #expect(text.status == 0 && text.stdout.isEmpty)
        #expect(text.stderr.contains("4-grams   101251 -> \(after[3])"), "\(text.stderr)")
    }

    @Test("build --prune-target keeps the n-grams that prune keeps of the written model; both formats score alike")
    func buildPrunesAsPruneDoes() throws {
        let directory = try TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let train = try TestSupport.sharedFile("fixtures/kenlm/brown.train5k.txt.gz")
        let test = try TestSupport.sharedFile("fixtures/kenlm/brown.test1k.txt.gz")
        let path = { directory.appendingPathComponent($0).path }
        #expect(try run(["build", "--order", "3", "--text", train, "--arpa", path("full.arpa")]).status == 0)
        let built = try run(["build", "--order", "3", "--text", train, "--arpa", path("built.arpa"), "--prune-target", "50000", "--json"])
        #expect(built.status == 0, "\(built.stderr)")
        let summary = try json(built.stdout)
        let pruning = try #require(summary["pruning"] as? [String: Any])
        #expect((pruning["ngrams_after"] as? [Int])?.reduce(0, +) == 50000)
        #expect(summary["ngrams"] as? [Int] == pruning["ngrams_after"] as? [Int])
        #expect(try run(["prune", path("full.arpa"), path("pruned.arpa"), "--prune-target", "50000"]).status == 0)
        #expect(try run(["prune", path("full.arpa"), path("pruned.bin"), "--prune-target", "50000", "--format", "binary"]).status == 0)
        // The same n-grams with the same probabilities; the recomputed backoff weights agree to
        // single precision (the build prunes its estimate in double precision, prune reads the
        // file's decimals).
        let rows = { (name: String) in try TestSupport.lines(of: path(name)).map { $0.split(separator: "\t", omittingEmptySubsequences: false) } }
        let fromBuild = try rows("built.arpa"), fromPrune = try rows("pruned.arpa")
        #expect(fromBuild.count == fromPrune.count)
        for (a, b) in zip(fromBuild, fromPrune) where a.count >= 2 {
            #expect(a[0] == b[0] && a[1] == b[1], "\(a) vs \(b)")
            if a.count == 3, let x = Double(a[2]), let y = Double(b[2]) { #expect(abs(x - y) < 1e-6, "\(a) vs \(b)") }
        }
        let arpaScore = try json(try run(["ppl", "--model", path("pruned.arpa"), "--text", test, "--json"]).stdout)
        let binaryScore = try json(try run(["ppl", "--model", path("pruned.bin"), "--text", test, "--json"]).stdout)
        // Decimals read as doubles against single-precision values: as for any compiled model.
        let a = try #require(arpaScore["perplexity"] as? Double), b = try #require(binaryScore["perplexity"] as? Double)
        #expect(abs(a - b) / a < 1e-7, "\(a) vs \(b)")
    }

    @Test("bad requests: one line, non-zero exit, the model left as it was")
    func badRequests() throws {
        let directory = try TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let model = try TestSupport.sharedFile("fixtures/kenlm/brown.o4.arpa.gz")
        let out = directory.appendingPathComponent("p.arpa").path
        oneLineError(try run(["prune", model, out]), "--prune-entropy")
        oneLineError(try run(["prune", model, out, "--prune-entropy", "1e-7", "--prune-target", "10"]), "not both")
        oneLineError(try run(["prune", model, out, "--prune-entropy", "-1"]), "--prune-entropy")
        oneLineError(try run(["prune", model, out, "--prune-target", "0"]), "--prune-target")
        oneLineError(try run(["prune", model, "-", "--prune-target", "10", "--format", "binary"]), "standard output")
        oneLineError(try run(["build", "--order", "2", "--text", model, "--arpa", out, "--held-out", model]), "--held-out")
        oneLineError(try run(["scale", "--prune", "1e-8,0", "--out", directory.appendingPathComponent("s").path]), "--prune")
        oneLineError(try run(["scale", "--prune", "1e-8,x", "--out", directory.appendingPathComponent("s").path]), "--prune")
        // The output is the input: refused before anything is written.
        let copy = directory.appendingPathComponent("m.arpa.gz").path
        try FileManager.default.copyItem(atPath: model, toPath: copy)
        oneLineError(try run(["prune", copy, copy, "--prune-entropy", "1e-7"]), "same file")
        #expect(try Data(contentsOf: URL(fileURLWithPath: copy)) == Data(contentsOf: URL(fileURLWithPath: model)))
        // A model that is not one: the reader's error, and no output left behind.
        let bad = directory.appendingPathComponent("bad.arpa").path
        try Data("\\data\\\nngram 1=2\n\n\\1-grams:\n-1.0\tthe\n".utf8).write(to: URL(fileURLWithPath: bad))
        let failed = try run(["prune", bad, out, "--prune-entropy", "1e-7"])
        #expect(failed.status != 0 && failed.stderr.contains("bad.arpa"), "\(failed.stderr)")
        #expect(!FileManager.default.fileExists(atPath: out))
        #expect(try TestSupport.contents(directory) == ["m.arpa.gz", "bad.arpa"])
    }
}
