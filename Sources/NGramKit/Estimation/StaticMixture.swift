import Foundation

/// One backoff model equal to a linear mixture on every n-gram any of the models stores: what
/// `ngramkit interpolate` writes (SRILM's `ngram -mix-lm -write-lm`, MITLM's `interpolate-ngram
/// -write-lm`).
///
/// In:  models (any orders, vocabularies and smoothing) and their weights.
/// Out: a model of the highest order over the union of the vocabularies, storing the union of
///      the n-grams, each with p(w | h) = Σ λ_i p_i(w | h) (every p_i through its own backoffs;
///      vocabularies as `MixtureScores`), and for every context the backoff that makes it sum
///      to 1: bow(h) = (1 − Σ_{hw stored} p(w | h)) / (1 − Σ_{hw stored} p̂(w | h')), where p̂ is the
///      merged model's own lower order. Entries that no model stores as an n-gram (contexts
///      only) stay blanks.
///
/// It equals the exact mixture on the stored n-grams; a word seen after h in no model gets
/// bow(h) · p̂(w | h') instead of Σ λ_i bow_i(h) p_i(w | h'), so its perplexity is close to the
/// exact mixture's, not equal (`interpolate` prints both).
///
/// How: order by order, the models' tables are merged into one `CountTable` per order (keys made
/// of the union's context slot and word), through per-model maps from their slots to the
/// union's; flat arrays, no allocation per n-gram.
public enum StaticMixture {
    /// Merges `models` with `weights` (one per model, summing to 1).
    /// - Throws: `NGramKitError.invalidOption` for weights that do not fit; `capacityExceeded`
    ///   for keys that do not fit a table.
    public static func merge(_ models: [NGramModel], weights: [Double]) throws -> NGramModel {
        guard !models.isEmpty, weights.count == models.count else {
            throw NGramKitError.invalidOption(name: "--weights", value: "\(weights.count) weights", expected: "one weight per model")
        }
        let models = try models.map { try $0.inMemory() }
        let order = models.map(\.order).max()!
        let vocabulary = Vocabulary()
        var toUnion: [[UInt32]] = []
        for model in models {
            toUnion.append((0..<model.vocabulary.count).map { id in
                vocabulary.addIfAbsent(model.vocabulary.word(UInt32(id)) ?? Vocabulary.unknownWord)
            })
        }
        let v = vocabulary.count
        var fromUnion = [[UInt32]](repeating: [UInt32](repeating: .max, count: v), count: models.count)
        for i in models.indices { for (id, u) in toUnion[i].enumerated() { fromUnion[i][Int(u)] = UInt32(id) } }

        // One scoring state per model: every probability is the one `ModelState` gives.
        let states = models.map { ModelState(model: $0) }
        // Unigrams: every word of the union.
        let words = UnsafeMutablePointer<UInt32>.allocate(capacity: order)
        defer { words.deallocate() }
        var logProb: [LargeBuffer<Double>] = [LargeBuffer(zeroedCount: v)]
        var logBackoff: [LargeBuffer<Double>] = [LargeBuffer(zeroedCount: order > 1 ? v : 0)]
        for u in 0..<v {
            words[0] = UInt32(u)
            logProb[0][u] = mixture(states, weights, fromUnion, words, count: 1)
        }
        var tables: [CountTable] = []
        var counts = [v]
        // Per model, its slots of the order below → the union's (word ids for order 1).
        var below: [[UInt32]] = toUnion
        for n in stride(from: 2, through: order, by: 1) {
            let contextLimit = n == 2 ? v : tables[n - 3].capacity
            let total = models.reduce(0) { $0 + ($1.order >= n ? $1.tables[n - 2].occupied : 0) }
            let table = try CountTable(order: n, capacity: 2 * total + 64, wordLimit: v, contextLimit: contextLimit)
            for (i, model) in models.enumerated() where model.order >= n {
                let source = model.tables[n - 2]
                for slot in 0..<source.capacity where source.isOccupied(slot) {
                    table.add(table.key(context: below[i][Int(source.context(ofSlot: slot))], word: toUnion[i][Int(source.word(ofSlot: slot))]))
                }
            }
            // Slots are final only after every insert (`add` may grow the table).
            var maps: [[UInt32]] = []
            let isNGram = LargeBuffer<UInt8>(zeroedCount: table.capacity)
            for (i, model) in models.enumerated() {
                guard model.order >= n else { maps.append([]); continue }
                let source = model.tables[n - 2], probs = model.logProb[n - 1]
                var map = [UInt32](repeating: .max, count: source.capacity)
                for slot in 0..<source.capacity where source.isOccupied(slot) {
                    let found = table.find(context: below[i][Int(source.context(ofSlot: slot))], word: toUnion[i][Int(source.word(ofSlot: slot))])!
                    map[slot] = UInt32(found)
                    if !probs[slot].isNaN { isNGram[found] = 1 }
                }
                maps.append(map)
            }
            below = maps
            tables.append(table)
            // Probabilities of the union's n-grams; blanks stay NaN.
            let probs = LargeBuffer<Double>(zeroedCount: table.capacity)
            var ngrams = 0
            for slot in 0..<table.capacity {
                guard table.isOccupied(slot), isNGram[slot] != 0 else { probs[slot] = .nan; continue }
                ngramWords(tables, slot: slot, order: n, into: words)
                probs[slot] = mixture(states, weights, fromUnion, words, count: n)
                ngrams += 1
            }
            counts.append(ngrams)
            logProb.append(probs)
            logBackoff.append(LargeBuffer(zeroedCount: n < order ? table.capacity : 0))
            // Backoffs of order n − 1: the merged model of orders 1...n−1 gives p̂(w | h').
            let lower = NGramModel(order: n - 1, vocabulary: vocabulary, tables: Array(tables.prefix(n - 2)),
                                   logProb: Array(logProb.prefix(n - 1)), logBackoff: Array(logBackoff.prefix(n - 1)),
                                   ngramCounts: Array(counts.prefix(n - 1)), provenance: ModelProvenance())
            let lowerState = ModelState(model: lower)
            let contexts = n == 2 ? v : tables[n - 3].capacity
            var numerator = [Double](repeating: 0, count: contexts), denominator = [Double](repeating: 0, count: contexts)
            for slot in 0..<table.capacity where table.isOccupied(slot) && isNGram[slot] != 0 {
                ngramWords(tables, slot: slot, order: n, into: words)
                let context = Int(table.context(ofSlot: slot))
                numerator[context] += pow(10, probs[slot])
                lowerState.setContext(ids: UnsafeBufferPointer(start: words + 1, count: n - 2))
                denominator[context] += pow(10, lowerState.peek(words[n - 1]))
            }
            let backoffs = logBackoff[n - 2]
            for c in 0..<contexts where numerator[c] > 0 {
                let left = 1 - numerator[c], right = 1 - denominator[c]
                backoffs[c] = left > 0 && right > 0 ? log10(left / right) : 0
            }
        }
        let complete = zip(counts.dropFirst(), tables).allSatisfy { $0 == $1.occupied }
        return NGramModel(order: order, vocabulary: vocabulary, tables: tables, logProb: logProb, logBackoff: logBackoff,
                          ngramCounts: counts, provenance: ModelProvenance(tokenizer: models[0].provenance.tokenizer),
                          isComplete: complete)
    }

    /// The words of the union's n-gram in `slot` of order `n`, oldest first, into `words`.
    static func ngramWords(_ tables: [CountTable], slot: Int, order n: Int, into words: UnsafeMutablePointer<UInt32>) {
        var entry = slot
        for k in stride(from: n, through: 2, by: -1) {
            words[k - 1] = tables[k - 2].word(ofSlot: entry)
            entry = Int(tables[k - 2].context(ofSlot: entry))
        }
        words[0] = UInt32(entry)
    }

    /// log10 Σ λ_i p_i(w | h) of the union's words (h = words[0..<count-1], w the last): a model
    /// that does not know w adds nothing, and reads words of h it does not know as `<unk>`.
    static func mixture(_ states: [ModelState], _ weights: [Double], _ fromUnion: [[UInt32]],
                        _ words: UnsafePointer<UInt32>, count: Int) -> Double {
        var total = 0.0
        withUnsafeTemporaryAllocation(of: UInt32.self, capacity: count) { mapped in
            for (i, state) in states.enumerated() where weights[i] > 0 {
                let last = fromUnion[i][Int(words[count - 1])]
                guard last != .max else { continue }
                for k in 0..<count {
                    let id = fromUnion[i][Int(words[k])]
                    mapped[k] = id == .max ? Vocabulary.unknownID : id
                }
                state.setContext(ids: UnsafeBufferPointer(rebasing: mapped[0..<(count - 1)]))
                total += weights[i] * pow(10, state.peek(last))
            }
        }
        return log10(total)
    }
}
