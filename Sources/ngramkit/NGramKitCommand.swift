import ArgumentParser
import NGramKit
#if canImport(Glibc)
import Glibc
#endif

@main
struct NGramKitCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ngramkit",
        abstract: "Build n-gram language models, score text, and measure how models improve with data.",
        discussion: "Run with no subcommand to run `scale` on the default corpus (Corpora/kjv.txt.gz): data-scaling curves of Kneser-Ney and Stupid Backoff, orders 1-5, written to scale-results/.",
        version: NGramKitVersion.string,
        subcommands: [ScaleCommand.self, CountCommand.self, BuildCommand.self, CompileCommand.self, PruneCommand.self, PplCommand.self, QueryCommand.self, InterpolateCommand.self, NextCommand.self, GenerateCommand.self, TokenizeCommand.self, VocabCommand.self, ClusterCommand.self],
        defaultSubcommand: ScaleCommand.self
    )

    /// Errors are one line on stderr and a non-zero exit; help goes to stdout, and a help text
    /// that cannot be written is an error too.
    static func main() {
        // Before any thread starts: they inherit the signal mask the handlers need.
        OutputFile.installSignalCleanup
        do {
            var command = try parseAsRoot(NegativeNumbers.attached(Array(CommandLine.arguments.dropFirst())))
            try command.run()
        } catch {
            let code = exitCode(for: error)
            if code == .success {
                do {
                    try StandardOutput.line(fullMessage(for: error))
                } catch {
                    StandardError.write("ngramkit: \(error)\n")
                    Glibc.exit(1)
                }
                Glibc.exit(0)
            }
            var message = message(for: error)
            if let newline = message.firstIndex(of: "\n") { message = String(message[..<newline]) }
            if message.isEmpty { message = String(describing: error) }
            StandardError.write("ngramkit: \(message)\n")
            Glibc.exit(code.rawValue == 0 ? 1 : code.rawValue)
        }
    }
}

/// Negative numbers as option values (`--order -1`, `--discount-fallback -1 -1 -1`), which the
/// argument parser would take for options and answer "Missing value": each is attached to its
/// option as `--name=value`, so that the option's own check answers with its range.
enum NegativeNumbers {
    static func attached(_ arguments: [String]) -> [String] {
        var result: [String] = []
        var option: String? = nil   // the last `--name` that takes values, while its values run
        for argument in arguments {
            if argument == "--" {
                result.append(contentsOf: arguments[(arguments.firstIndex(of: "--")!)...])
                return result
            }
            if isNegativeNumber(argument), let name = option {
                if result.last == name { result.removeLast() }
                result.append("\(name)=\(argument)")
                continue
            }
            if argument.hasPrefix("--") && !argument.contains("=") {
                option = argument
            } else if argument.hasPrefix("-") {
                option = nil
            }
            result.append(argument)
        }
        return result
    }

    /// `-1`, `-0.5`, `-.5`, `-1e3`: a minus sign and then a digit or a point and a digit; and
    /// `-inf`, `-infinity`, `-nan` (no option of the tool is spelled so).
    static func isNegativeNumber(_ text: String) -> Bool {
        if ["-inf", "-infinity", "-nan"].contains(text.lowercased()) { return true }
        let bytes = Array(text.utf8)
        guard bytes.count >= 2, bytes[0] == 0x2D else { return false }
        if bytes[1] >= 0x30 && bytes[1] <= 0x39 { return true }
        return bytes.count >= 3 && bytes[1] == 0x2E && bytes[2] >= 0x30 && bytes[2] <= 0x39
    }
}
