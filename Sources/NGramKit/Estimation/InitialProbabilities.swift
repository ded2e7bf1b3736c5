import CNGramKitSupport
import Foundation

/// Modified Kneser-Ney, stage 2: initial (uninterpolated) probabilities and interpolation weights.
///
/// In:  adjusted counts a(·) of one order n (raw counts when n = N) and that order's discounts.
/// Out: for unigrams, the finished interpolated unigram probabilities (the uniform
///      distribution below them needs nothing else); for n ≥ 2, per context h (an (n-1)-gram,
///      by word id or slot of order n-1) the denominator Σ_w a(h w) and γ(h), side by side (as
///      plain numbers; `Interpolate.finishLog10` turns γ into the context's log10 backoff).
enum InitialProbabilities {
    /// The adjusted count of the n-gram in `slot` of order `n`, as Kneser-Ney uses it at order n.
    @inline(__always)
    static func adjustedCount(_ table: CountTable, slot: Int, isHighest: Bool) -> UInt64 {
        isHighest ? table.count(ofSlot: slot) : table.adjustedCount(ofSlot: slot)
    }

    /// Unigram probabilities: p(w) = (a(w) − D(a(w))) / Σ a + γ(ε) / |V|, where |V| counts every
    /// word but `<s>`, and `<s>` gets the placeholder probability 1 (log10 0: it is never
    /// predicted; KenLM writes the same). With `interpolate` false, γ(ε) goes to `<unk>` alone.
    /// With `vocabularyPad` above |V|, the uniform distribution is over that many words, as if
    /// the vocabulary had been padded with `<unk>`s (`lmplz --vocab_pad`).
    static func unigrams(_ counts: NGramCounts, discount: KneserNeyDiscount, interpolate: Bool = true,
                         vocabularyPad: Int = 0) -> (probabilities: LargeBuffer<Double>, gamma: Double) {
        let vocabularySize = counts.vocabulary.count
        var adjusted = [UInt64](repeating: 0, count: vocabularySize)
        for id in 0..<vocabularySize where id != Int(Vocabulary.beginID) {
            adjusted[id] = counts.order == 1 ? counts.unigramCounts[id] : counts.adjustedUnigramCount(UInt32(id))
        }
        var denominator = 0.0
        var mass = 0.0
        for a in adjusted {
            denominator += Double(a)
            mass += discount.amount(forCount: a)
        }
        let gamma = mass / denominator
        let uniform = interpolate ? 1.0 / Double(max(vocabularySize - 1, vocabularyPad)) : 0
        let probabilities = LargeBuffer<Double>(zeroedCount: vocabularySize)
        for id in 0..<vocabularySize {
            let a = adjusted[id]
            probabilities[id] = (Double(a) - discount.amount(forCount: a)) / denominator + gamma * uniform
        }
        if !interpolate { probabilities[Int(Vocabulary.unknownID)] += gamma }
        probabilities[Int(Vocabulary.beginID)] = 1
        return (probabilities, gamma)
    }

    /// Denominators and γ of the contexts of order `n` ≥ 2, interleaved: element 2h is
    /// Σ_w a(h w) and element 2h + 1 is γ(h) (both 0 for (n-1)-grams that are no context).
    /// Side by side because both are updated at random, one n-gram at a time, here and read
    /// together by `Interpolate`: one cache line per n-gram instead of two.
    /// - Parameters:
    ///   - contextCount: the (n-1)-grams' index range (word ids for n = 2, else slots).
    ///   - prunedAtOrBelow: n-grams whose raw count is at most this are pruned (0: none): each
    ///     gives γ its whole adjusted count instead of its discount (KenLM's `AddRight`).
    ///   - threads: threads that share the work; the result is the same bits for any number.
    static func contexts(_ counts: NGramCounts, order n: Int, discount: KneserNeyDiscount, contextCount: Int,
                         prunedAtOrBelow threshold: UInt64 = 0,
                         threads: Int = ProcessInfo.processInfo.activeProcessorCount) -> LargeBuffer<Double> {
        let table = counts.table(order: n)
        let isHighest = n == counts.order
        let sums = LargeBuffer<Double>(zeroedCount: 2 * contextCount, populatingThreads: threads)
        let shared = UncheckedSendable((table, sums.base))
        // Each thread owns a range of contexts and scans the whole table for the n-grams of its
        // contexts: every sum is still added in slot order, so the bits do not depend on the
        // number of threads (the scan is sequential and cheap beside the random updates).
        Parallel.forEachPiece(of: contextCount, threads: threads, minimumPiece: 1 << 12) { owned in
            let (table, sums) = shared.value
            let capacity = table.capacity
            let low = UInt32(owned.lowerBound), high = UInt32(owned.upperBound)
            let ahead = 16
            for slot in 0..<capacity {
                // The contexts' sums are updated at random: start loading them a few slots ahead.
                if slot + ahead < capacity && table.isOccupied(slot + ahead) {
                    let context = table.context(ofSlot: slot + ahead)
                    if context >= low && context < high { ngk_prefetch_write(sums + 2 * Int(context)) }
                }
                guard table.isOccupied(slot) else { continue }
                let context = table.context(ofSlot: slot)
                guard context >= low && context < high else { continue }
                let a = adjustedCount(table, slot: slot, isHighest: isHighest)
                let pair = sums + 2 * Int(context)
                pair[0] += Double(a)
                pair[1] += threshold > 0 && table.count(ofSlot: slot) <= threshold ? Double(a) : discount.amount(forCount: a)
            }
            for context in owned where sums[2 * context] > 0 {
                sums[2 * context + 1] /= sums[2 * context]
            }
        }
        return sums
    }
}
