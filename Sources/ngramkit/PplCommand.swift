import ArgumentParser
import Foundation
import NGramKit

struct PplCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ppl",
        abstract: "Perplexity of a model on text, with KenLM's conventions.",
        discussion: """
        Each line is a sentence: <s> is context only, </s> is predicted and counted as a token, a \
        word the model does not know is an OOV scored as p(<unk> | context). Prints perplexity \
        including and excluding OOVs, OOV and token counts. For a Stupid Backoff model it also \
        prints the raw Stupid Backoff score, which is not a probability; its perplexity is that \
        of the normalized model.
        """
    )

    @Option(name: .long, help: "The model: an ARPA file (plain or gzip) or a binary model from `ngramkit compile` / `build --binary` (told apart by content).")
    var model: String

    @Flag(name: .long, help: "Check a binary model's checksum before scoring (reads the whole file; loading alone checks only its header and sizes). Default: off.")
    var verify = false

    @OptionGroup var textOptions: TextOptions

    @Flag(name: .long, help: "Print one JSON object on stdout: sentences, tokens, oovs, log10_prob, perplexity, perplexity_excluding_oovs. Default: text.")
    var json = false

    @Flag(name: .customLong("per-sentence"), help: "Print only one line per sentence: log10 probability, tokens (</s> included), OOVs, TAB-separated. Default: totals only.")
    var perSentence = false

    @Option(name: .long, help: "Threads that score; the results are identical for any number. Default: all cores.")
    var threads: Int?

    func validate() throws {
        if let threads, threads < 1 { throw ValidationError("--threads must be at least 1, not \(threads)") }
        if json && perSentence { throw ValidationError("--json and --per-sentence are two different outputs; pick one") }
    }

    func run() throws {
        let progress = ProgressReporter.forTerminal()
        progress?.status("loading \(model)")
        let loaded = try ModelFile.load(model) { StandardError.write("ngramkit: \($0)\n") }
        if verify, let binary = loaded.binary { try binary.verifyChecksum() }
        progress?.status("scoring")
        let sink = try OutputSink(path: "-")
        let result = try Perplexity.evaluate(model: loaded, paths: try textOptions.files(),
                                             configuration: try textOptions.configuration(),
                                             threads: threads ?? ProcessInfo.processInfo.activeProcessorCount,
                                             onSentence: perSentence ? { sentence in
            try sink.write(string: "\(Float(sentence.log10Prob))\t\(sentence.tokens)\t\(sentence.oovs)\n")
        } : nil)
        if perSentence {
            try sink.commit()
            progress?.done()
            return
        }
        try sink.write(string: (json ? result.json(model: loaded) : result.text(model: loaded)) + "\n")
        try sink.commit()
        progress?.done()
    }
}
