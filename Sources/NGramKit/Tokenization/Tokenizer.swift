/// Tokenization: line bytes in, token byte strings out.
///
/// In:  one line of text as UTF-8 bytes, without its line terminator (the corpus reader strips
///      `\n` and a `\r` before it).
/// Out: the line's tokens, each handed to a closure as a byte buffer that is valid only during
///      that call, so the hot path never creates a `String` per token.

/// Splits one line into tokens.
public protocol Tokenizer: Sendable {
    /// Calls `body` once per token of `line`, in order.
    ///
    /// - Parameters:
    ///   - line: the line's bytes, without the line terminator.
    ///   - body: receives each token's UTF-8 bytes; the buffer is only valid during the call.
    /// - Throws: `TokenizationFailure` for input the tokenizer rejects (the caller adds file and
    ///   line), or whatever `body` throws.
    mutating func tokenize(
        _ line: UnsafeBufferPointer<UInt8>,
        _ body: (UnsafeBufferPointer<UInt8>) throws -> Void
    ) throws
}

/// A line the tokenizer rejects; the corpus layer turns it into an `NGramKitError` with file and line.
public enum TokenizationFailure: Error, Equatable, Sendable {
    /// The line is not valid UTF-8; `byteOffset` is the offset of the first bad byte in the line.
    case invalidUTF8(byteOffset: Int)
}

/// What to do with bytes that are not valid UTF-8.
public enum InvalidUTF8Policy: String, CaseIterable, Sendable {
    /// Stop with an error naming file, line and byte offset.
    case error
    /// Replace each invalid sequence with U+FFFD and go on.
    case replace
}

/// The tokenizers the command-line tool offers with `--tokenizer`.
public enum TokenizerKind: String, CaseIterable, Sendable {
    /// KenLM's rule: split on ASCII space, tab, `\r` and NUL only.
    case whitespace
    /// Word tokenizer for raw text in any script.
    case unicode
    /// One token per grapheme cluster, with a visible word-boundary token.
    case character
}
