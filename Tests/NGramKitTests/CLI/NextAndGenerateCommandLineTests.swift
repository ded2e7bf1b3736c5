import Foundation
import NGramKit
import Testing

/// `ngramkit next` and `ngramkit generate` from the command line: TSV and JSON on stdout, the
/// index stored or built, the same answers either way, and one-line errors.
@Suite struct NextAndGenerateCommandLineTests {
    @Test("next: the hand model's distribution as TSV and JSON; --exhaustive and a stored index give the same lines")
    func next() throws {
        let directory = try TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let arpa = try TestSupport.write(Array(NextWordsTests.handARPA.utf8), named: "hand.arpa", in: directory)
        let tsv = try TestSupport.runTool(["next", "--model", arpa, "--context", "a", "--top", "2"])
        #expect(tsv.status == 0)
        #expect(tsv.stdout.split(separator: "\n").map { $0.split(separator: "\t").first.map(String.init) ?? "" } == ["</s>", "b"])
        #expect(tsv.stderr.contains("1 contexts") && tsv.stderr.contains("successor index built"))
        let json = try TestSupport.runTool(["next", "--model", arpa, "--context", "zebra", "--sentence-start", "--json", "--top", "1"])
        #expect(json.stdout.hasPrefix("{\"context\":\"zebra\",\"words\":[{\"word\":\"</s>\""), "\(json.stdout)")
        let binary = directory.appendingPathComponent("hand.bin").path
        #expect(try TestSupport.runTool(["compile", arpa, binary, "--successors"]).status == 0)
        let contexts = try TestSupport.write(Array("a\n\n<s> a\nb a b\n".utf8), named: "contexts.txt", in: directory)
        let fromIndex = try TestSupport.runTool(["next", "--model", binary, "--contexts", contexts])
        let fromLoop = try TestSupport.runTool(["next", "--model", binary, "--contexts", contexts, "--exhaustive"])
        #expect(fromIndex.status == 0 && fromIndex.stdout == fromLoop.stdout)
        #expect(fromIndex.stderr.contains("4 contexts") && fromIndex.stderr.contains("stored in the model"))
        #expect(fromIndex.stdout.hasPrefix("1\t</s>\t"))
        let all = try TestSupport.runTool(["next", "--model", arpa, "--context", "a", "--top", "0"])
        #expect(all.stdout.split(separator: "\n").count == 4)
        // Errors: one line, non-zero.
        let reserved = try TestSupport.runTool(["next", "--model", arpa, "--context", "a </s>"])
        #expect(reserved.status != 0 && reserved.stderr.contains("</s>") && reserved.stderr.split(separator: "\n").count == 1)
        let neither = try TestSupport.runTool(["next", "--model", arpa])
        #expect(neither.status != 0)
        #expect(try TestSupport.runTool(["build", "--text", arpa, "--arpa", "x.arpa", "--successors"], in: directory).status != 0)
    }

    @Test("generate: reproducible for a seed, the prefix first, JSON fields; bad options refused")
    func generate() throws {
        let directory = try TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let text = try TestSupport.write(Array(LibraryEntryPointTests.text.utf8), named: "t.txt", in: directory)
        let model = directory.appendingPathComponent("m.bin").path
        #expect(try TestSupport.runTool(["build", "--order", "3", "--text", text, "--binary", model, "--successors"]).status == 0)
        let first = try TestSupport.runTool(["generate", "--model", model, "--count", "8", "--seed", "3", "--prefix", "the"])
        let again = try TestSupport.runTool(["generate", "--model", model, "--count", "8", "--seed", "3", "--prefix", "the"])
        #expect(first.status == 0 && first.stdout == again.stdout)
        let lines = first.stdout.split(separator: "\n")
        #expect(lines.count == 8 && lines.allSatisfy { $0.hasPrefix("the ") || $0 == "the" })
        let json = try TestSupport.runTool(["generate", "--model", model, "--count", "2", "--json", "--max-words", "3"])
        #expect(json.stdout.split(separator: "\n").allSatisfy { $0.contains("\"log10_prob\":") && $0.contains("\"ended\":") })
        for bad in [["--temperature", "0"], ["--count", "0"], ["--max-words", "1", "--prefix", "the cat"]] {
            let outcome = try TestSupport.runTool(["generate", "--model", model] + bad)
            #expect(outcome.status != 0 && outcome.stderr.split(separator: "\n").count == 1, "\(bad): \(outcome.stderr)")
        }
    }
}
