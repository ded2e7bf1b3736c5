import Foundation

/// Fits of the laws whose logarithm is linear in their parameters, given at most one of them:
/// `log L = log B − β·log D` (the power law) and, for a fixed break D_b,
/// `log L = log B − β₁·log D − (β₂−β₁)·softplus(log D − log D_b)` (the broken power law).
///
/// In:  `WeightedPoints` (log sizes, log losses, multiplicities) and the Huber threshold.
/// Out: the parameters minimizing the summed Huber loss of the log residuals, the same objective
///      as the saturating law's (`SaturatingPowerLawSolver`), so the forms compete on equal terms.
///
/// The linear part is solved by iteratively reweighted least squares (each step minimizes a
/// quadratic that majorizes the Huber loss, so the loss never rises); the break, the one
/// non-linear parameter, by a grid in log D then golden-section search around the best grid
/// value (variable projection). Everything is deterministic.
enum LogLinearHuberSolver {
    /// Grid values of log D_b.
    static let breakGridCount = 64
    /// The break is searched from D_min / `breakBelowRange` to D_max.
    static let breakBelowRange = 100.0
    static let reweightingSteps = 100

    /// An end of the break's search range.
    enum BreakEdge { case lower, upper }

    struct Fit {
        /// The coefficients of the columns.
        var coefficients: [Double]
        /// The summed Huber loss of the log residuals.
        var loss: Double
    }

    /// `log(1 + e^z)` without overflow.
    @inline(__always)
    static func softplus(_ z: Double) -> Double { z > 0 ? z + log1p(exp(-z)) : log1p(exp(z)) }

    /// `B·D^−β`: parameters [B, β], or nil with fewer than 2 distinct sizes.
    static func fitPowerLaw(_ points: WeightedPoints, delta: Double) -> (parameters: [Double], loss: Double)? {
        guard points.distinctSizes >= 2 else { return nil }
        let columns = [[Double](repeating: 1, count: points.count), points.logSizes.map { -$0 }]
        guard let fit = huberRegression(columns: columns, points: points, delta: delta) else { return nil }
        return ([exp(fit.coefficients[0]), fit.coefficients[1]], fit.loss)
    }

    /// `B·D^−β₁·(1 + D/D_b)^−(β₂−β₁)` with β₁ ≥ 0 and β₂ ≥ 0 (the loss never rises with D):
    /// parameters [B, β₁, β₂, D_b] and the end of its range the break ended at, if any; nil with
    /// fewer than 4 distinct sizes or no feasible break.
    static func fitBrokenPowerLaw(_ points: WeightedPoints, delta: Double)
        -> (parameters: [Double], loss: Double, breakEdge: BreakEdge?)? {
        guard points.distinctSizes >= 4, let low = points.logSizes.min(), let high = points.logSizes.max() else { return nil }
        let lower = low - log(breakBelowRange), upper = high
        let ones = [Double](repeating: 1, count: points.count)
        let negativeLogSizes = points.logSizes.map { -$0 }
        // The best fit at one break with β₁ ≥ 0 and β₂ ≥ 0, as coefficients (log B, β₁, β₂ − β₁):
        // the free fit when it keeps both slopes ≥ 0, else the better of the fits with one
        // slope held at 0 (the optimum of a convex problem under a violated constraint lies on
        // it). Both slopes 0, a law that does not fall, is no fit.
        func fit(atLogBreak logBreak: Double) -> Fit? {
            let bend = points.logSizes.map { -softplus($0 - logBreak) }
            if let free = huberRegression(columns: [ones, negativeLogSizes, bend], points: points, delta: delta),
               free.coefficients[1] >= 0, free.coefficients[1] + free.coefficients[2] >= 0 {
                return free
            }
            var candidates: [Fit] = []
            // β₁ = 0: log L = log B − β₂·softplus(x − x_b).
            if let flatBelow = huberRegression(columns: [ones, bend], points: points, delta: delta), flatBelow.coefficients[1] > 0 {
                candidates.append(Fit(coefficients: [flatBelow.coefficients[0], 0, flatBelow.coefficients[1]], loss: flatBelow.loss))
            }
            // β₂ = 0: log L = log B − β₁·(x − softplus(x − x_b)).
            let belowBreak = zip(negativeLogSizes, bend).map { $0 - $1 }
            if let flatAbove = huberRegression(columns: [ones, belowBreak], points: points, delta: delta), flatAbove.coefficients[1] > 0 {
                candidates.append(Fit(coefficients: [flatAbove.coefficients[0], flatAbove.coefficients[1], -flatAbove.coefficients[1]],
                                      loss: flatAbove.loss))
            }
            return candidates.min { $0.loss < $1.loss }
        }
        let grid = (0..<breakGridCount).map { lower + (upper - lower) * Double($0) / Double(breakGridCount - 1) }
        var best: (index: Int, fit: Fit)?
        for (index, logBreak) in grid.enumerated() {
            guard let candidate = fit(atLogBreak: logBreak) else { continue }
            if best == nil || candidate.loss < best!.fit.loss { best = (index, candidate) }
        }
        guard let (bestIndex, gridFit) = best else { return nil }
        // Golden-section search between the best grid value's neighbours (the profile is smooth
        // there); infeasible breaks count as infinitely bad.
        var a = grid[max(0, bestIndex - 1)], b = grid[min(grid.count - 1, bestIndex + 1)]
        let ratio = (5.0.squareRoot() - 1) / 2
        var logBreak = grid[bestIndex], winner = gridFit
        func lossAt(_ x: Double) -> Double { fit(atLogBreak: x)?.loss ?? .infinity }
        var c = b - ratio * (b - a), d = a + ratio * (b - a)
        var fc = lossAt(c), fd = lossAt(d)
        for _ in 0..<40 {
            if fc < fd { b = d; d = c; fd = fc; c = b - ratio * (b - a); fc = lossAt(c) }
            else { a = c; c = d; fc = fd; d = a + ratio * (b - a); fd = lossAt(d) }
        }
        let candidate = fc < fd ? c : d
        if let refined = fit(atLogBreak: candidate), refined.loss < winner.loss {
            (logBreak, winner) = (candidate, refined)
        }
        let step = (upper - lower) / Double(breakGridCount - 1)
        // An end is reached within one grid step (with room for rounding: the grid's own end points count).
        let reach = step * (1 + 1e-9)
        let edge: BreakEdge? = logBreak - lower <= reach ? .lower : upper - logBreak <= reach ? .upper : nil
        let beta1 = winner.coefficients[1]
        return ([exp(winner.coefficients[0]), beta1, beta1 + winner.coefficients[2], exp(logBreak)], winner.loss, edge)
    }

    /// The coefficients c minimizing Σ w_i·Huber(Σ_j c_j·X_ji − log L_i), by iteratively
    /// reweighted least squares from the least-squares solution; nil when the columns are
    /// (numerically) dependent.
    static func huberRegression(columns: [[Double]], points: WeightedPoints, delta: Double) -> Fit? {
        let k = columns.count, n = points.count
        var omega = points.weights
        var coefficients: [Double] = []
        var loss = Double.infinity
        for _ in 0..<reweightingSteps {
            var normal = [Double](repeating: 0, count: k * k), right = [Double](repeating: 0, count: k)
            for i in 0..<n {
                for a in 0..<k {
                    right[a] += omega[i] * columns[a][i] * points.logValues[i]
                    for b in a..<k { normal[a * k + b] += omega[i] * columns[a][i] * columns[b][i] }
                }
            }
            for a in 0..<k { for b in 0..<a { normal[a * k + b] = normal[b * k + a] } }
            guard let solved = solveSymmetric(normal, right, k) else { return coefficients.isEmpty ? nil : Fit(coefficients: coefficients, loss: loss) }
            var newLoss = 0.0
            var residuals = [Double](repeating: 0, count: n)
            for i in 0..<n {
                var fitted = 0.0
                for a in 0..<k { fitted += solved[a] * columns[a][i] }
                residuals[i] = fitted - points.logValues[i]
                newLoss += points.weights[i] * HuberLoss.value(residuals[i], delta: delta)
            }
            // A majorize-minimize step never raises the loss; stop once it stops falling.
            if newLoss >= loss * (1 - 1e-12) {
                if newLoss < loss { (coefficients, loss) = (solved, newLoss) }
                break
            }
            (coefficients, loss) = (solved, newLoss)
            for i in 0..<n { omega[i] = points.weights[i] * HuberLoss.weight(residuals[i], delta: delta) }
        }
        return Fit(coefficients: coefficients, loss: loss)
    }

    /// The solution of the k×k symmetric system A x = y by Gaussian elimination with partial
    /// pivoting after scaling to unit diagonal; nil when A is singular to working precision.
    static func solveSymmetric(_ matrix: [Double], _ y: [Double], _ k: Int) -> [Double]? {
        var a = matrix, rhs = y
        var scale = [Double](repeating: 1, count: k)
        for i in 0..<k {
            guard a[i * k + i] > 0 else { return nil }
            scale[i] = 1 / a[i * k + i].squareRoot()
        }
        for i in 0..<k {
            rhs[i] *= scale[i]
            for j in 0..<k { a[i * k + j] *= scale[i] * scale[j] }
        }
        for column in 0..<k {
            var pivot = column
            for row in column..<k where abs(a[row * k + column]) > abs(a[pivot * k + column]) { pivot = row }
            guard abs(a[pivot * k + column]) > 1e-13 else { return nil }
            if pivot != column {
                for j in 0..<k { a.swapAt(column * k + j, pivot * k + j) }
                rhs.swapAt(column, pivot)
            }
            for row in (column + 1)..<k {
                let factor = a[row * k + column] / a[column * k + column]
                for j in column..<k { a[row * k + j] -= factor * a[column * k + j] }
                rhs[row] -= factor * rhs[column]
            }
        }
        var x = [Double](repeating: 0, count: k)
        for row in stride(from: k - 1, through: 0, by: -1) {
            var sum = rhs[row]
            for j in (row + 1)..<k { sum -= a[row * k + j] * x[j] }
            x[row] = sum / a[row * k + row]
        }
        for i in 0..<k { x[i] *= scale[i] }
        return x.allSatisfy(\.isFinite) ? x : nil
    }
}
