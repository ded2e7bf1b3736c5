/// Deterministic hash functions.
///
/// NGramKit never uses Swift's per-process random `Hasher` on a path that affects output: tables
/// must place entries identically in every run so that counts files, models and reports are
/// byte-identical for the same input.
package enum Hashing {
    /// Mixes a 64-bit key into a well-distributed 64-bit hash (the MurmurHash3 finalizer).
    @inline(__always)
    package static func mix(_ key: UInt64) -> UInt64 {
        var h = key
        h ^= h >> 33
        h &*= 0xff51_afd7_ed55_8ccd
        h ^= h >> 33
        h &*= 0xc4ce_b9fe_1a85_ec53
        h ^= h >> 33
        return h
    }

    /// Maps a hash to `0..<range` without division (Lemire's multiply-shift), so table
    /// capacities need not be powers of two and can be sized to the data.
    @inline(__always)
    package static func reduce(_ hash: UInt64, into range: Int) -> Int {
        Int(truncatingIfNeeded: hash.multipliedFullWidth(by: UInt64(truncatingIfNeeded: range)).high)
    }

    /// Hashes a byte string, 8 bytes at a time.
    @inline(__always)
    package static func hash(bytes: UnsafeBufferPointer<UInt8>) -> UInt64 {
        guard let base = bytes.baseAddress else { return 0x2545_f491_4f6c_dd1d }
        let raw = UnsafeRawPointer(base)
        var count = bytes.count
        var offset = 0
        var h: UInt64 = 0x9e37_79b9_7f4a_7c15 ^ (UInt64(count) &* 0x1000_0000_01b3)
        while count >= 8 {
            let word = raw.loadUnaligned(fromByteOffset: offset, as: UInt64.self)
            h = (h ^ mix(word)) &* 0x9e37_79b9_7f4a_7c15
            offset += 8
            count -= 8
        }
        if count > 0 {
            var tail: UInt64 = 0
            var shift: UInt64 = 0
            while count > 0 {
                tail |= UInt64(raw.load(fromByteOffset: offset, as: UInt8.self)) << shift
                shift += 8
                offset += 1
                count -= 1
            }
            h = (h ^ mix(tail ^ 0x5851_f42d_4c95_7f2d)) &* 0x9e37_79b9_7f4a_7c15
        }
        return mix(h)
    }
}
