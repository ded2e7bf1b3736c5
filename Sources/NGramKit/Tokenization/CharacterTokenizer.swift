import Foundation

/// Character-level tokenizer (`--tokenizer character`).
///
/// In:  one line's bytes (UTF-8, no line terminator).
/// Out: one token per extended grapheme cluster (Swift `Character`) of the NFC-normalized line
///      (lower-cased first with `lowercase`), with every run of separators between two such tokens
///      replaced by one `wordBoundary` token. Separators at the start or end of the line produce
///      nothing, so an empty or blank line yields no token.
///
/// - Separators are the same as `UnicodeWordTokenizer`'s: `White_Space`, control characters (Cc)
///   and the invisible format characters listed there (ZWSP, BOM, word joiner, bidi controls).
///   They are dropped. A grapheme cluster that contains separators (a space followed by a combining
///   mark, say) is cut at them: its separators act as a boundary and the rest is a token, so no
///   token ever contains a separator.
/// - UTF-8 validation, the `.error`/`.replace` policy, NFC and lower-casing work exactly as in
///   `UnicodeWordTokenizer` (the error offset is that of the first byte of the first ill-formed
///   sequence).
/// - A pure-ASCII line takes a fast path: one token per non-separator byte, no `String`.
/// - An empty `wordBoundary` means no boundary tokens at all (tokens are never empty).
public struct CharacterTokenizer: Tokenizer, Sendable {
    /// The default word-boundary token, U+2581 LOWER ONE EIGHTH BLOCK, as in SentencePiece.
    public static let defaultWordBoundary = "\u{2581}"

    /// Whether tokens are lower-cased.
    public let lowercase: Bool
    /// What to do with a line that is not valid UTF-8.
    public let invalidUTF8: InvalidUTF8Policy
    /// The token emitted for a run of separators between two characters.
    public let wordBoundary: String

    private let boundaryBytes: [UInt8]
    /// Reusable buffers: line bytes after rewriting, and grapheme-cluster end offsets.
    private var text: [UInt8] = []
    private var clusterEnds: [Int] = []

    public init(
        lowercase: Bool = false,
        invalidUTF8: InvalidUTF8Policy = .error,
        wordBoundary: String = CharacterTokenizer.defaultWordBoundary
    ) {
        self.lowercase = lowercase
        self.invalidUTF8 = invalidUTF8
        self.wordBoundary = wordBoundary
        self.boundaryBytes = Array(wordBoundary.utf8)
    }

    public mutating func tokenize(
        _ line: UnsafeBufferPointer<UInt8>,
        _ body: (UnsafeBufferPointer<UInt8>) throws -> Void
    ) throws {
        guard let base = line.baseAddress, line.count > 0 else { return }
        let count = line.count
        var text: [UInt8] = []
        var clusterEnds: [Int] = []
        swap(&text, &self.text)
        swap(&clusterEnds, &self.clusterEnds)
        defer {
            swap(&text, &self.text)
            swap(&clusterEnds, &self.clusterEnds)
        }

        let firstNonASCII = UnicodeTextSupport.firstNonASCII(base, count)
        if firstNonASCII == count {
            if lowercase {
                UnicodeTextSupport.copyLowercasingASCII(base, count, into: &text)
                try text.withUnsafeBufferPointer { try tokenizeASCII($0.baseAddress!, count, body) }
            } else {
                try tokenizeASCII(base, count, body)
            }
            return
        }

        var string: String
        var needsNormalization = true
        if let bad = UnicodeTextSupport.firstInvalidUTF8(base, count, from: firstNonASCII) {
            if invalidUTF8 == .error { throw TokenizationFailure.invalidUTF8(byteOffset: bad) }
            string = String(decoding: line, as: UTF8.self)
        } else {
            string = String(decoding: line, as: UTF8.self)
            needsNormalization = !Self.isNFCInert(base + firstNonASCII, count - firstNonASCII)
        }
        if lowercase {
            string = string.lowercased()
            needsNormalization = true
        }
        if needsNormalization { string = string.precomposedStringWithCanonicalMapping }

        text.removeAll(keepingCapacity: true)
        text.append(contentsOf: string.utf8)
        clusterEnds.removeAll(keepingCapacity: true)
        var end = 0
        for character in string {
            end += character.utf8.count
            clusterEnds.append(end)
        }
        try text.withUnsafeBufferPointer { bytes in
            try tokenizeClusters(bytes.baseAddress!, clusterEnds, body)
        }
    }

    /// Whether the valid UTF-8 `p[0..<n]` contains only NFC-inert scalars.
    private static func isNFCInert(_ p: UnsafePointer<UInt8>, _ n: Int) -> Bool {
        var i = 0
        while i < n {
            if p[i] < 0x80 { i += 1; continue }
            let (value, length) = UnicodeTextSupport.decodeNonASCII(p + i)
            if !UnicodeTextSupport.isNFCInert(value) { return false }
            i += length
        }
        return true
    }

    /// ASCII: every byte other than a control character or space is a grapheme cluster.
    @inline(__always)
    private func tokenizeASCII(
        _ p: UnsafePointer<UInt8>,
        _ n: Int,
        _ body: (UnsafeBufferPointer<UInt8>) throws -> Void
    ) throws {
        try boundaryBytes.withUnsafeBufferPointer { boundary in
            var emitted = false
            var pending = false
            for i in 0..<n {
                let byte = p[i]
                if byte <= 0x20 || byte == 0x7F {
                    pending = emitted
                    continue
                }
                if pending {
                    if !boundary.isEmpty { try body(boundary) }
                    pending = false
                }
                try body(UnsafeBufferPointer(start: p + i, count: 1))
                emitted = true
            }
        }
    }

    /// General path: `ends` are the grapheme-cluster end offsets of the NFC text `p`.
    private func tokenizeClusters(
        _ p: UnsafePointer<UInt8>,
        _ ends: [Int],
        _ body: (UnsafeBufferPointer<UInt8>) throws -> Void
    ) throws {
        try boundaryBytes.withUnsafeBufferPointer { boundary in
            var emitted = false
            var pending = false
            func emit(_ start: Int, _ end: Int) throws {
                if pending {
                    if !boundary.isEmpty { try body(boundary) }
                    pending = false
                }
                try body(UnsafeBufferPointer(start: p + start, count: end - start))
                emitted = true
            }
            var clusterStart = 0
            for clusterEnd in ends {
                defer { clusterStart = clusterEnd }
                if clusterEnd - clusterStart == 1 {  // one ASCII byte
                    let byte = p[clusterStart]
                    if byte <= 0x20 || byte == 0x7F {
                        pending = emitted
                    } else {
                        try emit(clusterStart, clusterEnd)
                    }
                    continue
                }
                // Cut the cluster at separator scalars (rare: a space carrying a combining mark).
                var segmentStart = clusterStart
                var i = clusterStart
                while i < clusterEnd {
                    let (value, length): (UInt32, Int) =
                        p[i] < 0x80 ? (UInt32(p[i]), 1) : UnicodeTextSupport.decodeNonASCII(p + i)
                    if UnicodeTextSupport.isSeparator(Unicode.Scalar(value).unsafelyUnwrapped) {
                        if i > segmentStart { try emit(segmentStart, i) }
                        pending = emitted
                        segmentStart = i + length
                    }
                    i += length
                }
                if clusterEnd > segmentStart { try emit(segmentStart, clusterEnd) }
            }
        }
    }
}
