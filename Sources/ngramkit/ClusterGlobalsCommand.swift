import ArgumentParser
import NGramKit

struct ClusterGlobalsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "globals",
        abstract: "Stage 5 (driver): the partitions' summaries summed (counts-of-counts, discounts) and the estimator's settings.",
        discussion: "Prints the distinct n-grams of every order, lowest first, on one line of stdout (what sizes the format stage's ranges)."
    )

    @Option(name: .long, help: "The plan file (stage 2).")
    var plan: String

    @Option(name: .long, parsing: .upToNextOption, help: "The summary of every partition (stage 4), in any order.")
    var summaries: [String] = []

    @Option(name: .long, help: "Smoothing: kneser-ney, kneser-ney-original or stupid-backoff (as `ngramkit build --smoothing`; the others are estimated on one machine).")
    var smoothing: SmoothingMethod = .kneserNey

    @Option(name: .long, parsing: .unconditional, help: "Stupid Backoff's backoff factor, in (0, 1].")
    var alpha: Double = StupidBackoff.defaultAlpha

    @Flag(name: .customLong("unigram-add-one"), help: "Stupid Backoff: unigram scores (c(w)+1)/(N+|V|-1), as `build --unigram-add-one`.")
    var unigramAddOne = false

    @Option(name: .customLong("discount-fallback"), parsing: .upToNextOption,
            help: "Kneser-Ney discounts D1 D2 D3+ for orders where the closed form fails, as `build --discount-fallback`.")
    var discountFallback: [Float] = [0.5, 1, 1.5]

    @Option(name: .customLong("vocab-pad"), help: "As `build --vocab-pad`: spread the unigrams' leftover mass over at least this many words.")
    var vocabPad = 0

    @Option(name: .long, help: "The globals file to write.")
    var out: String

    @OptionGroup var scratch: ClusterScratchOption

    func validate() throws {
        if discountFallback.count != 3 { throw ValidationError("--discount-fallback takes three numbers: D1 D2 D3+") }
    }

    func run() throws {
        var options = EstimationOptions(smoothing: smoothing, alpha: alpha,
                                        discountFallback: KneserNeyDiscount(discountFallback[0], discountFallback[1], discountFallback[2]),
                                        unigramAddOne: unigramAddOne)
        options.vocabularyPad = vocabPad
        let ngrams = try ClusterBuild.globals(plan: plan, summaries: summaries, options: options, output: out, space: try scratch.space()) {
            StandardError.write($0 + "\n")
        }
        try StandardOutput.line(ngrams.map(String.init).joined(separator: " "))
    }
}
