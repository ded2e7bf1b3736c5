/// How perplexity results are printed (`ngramkit ppl`, `ngramkit query`).
extension PerplexityResult {
    /// Throws for a result without a sentence, whose perplexity is not a number (0 / 0).
    /// - Throws: `NGramKitError.emptyInput` naming the text.
    public func requireSentences(paths: [String]) throws {
        guard sentences == 0 else { return }
        let names = paths.map { $0 == "-" ? "standard input" : $0 }.joined(separator: ", ")
        throw NGramKitError.emptyInput(what: "the text to score (\(names))", hint: "pass text with at least one line; a perplexity over no tokens is not a number")
    }

    /// KenLM-style lines, plus the raw score of a Stupid Backoff model, labelled as such.
    public func text(model: NGramModel) -> String {
        var lines: [String] = []
        if zeroProbabilityTokens > 0 {
            let why = model.provenance.smoothing == .stupidBackoff
                ? "Stupid Backoff has no mass for words never seen in training unless <unk> was trained, e.g. with --min-count 2"
                : "the model gives them no mass"
            lines.append("Perplexity including OOVs:\tinf (\(zeroProbabilityTokens) tokens have probability 0 under this model; \(why))")
        } else {
            lines.append("Perplexity including OOVs:\t\(perplexity)")
        }
        lines.append("Perplexity excluding OOVs:\t\(perplexityExcludingOOVs)")
        lines.append("OOVs:\t\(oovs)")
        lines.append("Tokens:\t\(tokens)")
        lines.append("Sentences:\t\(sentences)")
        if let rawLog10Score {
            let perToken = rawLog10Score / Double(tokens)
            lines.append("Raw Stupid Backoff score (not a probability; not a perplexity):\tlog10 S = \(rawLog10Score), \(perToken) per token")
        }
        return lines.joined(separator: "\n")
    }

    /// One JSON object; values that are not finite (a perplexity with zero-probability tokens)
    /// are null, with `zero_probability_tokens` saying why.
    public func json(model: NGramModel) -> String {
        var fields = [
            "\"sentences\":\(sentences)", "\"tokens\":\(tokens)", "\"oovs\":\(oovs)",
            "\"log10_prob\":\(JSON.exact(log10Prob))", "\"perplexity\":\(JSON.exact(perplexity))",
            "\"perplexity_excluding_oovs\":\(JSON.exact(perplexityExcludingOOVs))",
            "\"zero_probability_tokens\":\(zeroProbabilityTokens)", "\"smoothing\":\(JSON.quote(model.provenance.name))",
        ]
        if let rawLog10Score { fields.append("\"raw_stupid_backoff_log10_score\":\(JSON.exact(rawLog10Score))") }
        return "{" + fields.joined(separator: ",") + "}"
    }
}
