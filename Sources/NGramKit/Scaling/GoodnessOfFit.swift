import Foundation

/// Whether a law misses the measured slices by more than they scatter.
///
/// In:  a law fitted to every point of a curve, the points (each slice size measured under
///      several repeats: `--repeats`), and which slice each point belongs to.
/// Out: the root mean square of the law's relative residuals at the slices' means, against the
///      pooled standard error of those means (each slice's standard deviation over its repeats,
///      / √repeats, relative to its mean loss). A law that is right misses each mean by about
///      its standard error; one that misses by more than `threshold` times it does not describe
///      the curve, whatever its backtests say. Slices measured once, or alike in every repeat
///      (the whole pool is the same slice under any shuffle), carry no spread and are left out.
public struct GoodnessOfFit: Sendable, Equatable {
    public var rmsResidual: Double
    public var standardError: Double
    /// Slices judged.
    public var slices: Int
    public static let threshold = 2.0
    /// Slices with a spread a judgment needs.
    public static let minimumSlices = 3

    public var misses: Bool { rmsResidual > GoodnessOfFit.threshold * standardError }

    /// The judgment of `fit`; nil with fewer than `minimumSlices` slices that have a spread, or a
    /// failed fit.
    /// - Parameters:
    ///   - tokens, losses: every point.
    ///   - slices: per point, its slice (0, 1, ... ascending with the size).
    init?(fit: LawFit, tokens: [Int], losses: [Double], slices: [Int]) {
        guard fit.succeeded, let groups = SliceGroups(tokens: tokens, losses: losses, slices: slices) else { return nil }
        var squares = 0.0, errors = 0.0, n = 0
        for slice in groups.members.indices {
            guard let spread = groups.spreads[slice], spread > 0 else { continue }
            let mean = groups.losses[slice]
            let residual = fit.relativeResidual(observed: mean, at: groups.sizes[slice].rounded())
            let error = spread / (mean * Double(groups.members[slice].count).squareRoot())
            squares += residual * residual
            errors += error * error
            n += 1
        }
        guard n >= GoodnessOfFit.minimumSlices, squares.isFinite, errors.isFinite else { return nil }
        rmsResidual = (squares / Double(n)).squareRoot()
        standardError = (errors / Double(n)).squareRoot()
        self.slices = n
    }

    /// The flag a report prints.
    public var flag: String {
        "the law misses the slices by more than their spread (residuals \(ScalingReport.percent(rmsResidual)) rms against a standard error of \(ScalingReport.percent(standardError)) over the repeats): its forecasts are shown as approximate, without intervals, here and in the summary"
    }
}
