/// A curve's points grouped by slice: with `--repeats`, one slice size is measured on several
/// shuffles, and what the backtests cut by, check against and judge the fit on is the slice.
///
/// In:  every point's size and loss, and per point its slice (0, 1, ... ascending with the
///      size; nil: every point its own slice).
/// Out: per slice its points, their mean size, mean loss and the sample standard deviation of
///      the loss (nil for one point).
struct SliceGroups {
    let members: [[Int]]
    let sizes: [Double]
    let losses: [Double]
    let spreads: [Double?]

    /// Nil when the arrays differ in length or a slice number has no point.
    init?(tokens: [Int], losses values: [Double], slices: [Int]?) {
        guard tokens.count == values.count, !tokens.isEmpty else { return nil }
        let sliceOf = slices ?? Array(tokens.indices)
        guard sliceOf.count == tokens.count, let count = sliceOf.max().map({ $0 + 1 }), sliceOf.allSatisfy({ $0 >= 0 }) else { return nil }
        var members = [[Int]](repeating: [], count: count)
        for (point, slice) in sliceOf.enumerated() { members[slice].append(point) }
        guard members.allSatisfy({ !$0.isEmpty }) else { return nil }
        self.members = members
        sizes = members.map { m in m.reduce(0) { $0 + Double(tokens[$1]) } / Double(m.count) }
        losses = members.map { m in m.reduce(0) { $0 + values[$1] } / Double(m.count) }
        spreads = members.map { m in SliceGroups.standardDeviation(m.map { values[$0] }) }
    }

    /// The sample standard deviation (n − 1 in the denominator); nil for fewer than two values.
    static func standardDeviation(_ values: [Double]) -> Double? {
        guard values.count > 1 else { return nil }
        let mean = values.reduce(0, +) / Double(values.count)
        return (values.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(values.count - 1)).squareRoot()
    }
}
