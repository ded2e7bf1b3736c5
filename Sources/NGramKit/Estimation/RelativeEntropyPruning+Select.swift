import Foundation

/// Choosing what a threshold keeps, searching the threshold for a target size, and building the
/// pruned model with its backoff weights renormalized.
///
/// In:  `PruningScores` (each n-gram's score and suffix) and a threshold.
/// Out: the entries kept per order (`KeptEntries`), their count; the pruned `NGramModel`.
extension PruningScores {
    /// The entries of orders 2...N a threshold keeps.
    ///
    /// Invariants: `keep[n - 2][slot]` is 1 for a kept entry of order n (an n-gram scoring at
    /// least the threshold, or any entry that a kept entry one order up has as its context or
    /// suffix), 0 otherwise; `ngrams` counts the kept n-grams of all orders, unigrams included.
    struct KeptEntries {
        var keep: [LargeBuffer<UInt8>]
        var ngrams: Int
    }

    /// Which entries the threshold keeps: highest order first, so that an entry one order down is
    /// kept when a kept entry needs it as its context or its suffix.
    func select(threshold: Double) -> KeptEntries {
        let order = model.order
        var keep: [LargeBuffer<UInt8>] = []
        var ngrams = model.ngramCounts[0]
        guard order >= 2 else { return KeptEntries(keep: [], ngrams: ngrams) }
        var needed: LargeBuffer<UInt8>? = nil   // of the order being decided, set by the one above
        var decided: [LargeBuffer<UInt8>] = []
        for n in stride(from: order, through: 2, by: -1) {
            let table = model.tables[n - 2], score = scores[n - 2], suffix = suffixes[n - 2]
            let here = LargeBuffer<UInt8>(zeroedCount: table.capacity)
            let below = n > 2 ? LargeBuffer<UInt8>(zeroedCount: model.tables[n - 3].capacity) : nil
            for slot in 0..<table.capacity where table.isOccupied(slot) {
                let s = score[slot]
                let isNeeded = needed.map { $0[slot] != 0 } ?? false
                // A NaN score is an entry that is no n-gram: kept only when needed.
                guard isNeeded || s >= threshold else { continue }
                here[slot] = 1
                if !s.isNaN { ngrams += 1 }
                if let below {
                    below[Int(table.context(ofSlot: slot))] = 1
                    if suffix[slot] != .max { below[Int(suffix[slot])] = 1 }
                }
            }
            decided.append(here)
            needed = below
        }
        keep = decided.reversed()
        return KeptEntries(keep: keep, ngrams: ngrams)
    }

    /// The smallest threshold whose model keeps at most `target` n-grams (or, when no threshold
    /// gets there, the one that removes every n-gram it can).
    func threshold(keepingAtMost target: Int) -> Double {
        // Removing the n-grams scoring at most sorted[i] takes the threshold sorted[i].nextUp; the
        // kept count falls as i rises, so the first i that meets the target is found by bisection.
        var sorted: [Double] = []
        for score in scores {
            for slot in 0..<score.count where !score[slot].isNaN { sorted.append(score[slot]) }
        }
        sorted.sort()
        if select(threshold: 0).ngrams <= target || sorted.isEmpty { return 0 }
        var low = 0, high = sorted.count - 1   // answer in low...high
        if select(threshold: sorted[high].nextUp).ngrams > target { return sorted[high].nextUp }
        while low < high {
            let middle = (low + high) / 2
            if select(threshold: sorted[middle].nextUp).ngrams <= target { high = middle } else { low = middle + 1 }
        }
        return sorted[low].nextUp
    }

    /// The model of the kept entries: every kept entry's values as they were, and new backoff
    /// weights for the contexts that lost an extension (every context, for a model that is not
    /// complete: there p(w | h') may have been a filled-in value that changed).
    func model(keeping kept: KeptEntries) throws -> NGramModel {
        let (pruned, maps) = try model.keeping(kept.keep)
        // Stupid Backoff's raw scores are read off the backoffs of an unpruned model (`StupidBackoff`):
        // after pruning only the normalized model is defined.
        if pruned.provenance.smoothing == .stupidBackoff { pruned.provenance.alpha = nil }
        renormalize(pruned, kept: kept, maps: maps)
        return pruned
    }

    /// Backoff weights of the pruned model, lowest order first (p(w | h') of a context of order
    /// n−1 reads the weights of orders below it, already final): α(h) = (1 − Σ p(v|h)) /
    /// (1 − Σ p(v|h')) over the kept extensions v of each context h that lost one.
    ///
    /// A model read from an ARPA file with holes (not complete) has every context's weight
    /// recomputed, since a filled-in p(w | h') may change (as SRILM recomputes every weight after
    /// pruning; such a file was not normalized, so even a threshold that removes nothing changes
    /// its weights); but only contexts that are n-grams of the file: a blank or filled-in context has no line to carry a weight, so it keeps the one a
    /// reader gives it. And each filled-in entry of order n gets the value the ARPA reader would
    /// give it in the pruned model (`ARPAParser+Suffixes`: its context's weight plus its suffix's
    /// value, weight 0), once the weights of order n−1 are final: so the model in memory, its ARPA
    /// file read back and its binary file all score alike.
    private func renormalize(_ pruned: NGramModel, kept: KeptEntries, maps: [[UInt32]]) {
        let order = model.order
        var ids = [UInt32](repeating: 0, count: order)
        for n in stride(from: 2, through: order, by: 1) {
            let source = model.tables[n - 2], keep = kept.keep[n - 2]
            let contexts = n == 2 ? model.vocabulary.count : pruned.tables[n - 3].capacity
            // The contexts (slots of the pruned model) whose weights are recomputed.
            let touched = LargeBuffer<UInt8>(zeroedCount: contexts)
            for slot in 0..<source.capacity where source.isOccupied(slot) {
                guard !model.isComplete || (keep[slot] == 0 && model.isNGram(order: n, slot: slot)) else { continue }
                // A context that went too has no weight to recompute.
                let context = Int(source.context(ofSlot: slot))
                let here = n == 2 ? UInt32(context) : maps[n - 3][context]
                if here != .max && (n == 2 || pruned.isNGram(order: n - 1, slot: Int(here))) { touched[Int(here)] = 1 }
            }
            let table = pruned.tables[n - 2], probs = pruned.logProb[n - 1]
            let kept = LargeBuffer<Double>(zeroedCount: contexts), backedOff = LargeBuffer<Double>(zeroedCount: contexts)
            ids.withUnsafeMutableBufferPointer { ids in
                for slot in 0..<table.capacity where table.isOccupied(slot) && pruned.isNGram(order: n, slot: slot) {
                    let context = Int(table.context(ofSlot: slot))
                    guard touched[context] != 0 else { continue }
                    pruned.words(order: n, slot: slot, into: ids.baseAddress!)
                    kept[context] += pow(10, probs[slot])
                    backedOff[context] += pow(10, pruned.backoffLogProb(ids.baseAddress! + 1, count: n - 1))
                }
            }
            let weights = pruned.logBackoff[n - 2]
            for context in 0..<contexts where touched[context] != 0 {
                let beta = 1 - kept[context], gamma = 1 - backedOff[context]
                // A context whose extensions take all the mass backs nothing off: its weight is moot.
                guard beta > 0 && gamma > 0 else { continue }
                weights[context] = log10(beta / gamma)
            }
            // Filled-in entries of order n, from the final weights of order n − 1.
            guard n - 2 < pruned.filled.count, !pruned.filled[n - 2].isEmpty else { continue }
            ids.withUnsafeMutableBufferPointer { ids in
                for slot in pruned.filled[n - 2].sorted() {
                    pruned.words(order: n, slot: slot, into: ids.baseAddress!)
                    let suffix = n == 2 ? Int(ids[1]) : pruned.slot(of: ids.baseAddress! + 1, count: n - 1)!
                    probs[slot] = weights[Int(table.context(ofSlot: slot))] + pruned.logProb[n - 2][suffix]
                    if n < order { pruned.logBackoff[n - 1][slot] = 0 }
                }
            }
        }
    }
}
