import Foundation

/// The pieces of the bootstrap over points (Efron 1979) shared by the scaling-law fits:
/// resampling with replacement, running resamples on all cores in a thread-independent way,
/// and percentile intervals.
enum Bootstrap {
    /// How many times each of `count` points is drawn in resample `index` under `seed`.
    ///
    /// Every resample has its own generator, derived from `(seed, index)` alone, so a resample's
    /// draw does not depend on which thread runs it or in which order.
    /// - Parameters:
    ///   - count: the number of points (also the number of draws).
    ///   - seed: the bootstrap's seed.
    ///   - index: the resample's index.
    /// - Returns: the multiplicity of every point; they sum to `count`.
    static func multiplicities(count: Int, seed: UInt64, index: Int) -> [Int] {
        var random = SplitMix64(seed: seed, stream: UInt64(index))
        var drawn = [Int](repeating: 0, count: count)
        for _ in 0..<count { drawn[random.index(below: count)] += 1 }
        return drawn
    }

    /// `work(k)` for every `k` in `0..<count`, on up to `threads` threads, in index order.
    ///
    /// Results are stored by index, so the array is the same for any number of threads as long
    /// as `work` depends on `k` alone.
    /// - Parameters:
    ///   - count: the number of jobs.
    ///   - threads: the most threads to use (1 runs on the calling thread).
    ///   - work: the job; called concurrently, so it must not touch shared mutable state.
    /// - Returns: `[work(0), work(1), ...]`.
    static func map<Result>(count: Int, threads: Int, _ work: @Sendable (Int) -> Result) -> [Result] {
        guard count > 0 else { return [] }
        let workers = max(1, min(threads, count))
        return [Result](unsafeUninitializedCapacity: count) { buffer, initialized in
            let slots = Slots(base: buffer.baseAddress!)
            if workers == 1 {
                for k in 0..<count { (slots.base + k).initialize(to: work(k)) }
            } else {
                // Worker w takes k = w, w + workers, ...: every slot is written exactly once.
                DispatchQueue.concurrentPerform(iterations: workers) { worker in
                    var k = worker
                    while k < count {
                        (slots.base + k).initialize(to: work(k))
                        k += workers
                    }
                }
            }
            initialized = count
        }
    }

    /// The result buffer handed to the workers; each writes disjoint slots.
    private struct Slots<Element>: @unchecked Sendable {
        let base: UnsafeMutablePointer<Element>
    }

    /// The `p`-quantile of ascending `sorted` values, interpolating linearly between order
    /// statistics (Hyndman and Fan's type 7, the default of R and NumPy).
    /// - Parameters:
    ///   - sorted: values in ascending order, not empty.
    ///   - p: the probability, in [0, 1].
    /// - Returns: the quantile.
    static func quantile(sorted: [Double], _ p: Double) -> Double {
        precondition(!sorted.isEmpty, "quantile of no values")
        let position = p * Double(sorted.count - 1)
        let lower = Int(position.rounded(.down))
        let upper = min(lower + 1, sorted.count - 1)
        let fraction = position - Double(lower)
        return sorted[lower] + fraction * (sorted[upper] - sorted[lower])
    }

    /// The central percentile interval holding `level` of `values` (non-finite ones ignored).
    /// - Parameters:
    ///   - values: bootstrap replicates of one quantity.
    ///   - level: the coverage, e.g. 0.95 for the 2.5 % and 97.5 % percentiles.
    /// - Returns: the interval, or nil with fewer than two finite values.
    static func percentileInterval(_ values: [Double], level: Double = 0.95) -> ClosedRange<Double>? {
        let finite = values.filter(\.isFinite).sorted()
        guard finite.count >= 2 else { return nil }
        let tail = (1 - level) / 2
        return quantile(sorted: finite, tail)...quantile(sorted: finite, 1 - tail)
    }
}
