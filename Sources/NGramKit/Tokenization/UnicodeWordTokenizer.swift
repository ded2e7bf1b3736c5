import Foundation

/// Word tokenizer for raw text in any script (`--tokenizer unicode`).
///
/// In:  one line's bytes (UTF-8, no line terminator).
/// Out: the line's word, number, punctuation and symbol tokens, as UTF-8 bytes of the
///      NFC-normalized (and, with `lowercase`, lower-cased) text.
///
/// Steps, per line:
/// 1. UTF-8 validation. With `.error` an ill-formed line throws
///    `TokenizationFailure.invalidUTF8(byteOffset:)`, where the offset is that of the first byte of
///    the first ill-formed sequence (the stray byte, or the lead byte of a truncated or overlong
///    sequence). With `.replace` every maximal ill-formed subsequence becomes U+FFFD, exactly as
///    `String(decoding:as: UTF8.self)` does, and the line goes on.
/// 2. NFC normalization (Foundation's `precomposedStringWithCanonicalMapping`). Lines made only of
///    scalars that are NFC-stable starters (ASCII, Latin-1 and Latin Extended, Cyrillic, general
///    punctuation, CJK, kana, Hangul syllables, fullwidth forms, emoji; see
///    `UnicodeTextSupport.isNFCInert`) are already NFC and are tokenized straight from their bytes.
///    A line that is pure ASCII never builds a `String`.
/// 3. With `lowercase`: ASCII byte-wise; any other scalar that changes under lower-casing sends the
///    line through `String.lowercased()` (full Unicode mappings such as "ÄRGER" → "ärger" and
///    "İ" → "i̇"; Σ always becomes σ, there is no final-sigma rule) followed by NFC again.
/// 4. Separators (dropped, they end a token): every `White_Space` scalar, every control character
///    (Cc), and these invisible format characters: U+061C ARABIC LETTER MARK, U+200B ZERO WIDTH
///    SPACE, U+200E/U+200F LRM/RLM, U+202A–U+202E bidi embeddings and overrides, U+2060–U+2064
///    (WORD JOINER and the invisible operators), U+2066–U+206F (bidi isolates and deprecated format
///    characters), U+FEFF BYTE ORDER MARK. Other format characters (U+200C ZWNJ, U+200D ZWJ, U+00AD
///    SOFT HYPHEN, tag characters, …) stay in tokens like combining marks, because words in Persian,
///    Indic scripts and emoji sequences need them.
/// 5. Tokens:
///    - A word is a run of letters (L*), letter numbers (Nl), decimal digits (Nd), connector
///      punctuation (Pc, e.g. `_`) and attached characters (below). Inside a word are also kept:
///      an apostrophe `'` or `’` (U+2019) with a letter on both sides (`don't`, `O’Brien`,
///      `l'homme`); a hyphen `-`, U+2010 or U+2011 with a letter or decimal digit on both sides
///      (`well-known`, `COVID-19`, and `1-2` and `973-1057` are one token each); a `.` or `,` with a
///      decimal digit on both sides (`3.14`, `1,000`, `1.000.000`). "Both sides" means the last
///      non-attached scalar before it and the scalar right after it. Any other apostrophe or hyphen
///      is its own token (`'tis` → `'` `tis`; `dogs'` → `dogs` `'`; `--` → `-` `-`).
///    - Attached characters join the token before them: combining marks (M*), the format characters
///      not listed as separators, emoji modifiers U+1F3FB–U+1F3FF, and the halfwidth sound marks
///      U+FF9E/U+FF9F. At the start of a line or after a separator they start a word.
///    - Every other character is a token of its own: punctuation (P* other than Pc), symbols (S*),
///      other numbers (No: `①`, `²`, `½`), private-use and unassigned code points. Such a token also
///      takes the attached characters after it, a second regional indicator after a first one (flag
///      emoji), and a ZWJ plus the symbol after it (emoji ZWJ sequences).
///    - Han ideographs (CJK unified ideographs, extensions A and beyond in planes 2 and 3,
///      compatibility ideographs, `々 〆 〇`, the Hangzhou numerals, `〱`–`〵`, `〻 〼`), Hiragana,
///      Katakana (including halfwidth katakana, the Katakana phonetic extensions and the kana
///      supplements) are one token per character with the attached characters after it. The
///      prolonged sound mark `ー` (U+30FC, and halfwidth U+FF70) is treated as Katakana, so it is a
///      token of its own (`スー` → `ス` `ー`); the iteration marks `ゝゞヽヾ` likewise.
///    - Hangul stays in words (`대한민국헌법` is one token); every other script (Cyrillic, Greek,
///      Arabic, Devanagari with its marks, Thai, …) forms words by the rules above.
///
/// Every token is non-empty and free of separators, and without `lowercase` the tokens of a line
/// concatenate to its NFC form with the separators removed.
public struct UnicodeWordTokenizer: Tokenizer, Sendable {
    /// Whether tokens are lower-cased.
    public let lowercase: Bool
    /// What to do with a line that is not valid UTF-8.
    public let invalidUTF8: InvalidUTF8Policy

    /// Reusable per-instance buffers, kept between lines.
    private var scratch = Scratch()

    public init(lowercase: Bool = false, invalidUTF8: InvalidUTF8Policy = .error) {
        self.lowercase = lowercase
        self.invalidUTF8 = invalidUTF8
    }

    public mutating func tokenize(
        _ line: UnsafeBufferPointer<UInt8>,
        _ body: (UnsafeBufferPointer<UInt8>) throws -> Void
    ) throws {
        guard let base = line.baseAddress, line.count > 0 else { return }
        let count = line.count
        var scratch = Scratch()
        swap(&scratch, &self.scratch)
        defer { swap(&scratch, &self.scratch) }

        let firstNonASCII = UnicodeTextSupport.firstNonASCII(base, count)
        if firstNonASCII == count {
            // ASCII fast path: no validation, no normalization, no String.
            if lowercase {
                scratch.setLowercasedASCII(base, count)
                try scratch.text.withUnsafeBufferPointer { text in
                    try Self.tokenizeASCII(text.baseAddress!, count, body)
                }
            } else {
                try Self.tokenizeASCII(base, count, body)
            }
            return
        }

        if let bad = UnicodeTextSupport.firstInvalidUTF8(base, count, from: firstNonASCII) {
            if invalidUTF8 == .error { throw TokenizationFailure.invalidUTF8(byteOffset: bad) }
            try tokenizeRewritten(String(decoding: line, as: UTF8.self), &scratch, body)
            return
        }

        // Valid UTF-8: classify scalar by scalar; stop if the line needs NFC or Unicode lower-casing.
        if scratch.classify(base, count, lowercasing: lowercase, requireInert: true) {
            if lowercase {
                try scratch.text.withUnsafeBufferPointer { text in
                    try scratch.emitTokens(text.baseAddress!, body)
                }
            } else {
                try scratch.emitTokens(base, body)
            }
        } else {
            try tokenizeRewritten(String(decoding: line, as: UTF8.self), &scratch, body)
        }
    }

    /// The slow path: lower-case and NFC-normalize through `String`, then tokenize the result.
    private func tokenizeRewritten(
        _ original: String,
        _ scratch: inout Scratch,
        _ body: (UnsafeBufferPointer<UInt8>) throws -> Void
    ) throws {
        var string = original
        if lowercase { string = string.lowercased() }
        string = string.precomposedStringWithCanonicalMapping
        scratch.text.removeAll(keepingCapacity: true)
        scratch.text.append(contentsOf: string.utf8)
        var text: [UInt8] = []
        swap(&text, &scratch.text)
        defer { swap(&text, &scratch.text) }
        let count = text.count
        if count == 0 { return }
        try text.withUnsafeBufferPointer { bytes in
            let base = bytes.baseAddress!
            _ = scratch.classify(base, count, lowercasing: false, requireInert: false)
            try scratch.emitTokens(base, body)
        }
    }

    /// Whether `scalar` separates tokens (and is dropped); see the type's documentation.
    public static func isSeparator(_ scalar: Unicode.Scalar) -> Bool {
        UnicodeTextSupport.isSeparator(scalar)
    }

    // MARK: - ASCII fast path

    /// Tokenizes a pure-ASCII line straight from its bytes.
    @inline(__always)
    private static func tokenizeASCII(
        _ p: UnsafePointer<UInt8>,
        _ n: Int,
        _ body: (UnsafeBufferPointer<UInt8>) throws -> Void
    ) throws {
        try UnicodeTextSupport.asciiClasses.withUnsafeBufferPointer { table in
            let cls = table.baseAddress!
            var i = 0
            while i < n {
                let c = cls[Int(p[i])]
                if c == UnicodeWordClass.separator { i += 1; continue }
                let start = i
                i += 1
                if c <= UnicodeWordClass.connector {  // letter, digit or connector: a word
                    var last = c
                    while i < n {
                        let d = cls[Int(p[i])]
                        if d >= UnicodeWordClass.letter && d <= UnicodeWordClass.connector {
                            last = d
                            i += 1
                            continue
                        }
                        if i + 1 < n, let joined = UnicodeWordClass.joins(d, after: last, before: cls[Int(p[i + 1])]) {
                            last = joined
                            i += 2
                            continue
                        }
                        break
                    }
                }
                try body(UnsafeBufferPointer(start: p + start, count: i - start))
            }
        }
    }
}

// MARK: - Classes

/// Token-building classes of scalars; the values are ordered so that word characters are 1...3.
enum UnicodeWordClass {
    static let separator: UInt8 = 0
    static let letter: UInt8 = 1  // L*, Nl
    static let digit: UInt8 = 2  // Nd
    static let connector: UInt8 = 3  // Pc
    static let attached: UInt8 = 4  // M*, kept format characters, emoji modifiers
    static let zwj: UInt8 = 5  // U+200D
    static let apostrophe: UInt8 = 6  // ' and U+2019
    static let hyphen: UInt8 = 7  // - U+2010 U+2011
    static let numberSeparator: UInt8 = 8  // . and ,
    static let ideograph: UInt8 = 9  // Han, Hiragana, Katakana
    static let regionalIndicator: UInt8 = 10
    static let symbol: UInt8 = 11  // everything else: P*, S*, No, Co, Cn

    /// Whether the joiner `middle` stays inside a word between the base class `last` and `next`;
    /// returns the new last base class (that of `next`) if so.
    @inline(__always)
    static func joins(_ middle: UInt8, after last: UInt8, before next: UInt8) -> UInt8? {
        switch middle {
        case apostrophe:
            return last == letter && next == letter ? letter : nil
        case hyphen:
            return (last == letter || last == digit) && (next == letter || next == digit) ? next : nil
        case numberSeparator:
            return last == digit && next == digit ? digit : nil
        default:
            return nil
        }
    }
}

// MARK: - Scratch buffers and the general path

extension UnicodeWordTokenizer {
    /// Buffers reused from line to line.
    struct Scratch: Sendable {
        /// Rewritten line bytes (lower-cased ASCII, or the normalized string's UTF-8).
        var text: [UInt8] = []
        /// One `UnicodeWordClass` per scalar of the line being tokenized.
        var classes: [UInt8] = []
        /// Byte offset of each scalar, plus the line's length after the last one.
        var offsets: [Int] = []
        /// Number of scalars in `classes`.
        var scalarCount = 0

        mutating func setLowercasedASCII(_ p: UnsafePointer<UInt8>, _ n: Int) {
            UnicodeTextSupport.copyLowercasingASCII(p, n, into: &text)
        }

        /// Fills `classes` and `offsets` for the valid UTF-8 in `p[0..<n]`. With `lowercasing`, also
        /// writes the line with ASCII lower-cased into `text`. Returns false, leaving the buffers
        /// unusable, if `requireInert` and a scalar may change under NFC, or if `lowercasing` and a
        /// non-ASCII scalar changes under lower-casing.
        mutating func classify(
            _ p: UnsafePointer<UInt8>, _ n: Int, lowercasing: Bool, requireInert: Bool
        ) -> Bool {
            if classes.count < n { classes = [UInt8](repeating: 0, count: max(n, 2 * classes.count)) }
            if offsets.count < n + 1 { offsets = [Int](repeating: 0, count: max(n + 1, 2 * offsets.count)) }
            // Only ASCII letters change here (a non-ASCII scalar that would change ends this path).
            if lowercasing { setLowercasedASCII(p, n) }
            var m = 0
            let ok: Bool = classes.withUnsafeMutableBufferPointer { classBuffer in
                offsets.withUnsafeMutableBufferPointer { offsetBuffer in
                    UnicodeTextSupport.asciiClasses.withUnsafeBufferPointer { table in
                        let cls = classBuffer.baseAddress!
                        let off = offsetBuffer.baseAddress!
                        let asciiClass = table.baseAddress!
                        var i = 0
                        while i < n {
                            let b0 = p[i]
                            if b0 < 0x80 {
                                cls[m] = asciiClass[Int(b0)]
                                off[m] = i
                                m += 1
                                i += 1
                                continue
                            }
                            let (value, length) = UnicodeTextSupport.decodeNonASCII(p + i)
                            if requireInert && !UnicodeTextSupport.isNFCInert(value) { return false }
                            let scalar = Unicode.Scalar(value).unsafelyUnwrapped
                            if lowercasing && scalar.properties.changesWhenLowercased { return false }
                            cls[m] = UnicodeTextSupport.wordClass(of: scalar)
                            off[m] = i
                            m += 1
                            i += length
                        }
                        off[m] = n
                        return true
                    }
                }
            }
            scalarCount = ok ? m : 0
            return ok
        }

        /// Calls `body` for each token of the classified line whose bytes are `bytes`.
        func emitTokens(
            _ bytes: UnsafePointer<UInt8>,
            _ body: (UnsafeBufferPointer<UInt8>) throws -> Void
        ) throws {
            let m = scalarCount
            try classes.withUnsafeBufferPointer { classBuffer in
                try offsets.withUnsafeBufferPointer { offsetBuffer in
                    let cls = classBuffer.baseAddress!
                    let off = offsetBuffer.baseAddress!
                    var i = 0
                    while i < m {
                        let c = cls[i]
                        if c == UnicodeWordClass.separator { i += 1; continue }
                        let start = i
                        i += 1
                        switch c {
                        case UnicodeWordClass.letter, UnicodeWordClass.digit, UnicodeWordClass.connector, UnicodeWordClass.attached,
                            UnicodeWordClass.zwj:
                            var last = c == UnicodeWordClass.zwj ? UnicodeWordClass.attached : c
                            while i < m {
                                let d = cls[i]
                                if d >= UnicodeWordClass.letter && d <= UnicodeWordClass.connector {
                                    last = d
                                    i += 1
                                } else if d == UnicodeWordClass.attached || d == UnicodeWordClass.zwj {
                                    i += 1
                                } else if i + 1 < m, let joined = UnicodeWordClass.joins(d, after: last, before: cls[i + 1]) {
                                    last = joined
                                    i += 2
                                } else {
                                    break
                                }
                            }
                        case UnicodeWordClass.ideograph:
                            while i < m && (cls[i] == UnicodeWordClass.attached || cls[i] == UnicodeWordClass.zwj) { i += 1 }
                        default:  // punctuation, symbol, lone apostrophe/hyphen/number separator
                            if c == UnicodeWordClass.regionalIndicator && i < m && cls[i] == UnicodeWordClass.regionalIndicator {
                                i += 1
                            }
                            while i < m {
                                let d = cls[i]
                                if d == UnicodeWordClass.attached {
                                    i += 1
                                } else if d == UnicodeWordClass.zwj {
                                    i += 1
                                    if i < m && cls[i] == UnicodeWordClass.symbol { i += 1 }
                                } else {
                                    break
                                }
                            }
                        }
                        try body(UnsafeBufferPointer(start: bytes + off[start], count: off[i] - off[start]))
                    }
                }
            }
        }
    }
}

// MARK: - Shared Unicode helpers (also used by CharacterTokenizer)

/// Byte- and scalar-level helpers shared by the Unicode-aware tokenizers.
package enum UnicodeTextSupport {
    /// `UnicodeWordClass` of each ASCII byte.
    static let asciiClasses: [UInt8] = (0..<128).map { (byte: Int) -> UInt8 in
        switch UInt8(byte) {
        case 0x00...0x20, 0x7F: return UnicodeWordClass.separator  // controls and space
        case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"): return UnicodeWordClass.letter
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return UnicodeWordClass.digit
        case UInt8(ascii: "_"): return UnicodeWordClass.connector
        case UInt8(ascii: "'"): return UnicodeWordClass.apostrophe
        case UInt8(ascii: "-"): return UnicodeWordClass.hyphen
        case UInt8(ascii: "."), UInt8(ascii: ","): return UnicodeWordClass.numberSeparator
        default: return UnicodeWordClass.symbol
        }
    }

    @inline(__always)
    static func lowercasedASCII(_ byte: UInt8) -> UInt8 {
        byte &- 0x41 < 26 ? byte | 0x20 : byte
    }

    /// Replaces `out` with `p[0..<n]`, ASCII capitals lower-cased (other bytes unchanged).
    static func copyLowercasingASCII(_ p: UnsafePointer<UInt8>, _ n: Int, into out: inout [UInt8]) {
        out.removeAll(keepingCapacity: true)
        out.append(contentsOf: UnsafeBufferPointer(start: p, count: n))
        out.withUnsafeMutableBufferPointer { buffer in
            for i in 0..<n { buffer[i] = lowercasedASCII(buffer[i]) }
        }
    }

    /// Offset of the first byte >= 0x80 in `p[0..<n]`, or `n`.
    @inline(__always)
    static func firstNonASCII(_ p: UnsafePointer<UInt8>, _ n: Int) -> Int {
        var i = 0
        let raw = UnsafeRawPointer(p)
        while i &+ 8 <= n {
            if raw.loadUnaligned(fromByteOffset: i, as: UInt64.self) & 0x8080_8080_8080_8080 != 0 { break }
            i &+= 8
        }
        while i < n {
            if p[i] >= 0x80 { return i }
            i &+= 1
        }
        return n
    }

    /// Offset of the first byte of the first ill-formed UTF-8 sequence in `p[start..<n]` (Unicode
    /// Table 3-7: no overlongs, no surrogates, nothing above U+10FFFF), or nil if it is well formed.
    static func firstInvalidUTF8(_ p: UnsafePointer<UInt8>, _ n: Int, from start: Int = 0) -> Int? {
        @inline(__always) func isContinuation(_ i: Int) -> Bool { i < n && p[i] & 0xC0 == 0x80 }
        var i = start
        while i < n {
            let b0 = p[i]
            if b0 < 0x80 { i += 1; continue }
            switch b0 {
            case 0xC2...0xDF:
                guard isContinuation(i + 1) else { return i }
                i += 2
            case 0xE0...0xEF:
                guard i + 1 < n else { return i }
                let b1 = p[i + 1]
                let lo: UInt8 = b0 == 0xE0 ? 0xA0 : 0x80
                let hi: UInt8 = b0 == 0xED ? 0x9F : 0xBF
                guard b1 >= lo && b1 <= hi && isContinuation(i + 2) else { return i }
                i += 3
            case 0xF0...0xF4:
                guard i + 1 < n else { return i }
                let b1 = p[i + 1]
                let lo: UInt8 = b0 == 0xF0 ? 0x90 : 0x80
                let hi: UInt8 = b0 == 0xF4 ? 0x8F : 0xBF
                guard b1 >= lo && b1 <= hi && isContinuation(i + 2) && isContinuation(i + 3) else { return i }
                i += 4
            default:
                return i
            }
        }
        return nil
    }

    /// Decodes the non-ASCII scalar starting at `p` in valid UTF-8: (value, byte length).
    @inline(__always)
    static func decodeNonASCII(_ p: UnsafePointer<UInt8>) -> (UInt32, Int) {
        let b0 = UInt32(p[0])
        if b0 < 0xE0 {
            return ((b0 & 0x1F) << 6 | UInt32(p[1] & 0x3F), 2)
        } else if b0 < 0xF0 {
            return ((b0 & 0x0F) << 12 | UInt32(p[1] & 0x3F) << 6 | UInt32(p[2] & 0x3F), 3)
        } else {
            return ((b0 & 0x07) << 18 | UInt32(p[1] & 0x3F) << 12 | UInt32(p[2] & 0x3F) << 6 | UInt32(p[3] & 0x3F), 4)
        }
    }

    /// Whether a scalar is an NFC-stable starter: canonical combining class 0, NFC_Quick_Check=Yes,
    /// and never the second half of a canonical composition. A string made only of such scalars is
    /// already in NFC. Deliberately a short list of ranges that covers common text; anything else
    /// goes through real normalization. (Checked against Foundation in the tests.)
    @inline(__always)
    public static func isNFCInert(_ v: UInt32) -> Bool {
        switch v {
        case 0x0000...0x02FF,  // ASCII, Latin-1, Latin Extended-A/B, IPA, spacing modifier letters
            0x0400...0x0482, 0x048A...0x052F,  // Cyrillic without its combining marks
            0x2002...0x206F,  // general punctuation (U+2000/U+2001 are NFC singletons)
            0x20A0...0x20C0,  // currency symbols
            0x2190...0x21FF,  // arrows
            0x2460...0x25FF,  // enclosed alphanumerics, box drawing, block elements, geometric shapes
            0x3000...0x3029, 0x3030...0x303F,  // CJK symbols without the tone marks U+302A–U+302F
            0x3041...0x3096, 0x309B...0x30FF,  // kana without the combining sound marks U+3099/U+309A
            0x3400...0x4DBF, 0x4E00...0x9FFF,  // CJK unified ideographs and extension A
            0xAC00...0xD7A3,  // Hangul syllables (only jamo compose onto them)
            0xFF01...0xFFEF, 0xFFFD,  // halfwidth and fullwidth forms, replacement character
            0x1F300...0x1FAFF:  // pictographs and emoji
            return true
        default:
            return false
        }
    }

    /// Invisible format characters that separate tokens like whitespace.
    @inline(__always)
    static func isSeparatorFormat(_ v: UInt32) -> Bool {
        switch v {
        case 0x061C, 0x200B, 0x200E, 0x200F, 0x202A...0x202E, 0x2060...0x2064, 0x2066...0x206F, 0xFEFF:
            return true
        default:
            return false
        }
    }

    /// White_Space, Cc, or one of the separating format characters.
    static func isSeparator(_ scalar: Unicode.Scalar) -> Bool {
        let v = scalar.value
        if v < 0x80 { return v <= 0x20 || v == 0x7F }
        if isSeparatorFormat(v) { return true }
        let properties = scalar.properties
        return properties.isWhitespace || properties.generalCategory == .control
    }

    /// Han ideographs, Hiragana and Katakana: one token per character.
    @inline(__always)
    static func isIdeographOrKana(_ v: UInt32) -> Bool {
        switch v {
        case 0x3005...0x3007, 0x3021...0x3029, 0x3031...0x3035, 0x3038...0x303C,  // 々〆〇, numerals, repeat marks
            0x3041...0x3096, 0x309D...0x309F,  // Hiragana
            0x30A1...0x30FA, 0x30FC...0x30FF,  // Katakana incl. ー, ヽヾ, ヿ
            0x31F0...0x31FF,  // Katakana phonetic extensions
            0x3400...0x4DBF, 0x4E00...0x9FFF,  // CJK unified ideographs, extension A
            0xF900...0xFAFF,  // CJK compatibility ideographs
            0xFF66...0xFF9D,  // halfwidth Katakana incl. ｰ
            0x1AFF0...0x1B16F,  // Kana extended-B, supplement, extended-A, small kana extension
            0x20000...0x3FFFF:  // CJK extensions B and beyond, compatibility supplement
            return true
        default:
            return false
        }
    }

    /// `UnicodeWordClass` of a scalar.
    static func wordClass(of scalar: Unicode.Scalar) -> UInt8 {
        let v = scalar.value
        if v < 0x80 { return asciiClasses[Int(v)] }
        if v >= 0xAC00 && v <= 0xD7A3 { return UnicodeWordClass.letter }  // Hangul syllables
        if isIdeographOrKana(v) { return UnicodeWordClass.ideograph }
        switch v {
        case 0x2019: return UnicodeWordClass.apostrophe
        case 0x2010, 0x2011: return UnicodeWordClass.hyphen
        case 0x200D: return UnicodeWordClass.zwj
        case 0xFF9E, 0xFF9F, 0x1F3FB...0x1F3FF: return UnicodeWordClass.attached
        case 0x1F1E6...0x1F1FF: return UnicodeWordClass.regionalIndicator
        default: break
        }
        if isSeparatorFormat(v) { return UnicodeWordClass.separator }
        let properties = scalar.properties
        if properties.isWhitespace { return UnicodeWordClass.separator }
        switch properties.generalCategory {
        case .uppercaseLetter, .lowercaseLetter, .titlecaseLetter, .modifierLetter, .otherLetter, .letterNumber:
            return UnicodeWordClass.letter
        case .decimalNumber:
            return UnicodeWordClass.digit
        case .nonspacingMark, .spacingMark, .enclosingMark, .format:
            return UnicodeWordClass.attached
        case .connectorPunctuation:
            return UnicodeWordClass.connector
        case .control, .spaceSeparator, .lineSeparator, .paragraphSeparator:
            return UnicodeWordClass.separator
        default:
            return UnicodeWordClass.symbol
        }
    }
}
