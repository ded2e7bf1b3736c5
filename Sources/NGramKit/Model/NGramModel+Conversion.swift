/// A model mapped from a binary file, turned into one in memory: what the writers need (they
/// read the in-memory arrays), so a binary model can be written as ARPA or re-laid out.
extension NGramModel {
    /// The same model in memory: every entry of the binary file (its code decoded back to its key,
    /// `BinaryTable.key(code:)`) in counting tables, with its values. Entries the binary file
    /// stores that are not n-grams of an ARPA file (filled-in suffixes of a pruned model) become
    /// ordinary n-grams: the scores are the same, the ARPA file lists them.
    /// - Returns: `self` when the model is in memory already.
    /// - Throws: `NGramKitError.capacityExceeded` for tables too large for counting tables.
    public func inMemory() throws -> NGramModel {
        guard let binary else { return self }
        let v = vocabulary.count
        let words = Vocabulary()
        for id in 3..<v { words.add(vocabulary.bytes(of: UInt32(id))) }
        let unigramProb = LargeBuffer<Double>(zeroedCount: v)
        let unigramBackoff = LargeBuffer<Double>(zeroedCount: order > 1 ? v : 0)
        for id in 0..<v {
            unigramProb[id] = Double(binary.unigramValues[2 * id])
            if order > 1 { unigramBackoff[id] = Double(binary.unigramValues[2 * id + 1]) }
        }
        var tables: [CountTable] = [], probs = [unigramProb], backoffs = [unigramBackoff]
        var lowerMap: [UInt32] = []   // the binary slot of each entry one order down → its slot here
        for n in stride(from: 2, through: order, by: 1) {
            let mapped = binary.tables[n - 2]
            let entries = binary.entryCounts[n - 1]
            let table = try CountTable(order: n, capacity: Int(Double(entries) / 0.8) + 64, wordLimit: v,
                                       contextLimit: n == 2 ? v : tables[n - 3].capacity)
            var keys: [(source: Int, key: UInt64)] = []
            keys.reserveCapacity(entries)
            for slot in 0..<mapped.slots {
                let code = mapped.storedCode(slot)
                guard code != 0 else { continue }
                let key = BinaryTable.key(code: code, bits: mapped.keyBits)
                let context = UInt32(truncatingIfNeeded: key >> mapped.wordBits)
                let word = UInt32(truncatingIfNeeded: key & ((1 << mapped.wordBits) - 1))
                let here = table.key(context: n == 2 ? context : lowerMap[Int(context)], word: word)
                keys.append((slot, here))
            }
            let (prob, backoff, map) = table.place(keys, sources: mapped.slots, backoffs: n < order) {
                (mapped.logProb(keys[$0].source), n < order ? mapped.logBackoff(keys[$0].source) : 0)
            }
            tables.append(table)
            probs.append(prob)
            backoffs.append(backoff)
            lowerMap = map
        }
        // The ids of the copy follow the binary file's (its words were added in id order).
        return NGramModel(order: order, vocabulary: words, tables: tables, logProb: probs, logBackoff: backoffs,
                          ngramCounts: binary.ngramCounts, provenance: provenance, isComplete: isComplete)
    }
}
