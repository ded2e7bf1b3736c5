import ArgumentParser
import NGramKit

struct QueryCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "query",
        abstract: "Score every token, like KenLM's query.",
        discussion: """
        Reads --text (standard input when none is given). For each sentence prints, \
        TAB-separated, `word=id length log10p` for every token (id 0 is <unk>; length is that of \
        the longest n-gram the model matched), then `Total: <log10> OOV: <n>`; after the last \
        sentence, the perplexities and counts. The text is tokenized as the model records (a \
        different --tokenizer is used as asked, with a warning).
        """
    )

    @Option(name: .long, help: "The model: an ARPA file (plain or gzip) or a binary model from `ngramkit compile` / `build --binary` (told apart by content).")
    var model: String

    @Flag(name: .long, help: "Check a binary model's payload checksum before scoring (reads the whole file; a plain load checks its header, sizes, vocabulary index and word offsets).")
    var verify = false

    @OptionGroup var textOptions: TextOptions

    @OptionGroup var threadOptions: ThreadOptions

    func run() throws {
        let progress = ProgressReporter.forTerminal()
        let paths = try textOptions.files()
        progress?.status("loading \(model)")
        let loaded = try ModelFile.load(model, threads: threadOptions.count) { StandardError.write("ngramkit: \($0)\n") }
        if verify, let binary = loaded.binary { try binary.verifyChecksum() }
        let (tokenizer, warning) = try textOptions.request.forScoring(modelPath: model, recorded: loaded.provenance.tokenizer)
        if let warning { StandardError.write("ngramkit: \(warning)\n") }
        progress?.done()   // the scores themselves go to the terminal from here on
        let sink = try OutputSink(path: "-")
        let result = try Perplexity.evaluate(
            model: loaded, paths: paths, configuration: tokenizer, threads: threadOptions.count ?? ThreadCount.all,
            onToken: { token in
                try sink.write(token.word)
                try sink.write(string: "=\(token.id) \(token.matched) \(Float(token.log10Prob))\t")
            },
            onSentence: { sentence in
                try sink.write(string: "Total: \(Float(sentence.log10Prob)) OOV: \(sentence.oovs)\n")
            })
        try result.requireSentences(paths: paths)
        try sink.write(string: result.text(model: loaded) + "\n")
        try sink.commit()
    }
}
