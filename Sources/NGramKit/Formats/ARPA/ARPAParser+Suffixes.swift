import CNGramKitSupport
import Dispatch
import Foundation

/// Missing suffixes: pruned models (SRILM's and KenLM's) may hold `a b c` without `b c`.
///
/// Scoring (`ModelState`) finds the n-gram `w1 ... wn` by extending the history one order at
/// a time, so it reaches it only if every suffix `wi ... wn` is stored, and every context those
/// lookups start from was itself reached. So, once the file is read, the entries are closed
/// under both: every entry's context is stored (the readers make a missing one a *blank*, NaN,
/// a context only) and so is its suffix. A missing suffix of a real n-gram is *filled in*, as
/// KenLM's loader does (`FixSRI` in `lm/search_hashed.cc`): the entry gets the probability
/// the backoff form gives it, log10 p(w | h) = backoff(h) + log10 p(w | h') (its context's
/// backoff, 0 for a blank, plus its own suffix's probability), and backoff 0; so it changes
/// no score, and a lookup that ends on it reports its length, as KenLM's `query` does. A
/// missing suffix needed only to reach a blank is a blank itself. Filled entries are no
/// n-grams of the file: `ngramCounts` leaves them out, `entry` does not find them and the ARPA
/// writer skips them (`NGramModel.filled`).
///
/// How: one pass per order over every entry, in parallel and read-only, finds each entry's
/// suffix through its context's suffix (one lookup per entry). A model that lacks nothing
/// costs that pass; the repairs of one that does are rare and run on one thread. A file that
/// NGramKit wrote from a complete model says so (`ARPAParser.completeMarker`), and skips the
/// pass unless a context turned out missing after all.
extension ARPAParser {
    /// What an entry needs of its suffix.
    private struct Need {
        /// The suffix's words (the entry without its first word).
        var words: [UInt32]
        /// Whether it must carry a probability (it is the suffix of a real n-gram or of a fill).
        var probability: Bool
    }

    func fillMissingSuffixes() throws {
        guard order >= 3 else { return }
        // Each round repairs what the previous pass found; a repair makes whatever it adds
        // complete, so one round normally suffices.
        for _ in 0...order {
            let needs = missingSuffixes()
            if needs.isEmpty { break }
            for need in needs { try ensure(need.words, probability: need.probability) }
        }
        fillProbabilities()
    }

    /// Whether slot `slot` of order `n` ≥ 2 holds a blank (a context only).
    private func isBlank(order n: Int, slot: Int) -> Bool {
        probs[n - 2][slot].isNaN && !filled[n - 2].contains(slot)
    }

    /// Every entry of orders 3...N whose suffix is missing, or is a blank where it must carry a
    /// probability, as the suffix's words.
    private func missingSuffixes() -> [Need] {
        var found: [(order: Int, slot: Int, probability: Bool)] = []
        // Per slot of the order below: its suffix's slot one order further down (word ids for bigrams).
        var lowerSuffix = LargeBuffer<UInt32>(zeroedCount: tables[0].capacity)
        let bigrams = tables[0]
        for slot in 0..<bigrams.capacity where bigrams.isOccupied(slot) { lowerSuffix[slot] = bigrams.word(ofSlot: slot) }
        let threads = max(1, min(16, ProcessInfo.processInfo.activeProcessorCount))
        for n in 3...order {
            let table = tables[n - 2], lower = tables[n - 3]
            let keepSuffixes = n < order
            let suffix = LargeBuffer<UInt32>(zeroedCount: keepSuffixes ? table.capacity : 0)
            let probabilities = probs[n - 2], lowerProbabilities = probs[n - 3]
            let fills = filled[n - 2], lowerFills = filled[n - 3]
            let anyFills = !fills.isEmpty, anyLowerFills = !lowerFills.isEmpty
            let pieces = max(1, min(threads, table.capacity >> 16))
            let results = UnsafeMutablePointer<[(Int, Bool)]>.allocate(capacity: pieces)
            results.initialize(repeating: [], count: pieces)
            defer { results.deinitialize(count: pieces); results.deallocate() }
            let shared = UncheckedSendable((table, lower, lowerSuffix, suffix, probabilities, lowerProbabilities, results))
            let size = (table.capacity + pieces - 1) / pieces
            let lowerHasBlanks = blankCount[n - 3] > 0
            let body: @Sendable (Int) -> Void = { piece in
                let (table, lower, lowerSuffix, suffix, probabilities, lowerProbabilities, results) = shared.value
                // Two random reads per entry, both requested ahead: its context's suffix slot
                // (2·ahead slots before it is needed), then the home of its own suffix (ahead).
                let ahead = ARPAParser.ahead
                let start = piece * size, end = min(table.capacity, (piece + 1) * size)
                var mine: [(Int, Bool)] = []
                var slot = start
                while slot < end {
                    let far = slot + 2 * ahead, near = slot + ahead
                    if far < end && table.isOccupied(far) {
                        ngk_prefetch_read(lowerSuffix.base + Int(table.context(ofSlot: far)))
                    }
                    if near < end && table.isOccupied(near) {
                        let key = lower.key(context: lowerSuffix[Int(table.context(ofSlot: near))], word: table.word(ofSlot: near))
                        ngk_prefetch_read(lower.address(ofSlot: lower.homeSlot(CountTable.hash(key))))
                    }
                    defer { slot += 1 }
                    guard table.isOccupied(slot) else { continue }
                    let contextSuffix = lowerSuffix[Int(table.context(ofSlot: slot))]
                    let needsProbability = !probabilities[slot].isNaN || (anyFills && fills.contains(slot))
                    guard contextSuffix != .max, let found = lower.find(context: contextSuffix, word: table.word(ofSlot: slot)) else {
                        mine.append((slot, needsProbability))
                        if keepSuffixes { suffix[slot] = .max }
                        continue
                    }
                    if keepSuffixes { suffix[slot] = UInt32(truncatingIfNeeded: found) }
                    // A blank suffix of a real n-gram must carry a probability (only where blanks exist).
                    if lowerHasBlanks && needsProbability && lowerProbabilities[found].isNaN && !(anyLowerFills && lowerFills.contains(found)) {
                        mine.append((slot, true))
                    }
                }
                results[piece] = mine
            }
            if pieces == 1 { body(0) } else { DispatchQueue.concurrentPerform(iterations: pieces, execute: body) }
            for piece in 0..<pieces { for (slot, probability) in results[piece] { found.append((n, slot, probability)) } }
            lowerSuffix = suffix
        }
        return found.map { Need(words: Array(words(order: $0.order, slot: $0.slot).dropFirst()), probability: $0.probability) }
    }

    /// The word ids of the entry in `slot` of order `n` ≥ 2, oldest first.
    private func words(order n: Int, slot: Int) -> [UInt32] {
        var result = [UInt32](repeating: 0, count: n)
        var current = slot
        for level in stride(from: n, through: 2, by: -1) {
            let table = tables[level - 2]
            result[level - 1] = table.word(ofSlot: current)
            let context = table.context(ofSlot: current)
            if level == 2 { result[0] = context } else { current = Int(context) }
        }
        return result
    }

    /// Makes the entry `words` (order ≥ 2) reachable: it and its contexts are stored (missing
    /// ones as blanks), and so are their suffixes; with `probability`, the entry and its
    /// suffixes carry a probability (a blank among them becomes a fill).
    private func ensure(_ words: [UInt32], probability: Bool) throws {
        let n = words.count
        guard n >= 2 else { return }
        var slot = Int(words[0])
        var k = 2
        while k <= n {
            let table = tables[k - 2]
            let key = table.key(context: UInt32(slot), word: words[k - 1])
            if let found = table.find(key) {
                slot = found
            } else {
                let before = generation
                let (inserted, _) = try insert(into: table, order: k, key: key)
                probs[k - 2][inserted] = .nan
                blankCount[k - 2] += 1
                if generation != before {
                    // Tables were rebuilt: slots moved; walk again from the first word.
                    slot = Int(words[0])
                    k = 2
                    continue
                }
                slot = inserted
                // A new blank context needs its own suffix to be reached.
                if k < n { try ensure(Array(words[1..<k]), probability: false) }
                // The insert above may have moved slots: walk again.
                return try ensure(words, probability: probability)
            }
            k += 1
        }
        if probability && isBlank(order: n, slot: slot) {
            filled[n - 2].insert(slot)
        }
        // Its suffix, with the same need (a unigram always has a probability).
        if n >= 3 { try ensure(Array(words.dropFirst()), probability: probability) }
    }

    /// Gives every filled entry the probability of the backoff form, lowest order first (a
    /// fill's suffix is a real n-gram or a fill of the order below, already done).
    private func fillProbabilities() {
        for n in 2..<max(order, 2) where !filled[n - 2].isEmpty {
            for slot in filled[n - 2].sorted() {
                let w = words(order: n, slot: slot)
                let context: Double, lower: Double
                if n == 2 {
                    context = unigramBackoffBuffer[Int(w[0])]
                    lower = unigramProbBuffer[Int(w[1])]
                } else {
                    let contextSlot = Int(tables[n - 2].context(ofSlot: slot))
                    context = backoffs[n - 3][contextSlot]
                    lower = probability(of: Array(w.dropFirst()))
                }
                probs[n - 2][slot] = context + lower
                if backoffs[n - 2].count > 0 { backoffs[n - 2][slot] = 0 }
            }
        }
    }

    /// The stored probability of the entry `words` (real or filled).
    private func probability(of words: [UInt32]) -> Double {
        if words.count == 1 { return unigramProbBuffer[Int(words[0])] }
        var slot = Int(words[0])
        for k in 2...words.count { slot = tables[k - 2].find(context: UInt32(slot), word: words[k - 1])! }
        return probs[words.count - 2][slot]
    }
}
