import CNGramKitSupport

/// The text of n-grams by order and rank, for writing counts in rank order.
///
/// The n-gram of order k and rank r is its context (order k-1, rank `keys[k][r] >> wordBits`)
/// followed by a space and its word, so the texts of one n-gram and of all its contexts are
/// prefixes of one buffer: `bytes[..<levelEnd[k]]` is the text of the cached n-gram of order k,
/// whose rank is `cachedRank[k]`. Counts are written in increasing context rank, so each
/// context's text is built once, by appending to its own context's text.
final class NGramTextCache {
    private let vocabulary: Vocabulary
    private let wordBits: UInt64
    private let wordMask: UInt64
    private var keys: [[UInt64]]
    /// Per order: the rank whose text is built (`.max`: none), and where that text ends.
    private let cachedRank: UnsafeMutablePointer<UInt32>
    private let levelEnd: UnsafeMutablePointer<Int>
    private let levels: Int
    /// The texts of the cached n-grams, each a prefix of the next order's: `bytes[0..<levelEnd[n]]`.
    private var bytes: UnsafeMutablePointer<UInt8>
    private var capacity = 1 << 12

    init(vocabulary: Vocabulary, order: Int, wordBits: Int) {
        self.vocabulary = vocabulary
        self.wordBits = UInt64(wordBits)
        wordMask = (UInt64(1) << UInt64(wordBits)) - 1
        keys = Array(repeating: [], count: order + 1)
        levels = order + 1
        cachedRank = .allocate(capacity: levels)
        cachedRank.initialize(repeating: .max, count: levels)
        levelEnd = .allocate(capacity: levels)
        levelEnd.initialize(repeating: 0, count: levels)
        bytes = .allocate(capacity: capacity)
    }

    deinit {
        cachedRank.deallocate()
        levelEnd.deallocate()
        bytes.deallocate()
    }

    /// Makes order `n`'s n-grams available by rank.
    func add(order n: Int, sortedKeys: [UInt64]) { keys[n] = sortedKeys }

    /// The last word of the n-gram of order `n` and rank `rank` when `text` would read it: always
    /// for unigrams (the rank is the word), for other orders unless that text is cached.
    @inline(__always)
    private func uncachedLastWord(order n: Int, rank: UInt32) -> UInt32? {
        if n == 1 { return rank }
        return cachedRank[n] != rank ? UInt32(truncatingIfNeeded: keys[n][Int(rank)] & wordMask) : nil
    }

    /// Starts loading the offsets of the last word of the n-gram of order `n` and rank `rank`.
    @inline(__always)
    func prefetchOffsets(order n: Int, rank: UInt32) {
        if let word = uncachedLastWord(order: n, rank: rank) { vocabulary.prefetchOffsets(of: word) }
    }

    /// Starts loading the bytes of the last word of the n-gram of order `n` and rank `rank`
    /// (after `prefetchOffsets`, so that its offsets are at hand).
    @inline(__always)
    func prefetchBytes(order n: Int, rank: UInt32) {
        if let word = uncachedLastWord(order: n, rank: rank) { vocabulary.prefetchBytes(of: word) }
    }

    /// The text of the n-gram of order `n` and rank `rank` (for unigrams the rank is the word
    /// id); valid until the next call.
    @inline(__always)
    func text(order n: Int, rank: UInt32) -> UnsafeBufferPointer<UInt8> {
        if n == 1 { return vocabulary.bytes(of: rank) }
        if cachedRank[n] != rank { build(order: n, rank: rank) }
        return UnsafeBufferPointer(start: bytes, count: levelEnd[n])
    }

    /// Builds the text of (order n, rank) after that of its context (order n-1), which is
    /// rebuilt only when it changed: contexts come in increasing rank, so most lines reuse it.
    private func build(order n: Int, rank: UInt32) {
        let key = keys[n][Int(rank)]
        let contextRank = UInt32(truncatingIfNeeded: key >> wordBits)
        let start: Int
        if n == 2 {
            let context = vocabulary.bytes(of: contextRank)
            reserve(context.count)
            if let source = context.baseAddress { bytes.update(from: source, count: context.count) }
            start = context.count
        } else {
            if cachedRank[n - 1] != contextRank { build(order: n - 1, rank: contextRank) }
            start = levelEnd[n - 1]
        }
        let word = vocabulary.bytes(of: UInt32(truncatingIfNeeded: key & wordMask))
        reserve(start + 1 + word.count)
        bytes[start] = 0x20
        if let source = word.baseAddress { SmallCopy.copy(bytes + start + 1, source, word.count) }
        levelEnd[n] = start + 1 + word.count
        cachedRank[n] = rank
        // Everything above this order was built on the old text.
        var above = n + 1
        while above < levels { cachedRank[above] = .max; above += 1 }
    }

    /// Makes room for `count` bytes, keeping the ones there.
    private func reserve(_ count: Int) {
        guard count > capacity else { return }
        var grown = capacity * 2
        while grown < count { grown *= 2 }
        let larger = UnsafeMutablePointer<UInt8>.allocate(capacity: grown)
        larger.update(from: bytes, count: capacity)
        bytes.deallocate()
        bytes = larger
        capacity = grown
    }
}

/// The text of n-grams of one order that arrive in canonical order (a merge of runs), each built
/// from the one before: the leading words it shares with it are kept, only the rest are looked
/// up in the vocabulary (random reads) and copied.
///
/// Invariants: `text` holds the words of `previous` separated by spaces, `ends[k]` is the end of
/// word k in it; `previous` starts as ids no n-gram has, so the first text is built whole.
final class IncrementalNGramText {
    private let vocabulary: Vocabulary
    private let order: Int
    private var previous: [UInt32]
    private var ends: [Int]
    private var text: UnsafeMutablePointer<UInt8>
    private var capacity = 256

    init(vocabulary: Vocabulary, order: Int) {
        self.vocabulary = vocabulary
        self.order = order
        previous = [UInt32](repeating: .max, count: order)
        ends = [Int](repeating: 0, count: order)
        text = .allocate(capacity: capacity)
    }

    deinit { text.deallocate() }

    /// Starts loading what `text(of:)` of `ids` will read, a few n-grams ahead: the offsets of
    /// its words (`stage` 0) or, later, their bytes (`stage` 1). Only the last two words, which
    /// neighbours in canonical order change most.
    @inline(__always)
    func prefetch(_ ids: UnsafePointer<UInt32>, stage: Int) {
        for k in max(0, order - 2)..<order {
            if stage == 0 { vocabulary.prefetchOffsets(of: ids[k]) } else { vocabulary.prefetchBytes(of: ids[k]) }
        }
    }

    /// The words of `ids` (`order` of them) separated by spaces.
    @inline(__always)
    func text(of ids: UnsafePointer<UInt32>) -> UnsafeBufferPointer<UInt8> {
        var k = 0
        while k < order && ids[k] == previous[k] { k += 1 }
        if k < order { rebuild(from: k, ids) }
        return UnsafeBufferPointer(start: text, count: ends[order - 1])
    }

    private func rebuild(from first: Int, _ ids: UnsafePointer<UInt32>) {
        var length = first == 0 ? 0 : ends[first - 1]
        for k in first..<order {
            let word = vocabulary.bytes(of: ids[k])
            let needed = length + 1 + word.count
            if needed > capacity {
                while needed > capacity { capacity *= 2 }
                let grown = UnsafeMutablePointer<UInt8>.allocate(capacity: capacity)
                grown.update(from: text, count: length)
                text.deallocate()
                text = grown
            }
            if k > 0 { text[length] = 0x20; length += 1 }
            if let base = word.baseAddress { SmallCopy.copy(text + length, base, word.count) }
            length += word.count
            ends[k] = length
            previous[k] = ids[k]
        }
    }
}
