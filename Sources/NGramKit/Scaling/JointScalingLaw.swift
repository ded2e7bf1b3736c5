import Foundation

/// The joint law of model size and data, L(N, D) = E + A·N^−α + B·D^−β (Hoffmann et al. 2022),
/// fitted to the points of one smoothing method and order: the unpruned model of every slice and
/// its pruned models (`scale --prune`), N the model's n-grams of orders ≥ 2 (the unigrams are
/// the fixed vocabulary at every point).
///
/// Fitted as the harness fits L(D): the summed (not averaged: Besiroglu et al. 2024) Huber loss
/// of log residuals, δ = `ScalingLawFitter.huberDelta`; a grid over (α, β) with the linear
/// parameters (E, A, B ≥ 0) solved in closed form at each, then Levenberg–Marquardt from the best
/// grid minima; 95% intervals from a bootstrap over the points; backtests that refit on
/// D ≤ D_max/k and predict every larger point, at every pruning level.
public struct JointScalingLawFit: Sendable, Equatable {
    public var e: Double, a: Double, alpha: Double, b: Double, beta: Double
    /// 95% percentile bootstrap intervals by parameter name (e, a, alpha, b, beta); empty without.
    public var intervals: [String: ClosedRange<Double>]
    /// Points fitted, and the summed Huber loss at the optimum.
    public var points: Int
    public var huberLoss: Double
    /// Root mean square of the relative residuals (L − L̂)/L.
    public var rmsRelativeResidual: Double
    /// Reasons not to trust a parameter ("α at the edge of its range", "A at 0: N does not matter").
    public var flags: [String]
    /// Refits on the small slices, each predicting the larger ones.
    public var backtests: [Backtest] = []

    /// One backtest: fitted on D ≤ `fittedUpTo`, checked on every larger point.
    public struct Backtest: Sendable, Equatable {
        public var holdBackFactor: Int
        public var fittedUpTo: Int
        public var checks: [Check]
        /// Mean |relative error| over the checks.
        public var meanAbsoluteError: Double { checks.isEmpty ? .nan : checks.reduce(0) { $0 + abs($1.relativeError) } / Double(checks.count) }
        /// Checks whose interval holds the observed loss.
        public var covered: Int { checks.filter { $0.interval?.contains($0.observed) == true }.count }
    }

    /// One predicted point.
    public struct Check: Sendable, Equatable {
        public var tokens: Int
        public var ngrams: Int
        public var pruneThreshold: Double
        public var observed: Double
        public var predicted: Double
        public var interval: ClosedRange<Double>?
        public var relativeError: Double { (predicted - observed) / observed }
    }

    /// The law's value.
    public func predict(ngrams n: Double, tokens d: Double) -> Double {
        e + a * Foundation.pow(n, -alpha) + b * Foundation.pow(d, -beta)
    }

    /// Fits the law.
    /// - Parameters:
    ///   - ngrams, tokens, losses: per point, N (n-grams of orders ≥ 2), D and the loss.
    ///   - slices: per point, its slice (the backtests cut by slices; every repeat and pruning level of one slice together).
    ///   - thresholds: per point, its pruning threshold (reported with the checks).
    /// - Returns: nil with fewer than 6 usable points or 3 distinct sizes of each kind.
    public static func fit(ngrams: [Int], tokens: [Int], losses: [Double], slices: [Int], thresholds: [Double],
                           bootstrapResamples: Int, seed: UInt64, threads: Int = ThreadCount.all) -> JointScalingLawFit? {
        let usable = losses.indices.filter { losses[$0].isFinite && losses[$0] > 0 && ngrams[$0] > 0 && tokens[$0] > 0 }
        guard usable.count >= 6, Set(usable.map { ngrams[$0] }).count >= 3, Set(usable.map { slices[$0] }).count >= 3 else { return nil }
        let data = JointPoints(logN: usable.map { log(Double(ngrams[$0])) }, logD: usable.map { log(Double(tokens[$0])) },
                               values: usable.map { losses[$0] }, weights: usable.map { _ in 1 })
        guard let best = JointScalingLawSolver.fit(data) else { return nil }
        var fit = JointScalingLawFit(e: best[0], a: best[1], alpha: best[2], b: best[3], beta: best[4], intervals: [:],
                                     points: usable.count, huberLoss: JointScalingLawSolver.objective(best, data),
                                     rmsRelativeResidual: 0, flags: [])
        fit.rmsRelativeResidual = (usable.reduce(0.0) { total, i in
            let r = (losses[i] - fit.predict(ngrams: Double(ngrams[i]), tokens: Double(tokens[i]))) / losses[i]
            return total + r * r
        } / Double(usable.count)).squareRoot()
        let grid = JointScalingLawSolver.exponentGrid
        let aAtZero = fit.a <= 1e-12 * max(fit.e, 1), bAtZero = fit.b <= 1e-12 * max(fit.e, 1)
        // An exponent whose term is 0 is not a finding of the fit: only the other flag says so.
        if aAtZero { fit.flags.append("A at 0: the fit finds no effect of N") }
        else if fit.alpha <= grid.first! * 1.001 || fit.alpha >= grid.last! * 0.999 { fit.flags.append("α = \(ScalingReport.sig(fit.alpha, 3)) at the edge of its range") }
        if bAtZero { fit.flags.append("B at 0: the fit finds no effect of D") }
        else if fit.beta <= grid.first! * 1.001 || fit.beta >= grid.last! * 0.999 { fit.flags.append("β = \(ScalingReport.sig(fit.beta, 3)) at the edge of its range") }
        if fit.e <= 1e-9 * (usable.map { losses[$0] }.min() ?? 1) { fit.flags.append("E at its bound 0") }
        if bootstrapResamples > 0 {
            let replicates = Bootstrap.map(count: bootstrapResamples, threads: threads) { k -> [Double]? in
                let drawn = data.resampled(Bootstrap.multiplicities(count: data.count, seed: seed, index: k))
                return JointScalingLawSolver.fit(drawn)
            }.compactMap { $0 }
            for (index, name) in ["e", "a", "alpha", "b", "beta"].enumerated() {
                fit.intervals[name] = Bootstrap.percentileInterval(replicates.map { $0[index] })
            }
        }
        // Backtests: cut by slice, D ≤ D_max/k.
        let largest = usable.map { tokens[$0] }.max()!
        for k in ScalingBacktest.holdBackFactors {
            let limit = Double(largest) / Double(k)
            let inside = usable.filter { Double(tokens[$0]) <= limit }, outside = usable.filter { Double(tokens[$0]) > limit }
            guard Set(inside.map { slices[$0] }).count >= ScalingBacktest.minimumFittedPoints, !outside.isEmpty,
                  Set(inside.map { ngrams[$0] }).count >= 3 else { continue }
            let part = JointPoints(logN: inside.map { log(Double(ngrams[$0])) }, logD: inside.map { log(Double(tokens[$0])) },
                                   values: inside.map { losses[$0] }, weights: inside.map { _ in 1 })
            guard let refit = JointScalingLawSolver.fit(part) else { continue }
            let replicates = bootstrapResamples > 0 ? Bootstrap.map(count: bootstrapResamples, threads: threads) { r -> [Double]? in
                JointScalingLawSolver.fit(part.resampled(Bootstrap.multiplicities(count: part.count, seed: seed &+ UInt64(k), index: r)))
            }.compactMap { $0 } : []
            let checks = outside.map { i -> Check in
                let n = log(Double(ngrams[i])), d = log(Double(tokens[i]))
                return Check(tokens: tokens[i], ngrams: ngrams[i], pruneThreshold: thresholds[i], observed: losses[i],
                             predicted: JointScalingLawSolver.value(refit, logN: n, logD: d),
                             interval: Bootstrap.percentileInterval(replicates.map { JointScalingLawSolver.value($0, logN: n, logD: d) }))
            }
            fit.backtests.append(Backtest(holdBackFactor: k, fittedUpTo: inside.map { tokens[$0] }.max()!, checks: checks))
        }
        return fit
    }
}

/// Points of a joint fit: log N, log D, the loss, and multiplicities (a bootstrap resample).
struct JointPoints {
    var logN: [Double], logD: [Double], values: [Double], weights: [Double]
    var count: Int { values.count }

    func resampled(_ multiplicities: [Int]) -> JointPoints {
        var drawn = JointPoints(logN: [], logD: [], values: [], weights: [])
        for (i, times) in multiplicities.enumerated() where times > 0 {
            drawn.logN.append(logN[i]); drawn.logD.append(logD[i]); drawn.values.append(values[i])
            drawn.weights.append(weights[i] * Double(times))
        }
        return drawn
    }
}

/// The minimizer of the summed Huber loss of log residuals for L = E + A·N^−α + B·D^−β, with
/// E, A, B ≥ 0 and α, β in [0.01, 3]: parameters as [E, A, α, B, β].
///
/// Deterministic: a grid over (α, β), where (E, A, B) is the weighted least-squares solution of
/// the relative residuals (weights 1/L², the first-order form of log residuals) under the bounds
/// (the best of the subsets with some of them at 0), then Levenberg–Marquardt with Huber weights
/// from the three best grid points, keeping only steps that lower the true objective.
enum JointScalingLawSolver {
    static let exponentGrid: [Double] = (0..<40).map { 0.01 * Foundation.pow(300, Double($0) / 39) }
    static let startsRefined = 3
    static let maximumIterations = 200

    static func value(_ p: [Double], logN: Double, logD: Double) -> Double {
        p[0] + p[1] * exp(-p[2] * logN) + p[3] * exp(-p[4] * logD)
    }

    static func objective(_ p: [Double], _ data: JointPoints) -> Double {
        var total = 0.0
        for i in 0..<data.count {
            let predicted = value(p, logN: data.logN[i], logD: data.logD[i])
            guard predicted > 0 else { return .infinity }
            total += data.weights[i] * HuberLoss.value(log(data.values[i]) - log(predicted), delta: ScalingLawFitter.huberDelta)
        }
        return total
    }

    static func fit(_ data: JointPoints) -> [Double]? {
        guard data.count >= 5 else { return nil }
        var grid: [(loss: Double, p: [Double])] = []
        for alpha in exponentGrid {
            for beta in exponentGrid {
                guard let linear = linearSolve(alpha: alpha, beta: beta, data) else { continue }
                let p = [linear[0], linear[1], alpha, linear[2], beta]
                let loss = objective(p, data)
                if loss.isFinite { grid.append((loss, p)) }
            }
        }
        grid.sort { $0.loss < $1.loss }
        var best: (loss: Double, p: [Double])? = nil
        for start in grid.prefix(startsRefined) {
            let refined = refine(start.p, data)
            let loss = objective(refined, data)
            if best == nil || loss < best!.loss { best = (loss, refined) }
        }
        return best?.p
    }

    /// (E, A, B) ≥ 0 minimizing Σ w (L − E − A x − B y)² / L² at fixed exponents: the sums of one
    /// pass over the points (a 3×3 Gram matrix, its right side and Σ w), then the best feasible
    /// subset of free coefficients (the others at 0), each judged by its squared error from the sums.
    static func linearSolve(alpha: Double, beta: Double, _ data: JointPoints) -> [Double]? {
        var s1 = 0.0, sx = 0.0, sy = 0.0, sxx = 0.0, sxy = 0.0, syy = 0.0, r1 = 0.0, rx = 0.0, ry = 0.0, total = 0.0
        for i in 0..<data.count {
            let x = exp(-alpha * data.logN[i]), y = exp(-beta * data.logD[i]), l = data.values[i]
            let w = data.weights[i] / (l * l)
            s1 += w; sx += w * x; sy += w * y; sxx += w * x * x; sxy += w * x * y; syy += w * y * y
            r1 += w * l; rx += w * x * l; ry += w * y * l
            total += w * l * l
        }
        let gram = [[s1, sx, sy], [sx, sxx, sxy], [sy, sxy, syy]], right = [r1, rx, ry]
        var best: (loss: Double, c: [Double])? = nil
        for mask in 1..<8 {
            let free = (0..<3).filter { mask & (1 << $0) != 0 }
            guard let solution = solve(free.map { j in free.map { gram[j][$0] } }, free.map { right[$0] }),
                  solution.allSatisfy({ $0 >= 0 && $0.isFinite }) else { continue }
            var c = [0.0, 0.0, 0.0]
            for (j, fj) in free.enumerated() { c[fj] = solution[j] }
            // Σ w (L − c·b)² = Σ w L² − 2 c·r + cᵀ G c.
            var loss = total
            for j in 0..<3 {
                loss -= 2 * c[j] * right[j]
                for k in 0..<3 { loss += c[j] * gram[j][k] * c[k] }
            }
            if best == nil || loss < best!.loss { best = (loss, c) }
        }
        return best?.c
    }

    /// Gaussian elimination with partial pivoting; nil for a singular system.
    static func solve(_ matrix: [[Double]], _ rhs: [Double]) -> [Double]? {
        var a = matrix, b = rhs
        let n = b.count
        for col in 0..<n {
            let pivot = (col..<n).max { abs(a[$0][col]) < abs(a[$1][col]) }!
            guard abs(a[pivot][col]) > 1e-300 else { return nil }
            a.swapAt(col, pivot); b.swapAt(col, pivot)
            for row in (col + 1)..<max(n, col + 1) where row < n {
                let f = a[row][col] / a[col][col]
                for k in col..<n { a[row][k] -= f * a[col][k] }
                b[row] -= f * b[col]
            }
        }
        var x = [Double](repeating: 0, count: n)
        for row in stride(from: n - 1, through: 0, by: -1) {
            var s = b[row]
            for k in (row + 1)..<max(n, row + 1) where k < n { s -= a[row][k] * x[k] }
            x[row] = s / a[row][row]
        }
        return x.allSatisfy(\.isFinite) ? x : nil
    }

    /// Levenberg–Marquardt in (E, log A, α, log B, β) on the Huber objective (IRLS weights at
    /// the current point); E clamped at 0, exponents to the grid's range; A or B at 0 stays 0.
    static func refine(_ start: [Double], _ data: JointPoints) -> [Double] {
        var p = start
        var loss = objective(p, data)
        guard loss.isFinite else { return start }
        let aFree = p[1] > 0, bFree = p[3] > 0
        var damping = 1e-3
        let low = exponentGrid.first!, high = exponentGrid.last!
        for _ in 0..<maximumIterations {
            var h = [[Double]](repeating: [Double](repeating: 0, count: 5), count: 5)
            var g = [Double](repeating: 0, count: 5)
            for i in 0..<data.count {
                let xa = exp(-p[2] * data.logN[i]), xb = exp(-p[4] * data.logD[i])
                let predicted = p[0] + p[1] * xa + p[3] * xb
                let residual = log(data.values[i]) - log(predicted)
                let w = data.weights[i] * HuberLoss.weight(residual, delta: ScalingLawFitter.huberDelta)
                // d log(predicted) / d (E, log A, α, log B, β)
                var j = [1 / predicted, p[1] * xa / predicted, -p[1] * xa * data.logN[i] / predicted,
                         p[3] * xb / predicted, -p[3] * xb * data.logD[i] / predicted]
                if !aFree { j[1] = 0; j[2] = 0 }
                if !bFree { j[3] = 0; j[4] = 0 }
                for r in 0..<5 {
                    g[r] += w * j[r] * residual
                    for c in 0..<5 { h[r][c] += w * j[r] * j[c] }
                }
            }
            var improved = false
            for _ in 0..<20 {
                var damped = h
                for r in 0..<5 { damped[r][r] += damping * max(h[r][r], 1e-12) + 1e-15 }
                guard let step = solve(damped, g) else { damping *= 10; continue }
                var next = p
                next[0] = max(0, p[0] + step[0])
                if aFree { next[1] = p[1] * exp(min(max(step[1], -1), 1)); next[2] = min(max(p[2] + step[2], low), high) }
                if bFree { next[3] = p[3] * exp(min(max(step[3], -1), 1)); next[4] = min(max(p[4] + step[4], low), high) }
                let nextLoss = objective(next, data)
                if nextLoss < loss {
                    let change = (loss - nextLoss) / max(loss, 1e-300)
                    p = next
                    loss = nextLoss
                    damping = max(damping / 10, 1e-12)
                    improved = change > 1e-12
                    break
                }
                damping *= 10
            }
            if !improved { break }
        }
        return p
    }
}
