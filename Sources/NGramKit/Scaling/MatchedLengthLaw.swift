import Foundation

/// A law of L(D) built from how an n-gram model's loss is made: the matched-length law.
///
/// In:  per slice, the held-out tokens by matched length M (the words of the longest n-gram the
///      model found ending at the token, 1 ... N: `ScalingPoint.matchedTokens`) and the loss.
/// Out: `E + w·(N − E[M](D))`, with E[M](D) from one curve per context length m = 2 ... N of the
///      share of tokens matched at least that far, each extrapolated on its own.
///
/// Why this shape. A token whose longest match is short is predicted from little context and
/// costs more; across the slices of a curve the loss falls almost in proportion to the mean
/// number of context words the model cannot use, N − E[M] = Σ_{m=2..N} P(M < m): w is what a
/// missing context word costs and E the loss when every context matches. More data lowers the
/// loss by lengthening matches, so the law forecasts the loss through forecasts of the unmatched
/// rates, which the harness measures exactly at every slice (thousands of tokens each, where the
/// loss is one number).
///
/// The unmatched rate at length m is the chance that a held-out m-gram is absent from D tokens of
/// training text. If the held-out m-grams' probabilities π are spread as a Gamma distribution,
/// E[e^{−πD}] = (1 + D/D_m)^{−γ_m}: about 1 while D is small against 1/π, a power law D^{−γ_m}
/// far above. One more exponent a_m lets the rise at small D be slower than linear in D (Zipf's
/// law is heavier-tailed than a Gamma):
///
///     P(M < m | D) = (1 + (D/D_m)^{a_m})^{−γ_m / a_m}.
///
/// With a_m = γ_m it is the logistic curve in log D, where each fit starts.
///
/// A token can match no more words than its sentence gives it: the j-th word (from 0) has
/// `<s>` and j words before it, so it matches at most j + 2 words, and `</s>` likewise. The
/// share ρ_m of held-out tokens whose position allows m words is fixed by the held-out set
/// (`ScalingCorpus.matchReach`), so the curves are of the matches among those tokens:
/// P(M ≥ m | D) = ρ_m·(1 − (1 + (D/D_m)^a_m)^−(γ_m/a_m)), and P(M < m) never falls below 1 − ρ_m.
///
/// Fitting. Each rate by least squares on empirical logits log((k + ½)/(n − k + ½)) (k tokens
/// matched at least m words of the n whose position allows it), by Levenberg–Marquardt from the
/// logistic fit; then E ≥ 0 and w > 0 by the summed Huber loss (δ as for the other laws) of the
/// relative residuals (equal to the log residuals to first order) of L = E + w·(N − E[M]) with
/// the measured E[M]. Deterministic.
enum MatchedLengthLaw {
    /// Parameters per context length: D_m, γ_m, a_m (fitted) and ρ_m (the reach, fixed by the
    /// held-out set and carried so that a parameter vector predicts on its own).
    static let parametersPerLength = 4
    static let levenbergMarquardtSteps = 200
    /// The exponents' range: beyond it a rate's curve is a step or flat over any data.
    static let exponentRange = 0.01...50.0

    /// The parameters' names for a model of order `order`: E, w, then D_m, γ_m, a_m, ρ_m for m = 2 ... N.
    static func parameterNames(order: Int) -> [String] {
        ["E", "w"] + (max(order, 1) >= 2 ? (2...order).flatMap { ["D_\($0)", "gamma_\($0)", "a_\($0)", "reach_\($0)"] } : [])
    }

    /// The order a parameter vector belongs to.
    static func order(parameterCount: Int) -> Int { (parameterCount - 2) / parametersPerLength + 1 }

    /// Per context length m = 2 ... N, the empirical logit of the share of tokens matched at
    /// least m words among those whose position allows it, from the tokens by matched length
    /// (element m − 1 for length m) and the reach (element m − 2 for length m; all 1 for none).
    static func matchedLogits(_ tokensByLength: [Int], reach: [Double]? = nil) -> [Double] {
        let total = Double(tokensByLength.reduce(0, +))
        var atLeast = total
        var logits: [Double] = []
        for m in 1..<max(tokensByLength.count, 1) {
            atLeast -= Double(tokensByLength[m - 1])
            let reachable = max(atLeast, total * (reach?[m - 1] ?? 1))
            logits.append(log((atLeast + 0.5) / (reachable - atLeast + 0.5)))
        }
        return logits
    }

    /// P(M < m | D) for one context length's (D_m, γ_m, a_m), at log D = `x`.
    @inline(__always)
    static func unmatchedRate(logBreak: Double, gamma: Double, a: Double, x: Double) -> Double {
        exp(-(gamma / a) * LogLinearHuberSolver.softplus(a * (x - logBreak)))
    }

    /// N − E[M] at size `d`: the unmatched rates summed, each at least the one below it (a
    /// longer match is never more likely than a shorter one).
    static func deficit(_ parameters: [Double], _ d: Double) -> Double {
        let x = log(d)
        var floor = 0.0, sum = 0.0
        for m in 0..<(order(parameterCount: parameters.count) - 1) {
            let base = 2 + parametersPerLength * m
            let reachable = unmatchedRate(logBreak: log(parameters[base]), gamma: parameters[base + 1], a: parameters[base + 2], x: x)
            floor = max(floor, 1 - parameters[base + 3] * (1 - reachable))
            sum += floor
        }
        return sum
    }

    /// The measured N − E[M] of a point from its logits and the reach.
    static func measuredDeficit(_ logits: [Double], reach: [Double]?) -> Double {
        logits.indices.reduce(0) { sum, m in sum + 1 - (reach?[m] ?? 1) / (1 + exp(-logits[m])) }
    }

    /// The law's loss at size `d`.
    static func predict(_ parameters: [Double], _ d: Double) -> Double {
        parameters[0] + parameters[1] * deficit(parameters, d)
    }

    /// The fit on `points` (their `matchedLogits` set): parameters in `parameterNames` order and
    /// the summed Huber loss of the log residuals of L; nil when the points have no context
    /// lengths, fewer than 4 distinct sizes, a rate that does not rise with D, or a loss that
    /// does not fall as matches lengthen.
    static func fit(_ points: WeightedPoints, delta: Double) -> (parameters: [Double], loss: Double)? {
        guard points.distinctSizes >= 4, let lengths = points.matchedLogits.first?.count, lengths >= 1,
              points.matchedLogits.allSatisfy({ $0.count == lengths }) else { return nil }
        let reach = points.matchReach
        guard reach == nil || reach!.count == lengths else { return nil }
        var rates: [Double] = []
        for m in 0..<lengths {
            guard let rate = fitRate(logSizes: points.logSizes, logits: points.matchedLogits.map { $0[m] }, weights: points.weights) else { return nil }
            rates += rate + [reach?[m] ?? 1]
        }
        // E and w with the measured deficits: minimize Σ Huber((E + w·δ_i)/L_i − 1), E ≥ 0
        // (a negative E would forecast a negative loss far out: then E = 0 is the optimum).
        let deficits = points.matchedLogits.map { measuredDeficit($0, reach: reach) }
        var relative = points
        relative.logValues = [Double](repeating: 1, count: points.count)
        let ones = points.values.map { 1 / $0 }, slope = zip(deficits, points.values).map { $0 / $1 }
        guard var linear = LogLinearHuberSolver.huberRegression(columns: [ones, slope], points: relative, delta: delta)?.coefficients else { return nil }
        if linear[0] < 0 {
            guard let through = LogLinearHuberSolver.huberRegression(columns: [slope], points: relative, delta: delta) else { return nil }
            linear = [0, through.coefficients[0]]
        }
        guard linear[1] > 0 else { return nil }
        let parameters = linear + rates
        var loss = 0.0
        for i in 0..<points.count {
            loss += points.weights[i] * HuberLoss.value(log(predict(parameters, exp(points.logSizes[i]))) - points.logValues[i], delta: delta)
        }
        return loss.isFinite ? (parameters, loss) : nil
    }

    /// One context length's rate: [D_m, γ_m, a_m] minimizing the weighted squared error of the
    /// logit of 1 − P(M < m | D) against the empirical logits; nil when the rate does not rise.
    static func fitRate(logSizes: [Double], logits: [Double], weights: [Double]) -> [Double]? {
        // The logistic start: logit = c + b·log D.
        let ones = [Double](repeating: 1, count: logSizes.count)
        guard let line = leastSquares(columns: [ones, logSizes], target: logits, weights: weights), line[1] > 0 else { return nil }
        let exponents = log(exponentRange.lowerBound)...log(exponentRange.upperBound)
        let lowest = logSizes.min()!, highest = logSizes.max()!
        let breaks = (lowest - 30)...(highest + 30)
        func clamp(_ t: [Double]) -> [Double] {
            [min(max(t[0], breaks.lowerBound), breaks.upperBound), min(max(t[1], exponents.lowerBound), exponents.upperBound),
             min(max(t[2], exponents.lowerBound), exponents.upperBound)]
        }
        // θ = (ln D_m, ln γ_m, ln a_m).
        func residuals(_ t: [Double]) -> [Double] {
            let gamma = exp(t[1]), a = exp(t[2])
            return zip(logSizes, logits).map { x, y in
                let logUnmatched = -(gamma / a) * LogLinearHuberSolver.softplus(a * (x - t[0]))
                return log(-expm1(logUnmatched)) - logUnmatched - y
            }
        }
        func cost(_ r: [Double]) -> Double { zip(r, weights).reduce(0) { $0 + $1.1 * $1.0 * $1.0 } }
        var theta = clamp([-line[0] / line[1], log(line[1]), log(line[1])])
        var r = residuals(theta)
        var current = cost(r)
        guard current.isFinite else { return nil }
        var lambda = 1e-3
        for _ in 0..<levenbergMarquardtSteps {
            // Jacobian by central differences.
            var jacobian = [[Double]](repeating: [], count: 3)
            for j in 0..<3 {
                var up = theta, down = theta
                let h = 1e-6 * max(1, abs(theta[j]))
                up[j] += h
                down[j] -= h
                jacobian[j] = zip(residuals(up), residuals(down)).map { ($0 - $1) / (2 * h) }
            }
            var normal = [Double](repeating: 0, count: 9), gradient = [Double](repeating: 0, count: 3)
            for i in r.indices {
                for a in 0..<3 {
                    gradient[a] -= weights[i] * jacobian[a][i] * r[i]
                    for b in 0..<3 { normal[a * 3 + b] += weights[i] * jacobian[a][i] * jacobian[b][i] }
                }
            }
            var improved = false
            while lambda < 1e12 {
                var damped = normal
                for a in 0..<3 { damped[a * 3 + a] += lambda * max(normal[a * 3 + a], 1e-12) }
                if let step = LogLinearHuberSolver.solveSymmetric(damped, gradient, 3) {
                    let trial = clamp(zip(theta, step).map(+))
                    let trialResiduals = residuals(trial)
                    let trialCost = cost(trialResiduals)
                    if trialCost.isFinite && trialCost < current {
                        improved = current - trialCost > 1e-12 * current
                        (theta, r, current) = (trial, trialResiduals, trialCost)
                        lambda = max(lambda / 3, 1e-12)
                        break
                    }
                }
                lambda *= 4
            }
            if !improved { break }
        }
        return [exp(theta[0]), exp(theta[1]), exp(theta[2])]
    }

    /// Weighted linear least squares; nil when the columns are dependent.
    static func leastSquares(columns: [[Double]], target: [Double], weights: [Double]) -> [Double]? {
        let k = columns.count
        var normal = [Double](repeating: 0, count: k * k), right = [Double](repeating: 0, count: k)
        for i in target.indices {
            for a in 0..<k {
                right[a] += weights[i] * columns[a][i] * target[i]
                for b in 0..<k { normal[a * k + b] += weights[i] * columns[a][i] * columns[b][i] }
            }
        }
        return LogLinearHuberSolver.solveSymmetric(normal, right, k)
    }
}
