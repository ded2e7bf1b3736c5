import CNGramKitSupport

/// The tokens of one line, copied into one padded buffer so that all their vocabulary slots
/// can be hashed and prefetched before any is looked up.
///
/// Why: a vocabulary of a few hundred thousand words does not fit in cache, so a lookup is a
/// cache miss; issuing the misses of a whole line together overlaps them instead of paying
/// them one after another.
///
/// Invariants: `bytes` has `byteCapacity + 16` bytes (16 bytes of padding make a full 16-byte
/// load at any token start safe); `starts`, `lengths`, `tags` have `tokenCapacity` elements,
/// the first `count` in use.
final class TokenBatch {
    private(set) var count = 0
    private var used = 0
    private var byteCapacity = 1 << 16
    private var tokenCapacity = 1 << 12
    private(set) var bytes: UnsafeMutablePointer<UInt8>
    private(set) var starts: UnsafeMutablePointer<Int>
    private(set) var lengths: UnsafeMutablePointer<Int>
    private(set) var tags: UnsafeMutablePointer<Vocabulary.Tag>

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

    @inline(__always)
    func removeAll() {
        count = 0
        used = 0
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

    @inline(__always)
    func token(_ index: Int) -> UnsafeBufferPointer<UInt8> {
        UnsafeBufferPointer(start: bytes + starts[index], count: lengths[index])
    }

    /// Computes every token's tag and hash and prefetches its vocabulary slot.
    @inline(__always)
    func hashAndPrefetch(in vocabulary: Vocabulary) {
        for i in 0..<count {
            let tag = Vocabulary.tag(token(i), paddedBytes: true)
            tags[i] = tag
            ngk_prefetch_write(vocabulary.homeSlotAddress(tag.hash))
        }
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
