/// Lower-order counts from higher-order ones, without counting again.
///
/// In:  `NGramCounts` of orders 1...N.
/// Out: `NGramCounts` of orders 1...k (k ≤ N) over the same tables, as counting at order k
///      would have produced them: the same raw counts and slots (a pass of order n does not
///      depend on N), the same continuation counts for orders below k, and raw counts as the
///      adjusted counts of order k.
extension NGramCounts {
    /// The counts of orders 1...`k`, sharing this object's tables.
    /// - Parameter k: the order wanted, 1...`order`.
    /// - Returns: counts whose tables are views (`CountTable(sharing:keepContinuation:)`), so
    ///   estimating a model from them leaves these counts intact.
    /// - Throws: `NGramKitError.invalidOption` when `k` is outside 1...`order`.
    public func truncated(toOrder k: Int) throws -> NGramCounts {
        try checkOrder(k)
        let views = (0..<(k - 1)).map { CountTable(sharing: tables[$0], keepContinuation: $0 + 2 < k) }
        return NGramCounts(order: k, vocabulary: vocabulary, unigramCounts: unigramCounts,
                           unigramContinuation: k >= 2 ? unigramContinuation : [],
                           tables: views, sentences: sentences, tokens: tokens)
    }

    /// Refuses an order these counts do not have.
    func checkOrder(_ n: Int) throws {
        guard n >= 1 && n <= order else {
            throw NGramKitError.invalidOption(name: "order", value: String(n), expected: "an order these counts have, 1 to \(order)")
        }
    }
}
