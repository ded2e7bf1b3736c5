import ArgumentParser
import NGramKit

struct PplCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ppl",
        abstract: "Perplexity of a model on text, with KenLM's conventions.",
        discussion: """
        Reads --text (standard input when none is given, as KenLM's query). Each line is a \
        sentence: <s> is context only, </s> is predicted and counted as a token, a word the \
        model does not know is an OOV scored as p(<unk> | context). The text is tokenized as the \
        model records (a different --tokenizer is used as asked, with a warning). Prints \
        perplexity including and excluding OOVs, OOV and token counts. For a Stupid Backoff model \
        it also prints the raw Stupid Backoff score, which is not a probability; its perplexity \
        is that of the normalized model.
        """
    )

    @OptionGroup var modelOptions: ScoringModelOptions

    @OptionGroup var textOptions: TextOptions

    @Flag(name: .long, help: "Print one JSON object on stdout: sentences, tokens, oovs, log10_prob, perplexity, perplexity_excluding_oovs, instead of text.")
    var json = false

    @Flag(name: .customLong("per-sentence"), help: "Print only one line per sentence: log10 probability, tokens (</s> included), OOVs, TAB-separated, instead of the totals.")
    var perSentence = false

    @Option(name: .long, help: "With several --model: their weights, comma-separated in --model order, summing to 1 (`ngramkit interpolate` tunes them). The perplexity is the exact mixture's, Σ λ_i p_i(w | h), each model with its own history, as SRILM's ngram -mix-lm -lambda -bayes 0; a word a model does not know gets 0 from it, one no model knows is an OOV scored as each model's <unk>.")
    var weights: WeightList?

    @OptionGroup var threadOptions: ThreadOptions

    func validate() throws {
        if json && perSentence { throw ValidationError("--json and --per-sentence are two different outputs; pick one") }
    }

    func run() throws {
        let progress = ProgressReporter.forTerminal()
        let paths = try textOptions.files()
        let threads = threadOptions.count
        if modelOptions.model.count > 1 || weights != nil {
            guard let weights, modelOptions.model.count > 1 else {
                throw ValidationError("--weights goes with two or more --model, one weight each")
            }
            if perSentence { throw ValidationError("--per-sentence scores one model; leave it out for a mixture") }
            let models = try modelOptions.model.map { try modelOptions.loadModel($0, threads: threads, progress: progress) }
            let configuration = textOptions.tokenizer == nil ? nil : try textOptions.configuration()
            progress?.status("scoring")
            let scores = try MixtureScores.score(models: models, paths: paths, configuration: configuration, threads: threads ?? ThreadCount.all)
            try scores.check(weights.values)
            progress?.done()
            let sink = try OutputSink(path: "-")
            try sink.write(string: scores.report(weights: weights.values, json: json) + "\n")
            try sink.commit()
            return
        }
        let (loaded, tokenizer) = try modelOptions.load(textOptions: textOptions, threads: threads, progress: progress)
        progress?.status("scoring")
        let sink = try OutputSink(path: "-")
        let result = try Perplexity.evaluate(model: loaded, paths: paths, configuration: tokenizer,
                                             threads: threads ?? ThreadCount.all,
                                             onSentence: perSentence ? { sentence in
            try sink.write(string: "\(Float(sentence.log10Prob))\t\(sentence.tokens)\t\(sentence.oovs)\n")
        } : nil)
        progress?.done()
        if !perSentence {
            try result.requireSentences(paths: paths)
            try sink.write(string: (json ? result.json(model: loaded) : result.text(model: loaded)) + "\n")
        }
        try sink.commit()
    }
}
