import Foundation

/// Points prepared for a fit: log sizes, values and their logs, and multiplicities (a bootstrap
/// resample is the distinct points it drew, each weighted by how often it drew it, which sums the
/// same loss as the repeated points with fewer terms).
struct WeightedPoints {
    var logSizes: [Double] = []
    var values: [Double] = []
    var logValues: [Double] = []
    var weights: [Double] = []
    /// Per point, what `MatchedLengthLaw` fits (the empirical logits of the shares of tokens
    /// matched at least m words); empty for the other laws.
    var matchedLogits: [[Double]] = []
    /// With `matchedLogits`: per context length, the share of tokens whose position allows it
    /// (`MatchedLengthLaw`); nil for none given.
    var matchReach: [Double]?
    /// Per point, its slice when slices were measured under several repeats (their points'
    /// sizes differ a little, but they are one size); empty: every distinct size its own.
    var slices: [Int] = []

    var count: Int { logSizes.count }

    /// The points `(sizes[i], values[i])` with multiplicity `weights[i]`.
    init(sizes: [Double], values: [Double], weights: [Double]) {
        logSizes = sizes.map { log($0) }
        self.values = values
        logValues = values.map { log($0) }
        self.weights = weights
    }

    /// The points of `self` drawn at least once in `multiplicities`, weighted by the draws.
    func resampled(_ multiplicities: [Int]) -> WeightedPoints {
        var drawn = WeightedPoints(sizes: [], values: [], weights: [])
        drawn.matchReach = matchReach
        for (i, times) in multiplicities.enumerated() where times > 0 {
            drawn.logSizes.append(logSizes[i])
            drawn.values.append(values[i])
            drawn.logValues.append(logValues[i])
            drawn.weights.append(weights[i] * Double(times))
            if !matchedLogits.isEmpty { drawn.matchedLogits.append(matchedLogits[i]) }
            if !slices.isEmpty { drawn.slices.append(slices[i]) }
        }
        return drawn
    }

    /// The number of distinct sizes (what identifies the curve; repeats of one size do not):
    /// the distinct slices when they are given.
    var distinctSizes: Int { slices.isEmpty ? Set(logSizes).count : Set(slices).count }
}

/// The minimizer of the summed Huber loss of log residuals for `L(D) = E + B·D^(−β)`,
/// `E ≥ 0, B > 0, β` in the search range: a grid over β with a closed-form (E, B) per grid
/// value, then Levenberg–Marquardt refinement of the best grid minima on the true objective.
///
/// The objective is not convex in (E, B, β) and a local optimizer started anywhere can stop in a
/// poor minimum (the failure Besiroglu et al. 2024 found in the Chinchilla fit); the grid finds
/// the basin, the refinement the exact optimum. Everything is deterministic.
enum SaturatingPowerLawSolver {
    /// The β search range and its grid: log-spaced, about 2 % apart.
    static let betaLower = 0.005
    static let betaUpper = 3.0
    static let gridCount = 300
    static let betaGrid: [Double] = (0..<gridCount).map {
        exp(log(betaLower) + (log(betaUpper) - log(betaLower)) * Double($0) / Double(gridCount - 1))
    }
    /// The ratio of neighbouring grid values; β within one step of an end is "at the edge".
    static let gridRatio = exp((log(betaUpper) - log(betaLower)) / Double(gridCount - 1))
    /// Grid minima refined: several, because the best grid value can sit in the wrong basin.
    static let startsRefined = 3
    static let maximumIterations = 200
    /// Refinement stops when a step lowers the objective by less than this share: far below
    /// any bootstrap spread, and reached in a few steps near a noise-free (quadratic) optimum.
    static let relativeTolerance = 1e-10

    struct Parameters: Equatable {
        var e: Double
        var b: Double
        var beta: Double
        /// The summed Huber loss at (e, b, beta).
        var loss: Double
    }

    /// The summed Huber loss of the log residuals at (e, b, beta).
    static func objective(e: Double, b: Double, beta: Double, points: WeightedPoints, delta: Double) -> Double {
        var total = 0.0
        for i in 0..<points.count {
            let predicted = e + b * exp(-beta * points.logSizes[i])
            let residual = log(predicted) - points.logValues[i]
            total += points.weights[i] * HuberLoss.value(residual, delta: delta)
        }
        // A prediction of 0 (underflow) gives −∞ residuals: an infinitely bad point, never NaN.
        return total.isNaN ? .infinity : total
    }

    /// `objective(e:b:beta:points:delta:)` with `D_i^(−β)` given (the grid has them already).
    static func objective(e: Double, b: Double, powers: [Double], points: WeightedPoints, delta: Double) -> Double {
        var total = 0.0
        for i in 0..<points.count {
            let residual = log(e + b * powers[i]) - points.logValues[i]
            total += points.weights[i] * HuberLoss.value(residual, delta: delta)
        }
        return total.isNaN ? .infinity : total
    }

    /// The best fit of `points`, or nil when there are none.
    /// - Parameters:
    ///   - points: the points, all sizes and values finite and positive.
    ///   - delta: the Huber threshold.
    /// - Returns: the parameters with the lowest objective found.
    static func fit(_ points: WeightedPoints, delta: Double) -> Parameters? {
        guard points.count > 0 else { return nil }
        var scaled = [Double](repeating: 0, count: points.count)
        var gridFits: [Parameters] = []
        gridFits.reserveCapacity(gridCount)
        for beta in betaGrid {
            let (e, b) = linearSolve(beta: beta, points: points, powers: &scaled)
            gridFits.append(Parameters(e: e, b: b, beta: beta,
                                       loss: objective(e: e, b: b, powers: scaled, points: points, delta: delta)))
        }
        // Local minima of the grid profile (plateaus count once, at their first index).
        var minima: [Int] = []
        for k in 0..<gridCount {
            let left = k > 0 ? gridFits[k - 1].loss : .infinity
            let right = k + 1 < gridCount ? gridFits[k + 1].loss : .infinity
            if gridFits[k].loss < left && gridFits[k].loss <= right { minima.append(k) }
        }
        if minima.isEmpty { minima = [0] }
        minima.sort { (gridFits[$0].loss, $0) < (gridFits[$1].loss, $1) }
        var best: Parameters?
        for k in minima.prefix(startsRefined) {
            let refined = refine(gridFits[k], points: points, delta: delta)
            if best == nil || refined.loss < best!.loss { best = refined }
        }
        return best
    }

    /// With β fixed the model is linear in (E, B): the least-squares (E, B) of the linear
    /// residuals divided by L_i (≈ the log residuals), with E ≥ 0 and B > 0 enforced.
    /// - Parameters:
    ///   - beta: the fixed exponent.
    ///   - points: the points.
    ///   - powers: scratch space of `points.count`, overwritten with `D_i^(−β)`.
    /// - Returns: (E, B).
    static func linearSolve(beta: Double, points: WeightedPoints, powers: inout [Double]) -> (e: Double, b: Double) {
        var sw = 0.0, swx = 0.0, swxx = 0.0, swl = 0.0, swxl = 0.0
        for i in 0..<points.count {
            let x = exp(-beta * points.logSizes[i])
            powers[i] = x
            let l = points.values[i]
            let w = points.weights[i] / (l * l)
            sw += w; swx += w * x; swxx += w * x * x; swl += w * l; swxl += w * x * l
        }
        let determinant = sw * swxx - swx * swx
        var e = (swl * swxx - swx * swxl) / determinant
        var b = (sw * swxl - swx * swl) / determinant
        if !(e >= 0) || !b.isFinite {
            // The unconstrained optimum has E < 0 (or the system is singular): E = 0 is optimal
            // on the constraint, and B is then a one-parameter least-squares fit.
            e = 0
            b = swxl / swxx
        }
        if !(b > 0) {
            // The points do not fall with D at this β: the smallest positive B, E their level.
            let minimum = points.values.min()!
            b = minimum * 1e-9
            var level = 0.0
            for i in 0..<points.count {
                let w = points.weights[i] / (points.values[i] * points.values[i])
                level += w * (points.values[i] - b * powers[i])
            }
            e = max(0, level / sw)
            if e == 0 { b = minimum / max(powers.max()!, .leastNormalMagnitude) }
        }
        return (e, b)
    }

    /// Levenberg–Marquardt on the Huber objective in (E, log B, β), with the Huber part
    /// handled by iteratively reweighted least squares (weights h'(r)/r at the current point);
    /// E is kept ≥ 0 by solving the damped step with E fixed at 0 when the free step crosses it,
    /// β is kept inside the search range. Only steps that lower the true objective are taken.
    static func refine(_ start: Parameters, points: WeightedPoints, delta: Double) -> Parameters {
        var e = start.e, s = log(start.b), beta = start.beta
        var loss = start.loss
        guard loss.isFinite else { return start }
        var damping = 1e-3
        for _ in 0..<maximumIterations {
            // Normal equations of the reweighted, linearized problem: H = JᵀΩJ, g = JᵀΩr.
            var h00 = 0.0, h01 = 0.0, h02 = 0.0, h11 = 0.0, h12 = 0.0, h22 = 0.0
            var g0 = 0.0, g1 = 0.0, g2 = 0.0
            let b = exp(s)
            for i in 0..<points.count {
                let reducible = b * exp(-beta * points.logSizes[i])
                let predicted = e + reducible
                let residual = log(predicted) - points.logValues[i]
                let omega = points.weights[i] * HuberLoss.weight(residual, delta: delta)
                let j0 = 1 / predicted
                let j1 = reducible / predicted
                let j2 = -reducible * points.logSizes[i] / predicted
                h00 += omega * j0 * j0; h01 += omega * j0 * j1; h02 += omega * j0 * j2
                h11 += omega * j1 * j1; h12 += omega * j1 * j2; h22 += omega * j2 * j2
                g0 += omega * j0 * residual; g1 += omega * j1 * residual; g2 += omega * j2 * residual
            }
            var accepted = false
            var improvement = 0.0
            for _ in 0..<16 {
                let a00 = h00 * (1 + damping), a11 = h11 * (1 + damping), a22 = h22 * (1 + damping)
                var newE: Double, newS: Double, newBeta: Double
                guard let step = solve3(a00, h01, h02, a11, h12, a22, -g0, -g1, -g2) else {
                    damping *= 10
                    continue
                }
                if e + step.0 >= 0 {
                    (newE, newS, newBeta) = (e + step.0, s + limited(step.1), beta * exp(limited(step.2 / beta)))
                } else if let bounded = solve2(a11, h12, a22, -g1 + h01 * e, -g2 + h02 * e) {
                    // The free step crosses E = 0: take ΔE = −E and solve the rest given that.
                    (newE, newS, newBeta) = (0, s + limited(bounded.0), beta * exp(limited(bounded.1 / beta)))
                } else {
                    damping *= 10
                    continue
                }
                newBeta = min(max(newBeta, betaLower), betaUpper)
                let newLoss = objective(e: newE, b: exp(newS), beta: newBeta, points: points, delta: delta)
                if newLoss < loss {
                    improvement = loss - newLoss
                    (e, s, beta, loss) = (newE, newS, newBeta, newLoss)
                    damping = max(damping * 0.3, 1e-12)
                    accepted = true
                    break
                }
                damping *= 10
            }
            if !accepted || improvement <= relativeTolerance * loss { break }
        }
        return Parameters(e: e, b: exp(s), beta: beta, loss: loss)
    }

    /// A step in log B or log β cut to at most a factor e: where the data barely constrain a
    /// direction (B ≈ 0 makes β irrelevant) the linearized step there is huge, and rejecting it
    /// again and again would over-damp the directions that do matter.
    @inline(__always)
    static func limited(_ logStep: Double) -> Double { min(max(logStep, -1), 1) }

    /// The solution of the symmetric positive definite 3×3 system A x = y (upper triangle given),
    /// by Cholesky after scaling to unit diagonal; nil when A is not numerically definite.
    static func solve3(_ a00: Double, _ a01: Double, _ a02: Double, _ a11: Double, _ a12: Double, _ a22: Double,
                       _ y0: Double, _ y1: Double, _ y2: Double) -> (Double, Double, Double)? {
        guard a00 > 0, a11 > 0, a22 > 0 else { return nil }
        let d0 = 1 / a00.squareRoot(), d1 = 1 / a11.squareRoot(), d2 = 1 / a22.squareRoot()
        let c01 = a01 * d0 * d1, c02 = a02 * d0 * d2, c12 = a12 * d1 * d2
        let l10 = c01, l20 = c02
        let p11 = 1 - l10 * l10
        guard p11 > 0 else { return nil }
        let l11 = p11.squareRoot()
        let l21 = (c12 - l20 * l10) / l11
        let p22 = 1 - l20 * l20 - l21 * l21
        guard p22 > 0 else { return nil }
        let l22 = p22.squareRoot()
        // L z = D y, then Lᵀ u = z, x = D u.
        let z0 = y0 * d0
        let z1 = (y1 * d1 - l10 * z0) / l11
        let z2 = (y2 * d2 - l20 * z0 - l21 * z1) / l22
        let u2 = z2 / l22
        let u1 = (z1 - l21 * u2) / l11
        let u0 = z0 - l10 * u1 - l20 * u2
        let x = (u0 * d0, u1 * d1, u2 * d2)
        return x.0.isFinite && x.1.isFinite && x.2.isFinite ? x : nil
    }

    /// The solution of the symmetric positive definite 2×2 system A x = y; nil when singular.
    static func solve2(_ a00: Double, _ a01: Double, _ a11: Double, _ y0: Double, _ y1: Double) -> (Double, Double)? {
        let determinant = a00 * a11 - a01 * a01
        guard determinant > 0, a00 > 0 else { return nil }
        let x = ((a11 * y0 - a01 * y1) / determinant, (a00 * y1 - a01 * y0) / determinant)
        return x.0.isFinite && x.1.isFinite ? x : nil
    }
}
