import Foundation
import NGramKit
import Testing

/// The reproducers of `../shared/reliability/run.sh`, each command as that script runs it: every
/// one ends in a one-line error (or, for sufmiss, the right answer), never a trap, a hang or a
/// wrong exit 0.
@Suite("Reliability reproducers")
struct ReliabilityTests {
    /// The commands of run.sh: each `r ...` line, its comment dropped, `$K` the tool, `$out` a folder.
    static func commands(out: String) throws -> [(arguments: [String], line: String)] {
        let script = try String(contentsOfFile: try TestSupport.sharedFile("reliability/run.sh"), encoding: .utf8)
        return script.split(separator: "\n").filter { $0.hasPrefix("r ") }.map { line in
            let command = line.dropFirst(2).components(separatedBy: "#")[0]
            let words = command.split(separator: " ").map { word in
                String(word).replacingOccurrences(of: "\"$K\"", with: TestSupport.ngramkit)
                    .replacingOccurrences(of: "\"$out/", with: out + "/").replacingOccurrences(of: "\"", with: "")
            }
            return (words, String(line))
        }
    }

    @Test("Every reproducer: one line and a non-zero exit, or the right answer; no trap, no hang, nothing left")
    func reproducers() throws {
        let out = try TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: out) }
        let commands = try Self.commands(out: out.path)
        #expect(commands.count >= 14)
        let folder = TestSupport.shared.appendingPathComponent("reliability")
        for (arguments, line) in commands {
            // Output to files and a deadline of run.sh's own 20 s: a hang fails the test, it does not stall it.
            let result = try TestSupport.runTool(Array(arguments.dropFirst()), in: folder, timeout: 20,
                                                 executable: arguments[0] == "prlimit" ? "/usr/bin/prlimit" : arguments[0])
            #expect(!result.timedOut, "hang: \(line)")
            #expect(result.endedCleanly && result.status < 128, "trap or signal: \(line)")
            if line.contains("sufmiss") {
                #expect(result.status == 0 && result.stdout.contains("c=5 3 -0.1"), "\(line): \(result.stdout)")
                continue
            }
            #expect(result.status == 1 && result.errorLines.count == 1 && result.stderr.hasPrefix("ngramkit: "), "\(line): \(result.stderr)")
        }
        let left = try TestSupport.contents(out)
        #expect(left.isEmpty, "left behind: \(left)")
    }
}
