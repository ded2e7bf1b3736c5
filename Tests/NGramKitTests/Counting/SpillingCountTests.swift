import Foundation
import NGramKit
import Testing

/// Counting past the memory budget: the budget's syntax, the partition plan, and counts files
/// that are the same bytes whether the job ran in memory or spilled to temporary files.
@Suite("Counting past the memory budget")
struct SpillingCountTests {
    @Test("--memory: sizes in powers of 1024, a share of physical memory, and one-line refusals")
    func budgetSyntax() throws {
        #expect(try MemoryBudget.parse("800M").bytes == 800 << 20)
        #expect(try MemoryBudget.parse("4G").bytes == 4 << 30)
        #expect(try MemoryBudget.parse("4g").bytes == 4 << 30)
        #expect(try MemoryBudget.parse("1.5G").bytes == 3 << 29)
        #expect(try MemoryBudget.parse("16MiB").bytes == 16 << 20)
        #expect(try MemoryBudget.parse("16MB").bytes == 16 << 20)
        #expect(try MemoryBudget.parse("8388608").bytes == 8 << 20)
        let half = try MemoryBudget.parse("50%").bytes
        #expect(abs(half - Platform.physicalMemory / 2) <= 1)
        #expect(try MemoryBudget.parse("16M", temporaryDirectory: "/x").temporaryDirectory == "/x")
        for bad in ["0", "-1", "abc", "1e400", "3M", "101%", "0%", "", "M", "nan", "inf"] {
            #expect(throws: NGramKitError.self, "\(bad)") { try MemoryBudget.parse(bad) }
        }
        #expect(MemoryBudget.standard().bytes == Int(Double(Platform.physicalMemory) * MemoryBudget.defaultShare))
    }

    @Test("The plan puts every word in a partition, heaviest first into the lightest, the same every time")
    func plan() {
        let weights: [UInt64] = [0, 50, 0, 30, 30, 20, 10, 10, 5, 5]
        let plan = PartitionPlan(weights: weights, partitions: 3)
        #expect(plan.assignment.count == weights.count && plan.assignment.allSatisfy { $0 < 3 })
        // By hand: 50 → p0; 30 → p1; 30 → p2; 20 → p1 (50); 10 → p2 (40); 10 → p2 (50); 5 → p0 (55); 5 → p1 (55).
        #expect(plan.loads == [55, 55, 50])
        #expect(plan.assignment[1] == 0 && plan.assignment[3] == 1 && plan.assignment[4] == 2 && plan.assignment[5] == 1)
        #expect(PartitionPlan(weights: weights, partitions: 3).assignment == plan.assignment)
        #expect(PartitionPlan(weights: weights, partitions: 1).loads == [weights.reduce(0, +)])
        // </s> is never a next-to-last word.
        #expect(PartitionPlan.weights(unigramCounts: [3, 7, 7, 4])[Int(Vocabulary.endID)] == 0)
    }

    /// `ngramkit count` of `text` in memory and with `memory` (a temporary folder of its own),
    /// both to files; returns the two files' bytes and the spilled run's JSON summary.
    static func countBothWays(_ arguments: [String], memory: String, in directory: URL) throws -> (Data, Data, [String: Any]) {
        let inMemory = directory.appendingPathComponent("memory.counts").path
        let spilled = directory.appendingPathComponent("spilled.counts").path
        let temporary = directory.appendingPathComponent("tmp")
        try FileManager.default.createDirectory(at: temporary, withIntermediateDirectories: true)
        let a = try TestSupport.runTool(["count"] + arguments + ["--out", inMemory])
        #expect(a.status == 0, "\(a.stderr)")
        let b = try TestSupport.runTool(["count"] + arguments + ["--out", spilled, "--memory", memory, "--temp-dir", temporary.path, "--json"])
        #expect(b.status == 0, "\(b.stderr)")
        // The temporary files have no names: nothing is ever left in the folder.
        #expect(try TestSupport.contents(temporary).isEmpty)
        let summary = try #require(try JSONSerialization.jsonObject(with: Data(b.stdout.utf8)) as? [String: Any])
        return (try Data(contentsOf: URL(fileURLWithPath: inMemory)), try Data(contentsOf: URL(fileURLWithPath: spilled)), summary)
    }

    @Test("PTB counted with --memory 5M (the stream spills, about a hundred partitions) is the in-memory counts file, byte for byte",
          arguments: [["--order", "2"], ["--order", "3", "--min-count", "3"], ["--order", "5"], ["--order", "4", "--max-vocab", "500"]])
    func ptb(_ arguments: [String]) throws {
        let directory = try TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let text = try TestSupport.sharedFile("corpora/ptb/ptb.train.txt.gz")
        let (memory, spilled, summary) = try Self.countBothWays(["--text", text] + arguments, memory: "5M", in: directory)
        #expect(memory == spilled, "\(arguments): the counts files differ")
        #expect((summary["partitions"] as? Int ?? 0) > 10, "\(summary)")
        #expect((summary["peak_temporary_bytes"] as? Int ?? 0) > 0)
    }

    @Test("Hand-made text: sentences of one word, repeated lines, a closed vocabulary; orders 1-7")
    func handMade() throws {
        let directory = try TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        var lines: [String] = []
        var random = SplitMix64(seed: 7)
        for i in 0..<120_000 {
            switch i % 7 {
            case 0: lines.append("w\(random.below(5))")
            case 1: lines.append("")
            case 2: lines.append("the same line again")
            default: lines.append((0..<(1 + random.below(12))).map { _ in "w\(random.below(400))" }.joined(separator: " "))
            }
        }
        let text = try TestSupport.write(Array((lines.joined(separator: "\n") + "\n").utf8), named: "t.txt", in: directory)
        let vocabulary = try TestSupport.write(Array((0..<300).map { "w\($0)" }.joined(separator: "\n").utf8), named: "v.txt", in: directory)
        for order in [1, 2, 3, 7] {
            let (memory, spilled, summary) = try Self.countBothWays(["--text", text, "--order", String(order)], memory: "4M", in: directory)
            #expect(memory == spilled, "order \(order)")
            #expect(order == 1 || (summary["partitions"] as? Int ?? 0) > 1, "order \(order) did not spill: \(summary)")
        }
        let (memory, spilled, _) = try Self.countBothWays(["--text", text, "--order", "4", "--vocab", vocabulary], memory: "4M", in: directory)
        #expect(memory == spilled, "closed vocabulary")
    }

    /// Whether this process may mount a small tmpfs (root, and a sandbox that allows it).
    static let canMountTmpfs: Bool = {
        guard getuid() == 0 else { return false }
        let probe = FileManager.default.temporaryDirectory.appendingPathComponent("ngk-mount-probe-\(getpid())")
        try? FileManager.default.createDirectory(at: probe, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: probe) }
        guard let mounted = try? TestSupport.run("/bin/mount", ["-t", "tmpfs", "-o", "size=1m", "tmpfs", probe.path]), mounted.status == 0 else { return false }
        _ = try? TestSupport.run("/bin/umount", [probe.path])
        return true
    }()

    @Test("A full temporary folder: one line naming the folder and the space the job needs; the output untouched",
          .enabled(if: canMountTmpfs, "needs root and mount"))
    func fullTemporaryFolder() throws {
        let directory = try TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let folder = directory.appendingPathComponent("small")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        #expect(try TestSupport.run("/bin/mount", ["-t", "tmpfs", "-o", "size=1m", "tmpfs", folder.path]).status == 0)
        defer { _ = try? TestSupport.run("/bin/umount", [folder.path]) }
        let out = directory.appendingPathComponent("c.txt")
        try Data("old".utf8).write(to: out)
        let text = try TestSupport.sharedFile("corpora/ptb/ptb.train.txt.gz")
        let result = try TestSupport.runTool(["count", "--order", "5", "--text", text, "--out", out.path, "--memory", "4M", "--temp-dir", folder.path])
        #expect(result.status == 1 && result.errorLines.count == 1, "\(result.stderr)")
        #expect(result.stderr.contains(folder.path) && result.stderr.contains("full") && result.stderr.contains("--temp-dir"), "\(result.stderr)")
        #expect(try Data(contentsOf: out) == Data("old".utf8))
        #expect(try TestSupport.contents(folder).isEmpty)
    }
}
