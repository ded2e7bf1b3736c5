/// Scoring a held-out id stream with a model in memory, on all cores.
///
/// In:  a model and the held-out ids (`<s> w... </s>` per sentence, in the model's vocabulary).
/// Out: a `PerplexityResult`: every word and every `</s>` scored, `<s>` never (KenLM's
///      convention); for Stupid Backoff models also the raw score.
///
/// The sentences go through the same pieces, threads and sums as `Perplexity.evaluate`
/// (`SentenceScorer`): the result is the one `ngramkit ppl` gives for the same model and text,
/// bit for bit, for any number of threads.
public enum HeldOutScorer {
    /// Scores every sentence of `ids`.
    /// - Parameters:
    ///   - model: the model.
    ///   - ids: the stream.
    ///   - sentenceStarts: position of every sentence's `<s>`, ascending.
    ///   - threads: threads to use.
    public static func score(model: NGramModel, ids: UnsafeBufferPointer<UInt32>, sentenceStarts: [Int],
                             threads: Int) throws -> PerplexityResult {
        let scorer = SentenceScorer(model: model, threads: ThreadCount.usable(threads))
        var piece = scorer.newPiece(path: "held-out", firstLine: 1)
        for (s, start) in sentenceStarts.enumerated() {
            let end = s + 1 < sentenceStarts.count ? sentenceStarts[s + 1] : ids.count   // one past `</s>`
            // The words between <s> and </s>; `endSentence` adds the </s>.
            for i in (start + 1)..<(end - 1) { piece.append(ids[i], word: UnsafeBufferPointer(start: nil, count: 0)) }
            piece.endSentence()
            if piece.ids.count >= SentenceScorer.pieceTokens && s + 1 < sentenceStarts.count {
                try scorer.submit(piece)
                piece = scorer.newPiece(path: "held-out", firstLine: s + 2)
            }
        }
        if piece.sentenceCount > 0 { try scorer.submit(piece) } else { scorer.recycle(piece) }
        return try scorer.finish()
    }
}
