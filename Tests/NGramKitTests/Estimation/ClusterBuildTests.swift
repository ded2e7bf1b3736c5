import Foundation
import NGramKit
import Testing

/// The stages of `ngramkit cluster`, run here one after another as a cluster runs them (each text
/// part and each partition on its own): the ARPA file and binary model of `ngramkit build --text`
/// on one machine, byte for byte; and damaged or mismatched stage files refused in one line.
@Suite("Building through the cluster stages")
struct ClusterBuildTests {
    /// The files of one run of every stage.
    struct Run {
        let directory: URL
        func path(_ name: String) -> String { directory.appendingPathComponent(name).path }
    }

    static func tool(_ arguments: [String]) throws {
        let result = try TestSupport.runTool(arguments, timeout: 600)
        #expect(result.status == 0, "\(arguments.prefix(2)): \(result.stderr)")
        if result.status != 0 { throw CancellationError() }
    }

    /// The sections of a windows file (`ngramkit cluster windows --help` gives the layout).
    static func sections(of path: String) throws -> [Data] {
        let data = try Data(contentsOf: URL(fileURLWithPath: path))
        func fixed<T: FixedWidthInteger>(_ type: T.Type, at offset: Int) -> T {
            data.withUnsafeBytes { T(littleEndian: $0.loadUnaligned(fromByteOffset: offset, as: T.self)) }
        }
        #expect(data.prefix(8) == Data("NGKCLUS1".utf8) && data[8] == 3)
        let header = Int(fixed(UInt64.self, at: 9))
        let count = Int(fixed(UInt32.self, at: 17))
        var offset = 17 + header
        return (0..<count).map { p in
            let length = Int(fixed(UInt64.self, at: 21 + 8 * p))
            defer { offset += length }
            return data.subdata(in: offset..<(offset + length))
        }
    }

    /// Runs the eight stages on `parts` (text files) with `partitions` partitions and `ranges`
    /// ranges of first words; the model goes to `cluster.arpa` (from the parts), `merged.arpa`
    /// (from the estimates) and `cluster.bin` in `run`'s folder.
    static func build(parts: [String], order: Int, partitions: Int, ranges: Int = 3, estimation: [String] = [], tokenizer: [String] = [],
                      in run: Run) throws {
        for (i, part) in parts.enumerated() {
            try tool(["cluster", "vocabulary", "--text", part, "--out", run.path("vocabulary.\(i)")] + tokenizer)
        }
        try tool(["cluster", "plan", "--order", String(order), "--partitions", String(partitions), "--out", run.path("plan"),
                  "--vocabularies"] + parts.indices.map { run.path("vocabulary.\($0)") })
        var windows = [[String]](repeating: [], count: partitions)
        for (i, part) in parts.enumerated() {
            try tool(["cluster", "windows", "--plan", run.path("plan"), "--text", part, "--out", run.path("windows.\(i)")])
            for (p, section) in try sections(of: run.path("windows.\(i)")).enumerated() {
                let name = run.path("windows.\(i).\(p)")
                try section.write(to: URL(fileURLWithPath: name))
                windows[p].append(name)
            }
        }
        // The partitions in reverse, and their windows too: the order of the tasks does not matter.
        for p in (0..<partitions).reversed() {
            try tool(["cluster", "count", "--plan", run.path("plan"), "--partition", String(p), "--out", run.path("counts.\(p)"),
                      "--summary", run.path("summary.\(p)"), "--windows"] + windows[p].reversed())
        }
        try tool(["cluster", "globals", "--plan", run.path("plan"), "--out", run.path("globals"), "--summaries"]
                 + (0..<partitions).map { run.path("summary.\($0)") } + estimation)
        for p in 0..<partitions {
            try tool(["cluster", "estimate", "--globals", run.path("globals"), "--counts", run.path("counts.\(p)"),
                      "--ranges", String(ranges), "--out", run.path("estimate.\(p)")])
        }
        let estimates = (0..<partitions).reversed().flatMap { p in (0..<ranges).map { run.path("estimate.\(p).\($0)") } }
        for k in 0..<ranges {
            try tool(["cluster", "format", "--globals", run.path("globals"), "--range", String(k), "--out", run.path("part.\(k)"),
                      "--estimates"] + (0..<partitions).map { run.path("estimate.\($0).\(k)") })
        }
        // The ARPA file from the parts, and once more merged from the estimates as the binary model is.
        try tool(["cluster", "write", "--globals", run.path("globals"), "--arpa", run.path("cluster.arpa"), "--binary", run.path("cluster.bin"),
                  "--parts"] + (0..<ranges).reversed().map { run.path("part.\($0)") } + ["--estimates"] + estimates)
        try tool(["cluster", "write", "--globals", run.path("globals"), "--arpa", run.path("merged.arpa"), "--estimates"] + estimates)
    }

    /// Whether the cluster's model is `ngramkit build --text`'s of all `parts`, byte for byte.
    static func expectSameModel(parts: [String], order: Int, arguments: [String], in run: Run) throws {
        try tool(["build", "--order", String(order), "--arpa", run.path("one.arpa"), "--binary", run.path("one.bin"), "--text"]
                 + parts + arguments)
        let arpa = try Data(contentsOf: URL(fileURLWithPath: run.path("one.arpa")))
        #expect(try Data(contentsOf: URL(fileURLWithPath: run.path("cluster.arpa"))) == arpa, "\(arguments): the ARPA files differ")
        #expect(try Data(contentsOf: URL(fileURLWithPath: run.path("merged.arpa"))) == arpa, "\(arguments): the merged ARPA file differs")
        #expect(try Data(contentsOf: URL(fileURLWithPath: run.path("cluster.bin"))) == Data(contentsOf: URL(fileURLWithPath: run.path("one.bin"))),
                "\(arguments): the binary models differ")
    }

    /// A small text with what breaks partitioned estimation if anything does: empty lines,
    /// one-word sentences, a line repeated, an empty part, and words that first appear in a
    /// later part.
    static func oddParts(in directory: URL) throws -> [String] {
        var random = SplitMix64(seed: 5)
        var lines: [String] = []
        for i in 0..<6_000 {
            switch i % 7 {
            case 0: lines.append("w\(random.below(3))")
            case 1: lines.append("")
            case 2: lines.append("a line that repeats")
            default: lines.append((0..<(1 + random.below(9))).map { _ in "w\(random.below(i < 3_000 ? 150 : 400))" }.joined(separator: " "))
            }
        }
        let cuts = [0, 2_500, 2_500, 4_100, 6_000]
        return try (0..<4).map { k in
            let part = lines[cuts[k]..<cuts[k + 1]].map { $0 + "\n" }.joined()
            return try TestSupport.write(Array(part.utf8), named: "part\(k).txt", in: directory)
        }
    }

    @Test("Odd text in four parts (one empty), 1, 3 and 8 partitions, 1 to 9 ranges, every method the stages run: the model of one machine",
          arguments: [(3, 1, 1, [String]()), (4, 3, 2, []), (6, 8, 9, []), (3, 3, 1, ["--smoothing", "stupid-backoff"]),
                      (5, 8, 4, ["--smoothing", "stupid-backoff", "--alpha", "0.7"]), (4, 3, 5, ["--smoothing", "kneser-ney-original"])])
    func oddText(order: Int, partitions: Int, ranges: Int, estimation: [String]) throws {
        let directory = try TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let run = Run(directory: directory)
        let parts = try Self.oddParts(in: directory)
        try Self.build(parts: parts, order: order, partitions: partitions, ranges: ranges, estimation: estimation, in: run)
        try Self.expectSameModel(parts: parts, order: order, arguments: estimation, in: run)
    }

    @Test("PTB in three parts, order 5, 4 partitions: the model of one machine")
    func ptb() throws {
        let directory = try TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let run = Run(directory: directory)
        let lines = try TestSupport.lines(of: try TestSupport.sharedFile("corpora/ptb/ptb.train.txt.gz"))
        let third = lines.count / 3
        let parts = try (0..<3).map { k in
            let part = lines[(k * third)..<(k == 2 ? lines.count : (k + 1) * third)].map { $0 + "\n" }.joined()
            return try TestSupport.write(Array(part.utf8), named: "ptb\(k).txt", in: directory)
        }
        try Self.build(parts: parts, order: 5, partitions: 4, in: run)
        try Self.expectSameModel(parts: parts, order: 5, arguments: [], in: run)
    }

    @Test("Stage files of another kind, cut, repeated, missing or of another partition: one line naming the file, no output")
    func badStageFiles() throws {
        let directory = try TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let run = Run(directory: directory)
        let parts = try Self.oddParts(in: directory)
        try Self.build(parts: parts, order: 3, partitions: 3, in: run)
        let plan = run.path("plan")
        // A cut copy of the plan.
        let planBytes = try Data(contentsOf: URL(fileURLWithPath: plan))
        try planBytes.prefix(planBytes.count - 40).write(to: URL(fileURLWithPath: run.path("cut.plan")))
        let cases: [([String], String)] = [
            (["cluster", "windows", "--plan", run.path("summary.0"), "--text", parts[0], "--out", run.path("x")], "a summary file where a plan file was expected"),
            (["cluster", "windows", "--plan", run.path("cut.plan"), "--text", parts[0], "--out", run.path("x")], "cut short"),
            (["cluster", "windows", "--plan", parts[0], "--text", parts[0], "--out", run.path("x")], "not a file of `ngramkit cluster`"),
            (["cluster", "count", "--plan", plan, "--partition", "1", "--windows", run.path("windows.0.0"), "--out", run.path("x"),
              "--summary", run.path("y")], "belongs to another partition than 1"),
            (["cluster", "count", "--plan", plan, "--partition", "3", "--out", run.path("x"), "--summary", run.path("y")], "--partition"),
            (["cluster", "globals", "--plan", plan, "--out", run.path("x"), "--summaries", run.path("summary.0"), run.path("summary.0")],
             "a second summary of partition 0"),
            (["cluster", "globals", "--plan", plan, "--out", run.path("x"), "--summaries", run.path("summary.0"), run.path("summary.2")],
             "partition 1's is missing"),
            (["cluster", "globals", "--plan", plan, "--out", run.path("x"), "--smoothing", "katz", "--summaries"]
             + (0..<3).map { run.path("summary.\($0)") }, "--smoothing"),
            (["cluster", "write", "--globals", run.path("globals"), "--arpa", run.path("x"), "--estimates"]
             + (0..<3).flatMap { p in (0..<3).map { run.path("estimate.\(p).\($0)") } }.dropLast(), "partition 2's range 2 is missing"),
            (["cluster", "write", "--globals", run.path("globals"), "--arpa", run.path("x"), "--parts", run.path("part.0"), run.path("part.2")],
             "range 1's is missing"),
            (["cluster", "format", "--globals", run.path("globals"), "--range", "1", "--out", run.path("x"), "--estimates"]
             + (0..<3).map { run.path("estimate.\($0).0") }, "range 0 of partition 0 where range 1 was expected"),
            (["cluster", "write", "--globals", run.path("globals"), "--binary", run.path("x"), "--parts", run.path("part.0")],
             "the binary model is merged from them"),
            (["cluster", "plan", "--order", "5", "--partitions", "1", "--memory", "5M", "--out", run.path("x"), "--vocabularies"]
             + (0..<4).map { run.path("vocabulary.\($0)") }, "invalid value '1' for --partitions: expected at least 2 partitions"),
        ]
        for (arguments, message) in cases {
            let result = try TestSupport.runTool(arguments, timeout: 120)
            #expect(result.status == 1, "\(arguments.prefix(2))")
            let lines = result.stderr.split(separator: "\n")
            #expect(lines.count == 1 && result.stderr.contains(message), "\(arguments.prefix(2)): \(result.stderr)")
            #expect(!FileManager.default.fileExists(atPath: run.path("x")) && !FileManager.default.fileExists(atPath: run.path("y")))
        }
    }
}
