import Foundation

/// The model-size axis of a scaling run with `--prune`: every model of order ≥ 2 measured
/// unpruned and pruned at each threshold, the joint law L(N, D) per curve, and the frontier of
/// loss against model bytes (the Chinchilla question for n-grams: for a budget of model bytes,
/// which order, slice and pruning give the lowest loss?).
///
/// In:  the run's points (repeats averaged per slice, order, method and threshold).
/// Out: the entries, one joint fit per (method, order), the measured frontier (the entries no
///      smaller-or-equal model beats), and per budget the best measured entry and the best
///      loss the fitted laws promise.
public struct ModelSizeStudy {
    /// One model: a slice's model, unpruned or pruned at one threshold, its size and loss.
    public struct Entry: Sendable, Equatable {
        public var smoothing: SmoothingMethod
        public var order: Int
        public var requestedTokens: Int
        public var tokens: Int
        /// 0: unpruned.
        public var pruneThreshold: Double
        /// N-grams of orders ≥ 2, and of all orders.
        public var ngrams: Int
        public var totalNGrams: Int
        /// Bytes of the binary model; nil when not measured.
        public var bytes: Int?
        /// Held-out loss (mean over repeats), and the unpruned model's of the same slice.
        public var lossNats: Double
        public var unprunedLossNats: Double?
        public var unprunedNGrams: Int?
        public var name: String { "\(smoothing.shortName) \(order)-gram" }
    }

    /// One curve's joint law.
    public struct Curve: Sendable {
        public var smoothing: SmoothingMethod
        public var order: Int
        public var fit: JointScalingLawFit?
        /// bytes ≈ `bytesIntercept` + `bytesPerNGram` · N (least squares over the curve's entries):
        /// how the fitted frontier turns a byte budget into N.
        public var bytesIntercept: Double?
        public var bytesPerNGram: Double?
        /// The largest model of the largest slice: N and D where the law is checked against a budget.
        public var largestNGrams: Int
        public var largestTokens: Int
        public var name: String { "\(smoothing.shortName) \(order)-gram" }
    }

    /// One row of the frontier table: a budget of bytes; the best slice for it, each slice's
    /// models interpolated between thresholds; the largest slice pruned to fit; the best measured
    /// model within it; and the best loss a fitted law promises within it.
    public struct Budget: Sendable {
        public var bytes: Int
        /// The slice (and order) whose loss, interpolated in log bytes between its measured
        /// models, is lowest at this budget; nil when no slice has a model this small.
        public var bestSlice: (name: String, tokens: Int, lossNats: Double)?
        /// The largest slice's best order at this budget, interpolated alike.
        public var largestSlice: (name: String, tokens: Int, lossNats: Double)?
        public var measured: Entry?
        public var fitted: (curve: String, lossNats: Double, ngrams: Double)?
    }

    public let thresholds: [Double]
    public let entries: [Entry]
    public let curves: [Curve]

    /// The study of `points`, or nil when the run pruned nothing.
    public init?(points: [ScalingPoint], options: ScalingOptions, bootstrapResamples: Int, seed: UInt64) {
        guard !options.pruneThresholds.isEmpty, points.contains(where: \.isPruned) else { return nil }
        thresholds = options.pruneThresholds
        let thresholdSet = Set([0] + options.pruneThresholds)
        struct Group: Hashable { var smoothing: SmoothingMethod; var order: Int; var requested: Int; var threshold: Double }
        var groups: [Group: [Int: ScalingPoint]] = [:]
        for p in points where p.order >= 2 && p.repeatIndex < options.repeats && thresholdSet.contains(p.pruneThreshold)
            && options.smoothings.contains(p.smoothing) && options.orders.contains(p.order) {
            groups[Group(smoothing: p.smoothing, order: p.order, requested: p.requestedTokens, threshold: p.pruneThreshold), default: [:]][p.repeatIndex] = p
        }
        var entries: [Entry] = []
        var curves: [Curve] = []
        for smoothing in options.smoothings {
            for order in options.orders.sorted() where order >= 2 {
                let keys = groups.keys.filter { $0.smoothing == smoothing && $0.order == order }
                    .sorted { ($0.requested, $0.threshold) < ($1.requested, $1.threshold) }
                guard keys.contains(where: { $0.threshold > 0 }) else { continue }
                var curveEntries: [Entry] = []
                for key in keys {
                    let mean = ScalingPoint.mean(of: groups[key]!.keys.sorted().map { groups[key]![$0]! })
                    let base = groups[Group(smoothing: smoothing, order: order, requested: key.requested, threshold: 0)]
                        .map { byRepeat in ScalingPoint.mean(of: byRepeat.keys.sorted().map { byRepeat[$0]! }) }
                    curveEntries.append(Entry(smoothing: smoothing, order: order, requestedTokens: key.requested, tokens: mean.tokens,
                                              pruneThreshold: key.threshold, ngrams: mean.higherOrderNGrams, totalNGrams: mean.totalNGrams,
                                              bytes: mean.binaryBytes, lossNats: mean.lossNats,
                                              unprunedLossNats: base?.lossNats, unprunedNGrams: base?.higherOrderNGrams))
                }
                // The fit takes every repeat's point; slices group a slice's repeats and thresholds.
                let all = keys.flatMap { key in groups[key]!.keys.sorted().map { groups[key]![$0]! } }
                let requested = Array(Set(all.map(\.requestedTokens))).sorted()
                let curveSeed = seed &* 7_000_003 &+ UInt64(order) &* 131 &+ (smoothing == .kneserNey ? 0 : 19 &* UInt64(SmoothingMethod.allCases.firstIndex(of: smoothing)!))
                let fit = JointScalingLawFit.fit(ngrams: all.map(\.higherOrderNGrams), tokens: all.map(\.tokens), losses: all.map(\.lossNats),
                                                 slices: all.map { requested.firstIndex(of: $0.requestedTokens)! },
                                                 thresholds: all.map(\.pruneThreshold), bootstrapResamples: bootstrapResamples,
                                                 seed: curveSeed, threads: options.threads)
                let sized = curveEntries.filter { $0.bytes != nil }
                let line = ModelSizeStudy.line(x: sized.map { Double($0.ngrams) }, y: sized.map { Double($0.bytes!) })
                let largest = curveEntries.max { ($0.tokens, $0.ngrams) < ($1.tokens, $1.ngrams) }!
                curves.append(Curve(smoothing: smoothing, order: order, fit: fit, bytesIntercept: line?.intercept, bytesPerNGram: line?.slope,
                                    largestNGrams: largest.ngrams, largestTokens: largest.tokens))
                entries += curveEntries
            }
        }
        self.entries = entries
        self.curves = curves
    }

    /// Least-squares line y = intercept + slope·x; nil with fewer than 2 distinct x.
    static func line(x: [Double], y: [Double]) -> (intercept: Double, slope: Double)? {
        guard Set(x).count >= 2 else { return nil }
        let n = Double(x.count), mx = x.reduce(0, +) / n, my = y.reduce(0, +) / n
        var sxy = 0.0, sxx = 0.0
        for i in x.indices { sxy += (x[i] - mx) * (y[i] - my); sxx += (x[i] - mx) * (x[i] - mx) }
        let slope = sxy / sxx
        return (my - slope * mx, slope)
    }

    /// Per method, the measured frontier: the entries with bytes that no entry of at most their
    /// bytes beats, ascending in bytes.
    public func frontier(_ smoothing: SmoothingMethod) -> [Entry] {
        let sized = entries.filter { $0.smoothing == smoothing && $0.bytes != nil }.sorted { ($0.bytes!, $0.lossNats) < ($1.bytes!, $1.lossNats) }
        var result: [Entry] = []
        for entry in sized where result.last.map({ entry.lossNats < $0.lossNats }) ?? true { result.append(entry) }
        return result
    }

    /// A slice's loss at `budget` bytes: its models (one order, unpruned and pruned) joined in
    /// log bytes; its largest model's loss above them; nil below its smallest.
    static func interpolated(_ line: [Entry], at budget: Int) -> Double? {
        guard let first = line.first, let last = line.last, budget >= first.bytes! else { return nil }
        // Never worse than a model of the line that fits (a line need not fall everywhere).
        let fitting = line.filter { $0.bytes! <= budget }.map(\.lossNats).min()!
        if budget >= last.bytes! { return fitting }
        let upper = line.firstIndex { $0.bytes! > budget }!, a = line[upper - 1], b = line[upper]
        guard b.bytes! > a.bytes! else { return fitting }
        let t = log(Double(budget) / Double(a.bytes!)) / log(Double(b.bytes!) / Double(a.bytes!))
        return min(fitting, a.lossNats + t * (b.lossNats - a.lossNats))
    }

    /// Byte budgets from the smallest measured model to the largest, doubling, each with the best
    /// slice, the largest slice, the best measured model and the best fitted loss (each curve's
    /// law at its largest slice for an N that fits the budget by its bytes line, N within the
    /// range its models at that slice span: no extrapolation in N).
    public func budgets(_ smoothing: SmoothingMethod) -> [Budget] {
        let sized = entries.filter { $0.smoothing == smoothing && $0.bytes != nil }
        guard let smallest = sized.map({ $0.bytes! }).min(), let largest = sized.map({ $0.bytes! }).max() else { return [] }
        struct LineKey: Hashable { var order: Int; var requested: Int }
        let lines = Dictionary(grouping: sized) { LineKey(order: $0.order, requested: $0.requestedTokens) }
            .mapValues { $0.sorted { $0.bytes! < $1.bytes! } }
        // Slices by the size asked for (a mean of repeats' real sizes may differ between orders).
        let largestSlice = sized.map(\.requestedTokens).max()!
        var budgets: [Budget] = []
        var bytes = Double(smallest)
        while true {
            let budget = Int(bytes.rounded())
            var best: (name: String, tokens: Int, lossNats: Double)? = nil, top: (name: String, tokens: Int, lossNats: Double)? = nil
            for key in lines.keys.sorted(by: { ($0.requested, $0.order) < ($1.requested, $1.order) }) {
                let line = lines[key]!
                guard let loss = ModelSizeStudy.interpolated(line, at: budget) else { continue }
                let candidate = (line[0].name, line[0].tokens, loss)
                if best == nil || loss < best!.lossNats { best = candidate }
                if line[0].requestedTokens == largestSlice && (top == nil || loss < top!.lossNats) { top = candidate }
            }
            let measured = sized.filter { $0.bytes! <= budget }.min { $0.lossNats < $1.lossNats }
            var fitted: (curve: String, lossNats: Double, ngrams: Double)? = nil
            for curve in curves where curve.smoothing == smoothing {
                guard let fit = curve.fit, let intercept = curve.bytesIntercept, let slope = curve.bytesPerNGram, slope > 0 else { continue }
                let atLargest = entries.filter { $0.smoothing == smoothing && $0.order == curve.order && $0.tokens == curve.largestTokens }
                guard let low = atLargest.map(\.ngrams).min() else { continue }
                let n = min((Double(budget) - intercept) / slope, Double(curve.largestNGrams))
                guard n >= Double(low) else { continue }
                let loss = fit.predict(ngrams: n, tokens: Double(curve.largestTokens))
                if fitted == nil || loss < fitted!.lossNats { fitted = (curve.name, loss, n) }
            }
            budgets.append(Budget(bytes: budget, bestSlice: best, largestSlice: top, measured: measured, fitted: fitted))
            if budget >= largest { break }
            bytes = min(bytes * 2, Double(largest))
        }
        return budgets
    }
}
