import ArgumentParser
import Foundation
import NGramKit

struct QueryCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "query",
        abstract: "Score every token, like KenLM's query.",
        discussion: """
        For each sentence prints, TAB-separated, `word=id length log10p` for every token (id 0 is \
        <unk>; length is that of the longest n-gram the model matched), then `Total: <log10> OOV: <n>`; \
        after the last sentence, the perplexities and counts.
        """
    )

    @Option(name: .long, help: "The model: an ARPA file (plain or gzip) or a binary model from `ngramkit compile` / `build --binary` (told apart by content).")
    var model: String

    @Flag(name: .long, help: "Check a binary model's checksum before scoring (reads the whole file; loading alone checks only its header and sizes). Default: off.")
    var verify = false

    @Option(name: .long, parsing: .upToNextOption, help: "Text files to score, one sentence per line; '-' is standard input. Default: standard input.")
    var text: [String] = []

    @Option(name: .long, help: "Tokenizer the model was trained with: whitespace, unicode or character. Default: whitespace.")
    var tokenizer: TokenizerKind = .whitespace

    @Flag(name: .long, help: "Lower-case the text (unicode and character tokenizers). Default: off.")
    var lowercase = false

    @Option(name: .long, help: "Threads that score; the output is identical for any number. Default: all cores.")
    var threads: Int?

    func validate() throws {
        if let threads, threads < 1 { throw ValidationError("--threads must be at least 1, not \(threads)") }
    }

    func run() throws {
        let progress = ProgressReporter.forTerminal()
        progress?.status("loading \(model)")
        let loaded = try ModelFile.load(model) { StandardError.write("ngramkit: \($0)\n") }
        if verify, let binary = loaded.binary { try binary.verifyChecksum() }
        progress?.done()   // the scores themselves go to the terminal from here on
        let sink = try OutputSink(path: "-")
        let result = try Perplexity.evaluate(
            model: loaded, paths: text.isEmpty ? ["-"] : text,
            configuration: try TokenizerConfiguration(kind: tokenizer, lowercase: lowercase),
            threads: threads ?? ProcessInfo.processInfo.activeProcessorCount,
            onToken: { token in
                try sink.write(token.word)
                try sink.write(string: "=\(token.id) \(token.matched) \(Float(token.log10Prob))\t")
            },
            onSentence: { sentence in
                try sink.write(string: "Total: \(Float(sentence.log10Prob)) OOV: \(sentence.oovs)\n")
            })
        try sink.write(string: result.text(model: loaded) + "\n")
        try sink.commit()
    }
}
