import ArgumentParser
import NGramKit

struct NextCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "next",
        abstract: "The most probable next words after a context, with their exact probabilities.",
        discussion: """
        Prints p(w | context) for the best words w of the vocabulary, most probable first (ties \
        by word id), TAB-separated: word and log10 probability (after the context's line number \
        with --contexts), or one JSON object per context with --json. The context is tokenized as \
        the model records; unknown words are <unk>; <s> is never predicted. The values are those \
        `ngramkit query` gives the word after the context. The best words come from the model's \
        successor index (`compile --successors` stores it in a binary model; otherwise it is \
        built when the model is loaded), without scoring every word of the vocabulary. A summary \
        line goes to stderr.
        """
    )

    @OptionGroup var modelOptions: ScoringModelOptions

    @Option(name: .long, help: "The context, words separated as the model's tokenizer separates them (\"of the\").")
    var context: String?

    @Option(name: .long, help: "A file of contexts, one per line (plain or gzip), answered in order.")
    var contexts: String?

    @Option(name: .long, help: "How many words to print per context; 0 prints the whole distribution (by scoring every word). Default: 10.")
    var top: Int?

    @Flag(name: .customLong("sentence-start"), help: "The context begins a sentence (<s> before it), as a context that starts with <s>.")
    var sentenceStart = false

    @Flag(name: .long, help: "Score every word of the vocabulary instead of walking the successor index (the same output; slower).")
    var exhaustive = false

    @Flag(name: .long, help: "Print one JSON object per context on stdout instead of TSV.")
    var json = false

    func validate() throws {
        if (context == nil) == (contexts == nil) { throw ValidationError("give one of --context TEXT and --contexts FILE") }
        if let top, top < 0 { throw ValidationError("--top must be 0 (all words) or more, not \(top)") }
    }

    func run() throws {
        let progress = ProgressReporter.forTerminal()
        let model = try modelOptions.loadModel(try modelOptions.single(), progress: progress)
        progress?.done()
        let sink = try OutputSink(path: "-")
        let count = top ?? 10
        let summary = try NextWordsJob.run(model: model, contexts: context.map { .one($0) } ?? .file(contexts!),
                                           top: count == 0 ? nil : count, sentenceStart: sentenceStart, exhaustive: exhaustive,
                                           json: json) { try sink.write(string: $0) }
        try sink.commit()
        let index = exhaustive || count == 0 ? "every word scored" : summary.indexStored ? "successor index stored in the model"
            : "successor index built in \(String(format2: summary.indexSeconds)) s"
        let each = summary.contexts > 0 ? summary.seconds / Double(summary.contexts) * 1000 : 0
        StandardError.write("\(summary.contexts) contexts in \(String(format2: summary.seconds)) s (\(String(format6: each)) ms each); \(index)\n")
    }
}
