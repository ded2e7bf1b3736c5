/// A growable byte buffer that lines are formatted into, one per formatting thread.
///
/// Invariants: `bytes` holds `capacity` bytes, the first `count` in use. `recent` holds
/// `recentEntries` entries of 32 bytes: a tag (0: empty; else 1 << 63 | Float bits << 8 | text
/// length) and up to 24 bytes of that Float's text, as `FloatFormatting` writes it.
final class LineBuffer: @unchecked Sendable {
    private(set) var bytes: UnsafeMutablePointer<UInt8>
    private(set) var count = 0
    private var capacity: Int
    /// Texts of recently formatted values. Backoffs repeat a lot (a million lines of an ARPA
    /// file hold a few thousand distinct ones), probabilities seldom (they skip it:
    /// `append(distinctLog10:)`); a hit copies 24 bytes instead of formatting. The output is the
    /// same with or without it.
    private let recent: UnsafeMutableRawPointer
    private static let recentBits = 12
    private static let recentEntries = 1 << recentBits

    init(capacity: Int = 1 << 20) {
        self.capacity = capacity
        bytes = .allocate(capacity: capacity)
        recent = .allocate(byteCount: Self.recentEntries * 32, alignment: 64)
        recent.initializeMemory(as: UInt8.self, repeating: 0, count: Self.recentEntries * 32)
    }

    deinit {
        bytes.deallocate()
        recent.deallocate()
    }

    func removeAll() { count = 0 }

    @inline(__always)
    private func reserve(_ extra: Int) {
        if count + extra > capacity {
            var newCapacity = capacity * 2
            while count + extra > newCapacity { newCapacity *= 2 }
            let grown = UnsafeMutablePointer<UInt8>.allocate(capacity: newCapacity)
            grown.update(from: bytes, count: count)
            bytes.deallocate()
            bytes = grown
            capacity = newCapacity
        }
    }

    @inline(__always)
    func append(_ source: UnsafeBufferPointer<UInt8>) {
        reserve(source.count)
        if let base = source.baseAddress { SmallCopy.copy(bytes + count, base, source.count) }
        count += source.count
    }

    @inline(__always)
    func append(byte: UInt8) {
        reserve(1)
        bytes[count] = byte
        count += 1
    }

    /// Appends an unsigned integer in decimal.
    @inline(__always)
    func append(decimal value: UInt64) {
        reserve(20)
        var digits = 1
        var probe = value
        while probe >= 10 { digits += 1; probe /= 10 }
        var v = value
        var position = count + digits - 1
        repeat {
            bytes[position] = 0x30 + UInt8(v % 10)
            v /= 10
            position -= 1
        } while v > 0
        count += digits
    }

    /// Appends the ARPA text of the log10 values not written as a Float: -99 for −infinity
    /// (probability 0, as SRILM and KenLM write it) and for -99 itself (so a model read back
    /// writes the same bytes), 0 for 0. Returns whether `value` was one of them.
    @inline(__always)
    private func appendSpecial(log10 value: Double) -> Bool {
        if value == -.infinity || value == -99 {
            append(byte: 0x2D); append(byte: 0x39); append(byte: 0x39)   // "-99"
            return true
        }
        if value == 0 {
            append(byte: 0x30)
            return true
        }
        return false
    }

    /// Appends a log10 value that rarely repeats (a probability) as ARPA files hold it, without
    /// the cache of recent texts: a probe would mostly miss and cost an L2 access. Writing the
    /// ARPA file of the benchmark model took 15 % less CPU this way than through the cache.
    @inline(__always)
    func append(distinctLog10 value: Double) {
        if appendSpecial(log10: value) { return }
        reserve(FloatFormatting.maximumLength)
        count += FloatFormatting.write(Float(value), to: bytes + count)
    }

    /// Appends a log10 value that often repeats (a backoff) as ARPA files hold it (see
    /// `OutputSink.write(log10:)`), through the cache of recent texts.
    @inline(__always)
    func append(log10 value: Double) {
        if appendSpecial(log10: value) { return }
        reserve(FloatFormatting.maximumLength)
        let float = Float(value)
        let bits = float.bitPattern
        let entry = recent + Int(truncatingIfNeeded: (bits &* 0x9E37_79B1) >> UInt32(32 - Self.recentBits)) &* 32
        let tag = entry.load(as: UInt64.self)
        let out = UnsafeMutableRawPointer(bytes + count)
        if tag >> 8 == (1 << 55 | UInt64(bits)) {
            // Whole words: `reserve` left at least 32 bytes, and the tail past the text is junk.
            out.storeBytes(of: entry.load(fromByteOffset: 8, as: UInt64.self), as: UInt64.self)
            out.storeBytes(of: entry.load(fromByteOffset: 16, as: UInt64.self), toByteOffset: 8, as: UInt64.self)
            out.storeBytes(of: entry.load(fromByteOffset: 24, as: UInt64.self), toByteOffset: 16, as: UInt64.self)
            count += Int(truncatingIfNeeded: tag & 0xFF)
            return
        }
        let length = FloatFormatting.write(float, to: bytes + count)
        if length <= 24 {
            (entry + 8).copyMemory(from: out, byteCount: 24)
            entry.storeBytes(of: 1 << 63 | UInt64(bits) << 8 | UInt64(length), as: UInt64.self)
        }
        count += length
    }
}
