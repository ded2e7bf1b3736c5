import Foundation

/// The slice sizes of a scaling run.
public enum SliceSchedule: Sendable, Equatable {
    /// These token counts (sizes beyond the pool become the whole pool).
    case sizes([Int])
    /// start, start·factor, start·factor², ... below the pool, then the whole pool.
    case geometric(start: Int, factor: Double)

    /// Slice sizes a schedule may name: 1 to 10^15 word tokens.
    public static let sizeRange = 1...1_000_000_000_000_000
    /// Ratios the geometric schedule takes (finer schedules: give `sizes`).
    public static let factorRange = 1.05...1000.0

    /// Checks the schedule's numbers.
    /// - Throws: `NGramKitError.invalidOption` naming the option and its range.
    public func validate() throws {
        switch self {
        case .sizes(let list):
            guard !list.isEmpty else { throw NGramKitError.invalidOption(name: "--sizes", value: "", expected: "at least one size") }
            for size in list where !SliceSchedule.sizeRange.contains(size) {
                throw NGramKitError.invalidOption(name: "--sizes", value: String(size), expected: "sizes from 1 to 1e15 tokens")
            }
        case .geometric(let start, let factor):
            guard SliceSchedule.sizeRange.contains(start) else {
                throw NGramKitError.invalidOption(name: "--start", value: String(start), expected: "a size from 1 to 1e15 tokens")
            }
            guard factor.isFinite && SliceSchedule.factorRange.contains(factor) else {
                throw NGramKitError.invalidOption(name: "--factor", value: String(factor), expected: "a ratio from 1.05 to 1000 (give --sizes for any other list)")
            }
        }
    }

    /// The sizes for a pool of `poolTokens` word tokens, ascending, without repeats.
    /// - Precondition: `validate()` passes.
    public func sizes(poolTokens: Int) -> [Int] {
        var result: [Int]
        switch self {
        case .sizes(let list):
            result = list.map { min($0, poolTokens) }
        case .geometric(let start, let factor):
            result = SliceSchedule.geometric(start: start, factor: factor, below: poolTokens)
            // The whole pool ends the schedule, unless the last size is within 10% of it.
            if let last = result.last, SliceSchedule.poolReplaces(last, poolTokens: poolTokens) { result.removeLast() }
            result.append(poolTokens)
        }
        return Array(Set(result.filter { $0 > 0 })).sorted()
    }

    /// What `sizes(poolTokens:)` did beyond listing sizes: sizes beyond the pool, and how the
    /// whole pool joined the geometric schedule. Exact counts: abbreviations can make two sizes
    /// look alike.
    public func notes(poolTokens: Int) -> [String] {
        switch self {
        case .sizes(let list):
            let beyond = Array(Set(list.filter { $0 > poolTokens })).sorted()
            guard !beyond.isEmpty else { return [] }
            return ["\(beyond.map(String.init).joined(separator: ", ")) \(beyond.count == 1 ? "is" : "are") beyond the pool (\(poolTokens) tokens): measured as the whole pool"]
        case .geometric(let start, let factor):
            guard let last = SliceSchedule.geometric(start: start, factor: factor, below: poolTokens).last else {
                return ["--start \(start) is not below the pool: the whole pool (\(poolTokens) tokens) is the only slice"]
            }
            return [SliceSchedule.poolReplaces(last, poolTokens: poolTokens)
                ? "\(last) is within 10% of the pool: the whole pool (\(poolTokens) tokens) takes its place"
                : "the whole pool (\(poolTokens) tokens) ends the schedule"]
        }
    }

    /// start, start·factor, ... rounded, every one below `limit`.
    private static func geometric(start: Int, factor: Double, below limit: Int) -> [Int] {
        var result: [Int] = []
        var size = Double(start)
        while Int(size.rounded()) < limit {
            result.append(Int(size.rounded()))
            size *= factor
        }
        return result
    }

    /// Whether the whole pool takes the place of the geometric schedule's last size: within 10%.
    private static func poolReplaces(_ last: Int, poolTokens: Int) -> Bool { Double(last) > 0.9 * Double(poolTokens) }
}

/// What to measure.
public struct ScalingOptions: Sendable, Equatable {
    public var smoothings: [SmoothingMethod]
    public var orders: [Int]
    public var schedule: SliceSchedule
    /// Stupid Backoff's α.
    public var alpha: Double
    /// Kneser-Ney discounts where the closed form fails (small slices).
    public var discountFallback: KneserNeyDiscount
    public var threads: Int
    /// The whole schedule is measured on this many shuffles of the pool (`--repeats`): the
    /// spread of the points, and fits that use all of them.
    public var repeats: Int
    /// The memory the run may use and where it spills (nil: `MemoryBudget.standard()`): see
    /// `ScalingExperiment`. The points do not depend on it.
    public var memory: MemoryBudget?
    /// Relative-entropy thresholds (`--prune`): every model of order 2 and up built in memory is
    /// also pruned at each, and each pruned model is a point of its own (the model-size axis).
    public var pruneThresholds: [Double] = []

    public init(smoothings: [SmoothingMethod] = [.kneserNey, .stupidBackoff], orders: [Int] = [1, 2, 3, 4, 5],
                schedule: SliceSchedule = .geometric(start: 10_000, factor: 2), alpha: Double = StupidBackoff.defaultAlpha,
                discountFallback: KneserNeyDiscount = .fallbackDefault, threads: Int = ThreadCount.all, memory: MemoryBudget? = nil,
                repeats: Int = 1) {
        self.memory = memory
        self.repeats = repeats
        self.smoothings = smoothings
        self.orders = orders
        self.schedule = schedule
        self.alpha = alpha
        self.discountFallback = discountFallback
        self.threads = threads
    }

    /// Orders the harness measures.
    public static let orderRange = 1...10
    /// Repeats a run may ask for.
    public static let repeatRange = 1...100

    /// Checks every option before any work.
    /// - Throws: `NGramKitError.invalidOption` naming the option and its range.
    public func validate() throws {
        guard !smoothings.isEmpty else { throw NGramKitError.invalidOption(name: "--smoothing", value: "", expected: "at least one method") }
        guard !orders.isEmpty else { throw NGramKitError.invalidOption(name: "--orders", value: "", expected: "at least one order") }
        for order in orders where !ScalingOptions.orderRange.contains(order) {
            throw NGramKitError.invalidOption(name: "--orders", value: String(order), expected: "orders from 1 to 10")
        }
        guard threads >= 1 else { throw NGramKitError.invalidOption(name: "--threads", value: String(threads), expected: "at least 1") }
        guard ScalingOptions.repeatRange.contains(repeats) else {
            throw NGramKitError.invalidOption(name: "--repeats", value: String(repeats), expected: "from 1 to 100 shuffles of the pool")
        }
        for threshold in pruneThresholds where !(threshold.isFinite && threshold > 0) {
            throw NGramKitError.invalidOption(name: "--prune", value: String(threshold), expected: "relative-entropy thresholds > 0, e.g. 1e-8,1e-7,1e-6")
        }
        try schedule.validate()
        try EstimationOptions(smoothing: .stupidBackoff, alpha: alpha, discountFallback: discountFallback).validate()
    }
}

/// The measuring loop of `ngramkit scale`.
///
/// In:  a `ScalingCorpus`, the options, and the points already measured (a resumed run).
/// Out: one `ScalingPoint` per (slice, order, smoothing), handed to `onPoint` as soon as it is
///      measured, smallest slice first.
///
/// Per slice, the slice's ids (a prefix of the pool) are counted once, at the highest order
/// wanted; every lower order's model is estimated from views of those counts
/// (`NGramCounts.truncated(toOrder:)`, the same counts as counting at that order), and scored in
/// memory on the held-out ids: no text is read again and no model is written. The text was
/// tokenized once, when the corpus was read; counting a slice from its ids costs a small part of
/// estimating and scoring its models (see the README's timing table), so slices are recounted
/// rather than grown in place.
///
/// Past the memory budget (what `options.memory` leaves beside the corpus's ids), the orders
/// whose counts and models fit are measured as above; each higher order's models (one per
/// smoothing method, from one count) are built as `build` builds past its budget (counted,
/// estimated and merged a partition at a time, in temporary files), and of their n-grams only
/// those that occur in the held-out set are kept in memory (`RestrictedModelBuilder`): scoring
/// the held-out set needs no other, and gets the same values, so the point is the one measured
/// in memory, bit for bit.
public final class ScalingExperiment {
    public let corpus: ScalingCorpus
    public let options: ScalingOptions
    /// Reports progress on stderr (nil: quiet).
    public var progress: ProgressReporter?
    /// Receives warning lines (fallback discounts), prefixed with the point they concern.
    public var warn: (String) -> Void = { _ in }

    public init(corpus: ScalingCorpus, options: ScalingOptions) {
        self.corpus = corpus
        self.options = options
    }

    /// The (requested size, slice) pairs of the run: sizes whose slices coincide (whole units)
    /// are measured once, under the first size.
    public func slices() -> [(requested: Int, units: Int, tokens: Int, streamCount: Int)] { plan().slices }

    /// What became of the sizes the schedule asked for, where it is not simply "measured":
    /// the schedule's own notes (`SliceSchedule.notes`), then sizes whose slices coincide.
    public func scheduleNotes() -> [String] {
        options.schedule.notes(poolTokens: corpus.poolTokens) + plan().merged
    }

    /// The slices, and a note for every size merged into an earlier one's slice.
    private func plan() -> (slices: [(requested: Int, units: Int, tokens: Int, streamCount: Int)], merged: [String]) {
        var slices: [(requested: Int, units: Int, tokens: Int, streamCount: Int)] = []
        var merged: [String] = []
        for size in options.schedule.sizes(poolTokens: corpus.poolTokens) {
            let slice = corpus.slice(tokens: size)
            if let kept = slices.last, kept.units == slice.units {
                merged.append("\(size) gives the same slice as \(kept.requested) (whole \(corpus.unit.rawValue)s: \(slice.units) units, \(slice.tokens) tokens): measured once, as \(kept.requested)")
                continue
            }
            slices.append((size, slice.units, slice.tokens, slice.streamCount))
        }
        return (slices, merged)
    }

    /// Measures every point not in `done`.
    /// - Parameters:
    ///   - done: points of an earlier run with the same corpus settings; they are skipped.
    ///   - onPoint: receives each new point.
    public func run(skipping done: Set<ScalingPoint.Key>, onPoint: (ScalingPoint) throws -> Void) throws {
        let orders = options.orders.sorted()
        try corpus.arrangePool(forRepeat: 0)
        // The report describes the schedule on the first arrangement, also after an error.
        var finished = false
        defer { if !finished { try? corpus.arrangePool(forRepeat: 0) } }
        let firstPlan = slices()
        let totalPoints = firstPlan.count * options.repeats * options.smoothings.count
            * orders.reduce(0) { $0 + 1 + ($1 >= 2 ? options.pruneThresholds.count : 0) }
        // Every point of a model: unpruned, then pruned at each threshold (orders 2 and up).
        func keys(_ smoothing: SmoothingMethod, _ order: Int, _ requested: Int, _ r: Int) -> [ScalingPoint.Key] {
            [.init(smoothing: smoothing, order: order, requestedTokens: requested, repeatIndex: r)]
                + (order >= 2 ? options.pruneThresholds : []).map {
                    .init(smoothing: smoothing, order: order, requestedTokens: requested, repeatIndex: r, pruneThreshold: $0)
                }
        }
        func isDone(_ smoothing: SmoothingMethod, _ order: Int, _ requested: Int, _ r: Int) -> Bool {
            keys(smoothing, order, requested, r).allSatisfy(done.contains)
        }
        var measured = 0
        let heldoutStarts = corpus.heldoutSentenceStarts
        let budget = try sliceBudget()
        let space = LazyTemporarySpace(budget: budget)
        // The held-out set's n-grams, counted when a slice first spills (what its models keep).
        var heldoutCounts: NGramCounts?
        for r in 0..<options.repeats {
            let repeatDone = firstPlan.allSatisfy { slice in
                orders.allSatisfy { order in options.smoothings.allSatisfy { isDone($0, order, slice.requested, r) } }
            }
            if repeatDone {
                measured += totalPoints / options.repeats
                continue
            }
            try corpus.arrangePool(forRepeat: r)
            // Every repeat measures the sizes of the first one's plan (sizes that coincide under
            // this shuffle are measured apart, as alike slices), so every slice has R points.
            let plan = r == 0 ? firstPlan : firstPlan.map { first in
                let slice = corpus.slice(tokens: first.requested)
                return (requested: first.requested, units: slice.units, tokens: slice.tokens, streamCount: slice.streamCount)
            }
            for (sliceNumber, slice) in plan.enumerated() {
                let pending = orders.filter { order in options.smoothings.contains { !isDone($0, order, slice.requested, r) } }
                if pending.isEmpty {
                    measured += totalPoints / options.repeats / plan.count
                    continue
                }
                ResourceUsage.resetPeakResident()
                let describe = (options.repeats > 1 ? "repeat \(r + 1)/\(options.repeats), " : "") + "slice \(sliceNumber + 1)/\(plan.count) (\(ScalingExperiment.abbreviated(slice.tokens)) tokens)"
                progress?.status("\(describe): counting orders 1-\(pending.last!)")
                let countStart = ProgressClock.now(), countCPUStart = ResourceUsage.processCPUSeconds()
                // Counted once at the highest pending order that fits; higher orders spill.
                var counts: NGramCounts? = try {
                    let left = try budgetLeft(budget, minus: heldoutCounts?.tableMemory ?? 0, for: "the held-out set's n-grams")
                    var top: NGramCounter? = try counter(streamCount: slice.streamCount, order: pending.last!, within: left, space: space.get)
                    let bytesPerNGram = options.smoothings.map(\.bytesPerNGramInMemory).max()!
                    guard let fitting = try top!.highestOrderFitting(pending, bytesPerNGram: bytesPerNGram) else { return nil }
                    if fitting == top!.order { return try top!.finish() }
                    top = nil   // let go before the slice is loaded again at the order that fits
                    return try counter(streamCount: slice.streamCount, order: fitting, within: left, space: space.get).finish()
                }()
                let inMemoryOrder = counts?.order ?? 0
                let countSeconds = ProgressClock.now() - countStart
                let countCPUSeconds = ResourceUsage.processCPUSeconds() - countCPUStart
                // Held-out words never seen in this slice.
                var unseen: Int?
                func countUnseen(_ unigramCounts: [UInt64]) -> Int {
                    var result = 0
                    corpus.withHeldout { ids in
                        for id in ids where id != Vocabulary.beginID && id != Vocabulary.endID && unigramCounts[Int(id)] == 0 { result += 1 }
                    }
                    return result
                }
                if let counts { unseen = countUnseen(counts.unigramCounts) }
                for order in orders {
                    // Past the budget: the models of every pending smoothing, from one count.
                    var spilled: [SmoothingMethod: (model: NGramModel, sentences: Int, seconds: Double, cpuSeconds: Double)] = [:]
                    let spilling = options.smoothings.filter { !done.contains(.init(smoothing: $0, order: order, requestedTokens: slice.requested, repeatIndex: r)) }
                    if order > inMemoryOrder && order >= 2 && !options.pruneThresholds.isEmpty {
                        // A model built past the budget keeps only the held-out set's n-grams.
                        warn("\(ScalingExperiment.abbreviated(slice.tokens)) tokens, order \(order): past the memory budget, so not pruned (pruning needs the whole model in memory)")
                    }
                    if order > inMemoryOrder && !spilling.isEmpty {
                        counts = nil
                        for method in spilling where !method.estimatesPastBudget {
                            warn("\(ScalingExperiment.abbreviated(slice.tokens)) tokens, \(method.rawValue) order \(order): past the memory budget, where only kneser-ney, kneser-ney-original and stupid-backoff are built, so not measured (raise --memory)")
                        }
                    }
                    if order > inMemoryOrder, case let spilling = spilling.filter(\.estimatesPastBudget), !spilling.isEmpty {
                        if heldoutCounts == nil {
                            heldoutCounts = try corpus.withHeldout {
                                try NGramCounter.count(ids: $0, vocabulary: corpus.vocabulary, order: orders.last!, threads: options.threads)
                            }
                        }
                        progress?.status("\(describe): order \(order) past the memory budget [point \(measured + 1)/\(totalPoints)]")
                        let built = try buildPastBudget(streamCount: slice.streamCount, order: order, smoothings: spilling,
                                                        heldoutCounts: heldoutCounts!, budget: budget, space: space.get()) {
                            self.warn("\(ScalingExperiment.abbreviated(slice.tokens)) tokens, order \(order): \($0)")
                        }
                        if unseen == nil { unseen = countUnseen(built.unigramCounts) }
                        for (smoothing, model) in built.models { spilled[smoothing] = (model.model, built.sentences, model.seconds, model.cpuSeconds) }
                    }
                    for smoothing in options.smoothings {
                        // Whatever happens below, this model's points (unpruned and pruned) are then behind.
                        let measuredBefore = measured
                        defer { measured = measuredBefore + 1 + (order >= 2 ? options.pruneThresholds.count : 0) }
                        let key = ScalingPoint.Key(smoothing: smoothing, order: order, requestedTokens: slice.requested, repeatIndex: r)
                        // Past the budget and not built there (warned above): no point.
                        if order > inMemoryOrder && spilled[smoothing] == nil { continue }
                        var pruneKeys = spilled[smoothing] != nil || order > inMemoryOrder ? [] : keys(smoothing, order, slice.requested, r).dropFirst().filter { !done.contains($0) }
                        if done.contains(key) && pruneKeys.isEmpty { continue }
                        measured += (done.contains(key) ? 1 : 0) + (order >= 2 ? options.pruneThresholds.count : 0) - pruneKeys.count
                        progress?.status("\(describe): \(smoothing.rawValue) order \(order) [point \(measured + 1)/\(totalPoints)]")
                        let estimateStart = ProgressClock.now(), estimateCPUStart = ResourceUsage.processCPUSeconds()
                        let model: NGramModel, sentences: Int
                        if let spilled = spilled[smoothing] {
                            model = spilled.model
                            sentences = spilled.sentences
                        } else {
                            model = try NGramModel.estimate(from: try counts!.truncated(toOrder: order), options: estimation(smoothing),
                                                            threads: options.threads) {
                                self.warn("\(ScalingExperiment.abbreviated(slice.tokens)) tokens, order \(order): \($0)")
                            }
                            sentences = counts!.sentences
                        }
                        // The model's point (when not done yet), then one per pending threshold, each
                        // pruned model scored and let go before the next is made.
                        let estimated = (seconds: ProgressClock.now() - estimateStart,
                                         cpuSeconds: ResourceUsage.processCPUSeconds() - estimateCPUStart)
                        let measuresBytes = !options.pruneThresholds.isEmpty && order >= 2 && spilled[smoothing] == nil
                        func emit(_ variant: (model: NGramModel, threshold: Double, seconds: Double, cpuSeconds: Double)) throws {
                            let model = variant.model
                            let scoreStart = ProgressClock.now()
                            let result = try corpus.withHeldout {
                                try HeldOutScorer.score(model: model, ids: $0, sentenceStarts: heldoutStarts, threads: options.threads)
                            }
                            let end = ProgressClock.now()
                            let lossNats = -result.log10Prob / Double(result.tokens) * M_LN10
                            var point = ScalingPoint(
                                smoothing: smoothing, order: order, repeatIndex: r, requestedTokens: slice.requested, tokens: slice.tokens,
                                sentences: sentences, units: slice.units, heldoutTokens: result.tokens,
                                heldoutUnknownRate: Double(corpus.heldoutUnknownTokens) / Double(corpus.heldoutTokens),
                                heldoutUnseenRate: Double(unseen!) / Double(corpus.heldoutTokens),
                                lossNats: lossNats,
                                rawScoreNats: result.rawLog10Score.map { -$0 / Double(result.tokens) * M_LN10 },
                                zeroProbabilityTokens: result.zeroProbabilityTokens,
                                ngrams: model.ngramCounts, countSeconds: spilled[smoothing] == nil ? countSeconds : 0,
                                estimateSeconds: spilled[smoothing]?.seconds ?? variant.seconds, scoreSeconds: end - scoreStart,
                                modelBytes: spilled[smoothing] == nil ? model.memoryFootprint : 0, peakResidentBytes: ResourceUsage.peakResidentBytes() ?? 0)
                            // A model built past the budget counted its own slice: its share is in its seconds.
                            point.countCPUSeconds = spilled[smoothing] == nil ? countCPUSeconds : 0
                            point.estimateCPUSeconds = spilled[smoothing]?.cpuSeconds ?? variant.cpuSeconds
                            point.matchedTokens = result.matchedLengthTokens
                            point.matchedLossNats = zip(result.matchedLengthTokens, result.matchedLengthLog10Prob).map { tokens, log10Prob in
                                tokens == 0 ? .nan : -log10Prob / Double(tokens) * M_LN10
                            }
                            point.pruneThreshold = variant.threshold
                            if measuresBytes { point.binaryBytes = try binaryBytes(of: model, in: space.get()) }
                            measured += 1
                            try onPoint(point)
                        }
                        if !done.contains(key) { try emit((model, 0, estimated.seconds, estimated.cpuSeconds)) }
                        // Beside the model: the slice's count tables of higher orders (the model shares
                        // the others) and the held-out set's n-grams.
                        let held = (counts?.tables.filter { $0.order > order }.reduce(0) { $0 + $1.slots.memoryFootprint } ?? 0)
                            + (heldoutCounts?.tableMemory ?? 0)
                        if !pruneKeys.isEmpty, held + PruningJob.memoryNeeded(model) > budget.bytes {
                            warn("\(ScalingExperiment.abbreviated(slice.tokens)) tokens, \(smoothing.rawValue) order \(order): not pruned, pruning it would take \(ByteCount.text(PruningJob.memoryNeeded(model))) beside \(ByteCount.text(held)) of counts, more than the memory budget (\(ByteCount.text(budget.bytes)))")
                            pruneKeys = []
                        }
                        if !pruneKeys.isEmpty {
                            progress?.status("\(describe): \(smoothing.rawValue) order \(order), pruning at \(pruneKeys.count) thresholds")
                            let pruneStart = ProgressClock.now(), pruneCPUStart = ResourceUsage.processCPUSeconds()
                            var pruneSeconds = (wall: 0.0, cpu: 0.0)
                            var index = 0
                            // Each pruned model's seconds: estimating the model, then the pruning since the
                            // previous one (its selection and build; the first also scores the n-grams,
                            // once for every threshold).
                            try RelativeEntropyPruning.prune(model, pruneKeys.map { .threshold($0.pruneThreshold) }, threads: options.threads) { result in
                                let wall = ProgressClock.now() - pruneStart - pruneSeconds.wall
                                let cpu = ResourceUsage.processCPUSeconds() - pruneCPUStart - pruneSeconds.cpu
                                let emitStart = ProgressClock.now(), emitCPUStart = ResourceUsage.processCPUSeconds()
                                try emit((result.model, pruneKeys[index].pruneThreshold, estimated.seconds + wall, estimated.cpuSeconds + cpu))
                                // Scoring and sizing the pruned model is not pruning time.
                                pruneSeconds.wall += wall + ProgressClock.now() - emitStart
                                pruneSeconds.cpu += cpu + ResourceUsage.processCPUSeconds() - emitCPUStart
                                index += 1
                            }
                        }
                    }
                }
            }
        }
        try corpus.arrangePool(forRepeat: 0)
        finished = true
        progress?.done()
    }

    /// Bytes of `model` in the binary format: the file written in the temporary directory and
    /// removed (the layout's size depends on how its tables probe, so it is written, not guessed).
    private func binaryBytes(of model: NGramModel, in space: TemporarySpace) throws -> Int {
        let file = try OutputFile(path: space.directory + "/ngramkit-size-of-model.bin", seekable: true)
        defer { file.discard() }
        return try BinaryModelWriter.write(model, into: file, threads: options.threads).bytes
    }

    /// What the budget leaves beside the corpus's ids.
    /// - Throws: `NGramKitError.invalidOption` naming `--memory` when that is too little.
    private func sliceBudget() throws -> MemoryBudget {
        let budget = options.memory ?? .standard()
        let left = budget.bytes - corpus.memoryFootprint
        guard left >= MemoryBudget.minimumBytes else {
            let what = corpus.poolIsOnDisk ? "the corpus's held-out ids and tables of units" : "the corpus's ids"
            throw NGramKitError.invalidOption(name: "--memory", value: budget.description,
                                              expected: "at least \(ByteCount.text(corpus.memoryFootprint + MemoryBudget.minimumBytes)): \(what) take \(ByteCount.text(corpus.memoryFootprint)) in memory, and counting needs \(ByteCount.text(MemoryBudget.minimumBytes)) beside them")
        }
        return try MemoryBudget(bytes: left, temporaryDirectory: budget.temporaryDirectory)
    }

    /// A counter holding the slice of the pool's first `streamCount` ids at `order`, limited to
    /// `budget`. From a pool in memory it holds a copy of the slice (the budget left to the
    /// slice allows for it) and never spills: past the budget it counts a partition at a time.
    /// From a pool on disk its copy spills to `space` as `build`'s stream does.
    private func counter(streamCount: Int, order: Int, within budget: MemoryBudget,
                         space: @escaping () throws -> TemporarySpace) throws -> NGramCounter {
        let counter = try NGramCounter.loading(vocabulary: corpus.vocabulary, order: order, threads: options.threads,
                                               spillingWithin: corpus.poolIsOnDisk ? (budget, space) : nil) {
            try corpus.forEachChunk(streamCount: streamCount, $0)
        }
        counter.budget = budget
        return counter
    }

    /// `budget` less `bytes` held for `what`.
    /// - Throws: `NGramKitError.invalidOption` naming `--memory` when less than the least budget is left.
    private func budgetLeft(_ budget: MemoryBudget, minus bytes: Int, for what: String) throws -> MemoryBudget {
        guard budget.bytes - bytes >= MemoryBudget.minimumBytes else {
            let total = (options.memory ?? .standard()).bytes - budget.bytes + bytes + MemoryBudget.minimumBytes
            throw NGramKitError.invalidOption(name: "--memory", value: (options.memory ?? .standard()).description,
                                              expected: "at least \(ByteCount.text(total)): what the corpus holds in memory, \(what), and room to count")
        }
        return try MemoryBudget(bytes: budget.bytes - bytes, temporaryDirectory: budget.temporaryDirectory)
    }

    /// How the harness estimates `smoothing`: as `build` does, Stupid Backoff with add-one
    /// unigrams (every vocabulary word gets a probability on every slice).
    private func estimation(_ smoothing: SmoothingMethod) -> EstimationOptions {
        EstimationOptions(smoothing: smoothing, alpha: options.alpha, discountFallback: options.discountFallback, unigramAddOne: true)
    }

    /// The models of order `order` of a slice, one per smoothing, built past the budget from one
    /// count, each restricted to the held-out set's n-grams (`heldoutCounts`: their counts, up
    /// to the highest order); each with the seconds it took, its share of the count included.
    private func buildPastBudget(streamCount: Int, order: Int, smoothings: [SmoothingMethod], heldoutCounts: NGramCounts,
                                 budget: MemoryBudget, space: TemporarySpace, warn: (String) -> Void) throws
        -> (models: [SmoothingMethod: (model: NGramModel, seconds: Double, cpuSeconds: Double)], sentences: Int, unigramCounts: [UInt64]) {
        let start = ProgressClock.now(), cpuStart = ResourceUsage.processCPUSeconds()
        let heldout = try heldoutCounts.truncated(toOrder: order)
        // Beside the partitions, while counting: the held-out set's counts (all orders) and the
        // slice's ids; while merging: those counts and the parts of the models kept for them.
        let kept = try RestrictedModelBuilder.keptPerOrder(text: heldout) { try corpus.forEachChunk(streamCount: streamCount, $0) }
        // A slice of a pool in memory is copied whole into the counter; one of a pool on disk spills.
        let copy = corpus.poolIsOnDisk ? 0 : 4 * streamCount
        let countBudget = try budgetLeft(budget, minus: heldoutCounts.tableMemory + copy,
                                         for: "the held-out set's n-grams" + (copy > 0 ? " and a copy of this slice's ids" : ""))
        let spilledCounts = try counter(streamCount: streamCount, order: order, within: countBudget, space: { space })
            .finishPartitioned(space: space, bytesPerEntry: PartitionedEstimate.bytesPerEntry)
        let mergeBudget = try budgetLeft(budget, minus: heldoutCounts.tableMemory + smoothings.count * RestrictedModelBuilder.memoryNeeded(kept: kept, text: heldout),
                                         for: "the held-out set's n-grams and the parts of the models they need")
        let threads = ThreadCount.usable(options.threads)
        let countSeconds = (ProgressClock.now() - start) / Double(smoothings.count)
        let countCPUSeconds = (ResourceUsage.processCPUSeconds() - cpuStart) / Double(smoothings.count)
        var models: [SmoothingMethod: (model: NGramModel, seconds: Double, cpuSeconds: Double)] = [:]
        for (index, smoothing) in smoothings.enumerated() {
            let estimateStart = ProgressClock.now(), estimateCPUStart = ResourceUsage.processCPUSeconds()
            let (estimated, provenance) = try PartitionedEstimate.estimate(spilledCounts, options: estimation(smoothing), space: space,
                                                                           threads: threads, keepCounts: index + 1 < smoothings.count,
                                                                           progress: nil, warn: warn)
            let restricted = RestrictedModelBuilder(text: heldout, unigramLogProb: estimated.unigramLogProb,
                                                    unigramLogBackoff: estimated.unigramLogBackoff, unigramFlags: estimated.unigramFlags, kept: kept)
            _ = try SpilledModelWriter.write(spilledCounts, estimated, provenance: provenance, arpa: nil, binary: nil, restricted: restricted,
                                             space: space, budget: mergeBudget, threads: threads, progress: nil)
            models[smoothing] = (restricted.finish(ngramCounts: spilledCounts.uniqueCounts, provenance: provenance),
                                 countSeconds + ProgressClock.now() - estimateStart,
                                 countCPUSeconds + ResourceUsage.processCPUSeconds() - estimateCPUStart)
        }
        return (models, spilledCounts.base.sentences, spilledCounts.base.unigramCounts)
    }

    /// 12345 → "12.3k", 2_500_000 → "2.5M".
    package static func abbreviated(_ value: Int) -> String {
        let v = Double(value)
        if v >= 1e9 { return String(format: "%.3gG", v / 1e9) }
        if v >= 1e6 { return String(format: "%.3gM", v / 1e6) }
        if v >= 1e3 { return String(format: "%.3gk", v / 1e3) }
        return String(value)
    }
}
