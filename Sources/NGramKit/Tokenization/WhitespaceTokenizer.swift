/// KenLM's tokenization rule, byte for byte.
///
/// In:  a line's bytes.
/// Out: the maximal runs of bytes other than ASCII space (0x20), tab (0x09), carriage return (0x0D)
///      and NUL (0x00). Every other byte, including non-ASCII spaces and U+FEFF, belongs to a token,
///      and no UTF-8 validation is done (tokens are byte strings). An empty line yields no token
///      and is still a sentence for the counter.
public struct WhitespaceTokenizer: Tokenizer, Sendable {
    public init() {}

    /// Whether `byte` separates tokens under KenLM's rule.
    @inline(__always)
    public static func isSeparator(_ byte: UInt8) -> Bool {
        // 0x20, 0x09, 0x0D, 0x00: one comparison against a 64-bit mask of the low bytes.
        byte < 64 && (UInt64(0x1_0000_2201) >> UInt64(byte)) & 1 == 1
    }

    @inlinable
    public mutating func tokenize(
        _ line: UnsafeBufferPointer<UInt8>,
        _ body: (UnsafeBufferPointer<UInt8>) throws -> Void
    ) throws {
        guard let base = line.baseAddress else { return }
        let count = line.count
        var index = 0
        while index < count {
            while index < count && WhitespaceTokenizer.isSeparator(base[index]) { index += 1 }
            let start = index
            while index < count && !WhitespaceTokenizer.isSeparator(base[index]) { index += 1 }
            if index > start {
                try body(UnsafeBufferPointer(start: base + start, count: index - start))
            }
        }
    }
}
