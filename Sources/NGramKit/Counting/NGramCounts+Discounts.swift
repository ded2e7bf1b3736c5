/// Counts-of-counts exactly as KenLM's `lmplz` feeds them to its discount formula.
///
/// In:  the counts of every order.
/// Out: n1...n4 per order, from adjusted counts, with one convention of KenLM kept so that
///      discounts (and so every probability) match it: `lmplz` adjusts counts while walking the
///      highest-order n-grams in suffix order (last word's id first, then the word before, and so
///      on), and the lower-order n-grams still open when the walk ends (the suffixes of the last
///      n-gram in that order, down to a `<s>`) enter the counts-of-counts with their raw count
///      instead of their adjusted count. On PTB this moves one unigram out of n4 (the last new
///      word of the text, adjusted count 4, raw count 6), which changes D3+ of the unigrams in
///      the third decimal. Word ids here are assigned in order of first appearance, like KenLM's,
///      so the suffix order is the same. And the unigram `<s>`, which nothing precedes, has
///      adjusted count 0 in `lmplz` (it is never predicted), so it is not among the unigrams'
///      counts-of-counts even when there are four sentences or fewer.
extension NGramCounts {
    /// n0...n4 (index k is the number of n-grams with count k; index 0 unused) of order `n`,
    /// as modified Kneser-Ney discounts need them, with KenLM's end-of-walk convention.
    /// - Throws: `NGramKitError.invalidOption` when `n` is outside 1...`order`.
    public func kneserNeyCountsOfCounts(order n: Int) throws -> [UInt64] {
        try checkOrder(n)
        return kneserNeyCountsOfCounts(checkedOrder: n)
    }

    /// `kneserNeyCountsOfCounts(order:)` for an order known to be in 1...`order`.
    func kneserNeyCountsOfCounts(checkedOrder n: Int) -> [UInt64] {
        var result = countsOfCounts(order: n, adjusted: true)
        if n == 1 {
            let begin = adjustedUnigramCount(Vocabulary.beginID)
            if begin >= 1 && begin <= 4 { result[Int(begin)] -= 1 }
        }
        guard n < order, let open = lastOpenNGram(order: n) else { return result }
        let adjusted: UInt64, raw: UInt64
        if n == 1 {
            adjusted = adjustedUnigramCount(UInt32(open))
            raw = unigramCounts[open]
        } else {
            adjusted = tables[n - 2].adjustedCount(ofSlot: open)
            raw = tables[n - 2].count(ofSlot: open)
        }
        if adjusted >= 1 && adjusted <= 4 { result[Int(adjusted)] -= 1 }
        if raw >= 1 && raw <= 4 { result[Int(raw)] += 1 }
        return result
    }

    /// The slot (word id for unigrams) of the order-`n` suffix of the last highest-order n-gram in
    /// suffix order, or nil when that suffix does not reach length `n` (it starts with `<s>` earlier).
    func lastOpenNGram(order n: Int) -> Int? {
        // The last word in id order that ends some n-gram: every word but <s> that occurs.
        var last = -1
        for id in stride(from: vocabulary.count - 1, through: 0, by: -1)
        where id != Int(Vocabulary.beginID) && unigramCounts[id] > 0 {
            last = id
            break
        }
        guard last >= 0 else { return nil }
        if n == 1 { return last }
        // Extend it to the left one order at a time with the largest preceding word.
        var suffix = last                   // slot (or word id) of the current suffix in its order
        var suffixWords = [UInt32(last)]    // its words, oldest first
        for level in 2...n {
            if suffixWords[0] == Vocabulary.beginID { return nil }
            let table = tables[level - 2]
            let lastWord = suffixWords[suffixWords.count - 1]
            var best: Int?
            var bestFirst: UInt32 = 0
            for slot in 0..<table.capacity where table.isOccupied(slot) && table.word(ofSlot: slot) == lastWord {
                let words = self.words(order: level, slot: slot)
                guard Array(words.dropFirst()) == suffixWords else { continue }
                if best == nil || words[0] > bestFirst {
                    best = slot
                    bestFirst = words[0]
                }
            }
            guard let best else { return nil }
            suffix = best
            suffixWords.insert(bestFirst, at: 0)
        }
        return suffix
    }
}
