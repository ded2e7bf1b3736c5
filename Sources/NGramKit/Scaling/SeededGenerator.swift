/// SplitMix64 (Steele, Lea and Flood 2014) for the scaling-law bootstrap: a generator whose
/// sequence is fixed by its seed, so a bootstrap gives the same intervals on every machine.
///
/// Named apart from the test module's `SplitMix64` and the corpus shuffle's generator so the
/// three never clash; kept internal.
struct ScalingRandom: RandomNumberGenerator {
    private var state: UInt64

    /// A generator started at `seed`.
    init(seed: UInt64) { state = seed }

    /// The generator of stream `stream` under `seed`: the state is a hash of both, so streams
    /// for consecutive indices do not overlap the way plain SplitMix states `seed + k·γ` would.
    /// - Parameters:
    ///   - seed: the caller's seed.
    ///   - stream: the index of the independent stream (one per bootstrap resample).
    init(seed: UInt64, stream: UInt64) {
        state = ScalingRandom.mix(seed ^ ScalingRandom.mix(stream &+ 0x632B_E59B_D9B4_E019))
    }

    /// The SplitMix64 finalizer: a bijective 64-bit hash.
    static func mix(_ value: UInt64) -> UInt64 {
        var z = value &+ 0x9E37_79B9_7F4A_7C15
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// A number in `0..<n` by Lemire's multiply-shift (its bias, below n/2^64, is irrelevant
    /// here; the stdlib's `random(in:using:)` is avoided because its algorithm may change).
    mutating func below(_ n: Int) -> Int {
        Int(next().multipliedFullWidth(by: UInt64(n)).high)
    }
}
