/// Exact comparison of two models in memory, for tests of readers that must build the same
/// model in different ways (line by line or in parallel, on any number of threads).
extension NGramModel {
    /// Whether `other` holds the same model bit for bit: order, counts, smoothing, words and
    /// their ids, every table's layout (capacity, partitions, slot contents) and every value's
    /// bit pattern (NaN blanks included). Models mapped from binary files are never identical.
    public func isIdentical(to other: NGramModel) -> Bool {
        guard binary == nil, other.binary == nil, order == other.order, ngramCounts == other.ngramCounts,
              provenance == other.provenance, vocabulary.count == other.vocabulary.count,
              tables.count == other.tables.count, logProb.count == other.logProb.count,
              logBackoff.count == other.logBackoff.count, contextFlags.count == other.contextFlags.count,
              filled == other.filled else { return false }
        for id in 0..<vocabulary.count where !vocabulary.bytes(of: UInt32(id)).elementsEqual(other.vocabulary.bytes(of: UInt32(id))) {
            return false
        }
        for (a, b) in zip(tables, other.tables) {
            guard a.capacity == b.capacity, a.occupied == b.occupied, a.partitionOccupied == b.partitionOccupied,
                  a.slots.count == b.slots.count,
                  (0..<a.slots.count).allSatisfy({ a.slots[$0] == b.slots[$0] }) else { return false }
        }
        func same(_ x: [LargeBuffer<Double>], _ y: [LargeBuffer<Double>]) -> Bool {
            zip(x, y).allSatisfy { a, b in
                a.count == b.count && (0..<a.count).allSatisfy { a[$0].bitPattern == b[$0].bitPattern }
            }
        }
        let flagsSame = zip(contextFlags, other.contextFlags).allSatisfy { a, b in a.count == b.count && (0..<a.count).allSatisfy { a[$0] == b[$0] } }
        return same(logProb, other.logProb) && same(logBackoff, other.logBackoff) && flagsSame
    }
}
