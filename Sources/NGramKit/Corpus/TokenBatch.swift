import CNGramKitSupport

/// Tokenized lines, handed from the tokenizing thread to the counting thread.
///
/// In:  lines of one file, tokenized (token bytes copied into one padded buffer).
/// Out: for each token its bytes and its vocabulary tag (computed on the tokenizing thread, so
///      the counting thread only probes the vocabulary); for each line where its tokens end.
///
/// Invariants: `bytes` has `byteCapacity + 16` bytes (16 bytes of padding make a full 16-byte
/// load at any token start safe); `starts`, `lengths`, `tags` have `tokenCapacity` elements,
/// the first `count` in use; `lineEnds` holds, for each of `lineCount` lines, the index one past
/// its last token; the lines are consecutive lines of `path`, the first one `firstLineNumber`.
final class TokenBatch: @unchecked Sendable {
    private(set) var count = 0
    private var used = 0
    private var byteCapacity = 1 << 16
    private var tokenCapacity = 1 << 12
    private(set) var bytes: UnsafeMutablePointer<UInt8>
    private(set) var starts: UnsafeMutablePointer<Int>
    private(set) var lengths: UnsafeMutablePointer<Int>
    private(set) var tags: UnsafeMutablePointer<Vocabulary.Tag>
    private(set) var lineEnds: [Int] = []
    /// The file the lines come from, as named in messages.
    var path = ""
    /// Line number of the first line.
    var firstLineNumber = 1
    /// Input bytes the lines took, line terminators included (for progress).
    private(set) var inputBytes = 0
    /// An error met right after the last line: thrown once the lines before it are counted.
    var failure: Error?

    init() {
        bytes = .allocate(capacity: byteCapacity + 16)
        bytes.initialize(repeating: 0, count: byteCapacity + 16)
        starts = .allocate(capacity: tokenCapacity)
        lengths = .allocate(capacity: tokenCapacity)
        tags = .allocate(capacity: tokenCapacity)
    }

    deinit {
        bytes.deallocate(); starts.deallocate(); lengths.deallocate(); tags.deallocate()
    }

    var lineCount: Int { lineEnds.count }
    /// Bytes of token text held.
    var byteCount: Int { used }

    func removeAll() {
        count = 0
        used = 0
        inputBytes = 0
        lineEnds.removeAll(keepingCapacity: true)
        failure = nil
    }

    @inline(__always)
    func append(_ token: UnsafeBufferPointer<UInt8>) {
        if used + token.count > byteCapacity { growBytes(minimum: used + token.count) }
        if count == tokenCapacity { growTokens() }
        if token.count > 0 { (bytes + used).update(from: token.baseAddress!, count: token.count) }
        starts[count] = used
        lengths[count] = token.count
        used += token.count
        count += 1
    }

    /// Ends the current line (which may have no tokens: an empty line is still a sentence).
    @inline(__always)
    func endLine(inputBytes lineBytes: Int) {
        lineEnds.append(count)
        inputBytes += lineBytes
    }

    /// Drops the tokens of an unfinished line (one whose tokenizing failed).
    func dropUnfinishedLine() {
        count = lineEnds.last ?? 0
    }

    @inline(__always)
    func token(_ index: Int) -> UnsafeBufferPointer<UInt8> {
        UnsafeBufferPointer(start: bytes + starts[index], count: lengths[index])
    }

    /// Computes every token's vocabulary tag and hash.
    func computeTags() {
        for i in 0..<count { tags[i] = Vocabulary.tag(token(i), paddedBytes: true) }
    }

    private func growBytes(minimum: Int) {
        var capacity = byteCapacity
        while capacity < minimum { capacity *= 2 }
        let grown = UnsafeMutablePointer<UInt8>.allocate(capacity: capacity + 16)
        grown.initialize(repeating: 0, count: capacity + 16)
        grown.update(from: bytes, count: used)
        bytes.deallocate()
        bytes = grown
        byteCapacity = capacity
    }

    private func growTokens() {
        let capacity = tokenCapacity * 2
        func grow<T>(_ pointer: inout UnsafeMutablePointer<T>) {
            let grown = UnsafeMutablePointer<T>.allocate(capacity: capacity)
            grown.moveInitialize(from: pointer, count: tokenCapacity)
            pointer.deallocate()
            pointer = grown
        }
        grow(&starts); grow(&lengths); grow(&tags)
        tokenCapacity = capacity
    }
}
