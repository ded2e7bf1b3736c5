/// Modified Kneser-Ney discounts.
///
/// In:  counts-of-counts n1...n4 of the adjusted counts of one order
///      (`NGramCounts.kneserNeyCountsOfCounts(order:)`).
/// Out: three discounts D1, D2, D3+ for that order (Chen and Goodman 1998, eq. 26):
///      Y = n1 / (n1 + 2·n2),  Dk = k − (k+1)·Y·n(k+1)/nk.
///
/// Computed in single precision, exactly as KenLM's `lmplz` does, so that the discounts (and
/// through them every probability) agree with it to the last printed digit.

/// The three discounts of one order. `amount(forCount:)` is D(c): 0 for c = 0, D1, D2, D3+.
public struct KneserNeyDiscount: Sendable, Equatable, CustomStringConvertible {
    /// D1, D2, D3+.
    public var d1: Float, d2: Float, d3: Float

    public init(_ d1: Float, _ d2: Float, _ d3: Float) {
        self.d1 = d1
        self.d2 = d2
        self.d3 = d3
    }

    /// `lmplz --discount_fallback`'s defaults: 0.5, 1, 1.5.
    public static let fallbackDefault = KneserNeyDiscount(0.5, 1, 1.5)

    /// The discount taken from an n-gram seen `count` times (adjusted count).
    @inline(__always)
    public func amount(forCount count: UInt64) -> Double {
        switch count {
        case 0: return 0
        case 1: return Double(d1)
        case 2: return Double(d2)
        default: return Double(d3)
        }
    }

    public var description: String { "D1=\(d1) D2=\(d2) D3+=\(d3)" }

    /// The closed-form discounts for counts-of-counts `n` (index k = number of n-grams with
    /// adjusted count k, k = 1...4), or a reason why they do not exist: some nk is 0, or a
    /// discount falls outside [0, k] (tiny, deduplicated or artificial data).
    public static func closedForm(countsOfCounts n: [UInt64]) -> Result<KneserNeyDiscount, DiscountFailure> {
        precondition(n.count >= 5)
        for k in 1...3 where n[k] == 0 {
            return .failure(DiscountFailure(reason: "no n-grams with adjusted count \(k)"))
        }
        // Float arithmetic in the order KenLM uses (the sum n1 + 2·n2 is formed in double).
        let y = Float(n[1]) / Float(Double(n[1]) + 2.0 * Double(n[2]))
        var d = [Float](repeating: 0, count: 4)
        for k in 1...3 {
            d[k] = Float(k) - Float(k + 1) * y * Float(n[k + 1]) / Float(n[k])
            if d[k] < 0 || d[k] > Float(k) {
                return .failure(DiscountFailure(reason: "D\(k == 3 ? "3+" : String(k)) = \(d[k]) is outside [0, \(k)]"))
            }
        }
        return .success(KneserNeyDiscount(d[1], d[2], d[3]))
    }
}

/// Why closed-form discounts could not be computed for an order.
public struct DiscountFailure: Error, Sendable, Equatable {
    public let reason: String
}

extension NGramCounts {
    /// The modified Kneser-Ney discounts of every order (`result[n - 1]`), with `fallback`
    /// substituted where the closed form fails.
    /// - Parameter warn: called with one line per order that falls back.
    public func kneserNeyDiscounts(fallback: KneserNeyDiscount = .fallbackDefault,
                                   warn: (String) -> Void = { _ in }) -> [KneserNeyDiscount] {
        (1...order).map { n in
            KneserNeyDiscount.orFallback(countsOfCounts: kneserNeyCountsOfCounts(checkedOrder: n), order: n, fallback: fallback, warn: warn)
        }
    }
}

extension KneserNeyDiscount {
    /// Original Kneser-Ney's one discount of order `order`, D = Y = n1/(n1 + 2·n2) of its
    /// counts-of-counts (in single precision, as modified Kneser-Ney's Y), as D1 = D2 = D3+;
    /// or `fallback`'s D1, with one warning line, where n1 or n2 is 0.
    static func original(countsOfCounts n: [UInt64], order: Int, fallback: KneserNeyDiscount, warn: (String) -> Void) -> KneserNeyDiscount {
        guard n[1] > 0 && n[2] > 0 else {
            warn("warning: order \(order): no Kneser-Ney discount n1/(n1+2·n2) (n1 = \(n[1]), n2 = \(n[2]); tiny data?); using \(fallback.d1) (set it with --discount-fallback)")
            return KneserNeyDiscount(fallback.d1, fallback.d1, fallback.d1)
        }
        let y = Float(n[1]) / Float(Double(n[1]) + 2.0 * Double(n[2]))
        return KneserNeyDiscount(y, y, y)
    }

    /// The closed-form discounts of order `order` from its counts-of-counts, or `fallback`
    /// with one warning line when they do not exist.
    static func orFallback(countsOfCounts: [UInt64], order n: Int, fallback: KneserNeyDiscount,
                           warn: (String) -> Void) -> KneserNeyDiscount {
        switch closedForm(countsOfCounts: countsOfCounts) {
        case .success(let discount):
            return discount
        case .failure(let failure):
            warn("warning: order \(n): closed-form Kneser-Ney discounts do not exist (\(failure.reason); tiny or deduplicated data?); using fallback discounts \(fallback) (set them with --discount-fallback D1 D2 D3)")
            return fallback
        }
    }
}
