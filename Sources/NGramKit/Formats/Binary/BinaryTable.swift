import CNGramKitSupport

/// One order's table of a mapped binary model (see `BinaryModel` for the layout).
///
/// Invariants: `base` points to `slots * slotBytes + 16` readable bytes that outlive the value
/// (the model's mapping); slot `slots - 1` is empty; every stored key is below 2^keyBits - 1.
struct BinaryTable: @unchecked Sendable {
    static let maximumKeyBits = 61
    let base: UnsafeRawPointer
    let slotBytes: Int
    let slots: Int
    let homes: Int
    let wordBits: UInt64
    let keyMask: UInt64
    let probByte: Int
    let backoffByte: Int
    let flagByte: Int
    let shift: UInt64
    /// Bits of a code.
    let keyBits: Int
    /// Whether the table holds blanks (entries stored only as contexts). When it holds none, an
    /// entry (context, word) exists only if the context's flag says some (non-blank) entry
    /// extends it, so scoring skips the lookups of contexts without the flag (`ModelState`).
    let hasBlanks: Bool

    init(base: UnsafeRawPointer, slotBytes: Int, slots: Int, homes: Int, wordBits: Int, keyBits: Int, hasBlanks: Bool = true) {
        self.hasBlanks = hasBlanks
        self.base = base
        self.slotBytes = slotBytes
        self.slots = slots
        self.homes = homes
        self.wordBits = UInt64(wordBits)
        self.keyBits = keyBits
        keyMask = (1 << UInt64(keyBits)) - 1
        probByte = keyBits >> 3
        backoffByte = (keyBits + 32) >> 3
        flagByte = (keyBits + 64) >> 3
        shift = UInt64(keyBits & 7)
    }

    /// Bytes of a slot with a `keyBits`-bit key field.
    static func slotBytes(keyBits: Int, hasBackoff: Bool) -> Int { (keyBits + (hasBackoff ? 65 : 32) + 7) / 8 }

    /// The code of a key: a bijection of `key + 1` on `bits`-bit values (xor-shifts and odd
    /// multipliers, each invertible modulo 2^bits) that keeps 0 at 0, so no key's code is 0,
    /// the empty slot's mark. Its high bits depend on every bit of the key, so they make a
    /// uniform home.
    /// - Parameters:
    ///   - key: a key below 2^bits − 1.
    ///   - bits: the key field's width K (1...61).
    /// - Returns: the code, in 1 ..< 2^bits.
    @inline(__always)
    static func code(_ key: UInt64, bits: Int) -> UInt64 {
        let mask: UInt64 = (1 << UInt64(bits)) &- 1
        let half = UInt64((bits + 1) >> 1)
        var x = key &+ 1
        x ^= x >> half
        x = (x &* 0x9E37_79B9_7F4A_7C15) & mask
        x ^= x >> half
        x = (x &* 0xC2B2_AE3D_27D4_EB4F) & mask
        return x
    }

    /// The key of a code: `code`'s inverse (the odd multipliers' inverses modulo 2^64, and each
    /// xor-shift undone by itself, since it shifts by at least half the width).
    static func key(code: UInt64, bits: Int) -> UInt64 {
        let mask: UInt64 = (1 << UInt64(bits)) &- 1
        let half = UInt64((bits + 1) >> 1)
        var x = code
        x = (x &* inverse(0xC2B2_AE3D_27D4_EB4F)) & mask
        x ^= x >> half
        x = (x &* inverse(0x9E37_79B9_7F4A_7C15)) & mask
        x ^= x >> half
        return x &- 1
    }

    /// The inverse of an odd number modulo 2^64 (Newton's iteration, doubling the correct bits).
    static func inverse(_ odd: UInt64) -> UInt64 {
        var x = odd
        for _ in 0..<5 { x = x &* (2 &- odd &* x) }
        return x
    }

    /// The home of a code: its fraction of 2^bits scaled to M homes, so homes grow with codes
    /// and a table in home order is in code order.
    @inline(__always)
    static func home(code: UInt64, bits: Int, homes: Int) -> Int {
        Hashing.reduce(code << UInt64(64 - bits), into: homes)
    }

    /// The key field (the code; 0 when empty) of slot `slot`.
    @inline(__always)
    func storedCode(_ slot: Int) -> UInt64 {
        base.loadUnaligned(fromByteOffset: slot &* slotBytes, as: UInt64.self) & keyMask
    }

    /// The code of the entry (context, word).
    @inline(__always)
    func code(context: UInt32, word: UInt32) -> UInt64 {
        BinaryTable.code(UInt64(context) << wordBits | UInt64(word), bits: keyBits)
    }

    /// The home of `code` in this table.
    @inline(__always)
    func home(code: UInt64) -> Int { BinaryTable.home(code: code, bits: keyBits, homes: homes) }

    /// Starts loading the home slot of `code` and the cache line after it (scoring looks up
    /// every order of a word, and several sentences, at once) and returns the home. Prefetches
    /// never fault, so the line after the table's last slot is harmless.
    @inline(__always)
    func prefetchHome(_ code: UInt64) -> Int {
        let home = home(code: code)
        ngk_prefetch_read(base + home &* slotBytes)
        // A lookup scans about three slots from the home (load 0.85): often into the next line.
        ngk_prefetch_read(base + (home &* slotBytes &+ 64))
        return home
    }

    /// The slot of the entry (context, word), or nil when it is absent.
    @inline(__always)
    func find(context: UInt32, word: UInt32) -> Int? {
        let code = code(context: context, word: word)
        return find(code: code, home: home(code: code))
    }

    /// The slot of `code`, whose home is `home`, or nil when it is absent. Codes increase along
    /// the table, so the scan stops at the first code that is not below `code`; an empty slot
    /// (0, which wraps to the largest value below) stops it too.
    @inline(__always)
    func find(code: UInt64, home: Int) -> Int? {
        var slot = home
        while slot < slots {
            let stored = storedCode(slot)
            if stored == code { return slot }
            if stored &- 1 >= code { return nil }
            slot += 1
        }
        return nil
    }

    /// The log10 probability of slot `slot` (NaN for a blank).
    @inline(__always)
    func logProb(_ slot: Int) -> Double {
        let bits = base.loadUnaligned(fromByteOffset: slot &* slotBytes &+ probByte, as: UInt64.self) >> shift
        return Double(Float(bitPattern: UInt32(truncatingIfNeeded: bits)))
    }

    /// The log10 backoff of slot `slot` (orders below N only).
    @inline(__always)
    func logBackoff(_ slot: Int) -> Double {
        let bits = base.loadUnaligned(fromByteOffset: slot &* slotBytes &+ backoffByte, as: UInt64.self) >> shift
        return Double(Float(bitPattern: UInt32(truncatingIfNeeded: bits)))
    }

    /// Whether slot `slot` is a context of some stored (n+1)-gram (orders below N only).
    @inline(__always)
    func isContext(_ slot: Int) -> Bool {
        (base.load(fromByteOffset: slot &* slotBytes &+ flagByte, as: UInt8.self) >> UInt8(shift)) & 1 != 0
    }
}
