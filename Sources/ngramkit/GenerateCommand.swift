import ArgumentParser
import NGramKit

struct GenerateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "generate",
        abstract: "Draw sentences from a model, as SRILM's ngram -gen.",
        discussion: """
        Each word is drawn from p(w | the words before it) exactly, through the model's backoff \
        structure (its successor index: `compile --successors` stores it in a binary model; \
        otherwise it is built when the model is loaded), until </s> or --max-words. Prints one \
        sentence per line (</s> not written), or one JSON object per sentence with --json: text, \
        log10_prob (</s> included), words, ended. The same seed gives the same sentences.
        """
    )

    @OptionGroup var modelOptions: ScoringModelOptions

    @Option(name: .long, help: "How many sentences to draw. Default: 10.")
    var count: Int = 10

    @Option(name: .long, help: "The random seed; sentence i comes from its own stream of it, so the first sentences do not depend on --count. Default: 1.")
    var seed: UInt64 = 1

    @Option(name: .long, help: "Words every sentence starts with, after <s> (tokenized as the model records). Default: none.")
    var prefix: String = ""

    @Option(name: .customLong("max-words"), help: "The most words a sentence may have, the prefix included; a sentence cut there is printed without </s> (ended false in JSON). Default: 100.")
    var maxWords: Int = 100

    @Option(name: .long, help: "Draw from p^(1/T), normalized: below 1 sharper, above 1 flatter. Default: 1 (the model as it is).")
    var temperature: Double = 1

    @Flag(name: .long, help: "Print one JSON object per sentence on stdout instead of text.")
    var json = false

    func run() throws {
        let model = try modelOptions.loadModel(try modelOptions.single())
        let sink = try OutputSink(path: "-")
        try GenerateJob.run(model: model, count: count, seed: seed, prefix: prefix, maxWords: maxWords, temperature: temperature,
                            json: json) { try sink.write(string: $0) }
        try sink.commit()
    }
}
