import CNGramKitSupport
import Foundation

/// Modified Kneser-Ney, stage 2: initial (uninterpolated) probabilities and interpolation weights.
///
/// In:  adjusted counts a(·) of one order n (raw counts when n = N) and that order's discounts.
/// Out: for unigrams, the finished interpolated unigram probabilities (the uniform
///      distribution below them needs nothing else); for n ≥ 2, per context h (an (n-1)-gram,
///      by word id or slot of order n-1) the denominator Σ_w a(h w), and γ(h) written into the
///      context order's backoff array (as a plain number; `Interpolate.finishLog10` takes its log).
enum InitialProbabilities {
    /// The adjusted count of the n-gram in `slot` of order `n`, as Kneser-Ney uses it at order n.
    @inline(__always)
    static func adjustedCount(_ table: CountTable, slot: Int, isHighest: Bool) -> UInt64 {
        isHighest ? table.count(ofSlot: slot) : table.adjustedCount(ofSlot: slot)
    }

    /// Unigram probabilities: p(w) = (a(w) − D(a(w))) / Σ a + γ(ε) / |V|, where |V| counts every
    /// word but `<s>`, and `<s>` gets the placeholder probability 1 (log10 0: it is never
    /// predicted; KenLM writes the same).
    static func unigrams(_ counts: NGramCounts, discount: KneserNeyDiscount) -> (probabilities: LargeBuffer<Double>, gamma: Double) {
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
        let uniform = 1.0 / Double(vocabularySize - 1)
        let probabilities = LargeBuffer<Double>(zeroedCount: vocabularySize)
        for id in 0..<vocabularySize {
            let a = adjusted[id]
            probabilities[id] = (Double(a) - discount.amount(forCount: a)) / denominator + gamma * uniform
        }
        probabilities[Int(Vocabulary.beginID)] = 1
        return (probabilities, gamma)
    }

    /// Denominators and γ of the contexts of order `n` ≥ 2.
    /// - Parameters:
    ///   - gamma: the backoff array of order n-1, zero on entry; receives γ(h) for every
    ///     context h (and stays 0 for (n-1)-grams that are no context).
    ///   - threads: threads that share the work; the result is the same bits for any number.
    /// - Returns: Σ_w a(h w) by context (0 for (n-1)-grams that are no context).
    static func contexts(_ counts: NGramCounts, order n: Int, discount: KneserNeyDiscount,
                         gamma: LargeBuffer<Double>, threads: Int = ProcessInfo.processInfo.activeProcessorCount) -> LargeBuffer<Double> {
        let table = counts.table(order: n)
        let isHighest = n == counts.order
        let denominators = LargeBuffer<Double>(zeroedCount: gamma.count, populatingThreads: threads)
        let den = UncheckedSendable(denominators.base)
        let gam = UncheckedSendable(gamma.base)
        let shared = UncheckedSendable(table)
        let contextCount = gamma.count
        // Each thread owns a range of contexts and scans the whole table for the n-grams of its
        // contexts: every sum is still added in slot order, so the bits do not depend on the
        // number of threads (the scan is sequential and cheap beside the random updates).
        Parallel.forEachPiece(of: contextCount, threads: threads, minimumPiece: 1 << 12) { owned in
            let table = shared.value, den = den.value, gam = gam.value
            let capacity = table.capacity
            let low = UInt32(owned.lowerBound), high = UInt32(owned.upperBound)
            let ahead = 16
            for slot in 0..<capacity {
                // The contexts' sums are updated at random: start loading them a few slots ahead.
                if slot + ahead < capacity && table.isOccupied(slot + ahead) {
                    let context = table.context(ofSlot: slot + ahead)
                    if context >= low && context < high {
                        ngk_prefetch_write(den + Int(context))
                        ngk_prefetch_write(gam + Int(context))
                    }
                }
                guard table.isOccupied(slot) else { continue }
                let context = table.context(ofSlot: slot)
                guard context >= low && context < high else { continue }
                let a = adjustedCount(table, slot: slot, isHighest: isHighest)
                den[Int(context)] += Double(a)
                gam[Int(context)] += discount.amount(forCount: a)
            }
            for context in owned where den[context] > 0 {
                gam[context] /= den[context]
            }
        }
        return denominators
    }
}
