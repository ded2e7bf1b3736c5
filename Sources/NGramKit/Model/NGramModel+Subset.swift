/// A model holding some of another's entries: what pruning makes (`RelativeEntropyPruning`,
/// and count thresholds in `ModifiedKneserNey`).
///
/// In:  a model in memory and, per order n ≥ 2, a flag per slot of its table: 1 keeps the entry.
/// Out: a model with the same vocabulary and unigrams, new tables holding the kept entries (their
///      keys remade from their contexts' new slots), every kept entry's probability and backoff
///      as it was (copied: the new model shares nothing it could change with the old), and the
///      map from each order's old slots to new ones (`UInt32.max`: not kept).
///
/// The caller keeps the context of every kept entry (the keys are built on it); backoff weights
/// are not touched here.
extension NGramModel {
    func keeping(_ keep: [LargeBuffer<UInt8>]) throws -> (model: NGramModel, maps: [[UInt32]]) {
        precondition(binary == nil && keep.count == order - 1)
        let v = vocabulary.count
        var tables: [CountTable] = [], probs = [logProb[0]], backoffs = [NGramModel.copy(logBackoff[0])]
        var filledHere: [Set<Int>] = []
        var maps: [[UInt32]] = []
        var counts = [ngramCounts[0]]
        for n in stride(from: 2, through: order, by: 1) {
            let source = self.tables[n - 2], flags = keep[n - 2]
            var keys: [(source: Int, key: UInt64)] = []
            for slot in 0..<source.capacity where flags[slot] != 0 { keys.append((slot, 0)) }
            let table = try CountTable(order: n, capacity: Int(Double(keys.count) / 0.8) + 64, wordLimit: v,
                                       contextLimit: n == 2 ? v : tables[n - 3].capacity)
            for k in keys.indices {
                let slot = keys[k].source, context = source.context(ofSlot: slot)
                keys[k].key = table.key(context: n == 2 ? context : maps[n - 3][Int(context)], word: source.word(ofSlot: slot))
            }
            let values = (logProb[n - 1], n < order ? logBackoff[n - 1] : nil)
            let (prob, backoff, map) = table.place(keys, sources: source.capacity, backoffs: n < order) {
                (values.0[keys[$0].source], values.1?[keys[$0].source] ?? 0)
            }
            tables.append(table)
            probs.append(prob)
            backoffs.append(backoff)
            counts.append(keys.reduce(0) { $0 + (isNGram(order: n, slot: $1.source) ? 1 : 0) })
            if n - 2 < filled.count, !filled[n - 2].isEmpty {
                filledHere.append(Set(filled[n - 2].compactMap { flags[$0] != 0 ? Int(map[$0]) : nil }))
            } else {
                filledHere.append([])
            }
            maps.append(map)
        }
        let model = NGramModel(order: order, vocabulary: vocabulary, tables: tables, logProb: probs, logBackoff: backoffs,
                               ngramCounts: counts, provenance: provenance, filled: filledHere.contains { !$0.isEmpty } ? filledHere : [],
                               isComplete: isComplete)
        return (model, maps)
    }

    private static func copy(_ buffer: LargeBuffer<Double>) -> LargeBuffer<Double> {
        let copy = LargeBuffer<Double>(zeroedCount: buffer.count)
        for i in 0..<buffer.count { copy[i] = buffer[i] }
        return copy
    }
}
