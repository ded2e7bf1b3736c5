#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Dispatch
import CNGramKitSupport

/// NGramKit's binary model format: a backoff model laid out so that `mmap` makes it usable at
/// once (constant-time load, whatever the size), written by `BinaryModelWriter`
/// (`ngramkit compile`, `ngramkit build --binary`) and read by `ModelFile.load`.
///
/// The file (all integers little-endian; every section starts on a 4096-byte page):
///
///     page 0: header (4096 bytes)
///        0  magic, 16 bytes: 0x89 "NGramKit-LM" CR LF 0x1A LF
///       16  format version (UInt32, `formatVersion`)     20  byte-order mark 0x0A0B0C0D (UInt32)
///       24  header bytes (UInt64, 4096)                   32  file bytes (UInt64)
///       40  payload checksum (UInt64)                     48  header checksum (UInt64)
///       56  order N (UInt32)                              60  smoothing: 0 not recorded, 1 modified
///       64  Stupid Backoff alpha (Float64)                    Kneser-Ney, 2 Stupid Backoff (UInt32)
///       72  vocabulary size V (UInt64)                    80  word index capacity (UInt64)
///       88  five sections as (offset, length) UInt64 pairs: unigram values, unigram context
///           flags, word bytes, word offsets, word index
///      168  table load factor (Float64, informational)
///      176  tokenizer of the training text (UInt8 each): kind (0 not recorded, 1 whitespace,
///           2 unicode, 3 character), lowercase (0/1), invalid UTF-8 (0 error, 1 replace)
///      179...183 zero
///      184  successor index directory (offset, length UInt64 each; zeros when the file has none;
///           see `BinaryModelWriter+Successors`)
///      200...255 zero
///      256  one 64-byte record per order n = 1...N (at 256 + 64 (n - 1)): n-grams (blanks
///           excluded), entries stored (blanks included), homes M, slots T, section offset,
///           section length (UInt64 each); word bits, key bits, slot bytes, has-backoff (UInt8
///           each); Kneser-Ney D1, D2, D3+ (Float32 each, 0 for other smoothing)
///     sections:
///       unigram values   V × (log10 prob, log10 backoff) as Float32 pairs, by word id
///       context flags    V bytes: 1 when some stored bigram (not a blank) extends the word
///       word bytes       the words' UTF-8 bytes back to back, in id order
///       word offsets     V + 1 Int64: word `id` is bytes offsets[id] ..< offsets[id + 1]
///       word index       `Vocabulary`'s own index (32-byte slots, power-of-two capacity, load
///                        at most 3/4), so the mapped vocabulary is looked up as is
///       order n ≥ 2      T slots of S bytes, then 16 zero bytes (unaligned loads stay inside)
///
/// An order-n slot packs, from bit 0: the key's code (K bits; 0 marks an empty slot), the log10
/// probability (Float32 bits; NaN marks a *blank*, an entry that serves only as a context), and
/// for n < N the log10 backoff (Float32 bits) and one context flag bit (some stored (n+1)-gram
/// extends it; Stupid Backoff's raw scores need it). S = ceil((K + 32 + (n < N ? 33 : 0)) / 8).
/// The key is that of the counting tables: (context, word) = (the slot of the first n-1 words
/// in the order-(n-1) table, or the word id for bigrams) << wordBits | last word id, so a key
/// takes about log2(entries below) + log2(V) bits and no word sequence is stored. K is the
/// width of the largest key + 1, and the code is `BinaryTable.code`: a bijection of key + 1 on
/// K-bit values that keeps 0 at 0, so codes are never 0 and no bit is spent on them.
///
/// Tables are *ordered* linear probing with a monotone home: the home of code c is
/// floor(c · M / 2^K) with M = ceil(entries / load), load 0.85; entries sit in increasing code
/// order at increasing slots, each at its home or after its predecessor, and never wrap (T covers
/// the last one plus one empty slot). A lookup scans from the home and stops at its code, at an
/// empty slot or at a larger code: one comparison per slot and no hashing while scanning, and
/// absent keys cost no more than present ones, about one or two cache lines. The layout depends
/// only on the set of n-grams, so the same model always gives the same bytes (whether it comes
/// from `build` or from its ARPA file). Version 1 stored key + 1 with a hashed home at load 0.9.
///
/// Checksums: the header checksum is `Hashing.hash` of the header with that field zeroed, checked
/// at every load (with the sizes, in constant time). The payload checksum covers the bytes after
/// the header: `Hashing.hash` of each 4 MiB chunk, then `Hashing.hash` of those chunk hashes; it
/// is checked on demand (`verifyChecksum()`, `ngramkit ppl --verify`), as reading the whole file
/// would make loading linear in its size.
///
/// What a load checks (in constant time but for the vocabulary, which is O(V)): the magic, the
/// version, the byte-order mark, the header checksum, the file size, that every section lies
/// inside the file with the length its counts give, every table's geometry, and the vocabulary
/// that every lookup follows: word offsets increasing from 0 to the end of the word bytes, and
/// an index whose slots each name a word once, with that word's length, and keep at least one
/// slot empty (so that every lookup ends). Table lookups never leave their table. What a load
/// does not check is the values (probabilities, backoffs, codes, context flags, the words'
/// tags and bytes): a flipped bit there changes scores, or makes a word unknown, silently, and
/// only the payload checksum (`verifyChecksum()`, `--verify`, which reads the whole file) finds it.
///
/// Invariants of a loaded object: `base` maps the whole file (`fileBytes` bytes, read-only)
/// until deinit; every pointer in `tables`, `unigramValues`, `unigramContext` and the vocabulary
/// points inside that mapping and its sections were checked against the file size at load.
public final class BinaryModel: @unchecked Sendable {
    static let magic: [UInt8] = [0x89] + Array("NGramKit-LM".utf8) + [0x0D, 0x0A, 0x1A, 0x0A]
    /// The format version this NGramKit writes and reads.
    public static let formatVersion: UInt32 = 2
    static let byteOrderMark: UInt32 = 0x0A0B_0C0D
    static let headerBytes = 4096
    static let pageBytes = 4096
    static let orderRecordOffset = 256
    static let orderRecordBytes = 64
    /// Orders that fit the header's records.
    public static let maximumOrder = (headerBytes - orderRecordOffset) / orderRecordBytes
    static let checksumChunkBytes = 1 << 22
    static let wordIndexSlotBytes = MemoryLayout<Vocabulary.Slot>.stride

    /// The smoothing code at header offset 60: 0 not recorded, 1 modified Kneser-Ney, 2 Stupid Backoff.
    static func smoothingCode(_ smoothing: SmoothingMethod?) -> UInt32 {
        switch smoothing {
        case nil: return 0
        case .kneserNey: return 1
        case .stupidBackoff: return 2
        case .katz: return 3
        case .wittenBell: return 4
        case .wittenBellBackoff: return 5
        case .absoluteDiscounting: return 6
        case .originalKneserNey: return 7
        case .additive: return 8
        }
    }

    /// The tokenizer bytes at header offset 176: kind (0 not recorded, 1 whitespace, 2 unicode,
    /// 3 character), lowercase (0 or 1), invalid UTF-8 (0 error, 1 replace).
    static func tokenizerBytes(_ tokenizer: TokenizerConfiguration?) -> (UInt8, UInt8, UInt8) {
        guard let tokenizer else { return (0, 0, 0) }
        let kind: UInt8
        switch tokenizer.kind {
        case .whitespace: kind = 1
        case .unicode: kind = 2
        case .character: kind = 3
        }
        return (kind, tokenizer.lowercase ? 1 : 0, tokenizer.invalidUTF8 == .replace ? 1 : 0)
    }

    /// The tokenizer the header bytes record; throws for codes no writer makes.
    static func tokenizer(_ kind: UInt8, _ lowercase: UInt8, _ invalid: UInt8) -> TokenizerConfiguration?? {
        guard lowercase <= 1, invalid <= 1 else { return .none }
        let kinds: [TokenizerKind?] = [nil, .whitespace, .unicode, .character]
        guard Int(kind) < kinds.count else { return .none }
        guard let chosen = kinds[Int(kind)] else { return .some(nil) }
        return try? TokenizerConfiguration(kind: chosen, lowercase: lowercase == 1, invalidUTF8: invalid == 1 ? .replace : .error)
    }

    /// The file it was loaded from.
    public let path: String
    /// Bytes of the file (all of it is mapped).
    public let fileBytes: Int
    let base: UnsafeRawPointer
    /// Unmaps the file when the model (and everything borrowing from it) is gone.
    let owner: MappingOwner
    public let order: Int
    public let ngramCounts: [Int]
    /// Entries stored per order: n-grams, blanks and filled suffixes (`ngramCounts` counts n-grams only).
    public let entryCounts: [Int]
    /// What the header records of how the model was made.
    public let provenance: ModelProvenance
    /// The mapped vocabulary (closed; see `Vocabulary.init(arena:...)`).
    public let vocabulary: Vocabulary
    /// `2 * id`: log10 prob, `2 * id + 1`: log10 backoff.
    let unigramValues: UnsafePointer<Float>
    /// 1 when the word is a context of some stored bigram.
    let unigramContext: UnsafePointer<UInt8>
    /// Orders 2...N (`tables[n - 2]`).
    let tables: [BinaryTable]
    /// The successor index the file stores (`compile --successors`, `build --successors`), or nil.
    package let successors: SuccessorIndex?

    // MARK: Loading

    /// Whether `path` starts with the binary format's magic bytes (false when it cannot be read).
    package static func hasMagic(_ path: String) -> Bool {
        let fd = Platform.openForReading(path)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var bytes = [UInt8](repeating: 0, count: magic.count)
        let n = bytes.withUnsafeMutableBytes { Platform.readSome(fd, $0.baseAddress!, magic.count, at: 0) }
        return n == magic.count && bytes == magic
    }

    /// Maps the binary model in `path`, checking its header and sizes (constant time; the
    /// payload checksum is `verifyChecksum()`'s).
    /// - Throws: `NGramKitError.malformedModel` naming the file for a truncated file, another
    ///   format version, a corrupt header or inconsistent sizes; `cannotOpen` / `isDirectory`.
    package static func load(_ path: String) throws -> NGramModel {
        NGramModel(binary: try BinaryModel(path: path))
    }

    private static func fail(_ path: String, _ reason: String) -> NGramKitError {
        .malformedModel(path: path, line: nil, reason: reason)
    }

    private static func rebuild(_ path: String) -> String {
        "rebuild it from its ARPA file with `ngramkit compile MODEL.arpa \(path)`"
    }

    init(path: String) throws {
        self.path = path
        let fd = Platform.openForReading(path)
        guard fd >= 0 else { throw NGramKitError.cannotOpen(path: path, reason: Platform.lastError()) }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0 else { throw NGramKitError.cannotOpen(path: path, reason: Platform.lastError()) }
        if (info.st_mode & S_IFMT) == S_IFDIR { throw NGramKitError.isDirectory(path: path) }
        let size = Int(info.st_size)
        let fix = BinaryModel.rebuild(path)
        // The header, read with pread: everything below is checked before anything is mapped.
        let header = UnsafeMutableRawPointer.allocate(byteCount: BinaryModel.headerBytes, alignment: 8)
        header.initializeMemory(as: UInt8.self, repeating: 0, count: BinaryModel.headerBytes)
        defer { header.deallocate() }
        let got = Platform.readSome(fd, header, BinaryModel.headerBytes, at: 0)
        guard got >= BinaryModel.magic.count,
              BinaryModel.magic.withUnsafeBytes({ memcmp(header, $0.baseAddress!, BinaryModel.magic.count) }) == 0 else {
            throw BinaryModel.fail(path, "not an NGramKit binary model (its first bytes are not the format's magic); pass an ARPA file or a file written by `ngramkit compile`")
        }
        let reader = HeaderReader(pointer: UnsafeRawPointer(header))
        let version = reader.u32(16)
        if got >= 20 && version != BinaryModel.formatVersion {
            throw BinaryModel.fail(path, "binary model format version \(version), but this ngramkit reads version \(BinaryModel.formatVersion); \(fix)")
        }
        guard got == BinaryModel.headerBytes else {
            throw BinaryModel.fail(path, "truncated binary model: \(size) bytes, shorter than its \(BinaryModel.headerBytes)-byte header; \(fix)")
        }
        if reader.u32(20) != BinaryModel.byteOrderMark {
            throw BinaryModel.fail(path, "corrupt binary model header (bad byte-order mark), or a file from a machine of the other byte order; \(fix)")
        }
        let storedHeaderChecksum = reader.u64(48)
        guard BinaryModel.headerChecksum(header) == storedHeaderChecksum, reader.u64(24) == UInt64(BinaryModel.headerBytes) else {
            throw BinaryModel.fail(path, "corrupt binary model header (checksum mismatch); \(fix)")
        }
        let expectedSize = reader.u64(32)
        if UInt64(size) < expectedSize {
            throw BinaryModel.fail(path, "truncated binary model: \(size) of \(expectedSize) bytes; \(fix)")
        }
        if UInt64(size) > expectedSize {
            throw BinaryModel.fail(path, "binary model has \(UInt64(size) - expectedSize) bytes beyond its recorded end (\(expectedSize) bytes); the file was altered; \(fix)")
        }
        // Sizes: every section inside the file and as long as its counts say.
        func corrupt(_ what: String) -> NGramKitError {
            BinaryModel.fail(path, "corrupt binary model header (\(what)); \(fix)")
        }
        let order = Int(reader.u32(56))
        guard order >= 1 && order <= BinaryModel.maximumOrder else { throw corrupt("order \(order)") }
        let vocabularyCount = reader.u64(72), indexCapacity = reader.u64(80)
        guard vocabularyCount >= 3 && vocabularyCount < UInt64(UInt32.max) else { throw corrupt("vocabulary size \(vocabularyCount)") }
        guard indexCapacity > vocabularyCount && indexCapacity & (indexCapacity - 1) == 0 && indexCapacity < 1 << 40 else {
            throw corrupt("word index capacity \(indexCapacity)")
        }
        let v = Int(vocabularyCount)
        func section(_ k: Int, _ expectedLength: Int?) throws -> (offset: Int, length: Int) {
            let offset = reader.u64(88 + 16 * k), length = reader.u64(96 + 16 * k)
            guard offset % UInt64(BinaryModel.pageBytes) == 0, offset >= UInt64(BinaryModel.headerBytes),
                  length <= expectedSize, offset <= expectedSize - length else { throw corrupt("section \(k) out of the file") }
            if let expectedLength, Int(length) != expectedLength { throw corrupt("section \(k) of \(length) bytes, expected \(expectedLength)") }
            return (Int(offset), Int(length))
        }
        let unigramSection = try section(0, v * 8)
        let contextSection = try section(1, v)
        let wordsSection = try section(2, nil)
        let offsetsSection = try section(3, (v + 1) * 8)
        let indexSection = try section(4, Int(indexCapacity) * BinaryModel.wordIndexSlotBytes)

        var counts: [Int] = [], entryCounts: [Int] = []
        var records: [(entries: Int, homes: Int, slots: Int, offset: Int, wordBits: Int, keyBits: Int, slotBytes: Int,
                       hasBlanks: Bool)] = []
        var discounts: [KneserNeyDiscount] = []
        let wordBits = BinaryModel.bitWidth(UInt64(v - 1))
        var contextLimit = UInt64(v)
        for n in 1...order {
            let r = BinaryModel.orderRecordOffset + (n - 1) * BinaryModel.orderRecordBytes
            let ngrams = reader.u64(r), entries = reader.u64(r + 8)
            guard ngrams <= entries && entries < 1 << 32 else { throw corrupt("\(n)-gram counts") }
            counts.append(Int(ngrams))
            entryCounts.append(Int(entries))
            discounts.append(KneserNeyDiscount(reader.f32(r + 52), reader.f32(r + 56), reader.f32(r + 60)))
            if n == 1 {
                guard entries == vocabularyCount else { throw corrupt("unigram entries") }
                continue
            }
            let homes = reader.u64(r + 16), slots = reader.u64(r + 24)
            let recordWordBits = Int(reader.u8(r + 48)), keyBits = Int(reader.u8(r + 49))
            let slotBytes = Int(reader.u8(r + 50)), hasBackoff = reader.u8(r + 51) != 0
            let maxKey = (contextLimit - 1) << UInt64(wordBits) | (vocabularyCount - 1)
            guard recordWordBits == wordBits, contextLimit < 1 << 32, keyBits == BinaryModel.bitWidth(maxKey + 1),
                  keyBits <= BinaryTable.maximumKeyBits, hasBackoff == (n < order),
                  slotBytes == BinaryTable.slotBytes(keyBits: keyBits, hasBackoff: hasBackoff),
                  homes >= 1, homes >= entries, slots > homes, slots > entries, slots < 1 << 32 else {
                throw corrupt("order-\(n) table geometry")
            }
            let tableOffset = reader.u64(r + 32), tableLength = reader.u64(r + 40)
            guard tableOffset % UInt64(BinaryModel.pageBytes) == 0, tableOffset >= UInt64(BinaryModel.headerBytes),
                  tableLength == slots * UInt64(slotBytes) + 16, tableLength <= expectedSize,
                  tableOffset <= expectedSize - tableLength else { throw corrupt("order-\(n) table out of the file") }
            records.append((Int(entries), Int(homes), Int(slots), Int(tableOffset), wordBits, keyBits, slotBytes, entries != ngrams))
            contextLimit = slots
        }
        var provenance = ModelProvenance()
        switch reader.u32(60) {
        case 0: break
        case 1:
            provenance.smoothing = .kneserNey
            provenance.discounts = discounts
        case 2:
            let alpha = reader.f64(64)
            guard alpha > 0 && alpha <= 1 else { throw corrupt("Stupid Backoff alpha \(alpha)") }
            provenance.smoothing = .stupidBackoff
            provenance.alpha = alpha
        case 3...8:
            provenance.smoothing = [.katz, .wittenBell, .wittenBellBackoff, .absoluteDiscounting, .originalKneserNey, .additive][Int(reader.u32(60)) - 3]
        default: throw corrupt("smoothing \(reader.u32(60))")
        }
        guard let tokenizer = BinaryModel.tokenizer(reader.u8(176), reader.u8(177), reader.u8(178)) else {
            throw corrupt("tokenizer \(reader.u8(176)) \(reader.u8(177)) \(reader.u8(178))")
        }
        provenance.tokenizer = tokenizer

        // Map it; from here on no byte is read before it is needed.
        guard let mapped = mmap(nil, size, PROT_READ, MAP_PRIVATE, fd, 0), mapped != MAP_FAILED else {
            throw NGramKitError.cannotOpen(path: path, reason: "mmap: " + Platform.lastError())
        }
        // Where the page cache holds the file in 2 MiB folios (as `BinaryModelWriter` writes
        // it), the kernel maps them with 2 MB pages; the advice also asks it to read the file
        // from disk in such folios.
        _ = madvise(mapped, size, 14 /* MADV_HUGEPAGE */)
        let raw = UnsafeRawPointer(mapped)
        owner = MappingOwner(base: mapped, bytes: size)
        base = raw
        fileBytes = size
        self.order = order
        ngramCounts = counts
        self.entryCounts = entryCounts
        self.provenance = provenance
        unigramValues = (raw + unigramSection.offset).assumingMemoryBound(to: Float.self)
        unigramContext = (raw + contextSection.offset).assumingMemoryBound(to: UInt8.self)
        let offsets = (raw + offsetsSection.offset).assumingMemoryBound(to: Int.self)
        let index = (raw + indexSection.offset).assumingMemoryBound(to: Vocabulary.Slot.self)
        // Everything a lookup follows, checked before any lookup: O(V), the vocabulary's size.
        if let problem = BinaryModel.vocabularyProblem(offsets: offsets, words: v, arenaBytes: wordsSection.length,
                                                       index: index, capacity: Int(indexCapacity)) {
            throw BinaryModel.fail(path, "corrupt binary model: its vocabulary is damaged (\(problem)); \(fix)")
        }
        tables = records.map { r in
            BinaryTable(base: raw + r.offset, slotBytes: r.slotBytes, slots: r.slots, homes: r.homes,
                        wordBits: r.wordBits, keyBits: r.keyBits, hasBlanks: r.hasBlanks)
        }
        successors = try BinaryModel.successorIndex(reader: reader, base: raw, fileBytes: size, order: order, words: v,
                                                    tableSlots: records.map(\.slots), owner: owner, path: path, corrupt: corrupt)
        vocabulary = Vocabulary(arena: (raw + wordsSection.offset).assumingMemoryBound(to: UInt8.self), arenaCount: wordsSection.length,
                                offsets: offsets, wordCount: v,
                                slots: index,
                                capacity: Int(indexCapacity), owner: owner)
    }

    /// The successor index whose directory the header points to (offset 184, length 192; see
    /// `BinaryModelWriter.writeSuccessors`), or nil when the file has none. Its sections are
    /// checked to lie inside the file with the lengths the counts give (constant time per order);
    /// offsets and word ids are checked at use (`SuccessorIndex.successors`).
    static func successorIndex(reader: HeaderReader, base: UnsafeRawPointer, fileBytes: Int, order: Int, words: Int,
                               tableSlots: [Int], owner: MappingOwner, path: String,
                               corrupt: (String) -> NGramKitError) throws -> SuccessorIndex? {
        let offset = reader.u64(184), length = reader.u64(192)
        if offset == 0 && length == 0 { return nil }
        let file = UInt64(fileBytes)
        func inside(_ offset: UInt64, _ length: UInt64) -> Bool {
            offset % UInt64(pageBytes) == 0 && offset >= UInt64(headerBytes) && length <= file && offset <= file - length
        }
        guard length == UInt64(16 * (2 * order - 1)), inside(offset, length) else { throw corrupt("successor index directory") }
        let directory = HeaderReader(pointer: base + Int(offset))
        func section(_ k: Int, _ expected: Int?, multipleOf unit: Int) throws -> (UnsafeRawPointer, Int) {
            let start = directory.u64(16 * k), bytes = directory.u64(16 * k + 8)
            guard inside(start, bytes), bytes % UInt64(unit) == 0, expected.map({ UInt64($0) == bytes }) ?? true else {
                throw corrupt("successor index section \(k)")
            }
            return (base + Int(start), Int(bytes))
        }
        let ranking = try section(0, words * 4, multipleOf: 4)
        var levels: [SuccessorIndex.Level] = []
        for n in stride(from: 2, through: order, by: 1) {
            let contexts = n == 2 ? words : tableSlots[n - 3]
            let offsets = try section(2 * n - 3, (contexts + 1) * 4, multipleOf: 4)
            let records = try section(2 * n - 2, nil, multipleOf: 8)
            levels.append(SuccessorIndex.Level(offsets: offsets.0.assumingMemoryBound(to: UInt32.self), contexts: contexts,
                                               records: records.0.assumingMemoryBound(to: UInt64.self), recordCount: records.1 / 8))
        }
        return SuccessorIndex(ranking: ranking.0.assumingMemoryBound(to: UInt32.self), words: words, levels: levels,
                              owner: owner, path: path)
    }

    /// What is wrong with a mapped vocabulary, or nil (see the type's comment for what is checked).
    /// - Parameters:
    ///   - offsets: `words + 1` offsets; `arenaBytes` the length of the word bytes; `index`,
    ///     `capacity` the word index (`capacity` a power of two above `words`, checked by the caller).
    static func vocabularyProblem(offsets: UnsafePointer<Int>, words: Int, arenaBytes: Int,
                                  index: UnsafePointer<Vocabulary.Slot>, capacity: Int) -> String? {
        guard offsets[0] == 0, offsets[words] == arenaBytes else { return "word offsets (first or last)" }
        for id in 0..<words where offsets[id + 1] < offsets[id] || offsets[id + 1] - offsets[id] > Int(UInt32.max) {
            return "word offsets (word \(id))"
        }
        // Every occupied slot names a word once, with that word's length.
        var seen = [Bool](repeating: false, count: words)
        var occupied = 0
        for slot in 0..<capacity where index[slot].idPlusOne != 0 {
            let id = Int(index[slot].idPlusOne) - 1
            guard id < words, !seen[id], Int(index[slot].length) == offsets[id + 1] - offsets[id] else {
                return "word index (slot \(slot))"
            }
            seen[id] = true
            occupied += 1
        }
        guard occupied == words, occupied < capacity else { return "word index (\(occupied) of \(capacity) slots for \(words) words)" }
        return nil
    }

    /// Recomputes the payload checksum (reads the whole file, on all cores) and compares it with
    /// the header's.
    /// - Throws: `NGramKitError.malformedModel` when they differ (the file is corrupt).
    public func verifyChecksum() throws {
        let computed = BinaryModel.payloadChecksum(UnsafeRawPointer(base) + BinaryModel.headerBytes,
                                                   count: fileBytes - BinaryModel.headerBytes)
        let stored = HeaderReader(pointer: base).u64(40)
        guard computed == stored else {
            throw BinaryModel.fail(path, "corrupt binary model: the payload checksum does not match the header's (\(String(computed, radix: 16)) vs \(String(stored, radix: 16))); \(BinaryModel.rebuild(path))")
        }
    }

    /// The payload checksum of `count` bytes at `start` (see the type's comment).
    static func payloadChecksum(_ start: UnsafeRawPointer, count: Int) -> UInt64 {
        let chunks = (count + checksumChunkBytes - 1) / checksumChunkBytes
        let hashes = UnsafeMutablePointer<UInt64>.allocate(capacity: max(chunks, 1))
        defer { hashes.deallocate() }
        let shared = UncheckedSendable((start, hashes))
        DispatchQueue.concurrentPerform(iterations: chunks) { i in
            let (start, hashes) = shared.value
            let offset = i * checksumChunkBytes
            let bytes = UnsafeBufferPointer(start: (start + offset).assumingMemoryBound(to: UInt8.self),
                                            count: min(checksumChunkBytes, count - offset))
            hashes[i] = Hashing.hash(bytes: bytes)
        }
        return combine(UnsafeBufferPointer(start: hashes, count: chunks))
    }

    /// The checksum of a list of chunk hashes.
    static func combine(_ hashes: UnsafeBufferPointer<UInt64>) -> UInt64 {
        Hashing.hash(bytes: UnsafeBufferPointer(start: UnsafeRawPointer(hashes.baseAddress!).assumingMemoryBound(to: UInt8.self),
                                                count: hashes.count * 8))
    }

    /// The header checksum of a 4096-byte header: its hash with the checksum field (48..<56) zeroed.
    /// - Parameter header: writable, as the field is zeroed while hashing and then restored.
    static func headerChecksum(_ header: UnsafeMutableRawPointer) -> UInt64 {
        let saved = header.loadUnaligned(fromByteOffset: 48, as: UInt64.self)
        header.storeBytes(of: 0, toByteOffset: 48, as: UInt64.self)
        defer { header.storeBytes(of: saved, toByteOffset: 48, as: UInt64.self) }
        return Hashing.hash(bytes: UnsafeBufferPointer(start: header.assumingMemoryBound(to: UInt8.self), count: headerBytes))
    }

    /// Bits needed to write `value` (at least 1).
    static func bitWidth(_ value: UInt64) -> Int { max(1, 64 - value.leadingZeroBitCount) }
}

/// Keeps a file mapping alive; unmaps it when the last holder lets go.
/// Invariant: `base` maps `bytes` bytes until deinit.
final class MappingOwner: @unchecked Sendable {
    let base: UnsafeMutableRawPointer
    let bytes: Int
    init(base: UnsafeMutableRawPointer, bytes: Int) {
        self.base = base
        self.bytes = bytes
    }
    deinit { munmap(base, bytes) }
}

/// Little-endian fields of a header at `pointer` (valid while the reader is used).
struct HeaderReader {
    let pointer: UnsafeRawPointer
    func u8(_ offset: Int) -> UInt8 { pointer.load(fromByteOffset: offset, as: UInt8.self) }
    func u32(_ offset: Int) -> UInt32 { UInt32(littleEndian: pointer.loadUnaligned(fromByteOffset: offset, as: UInt32.self)) }
    func u64(_ offset: Int) -> UInt64 { UInt64(littleEndian: pointer.loadUnaligned(fromByteOffset: offset, as: UInt64.self)) }
    func f32(_ offset: Int) -> Float { Float(bitPattern: u32(offset)) }
    func f64(_ offset: Int) -> Double { Double(bitPattern: u64(offset)) }
}
