/// `ngramkit interpolate` as a library call: models and development text in, weights and one
/// merged model out.
///
/// In:  models (ARPA or binary), development text, optionally fixed weights.
/// Out: the weights (EM on the development text's exact mixture, `MixtureScores.bestWeights`,
///      unless given), the exact mixture's and the merged model's development perplexities,
///      and the merged model (`StaticMixture`) as ARPA and/or binary, each written under a
///      temporary name and named when all are complete.
public enum ModelInterpolationJob {
    public struct Configuration: Sendable {
        public var models: [String]
        public var dev: [String]
        /// Fixed weights (nil: EM from equal weights).
        public var weights: [Double]?
        public var arpaPath: String?
        public var binaryPath: String?
        /// Store the successor index in the binary model.
        public var successors: Bool
        public var threads: Int?
        /// EM stops when no weight moves by more than this.
        public var tolerance: Double

        public init(models: [String], dev: [String], weights: [Double]? = nil, arpaPath: String? = nil, binaryPath: String? = nil,
                    successors: Bool = false, threads: Int? = nil, tolerance: Double = 1e-7) {
            self.models = models
            self.dev = dev
            self.weights = weights
            self.arpaPath = arpaPath
            self.binaryPath = binaryPath
            self.successors = successors
            self.threads = threads
            self.tolerance = tolerance
        }
    }

    public struct Summary: Sendable {
        public let weights: [Double]
        /// EM iterations (0 with fixed weights).
        public let iterations: Int
        /// Development tokens (`</s>` included) and those no model knows.
        public let devTokens: Int
        public let devOOVs: Int
        /// The exact mixture's development perplexity at `weights` (nil without development text).
        public let devPerplexity: Double?
        /// The merged model's development perplexity (nil without development text).
        public let mergedDevPerplexity: Double?
        /// The merged model's n-grams per order.
        public let ngramCounts: [Int]
    }

    /// Runs the job; `onIteration` receives each EM iteration's number, weights and development
    /// perplexity.
    /// - Throws: `NGramKitError` for a missing output, fewer than two models, weights that do not
    ///   fit, neither weights nor development text, or unreadable inputs.
    public static func run(_ configuration: Configuration, progress: ProgressReporter? = nil,
                           onIteration: (Int, [Double], Double) throws -> Void = { _, _, _ in }) throws -> Summary {
        guard configuration.models.count >= 2 else {
            throw NGramKitError.invalidOption(name: "--model", value: "\(configuration.models.count) given", expected: "at least two models to interpolate")
        }
        guard configuration.weights != nil || !configuration.dev.isEmpty else {
            throw NGramKitError.invalidOption(name: "--dev", value: "none", expected: "development text to tune the weights on, or --weights")
        }
        guard configuration.arpaPath != nil || configuration.binaryPath != nil else {
            throw NGramKitError.invalidOption(name: "--arpa/--binary", value: "none", expected: "where to write the merged model")
        }
        if let weights = configuration.weights, weights.count != configuration.models.count {
            throw NGramKitError.invalidOption(name: "--weights", value: weights.map { String($0) }.joined(separator: ","),
                                              expected: "\(configuration.models.count) weights, one per --model")
        }
        var named: [JobFiles.Named] = []
        if let arpa = configuration.arpaPath { named.append(("--arpa", arpa)) }
        if let binary = configuration.binaryPath { named.append(("--binary", binary)) }
        try JobFiles.checkDistinct(inputs: configuration.models.map { ("--model", $0) } + configuration.dev.map { ("--dev", $0) },
                                   outputs: named)
        let outputs = try ModelOutputs(arpaPath: configuration.arpaPath, binaryPath: configuration.binaryPath,
                                       successors: configuration.successors)
        let threads = ThreadCount.usable(configuration.threads)
        var models: [NGramModel] = []
        for path in configuration.models {
            progress?.status("loading \(path)")
            models.append(try ModelFile.load(path, threads: threads))
        }
        var weights = configuration.weights ?? [Double](repeating: 1 / Double(models.count), count: models.count)
        var iterations = 0
        var scores: MixtureScores? = nil
        if !configuration.dev.isEmpty {
            progress?.status("scoring the development text with \(models.count) models")
            let dev = try MixtureScores.score(models: models, paths: configuration.dev, threads: threads)
            scores = dev
            if let given = configuration.weights {
                try dev.check(given)
            } else {
                (weights, iterations) = try dev.bestWeights(tolerance: configuration.tolerance, onIteration: onIteration)
            }
        } else {
            try MixtureScores(models: models.count, tokens: 0, sentences: 0, oovs: 0, probabilities: []).check(weights)
        }
        progress?.status("merging the models")
        let merged = try StaticMixture.merge(models, weights: weights)
        var mergedPerplexity: Double? = nil
        if !configuration.dev.isEmpty {
            let tokenizer = try models[0].provenance.tokenizer ?? TokenizerConfiguration()
            mergedPerplexity = try Perplexity.evaluate(model: merged, paths: configuration.dev, configuration: tokenizer, threads: threads).perplexity
        }
        try outputs.write(merged, threads: threads, progress: progress)
        progress?.done()
        return Summary(weights: weights, iterations: iterations, devTokens: scores?.tokens ?? 0, devOOVs: scores?.oovs ?? 0,
                       devPerplexity: scores.map { $0.perplexity(weights: weights) }, mergedDevPerplexity: mergedPerplexity,
                       ngramCounts: merged.ngramCounts)
    }
}

extension ModelInterpolationJob.Summary {
    /// One JSON object: weights, iterations, dev_tokens, dev_oovs, dev_perplexity,
    /// merged_dev_perplexity, ngrams, and `history` when given (each EM iteration).
    public func json(history: [(Int, [Double], Double)]) -> String {
        func list(_ values: [Double]) -> String { "[" + values.map { JSON.exact($0) }.joined(separator: ",") + "]" }
        let steps = history.map { "{\"iteration\":\($0.0),\"weights\":\(list($0.1)),\"perplexity\":\(JSON.exact($0.2))}" }
        return "{\"weights\":\(list(weights)),\"iterations\":\(iterations),\"dev_tokens\":\(devTokens),\"dev_oovs\":\(devOOVs),"
            + "\"dev_perplexity\":\(devPerplexity.map { JSON.exact($0) } ?? "null"),"
            + "\"merged_dev_perplexity\":\(mergedDevPerplexity.map { JSON.exact($0) } ?? "null"),"
            + "\"ngrams\":[" + ngramCounts.map(String.init).joined(separator: ",") + "],\"history\":[" + steps.joined(separator: ",") + "]}"
    }
}

extension MixtureScores {
    /// The exact mixture's report for `ngramkit ppl --model A --model B --weights ...`: text, or
    /// one JSON object (sentences, tokens, oovs, log10_prob, perplexity, weights).
    public func report(weights: [Double], json: Bool) -> String {
        let log10Prob = log10Prob(weights: weights)
        let perplexity = Perplexity.perplexity(log10Prob: log10Prob, tokens: tokens)
        if json {
            return "{\"sentences\":\(sentences),\"tokens\":\(tokens),\"oovs\":\(oovs),\"log10_prob\":\(JSON.exact(log10Prob)),"
                + "\"perplexity\":\(JSON.exact(perplexity)),\"weights\":[" + weights.map { JSON.exact($0) }.joined(separator: ",") + "]}"
        }
        return "Perplexity of the exact mixture of \(models) models (weights \(weights.map { String($0) }.joined(separator: ", "))): \(perplexity)\n"
            + "Log10 probability: \(log10Prob)\nSentences: \(sentences) Tokens: \(tokens) OOVs (no model knows them): \(oovs)"
    }
}
