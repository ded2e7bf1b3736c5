import Foundation

/// Scoring a held-out id stream with a model in memory, on all cores.
///
/// In:  a model and the held-out ids (`<s> w... </s>` per sentence, in the model's vocabulary).
/// Out: a `PerplexityResult`: every word and every `</s>` scored, `<s>` never (KenLM's
///      convention); for Stupid Backoff models also the raw score.
///
/// The sentences are cut into fixed blocks (independent of the number of threads); each block is
/// scored by one thread with its own `ModelState`, and the block totals are added in block order,
/// so the result is bit-identical for any number of threads.
public enum HeldOutScorer {
    /// Sentences per block.
    static let blockSentences = 2048

    /// Scores every sentence of `ids`.
    /// - Parameters:
    ///   - model: the model.
    ///   - ids: the stream.
    ///   - sentenceStarts: position of every sentence's `<s>`, ascending.
    ///   - threads: threads to use.
    public static func score(model: NGramModel, ids: UnsafeBufferPointer<UInt32>, sentenceStarts: [Int],
                             threads: Int) -> PerplexityResult {
        let blocks = (sentenceStarts.count + blockSentences - 1) / blockSentences
        let results = UnsafeMutablePointer<PerplexityResult>.allocate(capacity: max(blocks, 1))
        results.initialize(repeating: PerplexityResult(), count: max(blocks, 1))
        defer { results.deinitialize(count: max(blocks, 1)); results.deallocate() }
        let job = BlockJob(model: model, ids: ids, starts: sentenceStarts, results: results)
        let workers = max(1, min(threads, blocks))
        // Workers take blocks in turn from a shared counter: blocks differ in cost.
        let next = ManagedAtomicCounter()
        DispatchQueue.concurrentPerform(iterations: workers) { _ in
            while true {
                let block = next.takeNext()
                if block >= blocks { break }
                job.score(block: block)
            }
        }
        var total = PerplexityResult()
        for b in 0..<blocks { total.add(results[b]) }
        return total
    }

    /// One block's work; each block writes only its own result.
    private final class BlockJob: @unchecked Sendable {
        let model: NGramModel
        let ids: UnsafeBufferPointer<UInt32>
        let starts: [Int]
        let results: UnsafeMutablePointer<PerplexityResult>
        let isStupidBackoff: Bool

        init(model: NGramModel, ids: UnsafeBufferPointer<UInt32>, starts: [Int], results: UnsafeMutablePointer<PerplexityResult>) {
            self.model = model
            self.ids = ids
            self.starts = starts
            self.results = results
            isStupidBackoff = model.provenance.isStupidBackoff
        }

        func score(block: Int) {
            let state = ModelState(model: model)
            var result = PerplexityResult()
            let first = block * HeldOutScorer.blockSentences
            let last = min(first + HeldOutScorer.blockSentences, starts.count)
            var raw = 0.0
            for s in first..<last {
                let begin = starts[s] + 1
                let end = s + 1 < starts.count ? starts[s + 1] : ids.count   // one past `</s>`
                state.beginSentence()
                var sentenceLog = 0.0
                for i in begin..<end {
                    let word = ids[i]
                    let p: Double
                    if isStupidBackoff, let scored = state.scoreRawStupidBackoff(word) {
                        p = scored.log10Prob
                        raw += scored.log10RawScore
                    } else {
                        p = state.score(word).log10Prob
                    }
                    if word == Vocabulary.unknownID { result.oovs += 1 } else { result.log10ProbExcludingOOVs += p }
                    if p == -.infinity { result.zeroProbabilityTokens += 1 }
                    sentenceLog += p
                }
                result.sentences += 1
                result.tokens += end - begin
                result.log10Prob += sentenceLog
            }
            if isStupidBackoff { result.rawLog10Score = raw }
            results[block] = result
        }
    }
}

/// A counter threads take numbers from, in increasing order.
final class ManagedAtomicCounter: @unchecked Sendable {
    private var value = 0
    private let lock = NSLock()
    func takeNext() -> Int {
        lock.lock(); defer { lock.unlock() }
        value += 1
        return value - 1
    }
}
