/// Scoring a held-out id stream with a model in memory, on all cores.
///
/// In:  a model and the held-out ids (`<s> w... </s>` per sentence, in the model's vocabulary).
/// Out: a `PerplexityResult`: every word and every `</s>` scored, `<s>` never (KenLM's
///      convention); for Stupid Backoff models also the raw score; the tokens and log10 sums by
///      matched length (what the matched-length law is fitted to).
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
    /// - Throws: `NGramKitError.invalidOption` when a sentence start is out of order or out of
    ///   range, a sentence is not `<s> ... </s>`, or an id is outside the model's vocabulary.
    public static func score(model: NGramModel, ids: UnsafeBufferPointer<UInt32>, sentenceStarts: [Int],
                             threads: Int) throws -> PerplexityResult {
        try checkSentences(ids: ids, sentenceStarts: sentenceStarts, vocabularySize: model.vocabulary.count)
        let scorer = SentenceScorer(model: model, threads: ThreadCount.usable(threads), talliesMatchedLengths: true)
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

    /// Refuses a stream the scoring loop would misread: every sentence `<s> ... </s>`, starts
    /// ascending from 0 and covering the stream, every id in the vocabulary.
    @inline(never)
    static func checkSentences(ids: UnsafeBufferPointer<UInt32>, sentenceStarts: [Int], vocabularySize: Int) throws {
        func refuse(_ what: String, _ value: String) -> NGramKitError {
            .invalidOption(name: "held-out \(what)", value: value, expected: "sentences <s> ... </s> starting at the given ascending positions, ids below \(vocabularySize)")
        }
        if let first = sentenceStarts.first, first != 0 { throw refuse("sentence start", String(first)) }
        if sentenceStarts.isEmpty && !ids.isEmpty { throw refuse("sentence starts", "none") }
        for (s, start) in sentenceStarts.enumerated() {
            let end = s + 1 < sentenceStarts.count ? sentenceStarts[s + 1] : ids.count
            guard start >= 0, end <= ids.count, end - start >= 2, ids[start] == Vocabulary.beginID, ids[end - 1] == Vocabulary.endID else {
                throw refuse("sentence start", String(start))
            }
        }
        for id in ids where Int(id) >= vocabularySize { throw refuse("word id", String(id)) }
    }
}
