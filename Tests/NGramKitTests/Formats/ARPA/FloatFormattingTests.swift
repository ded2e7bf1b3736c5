import NGramKit
import Testing

/// `FloatFormatting` writes exactly what `Float.description` prints (ARPA files depend on it).
/// An exhaustive comparison over every Float of its fast path (2^−14 ≤ |x| < 2^24) was run
/// once when it was written; these tests check a large seeded sample and the edge cases.
@Suite struct FloatFormattingTests {
    static func check(_ value: Float, sourceLocation: SourceLocation = #_sourceLocation) -> Bool {
        let text = FloatFormatting.text(value)
        if text != value.description {
            Issue.record("\(value.bitPattern): \(text) instead of \(value.description)", sourceLocation: sourceLocation)
            return false
        }
        return true
    }

    @Test("Edge cases: switch points of notation, powers of two and ten, ties, limits, specials")
    func edgeCases() {
        var values: [Float] = [0, -0.0, 1, -1, 0.5, 0.1, 0.2, 0.3, 100, -99, 99.99999, 9.999999, 10, 0.0001, 0.00009999,
                               1e-5, -1e-5, 1.5e-5, 1e-4, 9.99e-5, 16777216, 16777215, 16777217, 33554432, 8388608.5,
                               2097152.25, 2097152.75, 1048576.75, 0.00341796875, 1.01171875, 123456.7, 1e7, 9999999,
                               .pi, -.pi, .ulpOfOne, .leastNormalMagnitude, .leastNonzeroMagnitude, .greatestFiniteMagnitude,
                               .infinity, -.infinity, .nan, 0x1p-14, 0x1p-15, 0x1p24, 0x1.fffffep23, 0x1.fffffep-15]
        for k in -45...38 {
            let power = Float("1e\(k)")!
            values += [power, power.nextUp, power.nextDown]
        }
        for k in -149...127 {
            let power = Float(sign: .plus, exponent: k, significand: 1)
            values += [power, power.nextUp, power.nextDown]
        }
        var failures = 0
        for value in values + values.map({ -$0 }) where !Self.check(value) {
            failures += 1
            if failures > 10 { return }
        }
    }

    @Test("A seeded sample: random bit patterns, and values where ARPA's log10 numbers lie")
    func seededSample() {
        var random = SplitMix64(state: 20_240_905)
        var failures = 0
        for i in 0..<3_000_000 {
            let value: Float
            switch i % 3 {
            case 0: value = Float(bitPattern: UInt32(truncatingIfNeeded: random.next()))
            case 1: value = Float(Double(random.next() >> 11) / Double(1 << 53) * -100)   // log10 probabilities
            default: value = Float(Double(random.next() >> 11) / Double(1 << 53) * 10 - 5)  // log10 backoffs
            }
            if !Self.check(value) {
                failures += 1
                if failures > 10 { return }
            }
        }
    }
}
