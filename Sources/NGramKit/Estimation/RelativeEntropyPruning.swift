import Foundation

/// Relative-entropy pruning (Stolcke 1998, SRILM's `ngram -prune`): a smaller backoff model made
/// of the n-grams of a model that matter most, with its backoff weights recomputed so that every
/// context still sums to one.
///
/// In:  a backoff model in memory (a mapped binary model is copied in first) and a
///      `PruningCriterion`: a threshold on the relative increase of the model's own perplexity,
///      or a target number of n-grams.
/// Out: a `PrunedModel`: the same vocabulary and unigrams, every kept n-gram with its value
///      unchanged, new backoff weights for the contexts that lost an extension; the threshold
///      used, the n-grams removed per order and Stolcke's estimate of the perplexity increase.
///
/// The criterion. Removing the n-gram h w (h its context, h' the context without its oldest word)
/// makes p(w | h) back off: p'(w | h) = α'(h) p(w | h'), with α'(h) renormalized. Only the
/// distribution after h changes, and the relative entropy it adds is
///
///     ΔH = −P(h) { p(w|h) [ln p(w|h') + ln α'(h) − ln p(w|h)] + β(h) [ln α'(h) − ln α(h)] }
///
/// with β(h) = 1 − Σ p(v|h) over the stored extensions v of h (the mass that backs off),
/// γ(h) = 1 − Σ p(v|h') over the same v, α = β/γ, α' = (β + p(w|h)) / (γ + p(w|h')), and P(h)
/// the model's own probability of the history by the chain rule (P(`<s>`) = 1, as SRILM). The
/// n-gram goes when exp(ΔH) − 1, the relative increase of the model's perplexity on its own
/// distribution, is below the threshold. Every n-gram is judged on the whole model (Stolcke's
/// independence assumption); unigrams are never removed.
///
/// What is kept besides: the context and the suffix (the n-gram without its first word) of every
/// kept n-gram, whatever its score. So the pruned model of a complete model is complete (every
/// n-gram's context and suffix stored, as every estimated model), the binary format and
/// `ModelState` need no filled-in entries, and p(w | h') for a kept h w is its stored value: a
/// context whose extensions all stay keeps its backoff weight to the bit, and a threshold that
/// removes nothing gives back the same model.
///
/// A target number of n-grams (OpenGrm's `ngramshrink --target_number_of_ngrams`) is met by
/// searching the threshold: the kept count falls as the threshold rises, and the search takes the
/// smallest threshold whose model has at most the target.
public enum RelativeEntropyPruning {
    /// Prunes `model`.
    /// - Parameters:
    ///   - threads: threads for scoring the n-grams (nil: all cores); the model is the same for any number.
    /// - Throws: `NGramKitError.invalidOption` for a criterion out of range;
    ///   `capacityExceeded` when a binary model cannot be copied into counting tables.
    public static func prune(_ model: NGramModel, _ criterion: PruningCriterion, threads: Int? = nil) throws -> PrunedModel {
        try prune(model, [criterion], threads: threads)[0]
    }

    /// Prunes `model` once per criterion, scoring its n-grams once (the scaling harness's grid).
    /// - Returns: one pruned model per criterion, in their order.
    public static func prune(_ model: NGramModel, _ criteria: [PruningCriterion], threads: Int? = nil) throws -> [PrunedModel] {
        var results: [PrunedModel] = []
        try prune(model, criteria, threads: threads) { results.append($0) }
        return results
    }

    /// Prunes `model` once per criterion, scoring its n-grams once, and hands each pruned model
    /// to `body` in the criteria's order: only one pruned model is held at a time (unless `body`
    /// keeps them).
    public static func prune(_ model: NGramModel, _ criteria: [PruningCriterion], threads: Int? = nil,
                             _ body: (PrunedModel) throws -> Void) throws {
        for criterion in criteria { try criterion.validate() }
        let source = try model.inMemory()
        let job = PruningScores(model: source, threads: ThreadCount.usable(threads))
        for criterion in criteria {
            let threshold: Double
            switch criterion {
            case .threshold(let value): threshold = value
            case .targetNGrams(let target): threshold = job.threshold(keepingAtMost: target)
            }
            let kept = job.select(threshold: threshold)
            let pruned = try job.model(keeping: kept)
            // Stolcke's estimate: the removed n-grams' entropy increases, added.
            var entropy = 0.0
            var removed = [Int](repeating: 0, count: source.order)
            for n in stride(from: 2, through: source.order, by: 1) {
                let scores = job.scores[n - 2], keep = kept.keep[n - 2], table = source.tables[n - 2]
                for slot in 0..<table.capacity where table.isOccupied(slot) && !scores[slot].isNaN && keep[slot] == 0 {
                    entropy += log1p(scores[slot])
                    removed[n - 1] += 1
                }
            }
            try body(PrunedModel(model: pruned, threshold: threshold, removed: removed, estimatedPerplexityIncrease: expm1(entropy)))
        }
    }
}

/// Which n-grams relative-entropy pruning removes.
public enum PruningCriterion: Sendable, Equatable {
    /// Remove every n-gram whose removal raises the model's perplexity (on its own distribution)
    /// by less than this share, as SRILM's `-prune THRESHOLD` (e.g. 1e-8; 0 removes nothing).
    case threshold(Double)
    /// Keep at most this many n-grams of all orders, unigrams included (as OpenGrm's
    /// `ngramshrink --target_number_of_ngrams`); no fewer than the unigrams and the n-grams they
    /// need are ever kept.
    case targetNGrams(Int)

    /// Checks the value's range.
    /// - Throws: `NGramKitError.invalidOption` naming the option.
    public func validate() throws {
        switch self {
        case .threshold(let value):
            guard value.isFinite && value >= 0 else {
                throw NGramKitError.invalidOption(name: "--prune-entropy", value: String(value), expected: "a relative perplexity increase ≥ 0, e.g. 1e-8")
            }
        case .targetNGrams(let count):
            guard count >= 1 else {
                throw NGramKitError.invalidOption(name: "--prune-target", value: String(count), expected: "a number of n-grams ≥ 1")
            }
        }
    }
}

/// A model pruned by `RelativeEntropyPruning`, and what pruning did.
public struct PrunedModel {
    /// The pruned model.
    public let model: NGramModel
    /// The threshold applied (the one found, for a target number of n-grams).
    public let threshold: Double
    /// N-grams removed per order (`removed[n - 1]`; never unigrams).
    public let removed: [Int]
    /// Stolcke's estimate of the relative increase of the model's perplexity on its own
    /// distribution: exp(Σ ΔH) − 1 over the removed n-grams.
    public let estimatedPerplexityIncrease: Double
}

/// The working state of one pruning: each n-gram's score, and the passes that choose and build.
///
/// Invariants: the model is in memory; `scores[n - 2]` has one element per slot of order n's
/// table: the n-gram's exp(ΔH) − 1, or NaN for an entry that is no n-gram (a blank or a filled-in
/// suffix) or an empty slot; `suffixes[n - 2][slot]` is the slot one order down of the entry's
/// suffix (a word id for n = 2), or `UInt32.max` when it is not stored.
final class PruningScores {
    let model: NGramModel
    let threads: Int
    private(set) var scores: [LargeBuffer<Double>] = []
    private(set) var suffixes: [LargeBuffer<UInt32>] = []

    init(model: NGramModel, threads: Int) {
        precondition(model.binary == nil)
        self.model = model
        self.threads = threads
        let order = model.order
        guard order >= 2 else { return }
        let marginals = historyLogProbabilities()
        for n in 2...order {
            let table = model.tables[n - 2]
            let lower = LargeBuffer<Double>(zeroedCount: table.capacity)
            let suffix = LargeBuffer<UInt32>(zeroedCount: table.capacity)
            // Each n-gram's lower-order probability p(w | h') and its suffix's slot, apart.
            let shared = UncheckedSendable((model, table, lower, suffix))
            Parallel.forEachPiece(of: table.capacity, threads: threads, minimumPiece: 1 << 14) { range in
                let (model, table, lower, suffix) = shared.value
                var ids = [UInt32](repeating: 0, count: n)
                ids.withUnsafeMutableBufferPointer { ids in
                    for slot in range where table.isOccupied(slot) {
                        model.words(order: n, slot: slot, into: ids.baseAddress!)
                        lower[slot] = model.backoffLogProb(ids.baseAddress! + 1, count: n - 1)
                        suffix[slot] = model.slot(of: ids.baseAddress! + 1, count: n - 1).map(UInt32.init) ?? .max
                    }
                }
            }
            // β(h) and γ(h), summed in slot order (the same bits for any number of threads).
            let contexts = n == 2 ? model.vocabulary.count : model.tables[n - 3].capacity
            let kept = LargeBuffer<Double>(zeroedCount: contexts), backedOff = LargeBuffer<Double>(zeroedCount: contexts)
            let probs = model.logProb[n - 1]
            for slot in 0..<table.capacity where table.isOccupied(slot) && model.isNGram(order: n, slot: slot) {
                let context = Int(table.context(ofSlot: slot))
                kept[context] += pow(10, probs[slot])
                backedOff[context] += pow(10, lower[slot])
            }
            let score = LargeBuffer<Double>(zeroedCount: table.capacity)
            let history = marginals[n - 2]
            for slot in 0..<table.capacity {
                guard table.isOccupied(slot) && model.isNGram(order: n, slot: slot) else {
                    score[slot] = .nan
                    continue
                }
                let context = Int(table.context(ofSlot: slot))
                score[slot] = PruningScores.score(logProb: probs[slot], lowerLogProb: lower[slot], historyLogProb: history[context],
                                                  beta: 1 - kept[context], gamma: 1 - backedOff[context])
            }
            scores.append(score)
            suffixes.append(suffix)
        }
    }

    /// exp(ΔH) − 1 for removing one n-gram (the formula in `RelativeEntropyPruning`); +∞ (keep)
    /// where the backoff cannot take the n-gram's mass.
    static func score(logProb: Double, lowerLogProb: Double, historyLogProb: Double, beta: Double, gamma: Double) -> Double {
        let ln10 = M_LN10
        let p = pow(10, logProb), q = pow(10, lowerLogProb), history = pow(10, historyLogProb)
        guard q > 0 && gamma + q > 0 else { return .infinity }
        let newAlpha = log((beta + p) / (gamma + q))
        // p ln p → 0 and β ln β → 0: a term with no mass adds nothing.
        var inner = 0.0
        if p > 0 { inner += p * (lowerLogProb * ln10 + newAlpha - logProb * ln10) }
        if beta > 0 && gamma > 0 { inner += beta * (newAlpha - log(beta / gamma)) }
        let entropy = -history * inner
        let result = expm1(max(entropy, 0))
        return result.isNaN ? .infinity : result
    }

    /// log10 P(h) for every entry of orders 1...N-1, by the chain rule on the model itself
    /// (`marginals[m - 1]`, by word id or slot); P(`<s>`) = 1.
    private func historyLogProbabilities() -> [LargeBuffer<Double>] {
        let v = model.vocabulary.count
        let unigrams = LargeBuffer<Double>(zeroedCount: v)
        for id in 0..<v { unigrams[id] = id == Int(Vocabulary.beginID) ? 0 : model.logProb[0][id] }
        var marginals = [unigrams]
        var ids = [UInt32](repeating: 0, count: model.order)
        for m in stride(from: 2, to: model.order, by: 1) {
            let table = model.tables[m - 2], below = marginals[m - 2], probs = model.logProb[m - 1]
            let here = LargeBuffer<Double>(zeroedCount: table.capacity)
            ids.withUnsafeMutableBufferPointer { ids in
                for slot in 0..<table.capacity where table.isOccupied(slot) {
                    var p = probs[slot]
                    if p.isNaN {
                        model.words(order: m, slot: slot, into: ids.baseAddress!)
                        p = model.backoffLogProb(ids.baseAddress!, count: m)
                    }
                    here[slot] = below[Int(table.context(ofSlot: slot))] + p
                }
            }
            marginals.append(here)
        }
        return marginals
    }
}

extension NGramModel {
    /// Whether the entry in `slot` of order `n` ≥ 2 is an n-gram of the model (not a blank, not
    /// a filled-in suffix).
    func isNGram(order n: Int, slot: Int) -> Bool {
        !logProb[n - 1][slot].isNaN && (n - 2 >= filled.count || filled[n - 2].isEmpty || !filled[n - 2].contains(slot))
    }

    /// Writes the `n` word ids of the entry in `slot` of order `n` (in memory), oldest first.
    func words(order n: Int, slot: Int, into ids: UnsafeMutablePointer<UInt32>) {
        var slot = slot
        var m = n
        while m >= 2 {
            let table = tables[m - 2]
            ids[m - 1] = table.word(ofSlot: slot)
            slot = Int(table.context(ofSlot: slot))
            m -= 1
        }
        ids[0] = UInt32(slot)
    }

    /// The slot of the stored entry made of `count` ids (a word id for one), or nil.
    func slot(of ids: UnsafePointer<UInt32>, count: Int) -> Int? {
        var slot = Int(ids[0])
        var m = 2
        while m <= count {
            guard let found = tables[m - 2].find(context: UInt32(slot), word: ids[m - 1]) else { return nil }
            slot = found
            m += 1
        }
        return slot
    }

    /// log10 p(ids[count-1] | ids[0..<count-1]) by the backoff rule, for a model in memory: the
    /// longest stored n-gram ending in the word, times the backoffs of the longer stored contexts.
    func backoffLogProb(_ ids: UnsafePointer<UInt32>, count: Int) -> Double {
        var total = 0.0
        for start in 0..<count {
            let length = count - start
            if length == 1 { return total + logProb[0][Int(ids[count - 1])] }
            guard let context = slot(of: ids + start, count: length - 1) else { continue }
            if let found = tables[length - 2].find(context: UInt32(context), word: ids[count - 1]), !logProb[length - 1][found].isNaN {
                return total + logProb[length - 1][found]
            }
            total += logBackoff[length - 2][context]
        }
        return total
    }
}
