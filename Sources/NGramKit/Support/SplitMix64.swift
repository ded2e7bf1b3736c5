/// SplitMix64 (Steele, Lea and Flood 2014), the one seeded generator of NGramKit: the shuffle of
/// the scaling harness's units, its bootstrap resamples, and the tests' random inputs. Its
/// sequence is fixed by its seed, so the same seed gives the same slices, intervals and tests on
/// every machine and Swift version (the standard library's `random(in:using:)` may change its
/// algorithm, so it is not used).
package struct SplitMix64: RandomNumberGenerator {
    package var state: UInt64

    /// A generator started at `seed`.
    package init(seed: UInt64) { state = seed }

    /// The generator of stream `stream` under `seed`: the state is a hash of both, so streams
    /// for consecutive indices do not overlap the way plain states `seed + k·γ` would.
    package init(seed: UInt64, stream: UInt64) {
        state = SplitMix64.mix(seed ^ SplitMix64.mix(stream &+ 0x632B_E59B_D9B4_E019))
    }

    /// The SplitMix64 finalizer: a bijective 64-bit hash.
    package static func mix(_ value: UInt64) -> UInt64 {
        var z = value &+ 0x9E37_79B9_7F4A_7C15
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    package mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        return SplitMix64.mix(state &- 0x9E37_79B9_7F4A_7C15)
    }

    /// A number in `0..<n` by Lemire's multiply-shift (its bias, below n/2^64, is irrelevant here).
    package mutating func index(below n: Int) -> Int {
        Int(next().multipliedFullWidth(by: UInt64(n)).high)
    }
}
