/// The Huber loss (Huber 1964) used by the scaling-law fit: quadratic for small residuals,
/// linear beyond `delta`, so a few outlying points cannot drag the fit.
///
/// `h(r) = r²/2` for `|r| ≤ δ`, else `δ(|r| − δ/2)` — the convention of `scipy` and PyTorch
/// that Hoffmann et al. (2022) and Besiroglu et al. (2024) use.
enum HuberLoss {
    /// The loss of one residual.
    /// - Parameters:
    ///   - residual: the residual `r`.
    ///   - delta: the threshold `δ` between the quadratic and the linear part.
    /// - Returns: `h(r)`.
    @inline(__always)
    static func value(_ residual: Double, delta: Double) -> Double {
        let magnitude = abs(residual)
        return magnitude <= delta ? 0.5 * residual * residual : delta * (magnitude - 0.5 * delta)
    }

    /// The iteratively-reweighted-least-squares weight `h'(r)/r` of one residual: 1 in the
    /// quadratic part, `δ/|r|` in the linear part. A weighted square `w·r²/2` with this weight
    /// touches and lies above `h` (a majorizer), so minimizing it never increases the loss.
    /// - Parameters:
    ///   - residual: the residual `r`.
    ///   - delta: the threshold `δ`.
    /// - Returns: the weight, in (0, 1].
    @inline(__always)
    static func weight(_ residual: Double, delta: Double) -> Double {
        let magnitude = abs(residual)
        return magnitude <= delta ? 1 : delta / magnitude
    }
}
