import Foundation

/// The shapes of L(D) the harness fits and compares by how they forecast.
///
/// A law is judged by its backtests (refitted on the small slices, checked on the larger ones:
/// `ScalingBacktest`), not by its residuals: every form here passes close to the measured points,
/// and they differ by a few per cent ten times past them.
public enum ScalingLawForm: String, Sendable, CaseIterable, Codable {
    /// `E + B·D^−β`: a power law that levels off at an irreducible loss E (Hoffmann et al. 2022).
    case saturating = "saturating"
    /// `B·D^−β`: no floor (Kaplan et al. 2020), a straight line in log-log.
    case powerLaw = "power-law"
    /// `B·D^−β₁·(1 + D/D_b)^−(β₂−β₁)`: log-log slope −β₁ well below the break D_b, −β₂ well above
    /// it (a broken neural scaling law with one break, no floor and smoothness 1; Caballero et
    /// al. 2022). The break is searched in [D_min/100, D_max] of the fitted points: it may lie
    /// below the measured range, where the bend began, but never beyond the data.
    case brokenPowerLaw = "broken-power-law"
    /// `E + w·(N − E[M])`: the loss as a price w per context word the model cannot match, with
    /// the mean matched length E[M] forecast from the measured share of held-out tokens matched
    /// at least m words, one curve per m (`MatchedLengthLaw`). Needs the points' tokens by
    /// matched length, and an order of at least 2.
    case matchedLength = "matched-length"

    /// The formula as the report prints it.
    public var formula: String {
        switch self {
        case .saturating: "E + B·D^−β"
        case .powerLaw: "B·D^−β"
        case .brokenPowerLaw: "B·D^−β₁·(1 + D/D_b)^−(β₂−β₁)"
        case .matchedLength: "E + w·Σₘ P(M < m), P(M < m) = (1 + (D/D_m)^a_m)^−(γ_m/a_m)"
        }
    }

    /// A few letters for a plot's legend.
    public var shortName: String {
        switch self {
        case .saturating: "saturating"
        case .powerLaw: "power law"
        case .brokenPowerLaw: "broken"
        case .matchedLength: "matched length"
        }
    }

    /// The parameters' names, in the order of `LawFit.parameters`, for a model of order `order`
    /// (only the matched-length law's depend on it).
    public func parameterNames(order: Int) -> [String] {
        switch self {
        case .saturating: ["E", "B", "beta"]
        case .powerLaw: ["B", "beta"]
        case .brokenPowerLaw: ["B", "beta1", "beta2", "D_b"]
        case .matchedLength: MatchedLengthLaw.parameterNames(order: order)
        }
    }

    /// Distinct sizes a fit needs: one per parameter (the matched-length law's parameters per
    /// context length are fitted to one rate curve each, of three parameters, and E and w to
    /// the same points).
    public var minimumDistinctSizes: Int {
        switch self {
        case .saturating: 3
        case .powerLaw: 2
        case .brokenPowerLaw, .matchedLength: 4
        }
    }

    /// The law's value at `d` for `parameters` (in `parameterNames` order).
    public func predict(_ parameters: [Double], _ d: Double) -> Double {
        switch self {
        case .saturating:
            return parameters[0] + parameters[1] * pow(d, -parameters[2])
        case .powerLaw:
            return parameters[0] * pow(d, -parameters[1])
        case .brokenPowerLaw:
            let x = log(d)
            return exp(log(parameters[0]) - parameters[1] * x
                       - (parameters[2] - parameters[1]) * LogLinearHuberSolver.softplus(x - log(parameters[3])))
        case .matchedLength:
            return MatchedLengthLaw.predict(parameters, d)
        }
    }
}
