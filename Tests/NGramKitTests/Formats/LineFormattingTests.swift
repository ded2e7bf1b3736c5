@testable import NGramKit
import Testing

/// The pieces ARPA and counts lines are built from: short copies and numbers through the
/// per-thread cache of formatted values.
@Suite struct LineFormattingTests {
    @Test("SmallCopy copies exactly count bytes, for every length around its 4-, 8-, 16- and 32-byte cases")
    func smallCopy() {
        let source = (0..<64).map { UInt8(0x41 + $0 % 26) }
        for count in 0...40 {
            var destination = [UInt8](repeating: 0xEE, count: 48)
            source.withUnsafeBufferPointer { from in
                destination.withUnsafeMutableBufferPointer { to in
                    SmallCopy.copy(to.baseAddress! + 3, from.baseAddress! + 5, count)
                }
            }
            #expect(Array(destination[3..<(3 + count)]) == Array(source[5..<(5 + count)]), "count \(count)")
            #expect(destination[0..<3].allSatisfy { $0 == 0xEE } && destination[(3 + count)...].allSatisfy { $0 == 0xEE },
                    "count \(count) wrote outside its range")
        }
    }

    /// The text `LineBuffer.append(log10:)` must give: -99 for −∞, 0 for 0, else the Float's shortest form.
    static func expected(_ value: Double) -> String {
        if value == -.infinity { return "-99" }
        if value == 0 { return "0" }
        return Float(value).description
    }

    @Test("append(log10:) gives the same text whether a value is new, repeated, or evicted by a colliding one; append(distinctLog10:) the same without the cache")
    func cachedValues() {
        var random = SplitMix64(state: 7)
        // Few distinct values (the cache hits), then many (collisions and evictions), then the few again.
        let few = (0..<50).map { _ in -Double(random.next() % 1000) / 97 }
        var values: [Double] = []
        for i in 0..<20_000 { values.append(few[i % few.count]) }
        for _ in 0..<200_000 { values.append(-Double(random.next() >> 11) / Double(1 << 53) * 99) }
        for i in 0..<20_000 { values.append(few[(i * 7) % few.count]) }
        values += [-.infinity, 0, -0.0, 1e-30, -123456.789, -.leastNormalMagnitude, -.infinity, 0]
        // Cached (backoffs), uncached (probabilities), and the two interleaved as ARPA lines are.
        for mode in 0..<3 {
            let buffer = LineBuffer(capacity: 16)   // tiny, so growth is exercised too
            var expected = ""
            for (i, value) in values.enumerated() {
                if mode == 0 || (mode == 2 && i % 2 == 0) { buffer.append(log10: value) } else { buffer.append(distinctLog10: value) }
                buffer.append(byte: 0x0A)
                expected += Self.expected(value) + "\n"
            }
            let text = String(decoding: UnsafeBufferPointer(start: buffer.bytes, count: buffer.count), as: UTF8.self)
            #expect(text == expected, "mode \(mode)")
        }
    }
}
