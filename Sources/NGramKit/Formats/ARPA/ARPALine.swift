#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import CNGramKitSupport

/// The core of ARPA parsing that both readers share (the line reader and the parallel reader of
/// mapped files): one n-gram line's bytes in; its fields, and its checked values, out.
///
/// In:  the bytes of one line of an `\n-grams:` section (no line terminator).
/// Out: the bounds of its fields (runs of bytes other than space and TAB), and its log10
///      probability and backoff, checked: a number (decimal, optionally with an exponent), finite
///      in single precision (the precision of ARPA values and of the binary format), and a
///      probability at most 0 (a log10 probability above 0 is a probability above 1; KenLM refuses
///      it too). `-99` is the number -99, as in KenLM (SRILM writes probability zero so).
enum ARPALine {
    /// What is wrong with a line; `ARPAParser` words it with file and line number.
    enum Problem: Error {
        /// Not n + 1 or n + 2 fields.
        case fieldCount(Int)
        /// Field 0 is not a usable log10 probability.
        case probability(ValueProblem)
        /// Field n + 1 is not a usable log10 backoff.
        case backoff(ValueProblem)
        /// A non-zero backoff on the highest order.
        case backoffOnHighestOrder
    }

    enum ValueProblem: Error {
        case notANumber, notFinite, positive
    }

    /// Splits `base[start..<stop]` into fields, 16 bytes at a time from any position at most
    /// `vectorLimit` (16 bytes from there must be readable), a byte at a time after it.
    /// - Parameters:
    ///   - limit: fields recorded at most (`starts` and `ends` hold that many).
    /// - Returns: the number of fields, or `limit + 1` when there are more (the rest unrecorded).
    @inline(__always)
    static func split(_ base: UnsafePointer<UInt8>, from start: Int, to stop: Int, vectorLimit: Int, limit: Int,
                      starts: UnsafeMutablePointer<Int>, ends: UnsafeMutablePointer<Int>) -> Int {
        var fields = 0
        var i = start
        var inField: UInt32 = 0   // 1 while a field is open at i
        while i < stop {
            let nonBlank: UInt32
            let width: Int
            if i <= vectorLimit {
                width = min(16, stop - i)
                nonBlank = ~ngk_blank_mask16(base + i) & (UInt32(1) &<< UInt32(truncatingIfNeeded: width) &- 1)
            } else {
                width = 1
                nonBlank = base[i] == 0x20 || base[i] == 0x09 ? 0 : 1
            }
            // Bit b: byte b differs from the byte before (a field's start or end). The byte after
            // the line counts as blank, so a field open at the line's end closes there; a field
            // open at a block's end otherwise goes on into the next block.
            var changes = nonBlank ^ (nonBlank &<< 1 | inField)
            changes &= (UInt32(1) &<< UInt32(truncatingIfNeeded: i + width == stop ? width + 1 : width)) &- 1
            while changes != 0 {
                let bit = changes.trailingZeroBitCount
                if nonBlank &>> UInt32(truncatingIfNeeded: bit) & 1 == 1 {
                    if fields == limit { return limit + 1 }
                    starts[fields] = i + bit
                } else {
                    ends[fields] = i + bit
                    fields += 1
                }
                changes &= changes &- 1
            }
            inField = nonBlank &>> UInt32(truncatingIfNeeded: width &- 1) & 1
            i += width
        }
        return fields
    }

    /// The checked log10 probability and backoff of a line of order `n` split into `fields`
    /// fields (`starts`/`ends`, offsets from `base`); the backoff is 0 when the line has none.
    /// - Parameter highest: whether n is the model's highest order (its lines take no backoff,
    ///   but a 0 is accepted).
    @inline(__always)
    static func values(_ base: UnsafePointer<UInt8>, fields: Int, order n: Int, highest: Bool,
                       starts: UnsafePointer<Int>, ends: UnsafePointer<Int>) -> Result<(prob: Double, backoff: Double), Problem> {
        guard fields == n + 1 || fields == n + 2 else { return .failure(.fieldCount(fields)) }
        let prob: Double
        switch probability(UnsafeBufferPointer(start: base + starts[0], count: ends[0] - starts[0])) {
        case .success(let value): prob = value
        case .failure(let problem): return .failure(.probability(problem))
        }
        var backoff = 0.0
        if fields == n + 2 {
            switch value(UnsafeBufferPointer(start: base + starts[n + 1], count: ends[n + 1] - starts[n + 1])) {
            case .success(let value): backoff = value
            case .failure(let problem): return .failure(.backoff(problem))
            }
            if highest && backoff != 0 { return .failure(.backoffOnHighestOrder) }
        }
        return .success((prob, backoff))
    }

    /// A log10 probability: a finite number at most 0.
    @inline(__always)
    static func probability(_ text: UnsafeBufferPointer<UInt8>) -> Result<Double, ValueProblem> {
        switch value(text) {
        case .success(let v): return v > 0 ? .failure(.positive) : .success(v)
        case .failure(let problem): return .failure(problem)
        }
    }

    /// A log10 value: a number, finite in single precision.
    @inline(__always)
    static func value(_ text: UnsafeBufferPointer<UInt8>) -> Result<Double, ValueProblem> {
        guard let v = parseNumber(text) else { return .failure(isInfinity(text) ? .notFinite : .notANumber) }
        guard abs(v) <= Double(Float.greatestFiniteMagnitude) else { return .failure(.notFinite) }
        return .success(v)
    }

    private static let exactPowersOfTen: [Double] = [
        1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11,
        1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22,
    ]

    /// Parses `[-+]digits[.digits][(e|E)[-+]digits]` (digits on at least one side of the point);
    /// nil for anything else (infinities and NaN included). An exponent beyond the range of
    /// `Double` gives ±infinity or ±0, as `strtod` does.
    ///
    /// Fast path (Clinger): a mantissa of at most 2^53 scaled by an exact power of ten of at
    /// most 10^22 is one correctly rounded IEEE operation; everything else goes to `strtod`.
    @inline(__always)
    static func parseNumber(_ text: UnsafeBufferPointer<UInt8>) -> Double? {
        let count = text.count
        guard count > 0 else { return nil }
        let p = text.baseAddress!
        var i = 0
        var negative = false
        if p[0] == 0x2D || p[0] == 0x2B {
            negative = p[0] == 0x2D
            i = 1
        }
        // Every digit goes into the mantissa, leading zeros too (they add nothing); more than 19
        // digits may overflow it, and go to `strtod`.
        var mantissa: UInt64 = 0
        var exponent = 0
        let integerStart = i
        while i < count, case let d = p[i] &- 0x30, d < 10 {
            mantissa = mantissa &* 10 &+ UInt64(d)
            i += 1
        }
        var digits = i - integerStart
        if i < count && p[i] == 0x2E /* . */ {
            i += 1
            let fractionStart = i
            // Eight digits at a time while eight bytes of the field remain (single-precision
            // values written in full have eight or nine): check that all are digits, then
            // combine pairs, quads and octets in place.
            while count - i >= 8 {
                let chunk = UnsafeRawPointer(p + i).loadUnaligned(as: UInt64.self).littleEndian
                let high: UInt64 = 0xF0F0_F0F0_F0F0_F0F0, zeros: UInt64 = 0x3030_3030_3030_3030
                guard chunk & high == zeros, (chunk &+ 0x0606_0606_0606_0606) & high == zeros else { break }
                var v = chunk &- zeros
                v = (v &* 10 &+ (v &>> 8)) & 0x00FF_00FF_00FF_00FF
                v = (v &* 100 &+ (v &>> 16)) & 0x0000_FFFF_0000_FFFF
                v = (v &* 10_000 &+ (v &>> 32)) & 0xFFFF_FFFF
                mantissa = mantissa &* 100_000_000 &+ v
                i += 8
            }
            if count - i >= 4 {
                let chunk = UnsafeRawPointer(p + i).loadUnaligned(as: UInt32.self).littleEndian
                let high: UInt32 = 0xF0F0_F0F0, zeros: UInt32 = 0x3030_3030
                if chunk & high == zeros && (chunk &+ 0x0606_0606) & high == zeros {
                    var v = chunk &- zeros
                    v = (v &* 10 &+ (v &>> 8)) & 0x00FF_00FF
                    v = (v &* 100 &+ (v &>> 16)) & 0xFFFF
                    mantissa = mantissa &* 10_000 &+ UInt64(v)
                    i += 4
                }
            }
            while i < count, case let d = p[i] &- 0x30, d < 10 {
                mantissa = mantissa &* 10 &+ UInt64(d)
                i += 1
            }
            exponent = fractionStart - i
            digits += i - fractionStart
        }
        guard digits > 0 else { return nil }
        let tooLong = digits > 19
        if i < count && (p[i] | 0x20) == 0x65 /* e */ {
            i += 1
            var exponentNegative = false
            if i < count && (p[i] == 0x2D || p[i] == 0x2B) {
                exponentNegative = p[i] == 0x2D
                i += 1
            }
            var written = 0, exponentDigits = 0
            while i < count, case let d = p[i] &- 0x30, d < 10 {
                if written < 100_000 { written = written * 10 + Int(d) }
                exponentDigits += 1
                i += 1
            }
            guard exponentDigits > 0 else { return nil }
            exponent += exponentNegative ? -written : written
        }
        guard i == count else { return nil }
        if mantissa == 0 && !tooLong { return negative ? -0.0 : 0.0 }
        if !tooLong && mantissa <= 1 << 53 && exponent >= -22 && exponent <= 22 {
            let value = exponent < 0 ? Double(mantissa) / exactPowersOfTen[-exponent] : Double(mantissa) * exactPowersOfTen[exponent]
            return negative ? -value : value
        }
        return slowParse(text)
    }

    /// `strtod` on a NUL-terminated copy (already checked to be a plain decimal number).
    @inline(never)
    private static func slowParse(_ text: UnsafeBufferPointer<UInt8>) -> Double? {
        withUnsafeTemporaryAllocation(of: CChar.self, capacity: text.count + 1) { copy in
            let start = copy.baseAddress!
            UnsafeMutableRawPointer(start).copyMemory(from: text.baseAddress!, byteCount: text.count)
            start[text.count] = 0
            var end: UnsafeMutablePointer<CChar>? = nil
            let value = strtod(start, &end)
            return end == start + text.count ? value : nil
        }
    }

    /// `inf` or `infinity` in any case, with an optional sign.
    @inline(never)
    private static func isInfinity(_ text: UnsafeBufferPointer<UInt8>) -> Bool {
        var lower = text.map { $0 | 0x20 }
        if let first = text.first, first == 0x2D || first == 0x2B { lower.removeFirst() }
        return lower.elementsEqual("inf".utf8) || lower.elementsEqual("infinity".utf8)
    }

    /// Bytes for an error message: at most 40 of them, control characters shown as `?`, so the
    /// message stays one line.
    static func quote(_ bytes: UnsafeBufferPointer<UInt8>) -> String {
        let shown = String(decoding: bytes.prefix(40).map { $0 < 0x20 || $0 == 0x7F ? 0x3F : $0 }, as: UTF8.self)
        return bytes.count > 40 ? shown + "..." : shown
    }
}
