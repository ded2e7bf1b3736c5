/// Whether the held-out set leaked into the training pool: the share of held-out sentences that
/// also occur in the pool. Text with many repeated lines (changelogs, boilerplate, subtitles)
/// scores its own training sentences when held out by units, and its loss then falls faster than
/// any model of new text would; the report says how much of that there is.
extension ScalingCorpus {
    /// What `heldoutOverlap()` finds.
    public struct HeldoutOverlap: Sendable, Equatable {
        /// Held-out sentences whose ids (under the fixed vocabulary, unknown words as `<unk>`)
        /// are those of some pool sentence.
        public var sentencesInPool: Int
        public var heldoutSentences: Int
        /// The word tokens of those sentences (`<s>` and `</s>` not counted), and of all held-out sentences.
        public var tokensInPool: Int
        public var heldoutTokens: Int
        public var share: Double { heldoutSentences == 0 ? 0 : Double(sentencesInPool) / Double(heldoutSentences) }
        public var tokenShare: Double { heldoutTokens == 0 ? 0 : Double(tokensInPool) / Double(heldoutTokens) }
    }

    /// The share above which the report warns.
    public static let overlapWarningShare = 0.01

    /// Counts the held-out sentences that occur in the pool: one pass over each, a set of the
    /// held-out sentences' 64-bit hashes (the held-out set's size, not the pool's); a pool
    /// sentence whose hash matches is compared id by id.
    public func heldoutOverlap() -> HeldoutOverlap {
        // Held-out sentences by hash: the start of the first with that hash (duplicates within
        // the held-out set count once each, by their hash's count).
        var heldoutByHash: [UInt64: (start: Int, count: Int, found: Bool)] = [:]
        let starts = heldoutSentenceStarts
        return withHeldout { heldout in
            func end(_ k: Int) -> Int { k + 1 < starts.count ? starts[k + 1] : heldout.count }
            for k in starts.indices {
                let sentence = UnsafeBufferPointer(rebasing: heldout[starts[k]..<end(k)])
                let key = ScalingCorpus.key(sentence)
                if let entry = heldoutByHash[key] {
                    // Another held-out sentence with this hash: counted with the first when equal.
                    if entry.start + sentence.count <= heldout.count,
                       sentence.elementsEqual(UnsafeBufferPointer(rebasing: heldout[entry.start..<(entry.start + sentence.count)])) {
                        heldoutByHash[key]!.count += 1
                    }
                } else {
                    heldoutByHash[key] = (starts[k], 1, false)
                }
            }
            var inPool = 0, tokens = 0
            // Chunks end at sentence ends.
            try? forEachChunk(streamCount: poolUnitEnd.last ?? 0) { pool in
                var start = 0
                while start < pool.count {
                    // A pool sentence: <s> ... </s>.
                    var stop = start + 1
                    while stop < pool.count && pool[stop] != Vocabulary.beginID { stop += 1 }
                    let sentence = UnsafeBufferPointer(rebasing: pool[start..<stop])
                    let key = ScalingCorpus.key(sentence)
                    if let entry = heldoutByHash[key], !entry.found, entry.start + sentence.count <= heldout.count,
                       sentence.elementsEqual(UnsafeBufferPointer(rebasing: heldout[entry.start..<(entry.start + sentence.count)])) {
                        heldoutByHash[key]!.found = true
                        inPool += entry.count
                        tokens += entry.count * (sentence.count - 2)
                    }
                    start = stop
                }
            }
            return HeldoutOverlap(sentencesInPool: inPool, heldoutSentences: starts.count, tokensInPool: tokens,
                                  heldoutTokens: heldout.count - 2 * starts.count)
        }
    }

    /// A sentence's key: the hash of its ids' bytes.
    private static func key(_ ids: UnsafeBufferPointer<UInt32>) -> UInt64 {
        UnsafeRawBufferPointer(ids).withMemoryRebound(to: UInt8.self) { Hashing.hash(bytes: $0) }
    }
}
