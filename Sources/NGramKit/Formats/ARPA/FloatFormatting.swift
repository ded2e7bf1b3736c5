/// The shortest decimal text that reads back to the same `Float`, byte for byte what
/// `Float.description` prints, without building a `String`.
///
/// `Float.description` prints the shortest decimal that parses back to the same value (the
/// closest such decimal when several have that length), as `-1.2345678`, `100.0` or `0.0001`
/// for decimal exponents −4 through 2^24, otherwise as `1e-05` or `9.999e-05`.
///
/// The fast path covers normal numbers with 2^−14 ≤ |x| < 2^24 (ARPA's log10 probabilities
/// and backoffs, but for a few near 0): x = m·2^e (m 24 bits, −37 ≤ e ≤ 0) is taken as the
/// integer X = x·2^39, exactly, with the interval of reals that read back to x (half the gap to
/// each neighbour; the gap below is half as large at a power of two; the ends count when m is
/// even, since ties read back to the even mantissa). In units of 10^p0, p0 chosen so that the
/// interval holds at least one such unit, the integers inside are vm < i ≤ vp; digits are
/// removed while the interval still holds a multiple of 10 (as Ryu does), and of the two
/// candidates left, the closer one inside is taken (ties: the even one, as `Float.description`
/// does). Every other value (NaN, infinities, 0, subnormals, tiny and huge numbers) goes through
/// `Float.description`. An exhaustive comparison with `Float.description` over all 2^32 bit
/// patterns (a throwaway program, run when this was written) found no difference;
/// `FloatFormattingTests` checks a large seeded sample and the edge cases.
package enum FloatFormatting {
    /// The most bytes `write(_:to:)` writes (`Float.description` is at most 15 bytes long:
    /// `-1.17549435e-38`).
    package static let maximumLength = 32

    /// 10^k for 0 ≤ k ≤ 19.
    @inline(__always)
    private static func powerOfTen(_ k: Int) -> UInt64 { powersOfTen[k] }

    /// The number of decimal digits of `d` (without branches).
    @inline(__always)
    private static func decimalLength(_ d: UInt64) -> Int {
        var length = 1
        length += d >= 10 ? 1 : 0
        length += d >= 100 ? 1 : 0
        length += d >= 1_000 ? 1 : 0
        length += d >= 10_000 ? 1 : 0
        length += d >= 100_000 ? 1 : 0
        length += d >= 1_000_000 ? 1 : 0
        length += d >= 10_000_000 ? 1 : 0
        length += d >= 100_000_000 ? 1 : 0
        length += d >= 1_000_000_000 ? 1 : 0
        length += d >= 10_000_000_000 ? 1 : 0
        length += d >= 100_000_000_000 ? 1 : 0
        length += d >= 1_000_000_000_000 ? 1 : 0
        length += d >= 10_000_000_000_000 ? 1 : 0
        length += d >= 100_000_000_000_000 ? 1 : 0
        length += d >= 1_000_000_000_000_000 ? 1 : 0
        length += d >= 10_000_000_000_000_000 ? 1 : 0
        length += d >= 100_000_000_000_000_000 ? 1 : 0
        length += d >= 1_000_000_000_000_000_000 ? 1 : 0
        length += d >= 10_000_000_000_000_000_000 ? 1 : 0
        return length
    }

    /// Writes `value` as `value.description` would to `out`, which must have room for
    /// `maximumLength` bytes; returns the number of bytes written.
    @inline(__always)
    package static func write(_ value: Float, to out: UnsafeMutablePointer<UInt8>) -> Int {
        let biased = Int((value.bitPattern >> 23) & 0xFF)
        // e = biased − 150 in −37...0.
        if biased >= 113 && biased <= 150 { return writeFast(value, to: out) }
        return writeDescription(value, to: out)
    }

    /// The bytes of `value.description`, by `write(_:to:)`.
    package static func text(_ value: Float) -> String {
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: maximumLength) { buffer in
            String(decoding: UnsafeBufferPointer(rebasing: buffer[..<write(value, to: buffer.baseAddress!)]), as: UTF8.self)
        }
    }

    /// The fall back: copies `value.description`.
    @inline(never)
    static func writeDescription(_ value: Float, to out: UnsafeMutablePointer<UInt8>) -> Int {
        var text = value.description
        return text.withUTF8 { bytes in
            let count = min(bytes.count, maximumLength)
            out.update(from: bytes.baseAddress!, count: count)
            return count
        }
    }

    /// Fast path for normal values with binary exponent −37 ≤ e ≤ 0.
    @inline(__always)
    private static func writeFast(_ value: Float, to out: UnsafeMutablePointer<UInt8>) -> Int {
        let bits = value.bitPattern
        let e = Int((bits >> 23) & 0xFF) - 150
        let m = UInt64(bits & 0x7F_FFFF) | 0x80_0000
        let x = m << UInt64(e + 39)                      // value·2^39 < 2^63, exact
        let high = e + 38                                // half the gap to the next Float up is 2^high
        let low = m == 0x80_0000 ? high - 1 : high       // ... and down (half as large at 2^k)
        let inclusive = m & 1 == 0                       // ties read back to the even mantissa

        // Multiples of 10^p0 are at most 2^low apart (in units of 2^−39), p0 = ⌊log10 2^(low−39)⌋ < 0,
        // so the interval [x − 2^low, x + 2^high] holds one. In units of 10^p0 (scaled by 2^39):
        let p0 = ((low - 39) * 78913) >> 18
        let scale = powersOfTen[-p0]
        let y = x.multipliedFullWidth(by: scale)
        let scaled = UInt128(y.high) << 64 | UInt128(y.low)
        let mask: UInt128 = (1 << 39) - 1
        let lowEnd = scaled - (UInt128(scale) &<< UInt128(low))
        let highEnd = scaled + (UInt128(scale) &<< UInt128(high))
        // The integers (multiples of 10^p0) inside: vm < i ≤ vp.
        var vm = UInt64(truncatingIfNeeded: lowEnd >> 39)
        if lowEnd & mask == 0 && inclusive { vm -= 1 }           // a whole end counts when inclusive
        var vp = UInt64(truncatingIfNeeded: highEnd >> 39)
        if highEnd & mask == 0 && !inclusive { vp -= 1 }
        var vr = UInt64(truncatingIfNeeded: scaled >> 39)        // x lies in [vr, vr + 1)
        let fraction = scaled & mask
        // Fewer digits while a multiple of 10 more is inside.
        var removed: UInt64 = 0, removedScale: UInt64 = 1
        var k = 0
        while vp / 10 > vm / 10 {
            removed += (vr % 10) * removedScale
            removedScale *= 10
            vp /= 10
            vm /= 10
            vr /= 10
            k += 1
        }
        // x = (vr + (removed + fraction/2^39) / 10^k) · 10^(p0+k); take the closer of vr and
        // vr + 1 that is inside (vm < · ≤ vp), ties to the even one.
        let below = UInt128(removed) << 39 | fraction             // x − vr, in units of 10^p0·2^−39
        let half = UInt128(removedScale) << 38
        let lowInside = vr > vm
        let highInside = vr + 1 <= vp
        let aboveIsCloser = below > half || (below == half && vr & 1 != 0)
        var digits = vr + (!lowInside || (highInside && aboveIsCloser) ? 1 : 0)
        var p = p0 + k
        while digits % 10 == 0 { digits /= 10; p += 1 }
        return format(negative: bits >> 31 != 0, digits: digits, exponent: p, to: out)
    }

    /// Writes digits·10^exponent as `Float.description` lays it out (digits has no trailing 0
    /// and at most 19 digits).
    @inline(__always)
    private static func format(negative: Bool, digits: UInt64, exponent: Int, to out: UnsafeMutablePointer<UInt8>) -> Int {
        let length = decimalLength(digits)
        var n = 0
        if negative { out[0] = 0x2D; n = 1 }
        let scientific = length - 1 + exponent   // the value is d.ddd·10^scientific
        if scientific >= 0 {
            let integerDigits = scientific + 1
            if length <= integerDigits {
                // ddd000.0
                writeDigits(digits, length: length, to: out + n, pointAfter: length)
                n += length
                for _ in length..<integerDigits { out[n] = 0x30; n += 1 }
                out[n] = 0x2E
                out[n + 1] = 0x30
                return n + 2
            }
            // ddd.ddd
            writeDigits(digits, length: length, to: out + n, pointAfter: integerDigits)
            return n + length + 1
        }
        if scientific >= -4 {
            // 0.000ddd
            out[n] = 0x30
            out[n + 1] = 0x2E
            n += 2
            for _ in 0..<(-scientific - 1) { out[n] = 0x30; n += 1 }
            writeDigits(digits, length: length, to: out + n, pointAfter: length)
            return n + length
        }
        // d[.ddd]e-XX
        if length == 1 {
            out[n] = 0x30 + UInt8(truncatingIfNeeded: digits)
            n += 1
        } else {
            writeDigits(digits, length: length, to: out + n, pointAfter: 1)
            n += length + 1
        }
        out[n] = 0x65
        out[n + 1] = 0x2D
        n += 2
        let magnitude = -scientific
        if magnitude >= 100 { out[n] = 0x30 + UInt8(magnitude / 100); n += 1 }
        out[n] = 0x30 + UInt8(magnitude / 10 % 10)
        out[n + 1] = 0x30 + UInt8(magnitude % 10)
        return n + 2
    }

    /// Writes the `length` digits of `digits`, with a '.' after the first `pointAfter` of them
    /// when `pointAfter` < `length`.
    @inline(__always)
    private static func writeDigits(_ digits: UInt64, length: Int, to out: UnsafeMutablePointer<UInt8>, pointAfter: Int) {
        // Two digits at a time from the right.
        var d = digits
        var i = length - 1
        let point = pointAfter < length ? pointAfter : Int.max
        if point != .max { out[point] = 0x2E }
        while i >= 1 {
            let pair = Int(truncatingIfNeeded: d % 100)
            d /= 100
            let (tens, ones) = pair.quotientAndRemainder(dividingBy: 10)
            out[i >= point ? i + 1 : i] = 0x30 + UInt8(truncatingIfNeeded: ones)
            out[i - 1 >= point ? i : i - 1] = 0x30 + UInt8(truncatingIfNeeded: tens)
            i -= 2
        }
        if i == 0 { out[0] = 0x30 + UInt8(truncatingIfNeeded: d) }
    }
}

/// 10^0 ... 10^19 (a constant array: no lazy initialisation).
private let powersOfTen: [UInt64] = [
    1, 10, 100, 1_000, 10_000, 100_000, 1_000_000, 10_000_000, 100_000_000, 1_000_000_000,
    10_000_000_000, 100_000_000_000, 1_000_000_000_000, 10_000_000_000_000, 100_000_000_000_000,
    1_000_000_000_000_000, 10_000_000_000_000_000, 100_000_000_000_000_000,
    1_000_000_000_000_000_000, 10_000_000_000_000_000_000,
]
