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

    @OptionGroup var modelOptions: ScoringModelOptions

    @OptionGroup var textOptions: TextOptions

    @OptionGroup var threadOptions: ThreadOptions

    func run() throws {
        let progress = ProgressReporter.forTerminal()
        let paths = try textOptions.files()
        let threads = threadOptions.count
        let (loaded, tokenizer) = try modelOptions.load(textOptions: textOptions, threads: threads, progress: progress)
        progress?.done()   // the scores themselves go to the terminal from here on
        let sink = try OutputSink(path: "-")
        let result = try Perplexity.evaluate(
            model: loaded, paths: paths, configuration: tokenizer, threads: threads ?? ThreadCount.all,
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
