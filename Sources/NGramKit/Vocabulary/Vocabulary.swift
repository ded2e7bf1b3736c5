#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import CNGramKitSupport

/// Vocabulary: token bytes in, dense word ids out.
///
/// In:  token byte strings from a tokenizer.
/// Out: dense `UInt32` ids. Ids 0, 1 and 2 are reserved for `<unk>`, `<s>` and `</s>`; other words
///      get ids in order of first appearance (or in the order of a vocabulary file), so the same
///      input always gives the same ids. Word bytes live in one flat arena and the index is an
///      open-addressing table: no `String` per word, no allocation per lookup.
///
/// Index slot (16 bytes): a 64-bit tag, the word's id + 1 (0 marks an empty slot) and its
/// length. A word of at most 8 bytes is its own tag (its bytes, zero-padded), so looking it up
/// touches one slot and nothing else; a longer word's tag is its 64-bit hash, confirmed against
/// the arena. Capacity is a power of two and the load stays at most 1/2.
public final class Vocabulary: @unchecked Sendable {
    /// Id of the unknown word `<unk>`; also every out-of-vocabulary word of a closed vocabulary.
    public static let unknownID: UInt32 = 0
    /// Id of the sentence-begin marker `<s>` (context only, never predicted).
    public static let beginID: UInt32 = 1
    /// Id of the sentence-end marker `</s>`.
    public static let endID: UInt32 = 2
    public static let unknownWord = "<unk>"
    public static let beginWord = "<s>"
    public static let endWord = "</s>"

    struct Slot {
        var tag: UInt64
        var idPlusOne: UInt32
        var length: UInt32
    }

    /// Word bytes, back to back.
    private var arena = GrowableBuffer<UInt8>(initialCapacity: 1 << 16)
    /// `offsets[id] ..< offsets[id + 1]` is the word's range in `arena`.
    private var offsets = GrowableBuffer<Int>(initialCapacity: 1 << 12)
    private var slots: UnsafeMutablePointer<Slot>
    private var mask: Int

    /// When true, `lookupOrAdd` maps unseen words to `<unk>` instead of adding them.
    public private(set) var isClosed = false

    /// Creates a vocabulary holding the three reserved words.
    public init() {
        let capacity = 1 << 14
        slots = .allocate(capacity: capacity)
        slots.initialize(repeating: Slot(tag: 0, idPlusOne: 0, length: 0), count: capacity)
        mask = capacity - 1
        offsets.append(0)
        for word in [Vocabulary.unknownWord, Vocabulary.beginWord, Vocabulary.endWord] {
            _ = addIfAbsent(word)
        }
    }

    deinit { slots.deallocate() }

    /// Number of words, reserved ones included.
    public var count: Int { offsets.count - 1 }

    /// Stops the vocabulary from growing: unseen words become `<unk>` from now on.
    public func close() { isClosed = true }

    /// The bytes of word `id`, valid until the vocabulary next grows.
    @inline(__always)
    public func withBytes<R>(of id: UInt32, _ body: (UnsafeBufferPointer<UInt8>) throws -> R) rethrows -> R {
        let start = offsets[Int(id)]
        return try body(UnsafeBufferPointer(start: arena.storage + start, count: offsets[Int(id) + 1] - start))
    }

    /// The word `id` as a string (for reports and tests, not hot paths).
    public func word(_ id: UInt32) -> String {
        withBytes(of: id) { String(decoding: $0, as: UTF8.self) }
    }

    /// The tag and hash of a word (see the type's comment).
    ///
    /// - Parameter paddedBytes: when true, 8 bytes may be read from `bytes.baseAddress` whatever
    ///   the length (the caller's buffer is padded), which saves a byte loop for short words.
    @inline(__always)
    static func tagAndHash(_ bytes: UnsafeBufferPointer<UInt8>, paddedBytes: Bool = false) -> (tag: UInt64, hash: UInt64) {
        let length = bytes.count
        if length <= 8 {
            var tag: UInt64 = 0
            if length > 0 {
                if paddedBytes {
                    tag = UnsafeRawPointer(bytes.baseAddress!).loadUnaligned(as: UInt64.self)
                    if length < 8 { tag &= (UInt64(1) << UInt64(length * 8)) - 1 }
                } else {
                    for i in 0..<length { tag |= UInt64(bytes[i]) << UInt64(i * 8) }
                }
            }
            return (tag, Hashing.mix(tag ^ (UInt64(length) << 59)))
        }
        let hash = Hashing.hash(bytes: bytes)
        return (hash, hash)
    }

    /// Address of the home slot of `hash`, for prefetching before a batch of lookups.
    @inline(__always)
    func homeSlotAddress(_ hash: UInt64) -> UnsafeRawPointer {
        UnsafeRawPointer(slots + (Int(truncatingIfNeeded: hash >> 20) & mask))
    }

    /// The id of a word given with its precomputed tag and hash, or nil.
    @inline(__always)
    func lookup(_ bytes: UnsafeBufferPointer<UInt8>, tag: UInt64, hash: UInt64) -> UInt32? {
        var index = Int(truncatingIfNeeded: hash >> 20) & mask
        let length = UInt32(bytes.count)
        while true {
            let slot = slots[index]
            if slot.idPlusOne == 0 { return nil }
            if slot.tag == tag && slot.length == length {
                let id = Int(slot.idPlusOne) - 1
                if length <= 8 { return UInt32(id) }
                let start = offsets[id]
                if memcmp(arena.storage + start, bytes.baseAddress!, Int(length)) == 0 { return UInt32(id) }
            }
            index = (index + 1) & mask
        }
    }

    /// The id of `bytes`, or nil when the word is not in the vocabulary.
    public func lookup(_ bytes: UnsafeBufferPointer<UInt8>) -> UInt32? {
        let (tag, hash) = Vocabulary.tagAndHash(bytes)
        return lookup(bytes, tag: tag, hash: hash)
    }

    /// The id of a word with precomputed tag and hash, adding it when new and the vocabulary is
    /// open; a closed vocabulary maps unknown words to `unknownID`.
    @inline(__always)
    func lookupOrAdd(_ bytes: UnsafeBufferPointer<UInt8>, tag: UInt64, hash: UInt64) -> UInt32 {
        if let id = lookup(bytes, tag: tag, hash: hash) { return id }
        if isClosed { return Vocabulary.unknownID }
        return add(bytes, tag: tag, hash: hash)
    }

    /// The id of `bytes`, adding the word when it is new and the vocabulary is open.
    public func lookupOrAdd(_ bytes: UnsafeBufferPointer<UInt8>) -> UInt32 {
        let (tag, hash) = Vocabulary.tagAndHash(bytes)
        return lookupOrAdd(bytes, tag: tag, hash: hash)
    }

    /// Adds a word known not to be present and returns its id.
    private func add(_ bytes: UnsafeBufferPointer<UInt8>, tag: UInt64, hash: UInt64) -> UInt32 {
        let id = count
        precondition(id < Int(UInt32.max) - 1, "vocabulary exceeds 2^32 words")
        for byte in bytes { arena.append(byte) }
        offsets.append(arena.count)
        insertSlot(Slot(tag: tag, idPlusOne: UInt32(id + 1), length: UInt32(bytes.count)), hash: hash)
        if count * 2 > mask + 1 { rehash(capacity: (mask + 1) * 2) }
        return UInt32(id)
    }

    /// Adds a word known not to be present (restrictions, vocabulary files) and returns its id.
    @discardableResult
    func add(_ bytes: UnsafeBufferPointer<UInt8>) -> UInt32 {
        let (tag, hash) = Vocabulary.tagAndHash(bytes)
        return add(bytes, tag: tag, hash: hash)
    }

    /// Adds `word` unless present; returns its id (vocabulary files, count files, tests).
    @discardableResult
    public func addIfAbsent(_ word: String) -> UInt32 {
        var copy = word
        return copy.withUTF8 { bytes in
            lookup(bytes) ?? add(bytes)
        }
    }

    /// The id of `word`, or nil.
    public func lookup(_ word: String) -> UInt32? {
        var copy = word
        return copy.withUTF8 { lookup($0) }
    }

    private func insertSlot(_ slot: Slot, hash: UInt64) {
        var index = Int(truncatingIfNeeded: hash >> 20) & mask
        while slots[index].idPlusOne != 0 { index = (index + 1) & mask }
        slots[index] = slot
    }

    private func rehash(capacity: Int) {
        let old = slots
        let oldCapacity = mask + 1
        slots = .allocate(capacity: capacity)
        slots.initialize(repeating: Slot(tag: 0, idPlusOne: 0, length: 0), count: capacity)
        mask = capacity - 1
        for i in 0..<oldCapacity where old[i].idPlusOne != 0 {
            let slot = old[i]
            // The hash follows from the slot: a long word's tag is its hash.
            let hash = slot.length <= 8 ? Hashing.mix(slot.tag ^ (UInt64(slot.length) << 59)) : slot.tag
            insertSlot(slot, hash: hash)
        }
        old.deallocate()
    }

    /// Bytes held by the vocabulary (arena, offsets, index).
    public var memoryFootprint: Int {
        arena.memoryFootprint + offsets.memoryFootprint + (mask + 1) * MemoryLayout<Slot>.stride
    }
}
