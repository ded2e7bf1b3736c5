import Foundation

/// Many sentences scored at once on one thread.
extension ModelState {
    /// Sentences scored at once by `scoreInLockstep`: enough independent lookups in flight to
    /// cover a memory access's latency, few enough that the lanes' state stays in L1.
    static let lockstepLanes = 16

    /// Scores sentences on the calling thread, `lockstepLanes` of them at a time, into one
    /// (log10 p, matched length) per token, and with `rawScores` Stupid Backoff's raw log10 S; the
    /// same values, bit for bit, as `beginSentence()` and then `score(_:)` (or
    /// `scoreRawStupidBackoff(_:)`) for each token of each sentence. The state's own history is
    /// left as it is.
    ///
    /// Why: one sentence is a chain of dependent lookups (a word's lookups need the previous
    /// word's slots), so scoring it waits for memory at every word. Sentences are independent:
    /// every round issues the next word's lookups of every lane before resolving any, so a lane's
    /// misses overlap the others'. A lane that finishes its sentence takes the next one.
    /// - Parameters:
    ///   - ids: the tokens (word ids of the model's vocabulary; `</s>` at each sentence's end).
    ///   - sentenceEnds: increasing; sentence s is `ids[sentenceEnds[s - 1] ..< sentenceEnds[s]]`
    ///     (from 0 for s = 0), the last end at most `ids.count`.
    ///   - log10Probs, matched: `ids.count` elements each; token i's results go to element i.
    ///   - rawScores: `ids.count` elements, or nil; filled only for a Stupid Backoff model.
    func scoreInLockstep(ids: UnsafeBufferPointer<UInt32>, sentenceEnds: UnsafeBufferPointer<Int>,
                         log10Probs: UnsafeMutablePointer<Double>, matched: UnsafeMutablePointer<UInt8>,
                         rawScores: UnsafeMutablePointer<Double>? = nil) {
        let logAlpha: Double? = model.provenance.smoothing == .stupidBackoff ? model.provenance.alpha.map { log10($0) } : nil
        switch store {
        case .memory(let tables):
            lockstep(ids, sentenceEnds, log10Probs, matched, logAlpha == nil ? nil : rawScores, logAlpha ?? 0, tables)
        case .mapped(let tables):
            lockstep(ids, sentenceEnds, log10Probs, matched, logAlpha == nil ? nil : rawScores, logAlpha ?? 0, tables)
        }
    }

    private func lockstep<T: ScoringTables>(_ ids: UnsafeBufferPointer<UInt32>, _ sentenceEnds: UnsafeBufferPointer<Int>,
                                            _ log10Probs: UnsafeMutablePointer<Double>, _ matched: UnsafeMutablePointer<UInt8>,
                                            _ rawScores: UnsafeMutablePointer<Double>?, _ logAlpha: Double, _ tables: T) {
        let lanes = ModelState.lockstepLanes
        let width = max(model.order, 1)
        let maxLength = max(model.order - 1, 0)
        guard let ids = ids.baseAddress, !sentenceEnds.isEmpty else { return }
        // Per lane: two history buffers (current and next, swapped by `parity`), the lookups'
        // probes, the next token, the sentence's end, the history's length and words.
        let histories = UnsafeMutablePointer<UInt32>.allocate(capacity: lanes * 2 * width)
        histories.initialize(repeating: 0, count: lanes * 2 * width)
        let probes = UnsafeMutablePointer<Probe>.allocate(capacity: lanes * width)
        let position = UnsafeMutablePointer<Int>.allocate(capacity: lanes)
        let end = UnsafeMutablePointer<Int>.allocate(capacity: lanes)
        let length = UnsafeMutablePointer<Int>.allocate(capacity: lanes)
        let words = UnsafeMutablePointer<Int>.allocate(capacity: lanes)
        let lookups = UnsafeMutablePointer<Int>.allocate(capacity: lanes)
        let parity = UnsafeMutablePointer<Int>.allocate(capacity: lanes)
        defer {
            histories.deallocate(); probes.deallocate(); position.deallocate(); end.deallocate()
            length.deallocate(); words.deallocate(); lookups.deallocate(); parity.deallocate()
        }
        var nextSentence = 0
        /// Gives lane `l` the next non-empty sentence (`beginSentence`); false when none is left.
        @inline(__always)
        func start(_ l: Int) -> Bool {
            while nextSentence < sentenceEnds.count {
                let first = nextSentence == 0 ? 0 : sentenceEnds[nextSentence - 1]
                let last = sentenceEnds[nextSentence]
                nextSentence += 1
                guard last > first else { continue }
                position[l] = first
                end[l] = last
                parity[l] = 0
                histories[l * 2 * width] = Vocabulary.beginID
                length[l] = min(1, maxLength)
                words[l] = min(1, maxLength)
                return true
            }
            return false
        }
        var live = 0
        for l in 0..<lanes {
            if start(l) { live += 1 } else { end[l] = -1 }
        }
        // Each lane's lookups are requested a full round before they are resolved: a lane
        // resolves its token and at once requests the next one's, while the other lanes run.
        @inline(__always)
        func request(_ l: Int) {
            let current = histories + (l * 2 + parity[l]) * width
            lookups[l] = ModelState.request(ids[position[l]], current, length[l], probes + l * width, tables)
        }
        for l in 0..<lanes where end[l] >= 0 { request(l) }
        while live > 0 {
            for l in 0..<lanes where end[l] >= 0 {
                let current = histories + (l * 2 + parity[l]) * width
                let next = histories + (l * 2 + 1 - parity[l]) * width
                let i = position[l]
                // The normalizer of the history before the step moves it (as `stepRawStupidBackoff`).
                var normalizer = (logZ: 0.0, contextLength: 0)
                if rawScores != nil { normalizer = ModelState.stupidBackoffNormalizer(current, length[l], logAlpha: logAlpha, tables) }
                let (p, m, newLength) = ModelState.resolve(ids[i], current, next, length[l], lookups[l], maxLength,
                                                           probes + l * width, tables)
                log10Probs[i] = p
                if let rawScores { rawScores[i] = p + normalizer.logZ + Double(words[l] - normalizer.contextLength) * logAlpha }
                matched[i] = UInt8(truncatingIfNeeded: m)
                length[l] = newLength
                words[l] = min(words[l] + 1, maxLength)
                parity[l] = 1 - parity[l]
                position[l] = i + 1
                if i + 1 == end[l] && !start(l) {
                    end[l] = -1
                    live -= 1
                } else {
                    request(l)
                }
            }
        }
    }
}
