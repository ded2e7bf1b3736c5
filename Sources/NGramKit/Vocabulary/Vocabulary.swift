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
/// Index slot (32 bytes): a 128-bit tag, the word's id + 1 (0 marks an empty slot), its length
/// and its number of occurrences so far. A word of at most 16 bytes is its own tag (its bytes,
/// zero-padded), so looking it up and counting it touch one slot and nothing else; a longer
/// word's tag is its 64-bit hash (and its first 8 bytes), confirmed against the arena. Capacity
/// is a power of two, the load stays at most 1/2, and the slots sit on 2 MB pages.
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

    struct Slot: BitwiseCopyable {
        var tag: UInt64
        var tag2: UInt64
        var idPlusOne: UInt32
        var length: UInt32
        var count: UInt64
    }

    /// A word's tag and the hash that places it.
    struct Tag {
        var low: UInt64
        var high: UInt64
        var hash: UInt64
    }

    /// Word bytes, back to back.
    private var arena = GrowableBuffer<UInt8>(initialCapacity: 1 << 16)
    /// `offsets[id] ..< offsets[id + 1]` is the word's range in `arena`.
    private var offsets = GrowableBuffer<Int>(initialCapacity: 1 << 12)
    private var table: LargeBuffer<Slot>
    private var slots: UnsafeMutablePointer<Slot>
    private var mask: Int
    /// Occurrences mapped to `<unk>` by a closed vocabulary.
    private var closedMisses: UInt64 = 0

    /// When true, `lookupOrAdd` maps unseen words to `<unk>` instead of adding them.
    public private(set) var isClosed = false

    /// Creates a vocabulary holding the three reserved words.
    public init() {
        let capacity = 1 << 14
        table = LargeBuffer(zeroedCount: capacity)
        slots = table.base
        mask = capacity - 1
        offsets.append(0)
        for word in [Vocabulary.unknownWord, Vocabulary.beginWord, Vocabulary.endWord] {
            _ = addIfAbsent(word)
        }
    }

    /// A closed vocabulary over storage that `owner` keeps alive (a mapped binary model; see
    /// `BinaryModel`): nothing is copied, so this takes constant time.
    /// - Parameters:
    ///   - arena: the words' bytes back to back, in id order (`arenaCount` bytes).
    ///   - offsets: `wordCount + 1` offsets into the arena: word `id` is `offsets[id] ..< offsets[id + 1]`.
    ///   - slots: an index of `capacity` slots (a power of two), laid out as `add` lays them
    ///     (every word's slot on the linear probe from its home, `idPlusOne` 0 when empty, counts
    ///     0), with at least one empty slot.
    /// Invariants: the memory is never written through this object: adding a word (`addIfAbsent`)
    /// first copies the index and the arena; counting occurrences (`countOccurrence`) is not
    /// allowed (mapped vocabularies are only looked up).
    init(arena: UnsafePointer<UInt8>, arenaCount: Int, offsets: UnsafePointer<Int>, wordCount: Int,
         slots mapped: UnsafePointer<Slot>, capacity: Int, owner: AnyObject) {
        precondition(capacity > 0 && capacity & (capacity - 1) == 0)
        self.arena = GrowableBuffer(borrowing: arena, count: arenaCount, owner: owner)
        self.offsets = GrowableBuffer(borrowing: offsets, count: wordCount + 1, owner: owner)
        table = LargeBuffer(borrowing: UnsafeMutablePointer(mutating: mapped), count: capacity, owner: owner)
        slots = table.base
        mask = capacity - 1
        isClosed = true
    }

    /// A copy with the same words and ids, its occurrence counts at zero, open or closed like
    /// this one. Each counter counts into its own copy, so one vocabulary (a fixed `--vocab`, say)
    /// can serve many counts.
    package func copyWithoutCounts() -> Vocabulary {
        let copy = Vocabulary()
        copy.arena = GrowableBuffer(copying: arena)
        copy.offsets = GrowableBuffer(copying: offsets)
        copy.table = LargeBuffer(zeroedCount: table.count)
        copy.slots = copy.table.base
        copy.slots.update(from: slots, count: table.count)
        for i in 0..<table.count { copy.slots[i].count = 0 }
        copy.mask = mask
        copy.isClosed = isClosed
        return copy
    }

    /// Number of words, reserved ones included.
    public var count: Int { offsets.count - 1 }

    /// Stops the vocabulary from growing: unseen words become `<unk>` from now on.
    package func close() { isClosed = true }

    /// The bytes of word `id` (below `count`, unchecked); valid until the vocabulary next grows.
    @inline(__always)
    package func bytes(of id: UInt32) -> UnsafeBufferPointer<UInt8> {
        let start = offsets[Int(id)]
        return UnsafeBufferPointer(start: arena.storage + start, count: offsets[Int(id) + 1] - start)
    }

    /// Starts loading where word `id`'s bytes are (before `bytes(of:)` in a loop over random ids).
    @inline(__always)
    func prefetchOffsets(of id: UInt32) {
        ngk_prefetch_read(offsets.storage + Int(id))
    }

    /// Starts loading word `id`'s bytes (after `prefetchOffsets(of:)`, some iterations later).
    @inline(__always)
    func prefetchBytes(of id: UInt32) {
        ngk_prefetch_read(arena.storage + offsets[Int(id)])
    }

    /// The word `id`, or nil when no word has that id.
    public func word(_ id: UInt32) -> String? {
        Int(id) < count ? text(of: id) : nil
    }

    /// The word `id` (below `count`, unchecked) as a string, for messages and reports.
    package func text(of id: UInt32) -> String {
        String(decoding: bytes(of: id), as: UTF8.self)
    }

    /// The tag and hash of a word (see the type's comment).
    ///
    /// - Parameter paddedBytes: when true, 16 bytes may be read from `bytes.baseAddress` whatever
    ///   the length (the caller's buffer is padded), which saves a byte loop for short words.
    @inline(__always)
    static func tag(_ bytes: UnsafeBufferPointer<UInt8>, paddedBytes: Bool = false) -> Tag {
        let length = bytes.count
        if length <= 16 {
            var low: UInt64 = 0, high: UInt64 = 0
            if length > 0 {
                let raw = UnsafeRawPointer(bytes.baseAddress!)
                if paddedBytes {
                    low = raw.loadUnaligned(as: UInt64.self)
                    high = raw.loadUnaligned(fromByteOffset: 8, as: UInt64.self)
                    if length < 8 {
                        low &= (UInt64(1) << UInt64(length * 8)) - 1
                        high = 0
                    } else if length < 16 {
                        high &= (UInt64(1) << UInt64((length - 8) * 8)) - 1
                    }
                } else {
                    for i in 0..<min(length, 8) { low |= UInt64(bytes[i]) << UInt64(i * 8) }
                    if length > 8 { for i in 8..<length { high |= UInt64(bytes[i]) << UInt64((i - 8) * 8) } }
                }
            }
            let hash = Hashing.mix(low ^ Hashing.mix(high ^ (UInt64(length) << 56)))
            return Tag(low: low, high: high, hash: hash)
        }
        let hash = Hashing.hash(bytes: bytes)
        return Tag(low: hash, high: UInt64(length), hash: hash)
    }

    /// Address of the home slot of `hash`, for prefetching before a batch of lookups.
    @inline(__always)
    func homeSlotAddress(_ hash: UInt64) -> UnsafeRawPointer {
        UnsafeRawPointer(slots + (Int(truncatingIfNeeded: hash >> 20) & mask))
    }

    /// The slot of a word given with its precomputed tag, or the empty slot where it would go.
    @inline(__always)
    private func probe(_ bytes: UnsafeBufferPointer<UInt8>, _ tag: Tag) -> Int {
        var index = Int(truncatingIfNeeded: tag.hash >> 20) & mask
        let length = UInt32(bytes.count)
        while true {
            let slot = slots[index]
            if slot.idPlusOne == 0 { return index }
            if slot.tag == tag.low && slot.tag2 == tag.high && slot.length == length {
                if length <= 16 { return index }
                let start = offsets[Int(slot.idPlusOne) - 1]
                if memcmp(arena.storage + start, bytes.baseAddress!, Int(length)) == 0 { return index }
            }
            index = (index + 1) & mask
        }
    }

    /// The id of `bytes`, or nil when the word is not in the vocabulary.
    public func lookup(_ bytes: UnsafeBufferPointer<UInt8>) -> UInt32? {
        let index = probe(bytes, Vocabulary.tag(bytes))
        let idPlusOne = slots[index].idPlusOne
        return idPlusOne == 0 ? nil : idPlusOne - 1
    }

    /// The id of `bytes` given with its precomputed tag (`TokenBatch`), or nil when absent.
    @inline(__always)
    func lookup(_ bytes: UnsafeBufferPointer<UInt8>, tag: Tag) -> UInt32? {
        let idPlusOne = slots[probe(bytes, tag)].idPlusOne
        return idPlusOne == 0 ? nil : idPlusOne - 1
    }

    /// The id of `bytes`, adding the word when it is new and the vocabulary is open; a closed
    /// vocabulary maps unknown words to `unknownID`.
    package func lookupOrAdd(_ bytes: UnsafeBufferPointer<UInt8>) -> UInt32 {
        lookupOrAdd(bytes, evenIfClosed: false)
    }

    private func lookupOrAdd(_ bytes: UnsafeBufferPointer<UInt8>, evenIfClosed: Bool) -> UInt32 {
        let tag = Vocabulary.tag(bytes)
        let index = probe(bytes, tag)
        if slots[index].idPlusOne != 0 { return slots[index].idPlusOne - 1 }
        if isClosed && !evenIfClosed { return Vocabulary.unknownID }
        return add(bytes, tag: tag, at: index)
    }

    /// Counts one occurrence of a word and returns its id (adding the word when it is new and the
    /// vocabulary open; a closed vocabulary counts an unknown word as `<unk>`).
    @inline(__always)
    func countOccurrence(_ bytes: UnsafeBufferPointer<UInt8>, tag: Tag) -> UInt32 {
        let index = probe(bytes, tag)
        if slots[index].idPlusOne != 0 {
            slots[index].count &+= 1
            return slots[index].idPlusOne - 1
        }
        if isClosed {
            closedMisses += 1
            return Vocabulary.unknownID
        }
        let id = add(bytes, tag: tag, at: index, count: 1)
        return id
    }

    /// The occurrences counted by `countOccurrence`, by id.
    package func occurrenceCounts() -> [UInt64] {
        var counts = [UInt64](repeating: 0, count: count)
        for i in 0...mask where slots[i].idPlusOne != 0 { counts[Int(slots[i].idPlusOne) - 1] = slots[i].count }
        counts[Int(Vocabulary.unknownID)] += closedMisses
        return counts
    }

    /// Adds a word known not to be present, in the empty slot `index` found by `probe`.
    private func add(_ bytes: UnsafeBufferPointer<UInt8>, tag: Tag, at index: Int, count occurrences: UInt64 = 0) -> UInt32 {
        var index = index
        if table.isBorrowed {
            // A mapped index is never written: copy it first (same capacity, so same layout).
            rehash(capacity: mask + 1)
            index = probe(bytes, tag)
        }
        let id = count
        precondition(id < Int(UInt32.max) - 1, "vocabulary exceeds 2^32 words")
        for byte in bytes { arena.append(byte) }
        offsets.append(arena.count)
        slots[index] = Slot(tag: tag.low, tag2: tag.high, idPlusOne: UInt32(id + 1), length: UInt32(bytes.count), count: occurrences)
        if count * 2 > mask + 1 { rehash(capacity: (mask + 1) * 2) }
        return UInt32(id)
    }

    /// Adds a word known not to be present (restrictions, vocabulary files) and returns its id.
    @discardableResult
    func add(_ bytes: UnsafeBufferPointer<UInt8>) -> UInt32 {
        let tag = Vocabulary.tag(bytes)
        return add(bytes, tag: tag, at: probe(bytes, tag))
    }

    /// Adds `word` unless present; returns its id (vocabulary files, count files, tests).
    @discardableResult
    package func addIfAbsent(_ word: String) -> UInt32 {
        var copy = word
        return copy.withUTF8 { lookupOrAdd($0, evenIfClosed: true) }
    }

    /// The id of `word`, or nil.
    public func lookup(_ word: String) -> UInt32? {
        var copy = word
        return copy.withUTF8 { lookup($0) }
    }

    private func rehash(capacity: Int) {
        let old = slots
        let oldTable = table
        let oldCapacity = mask + 1
        table = LargeBuffer(zeroedCount: capacity)
        slots = table.base
        mask = capacity - 1
        for i in 0..<oldCapacity where old[i].idPlusOne != 0 {
            let slot = old[i]
            // The hash follows from the slot alone, without touching the arena.
            let hash = slot.length <= 16 ? Hashing.mix(slot.tag ^ Hashing.mix(slot.tag2 ^ (UInt64(slot.length) << 56))) : slot.tag
            var index = Int(truncatingIfNeeded: hash >> 20) & mask
            while slots[index].idPlusOne != 0 { index = (index + 1) & mask }
            slots[index] = slot
        }
        withExtendedLifetime(oldTable) {}
    }

    /// Bytes held by the vocabulary (arena, offsets, index).
    public var memoryFootprint: Int {
        arena.memoryFootprint + offsets.memoryFootprint + table.memoryFootprint
    }
}
