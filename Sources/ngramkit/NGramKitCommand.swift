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
        subcommands: [ScaleCommand.self, CountCommand.self, BuildCommand.self, CompileCommand.self, PplCommand.self, QueryCommand.self, TokenizeCommand.self, VocabCommand.self],
        defaultSubcommand: ScaleCommand.self
    )

    /// Errors are one line on stderr and a non-zero exit; help goes to stdout.
    static func main() {
        do {
            var command = try parseAsRoot()
            try command.run()
        } catch {
            let code = exitCode(for: error)
            if code == .success {
                print(fullMessage(for: error))
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
