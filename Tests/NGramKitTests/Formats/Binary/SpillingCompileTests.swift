import Foundation
import NGramKit
import Testing

/// `compile` past the memory budget: the n-grams go to sorted runs, are closed under contexts and
/// suffixes on disk and laid out table by table, and the binary model is the in-memory one's,
/// byte for byte, pruned files with their blanks and filled suffixes included.
@Suite("Compiling past the memory budget")
struct SpillingCompileTests {
    /// Compiles `arpa` in memory and past a budget of `memory`; checks that the binary models
    /// are the same bytes and that no temporary file is left; returns the spilled run's result.
    @discardableResult
    static func compileBothWays(_ arpa: String, memory: String = "8M", threads: Int? = nil, in directory: URL,
                                sourceLocation: SourceLocation = #_sourceLocation) throws -> BinaryModelWriter.CompileResult {
        let inMemory = directory.appendingPathComponent("memory.bin").path
        let spilled = directory.appendingPathComponent("spilled.bin").path
        let temporary = directory.appendingPathComponent("tmp")
        try FileManager.default.createDirectory(at: temporary, withIntermediateDirectories: true)
        let a = try BinaryModelWriter.compile(arpa, to: inMemory)
        #expect(!a.spilled && a.temporaryBytes == 0, sourceLocation: sourceLocation)
        let b = try BinaryModelWriter.compile(arpa, to: spilled, threads: threads, verify: true,
                                              memory: try MemoryBudget.parse(memory, temporaryDirectory: temporary.path),
                                              pastBudget: true)
        #expect(b.spilled && b.temporaryBytes > 0, sourceLocation: sourceLocation)
        #expect(try TestSupport.contents(temporary).isEmpty, sourceLocation: sourceLocation)
        #expect(try Data(contentsOf: URL(fileURLWithPath: inMemory)) == Data(contentsOf: URL(fileURLWithPath: spilled)),
                "\(arpa): the binary models differ", sourceLocation: sourceLocation)
        #expect(a.summary.ngrams == b.summary.ngrams && a.summary.bytes == b.summary.bytes, sourceLocation: sourceLocation)
        return b
    }

    /// `source` with a random share (1 in `oneIn`) of the lines of orders 2...N-1 left out and the
    /// header's counts fixed: n-grams lose their contexts (blanks) and their suffixes (fills).
    static func holey(_ source: String, oneIn: UInt64, seed: UInt64, in directory: URL) throws -> String {
        var sections = try TestSupport.arpaSections(of: source)
        let top = sections.keys.max()!
        var random = SplitMix64(seed: seed)
        for n in 2..<top { sections[n] = sections[n]!.filter { _ in random.next() % oneIn != 0 } }
        return try TestSupport.writeARPA(sections, named: "holey-\(seed).arpa", in: directory)
    }

    @Test("Hand-made files: a missing suffix filled in (sufmiss.arpa), a plain bigram model (tiny2.arpa)",
          arguments: ["reliability/sufmiss.arpa", "reliability/tiny2.arpa"])
    func handMade(_ file: String) throws {
        let directory = try TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        try Self.compileBothWays(try TestSupport.sharedFile(file), in: directory)
    }

    @Test("KenLM's PTB order-3 and Brown order-4 models (gzip) at --memory 8M: many runs per order, the same bytes",
          arguments: ["fixtures/kenlm/ptb.o3.arpa.gz", "fixtures/kenlm/brown.o4.arpa.gz"])
    func kenlmModels(_ file: String) throws {
        let directory = try TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let result = try Self.compileBothWays(try TestSupport.sharedFile(file), in: directory)
        // More temporary bytes than one chunk of records: the merges really merged.
        #expect(result.temporaryBytes > 1 << 20)
    }

    @Test("Pruned files missing contexts and suffixes at several rates: the in-memory reader's blanks and fills, byte for byte",
          arguments: [(UInt64(2), UInt64(1)), (5, 2), (20, 3)])
    func holes(_ oneIn: UInt64, _ seed: UInt64) throws {
        let directory = try TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        for source in ["fixtures/kenlm/brown.o4.arpa.gz", "fixtures/kenlm/ptb.o3.arpa.gz"] {
            let arpa = try Self.holey(try TestSupport.sharedFile(source), oneIn: oneIn, seed: seed, in: directory)
            // The file does lack contexts and suffixes: the in-memory model stores more entries
            // than the file's n-grams (blanks and fills).
            #expect(!(try ARPAReader.read(arpa)).isComplete)
            let result = try Self.compileBothWays(arpa, in: directory)
            let fileNGrams = try TestSupport.lines(of: arpa).filter { $0.hasPrefix("ngram ") }
                .map { Int($0.split(separator: "=")[1])! }.reduce(0, +)
            #expect(result.summary.ngrams == fileNGrams)
        }
        // KenLM-style pruning that keeps contexts and drops suffixes only (fills, no blanks).
        try Self.compileBothWays(try PrunedModelTests.prunedBrown(in: directory), in: directory)
    }

    @Test("A file that says it is complete but lacks a context (counts unchanged): the claim is dropped, as in memory")
    func falseClaim() throws {
        let directory = try TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let counter = try NGramCounter(order: 3)
        var tokenizer = WhitespaceTokenizer()
        try counter.addText("a b c\na b c\nx b y\nb c d\nd a x\n", tokenizer: &tokenizer)
        let written = directory.appendingPathComponent("complete.arpa").path
        try ARPAWriter.write(try NGramModel.estimate(from: try counter.finish()), to: written)
        var text = try String(contentsOfFile: written, encoding: .utf8)
        #expect(text.contains("# ngramkit complete n-grams="))
        // 'a b' (the context of 'a b c') becomes 'a a', a bigram that was not there: same counts.
        let lines = text.components(separatedBy: "\n")
        let index = try #require(lines.firstIndex { $0.split(separator: "\t").dropFirst().first == "a b" })
        var fields = lines[index].components(separatedBy: "\t")
        fields[1] = "a a"
        text = (lines[..<index] + [fields.joined(separator: "\t")] + lines[(index + 1)...]).joined(separator: "\n")
        let arpa = try TestSupport.write(Array(text.utf8), named: "claims.arpa", in: directory)
        #expect(!(try ARPAReader.read(arpa)).isComplete)
        try Self.compileBothWays(arpa, in: directory)
    }

    @Test("A Stupid Backoff model and a model with <unk> missing: the same bytes")
    func otherModels() throws {
        let directory = try TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let text = try TestSupport.sharedFile("fixtures/kenlm/brown.train5k.txt.gz")
        let stupid = directory.appendingPathComponent("sb.arpa").path
        let built = try TestSupport.runTool(["build", "--order", "4", "--smoothing", "stupid-backoff", "--text", text, "--arpa", stupid])
        #expect(built.status == 0, "\(built.stderr)")
        try Self.compileBothWays(stupid, in: directory)
        let noUnknown = try TestSupport.lines(of: try TestSupport.sharedFile("reliability/tiny2.arpa"))
            .filter { !$0.contains("<unk>") }.map { $0 == "ngram 1=6" ? "ngram 1=5" : $0 }
        try Self.compileBothWays(try TestSupport.write(Array(noUnknown.joined(separator: "\n").utf8), named: "nounk.arpa", in: directory),
                                 in: directory)
    }

    @Test("One thread and all threads past the budget: the same bytes")
    func threads() throws {
        let directory = try TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        try Self.compileBothWays(try TestSupport.sharedFile("fixtures/kenlm/brown.o4.arpa.gz"), threads: 1, in: directory)
    }

    /// The error of compiling `arpa` in memory and past the budget (nil when it compiles).
    static func errors(_ arpa: String, in directory: URL) throws -> (String?, String?) {
        let temporary = directory.appendingPathComponent("tmp")
        try FileManager.default.createDirectory(at: temporary, withIntermediateDirectories: true)
        var inMemory: String?, spilled: String?
        do { _ = try BinaryModelWriter.compile(arpa, to: directory.appendingPathComponent("a.bin").path) } catch { inMemory = "\(error)" }
        do {
            _ = try BinaryModelWriter.compile(arpa, to: directory.appendingPathComponent("b.bin").path, threads: nil, verify: false,
                                              memory: try MemoryBudget.parse("8M", temporaryDirectory: temporary.path), pastBudget: true)
        } catch { spilled = "\(error)" }
        #expect(try TestSupport.contents(temporary).isEmpty)
        #expect(!FileManager.default.fileExists(atPath: directory.appendingPathComponent("b.bin").path))
        return (inMemory, spilled)
    }

    @Test("A duplicate n-gram and a word missing from the 1-grams: the in-memory error, line and all; nothing left behind")
    func malformed() throws {
        let directory = try TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let lines = try TestSupport.lines(of: try TestSupport.sharedFile("reliability/tiny2.arpa"))
        // 'the cat' again at the end of the bigrams (line 21), the header's count raised.
        var duplicate = lines.map { $0 == "ngram 2=7" ? "ngram 2=8" : $0 }
        duplicate.insert("-0.5\tthe cat", at: try #require(duplicate.firstIndex(of: "\\end\\")) - 1)
        let (a, b) = try Self.errors(try TestSupport.write(Array(duplicate.joined(separator: "\n").utf8), named: "dup.arpa", in: directory),
                                     in: directory)
        #expect(a != nil && a == b && b!.contains("appears a second time") && b!.contains(":21:"), "\(String(describing: a)) / \(String(describing: b))")
        let unknown = lines.map { $0 == "-0.30103\tcat sat" ? "-0.30103\tcat dog" : $0 }
        let (c, d) = try Self.errors(try TestSupport.write(Array(unknown.joined(separator: "\n").utf8), named: "word.arpa", in: directory),
                                     in: directory)
        #expect(c != nil && c == d && d!.contains("'dog'"), "\(String(describing: c)) / \(String(describing: d))")
    }

    @Test("Headers announcing 10^9, 2^32 and 2^63 n-grams in a tiny file, plain and gzip: one line and exit 1 at any budget, never a trap",
          arguments: ["hdr_1e9.arpa", "hdr_2e32.arpa", "hdr_2e63.arpa"])
    func hugeHeaders(_ file: String) throws {
        let directory = try TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let plain = try TestSupport.sharedFile("reliability/" + file)
        let gzip = try TestSupport.write(try TestSupport.gzip(Array(try Data(contentsOf: URL(fileURLWithPath: plain)))), named: file + ".gz", in: directory)
        for input in [plain, gzip] {
            for memory in [["--memory", "8M"], []] {
                let run = try TestSupport.runTool(["compile", input, directory.appendingPathComponent("m.bin").path, "--temp-dir", directory.path] + memory)
                #expect(run.status == 1 && run.stderr.split(separator: "\n").count == 1 && run.stderr.contains("header"), "\(input) \(memory): \(run.stderr)")
            }
        }
        #expect(try TestSupport.contents(directory) == [file + ".gz"])
    }

    @Test("A budget that cannot hold the 1-grams beside room to sort: one line naming --memory and what is needed")
    func budgetTooSmall() throws {
        let directory = try TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let arpa = try TestSupport.sharedFile("fixtures/kenlm/ptb.o3.arpa.gz")
        let run = try TestSupport.runTool(["compile", arpa, directory.appendingPathComponent("m.bin").path, "--memory", "4M",
                                           "--temp-dir", directory.path])
        #expect(run.status != 0 && run.stderr.contains("--memory") && run.stderr.contains("10002 words"), "\(run.stderr)")
        #expect(run.stderr.split(separator: "\n").count == 1)
        #expect(try TestSupport.contents(directory).isEmpty)
    }

    @Test("ngramkit compile --memory: a model larger than the budget is written through temporary files, and says so")
    func commandLine() throws {
        let directory = try TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let arpa = try TestSupport.sharedFile("fixtures/kenlm/ptb.o3.arpa.gz")
        let temporary = directory.appendingPathComponent("tmp")
        try FileManager.default.createDirectory(at: temporary, withIntermediateDirectories: true)
        let a = directory.appendingPathComponent("a.bin").path, b = directory.appendingPathComponent("b.bin").path
        let inMemory = try TestSupport.runTool(["compile", arpa, a])
        let spilled = try TestSupport.runTool(["compile", arpa, b, "--memory", "16M", "--temp-dir", temporary.path])
        #expect(inMemory.status == 0 && spilled.status == 0, "\(spilled.stderr)")
        #expect(!inMemory.stderr.contains("past the memory budget") && spilled.stderr.contains("past the memory budget"), "\(spilled.stderr)")
        #expect(try Data(contentsOf: URL(fileURLWithPath: a)) == Data(contentsOf: URL(fileURLWithPath: b)))
        #expect(try TestSupport.contents(temporary).isEmpty)
    }
}
