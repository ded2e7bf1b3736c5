#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import CNGramKitSupport
import Dispatch
import Foundation

/// Writes a model in memory (estimated, or read from ARPA) in NGramKit's binary format (see
/// `BinaryModel` for the layout).
///
/// In:  an `NGramModel` whose values are in memory (not itself a mapped binary model).
/// Out: the file at `path`, written under a temporary name in the same directory and renamed
///      when complete (no half-written file is ever left at `path`). Values are stored as
///      `Float`, the precision of ARPA files, so a model and its ARPA file give the same bytes.
///
/// How: one order at a time, lowest first. Each n-gram's key is made from the *new* slot of its
/// context (the order below, already placed), its code (`BinaryTable.code`) gives its home, and
/// a radix sort of the codes (homes grow with codes) gives the ordered linear-probing layout,
/// all on several threads (`buildTable`). The order's table is then written and freed; only the
/// map from the model's slots to the new ones is kept for the next order. Flat buffers
/// throughout, no allocation per n-gram.
public enum BinaryModelWriter {
    /// Entries per home slot: the tables have ceil(entries / loadFactor) homes. At 0.85 a lookup
    /// scans about three slots (at 0.9 about five, and scoring took 15 % longer), and the
    /// benchmark model takes 15.5 bytes per n-gram.
    package static let loadFactor = 0.85

    /// What was written.
    public struct Summary: Sendable {
        /// Bytes of the file.
        public let bytes: Int
        /// N-grams stored (blanks excluded).
        public let ngrams: Int
        /// Bytes of the n-gram sections: unigram values and context flags, and the tables of
        /// orders 2...N (without the page padding between sections).
        public let tableBytes: Int
        /// Bytes of the vocabulary sections: word bytes, word offsets and the word index.
        public let vocabularyBytes: Int
        /// Bytes of the successor index (0 without it; see `writeSuccessors`).
        public var successorBytes: Int = 0
        /// The whole file per n-gram (header, vocabulary and padding included).
        public var bytesPerNGram: Double { Double(bytes) / Double(max(ngrams, 1)) }
        /// The n-gram sections alone per n-gram: what grows with the model, beside a vocabulary
        /// that grows with the words and a constant header.
        public var tableBytesPerNGram: Double { Double(tableBytes) / Double(max(ngrams, 1)) }
    }

    /// Writes `model` to `path`.
    /// - Throws: `NGramKitError.cannotWrite` when the file cannot be written; `capacityExceeded`
    ///   for a model whose keys do not fit 61 bits or whose order exceeds the format's 60;
    ///   `invalidOption` when `model` is itself a mapped binary model.
    /// - Parameter threads: threads that lay out each table (the bytes are the same for any
    ///   number). Default: all cores.
    @discardableResult
    public static func write(_ model: NGramModel, to path: String, threads: Int = ThreadCount.all, successors: Bool = false) throws -> Summary {
        let output = try OutputFile(path: path, seekable: true)
        let summary = try write(model, into: output, threads: ThreadCount.usable(threads), successors: successors)
        try output.commit()
        return summary
    }

    /// Writes `model` into `output` (opened `seekable` by the job before it read any input),
    /// complete but not yet committed: the job commits its outputs once all are written.
    @discardableResult
    package static func write(_ model: NGramModel, into output: OutputFile, threads: Int, successors: Bool = false) throws -> Summary {
        // A mapped model is laid out again from a copy in memory.
        let model = try model.inMemory()
        let order = model.order
        guard order <= BinaryModel.maximumOrder else {
            throw NGramKitError.capacityExceeded(what: "order \(order)", limit: "order \(BinaryModel.maximumOrder) in the binary format")
        }
        let vocabulary = model.vocabulary
        let file = ChecksummedFileWriter(file: output)
        let unigramFlags = contextFlags(model, order: 1)
        let probs0 = model.logProb[0]
        let hasUnigramBackoff = order > 1 && model.logBackoff[0].count >= vocabulary.count
        let prefix = try writePrefix(vocabulary: vocabulary, to: file, unigram: { id in
            (stored(probs0[id]), hasUnigramBackoff ? Float(model.logBackoff[0][id]) : 0)
        }, flag: { id in unigramFlags.map { $0[id] } ?? 0 })

        // Orders 2...N.
        let wordBits = BinaryModel.bitWidth(UInt64(vocabulary.count - 1))
        // Order n + 1 is laid out on a second thread while order n is written (and checksummed):
        // each table depends only on the map of the one below, so the bytes are the same.
        var next: BackgroundTable? = nil
        if order >= 2 {
            next = BackgroundTable { try buildTable(model, order: 2, wordBits: wordBits, contextLimit: UInt64(vocabulary.count), lowerMap: nil, threads: threads) }
        }
        var tables: [TableRecord] = []
        for n in 2...max(order, 2) where n <= order {
            let built = try next!.result()
            next = nil
            if n < order {
                let map = built.map, limit = UInt64(built.slots)
                next = BackgroundTable { try buildTable(model, order: n + 1, wordBits: wordBits, contextLimit: limit, lowerMap: map, threads: threads) }
            }
            try file.alignToPage()
            let tableOffset = file.position
            try file.write(UnsafeRawBufferPointer(start: built.bytes.base, count: built.bytes.count))
            tables.append(TableRecord(entries: built.entries, homes: built.homes, slots: built.slots, offset: tableOffset,
                                      length: built.bytes.count, wordBits: wordBits, keyBits: built.keyBits, slotBytes: built.slotBytes))
        }
        return try finish(file, order: order, ngramCounts: model.ngramCounts, provenance: model.provenance, prefix: prefix, tables: tables,
                          successors: successors)
    }

    /// Where the sections before the tables went (`writePrefix`).
    struct Prefix {
        /// Unigram values, unigram context flags, word bytes, word offsets, word index.
        var sections: [(offset: Int, length: Int)]
        var wordIndexSlots: Int
        var vocabularySize: Int
    }

    /// What the header says of one order's table.
    struct TableRecord {
        var entries: Int, homes: Int, slots: Int, offset: Int, length: Int
        var wordBits: Int, keyBits: Int, slotBytes: Int
    }

    /// Writes the header's page (zeros, filled in by `finish`), the unigram sections and the
    /// vocabulary: what comes before the tables of orders 2...N.
    /// - Parameters:
    ///   - unigram: the stored log10 probability and backoff of a word id.
    ///   - flag: 1 when some stored bigram extends the word.
    static func writePrefix(vocabulary: Vocabulary, to file: ChecksummedFileWriter, unigram: (Int) -> (Float, Float),
                            flag: (Int) -> UInt8) throws -> Prefix {
        let v = vocabulary.count
        try file.writeZeros(BinaryModel.headerBytes)
        var sections: [(offset: Int, length: Int)] = []
        // Unigrams: values and context flags.
        try file.alignToPage()
        var offset = file.position
        try file.writeElements(count: v, bytesEach: 8) { id, out in
            let (p, b) = unigram(id)
            out.storeBytes(of: p.bitPattern.littleEndian, as: UInt32.self)
            out.storeBytes(of: b.bitPattern.littleEndian, toByteOffset: 4, as: UInt32.self)
        }
        sections.append((offset, v * 8))
        try file.alignToPage()
        offset = file.position
        try file.writeElements(count: v, bytesEach: 1) { id, out in out.storeBytes(of: flag(id), as: UInt8.self) }
        sections.append((offset, v))

        // Vocabulary: words, offsets, and a fresh index built from the words in id order.
        try file.alignToPage()
        offset = file.position
        var wordBytes = 0
        for id in 0..<v {
            let bytes = vocabulary.bytes(of: UInt32(id))
            try file.write(UnsafeRawBufferPointer(bytes))
            wordBytes += bytes.count
        }
        sections.append((offset, wordBytes))
        try file.alignToPage()
        offset = file.position
        var running = 0
        try file.write(integer: UInt64(0))
        for id in 0..<v {
            running += vocabulary.bytes(of: UInt32(id)).count
            try file.write(integer: UInt64(running))
        }
        sections.append((offset, (v + 1) * 8))
        try file.alignToPage()
        offset = file.position
        let index = wordIndex(vocabulary)
        try file.write(UnsafeRawBufferPointer(start: index.base, count: index.count * BinaryModel.wordIndexSlotBytes))
        sections.append((offset, index.count * BinaryModel.wordIndexSlotBytes))
        return Prefix(sections: sections, wordIndexSlots: index.count, vocabularySize: v)
    }

    /// Writes the header, last (sizes and checksums are known now), and finishes the file.
    /// - Parameter successors: whether to append the successor index first (see `writeSuccessors`).
    static func finish(_ file: ChecksummedFileWriter, order: Int, ngramCounts: [Int], provenance: ModelProvenance,
                       prefix: Prefix, tables: [TableRecord], successors: Bool) throws -> Summary {
        let indexStart = file.position
        let directory = successors ? try writeSuccessors(file, order: order, prefix: prefix, tables: tables) : nil
        let successorBytes = directory == nil ? 0 : file.position - indexStart
        let header = UnsafeMutableRawPointer.allocate(byteCount: BinaryModel.headerBytes, alignment: 8)
        header.initializeMemory(as: UInt8.self, repeating: 0, count: BinaryModel.headerBytes)
        defer { header.deallocate() }
        func put<T: FixedWidthInteger>(_ value: T, _ offset: Int) { header.storeBytes(of: value.littleEndian, toByteOffset: offset, as: T.self) }
        let v = prefix.vocabularySize
        for n in 1...order {
            let record = BinaryModel.orderRecordOffset + (n - 1) * BinaryModel.orderRecordBytes
            put(UInt64(ngramCounts[n - 1]), record)
            let discounts = provenance.discounts
            if provenance.smoothing == .kneserNey, n <= discounts.count {
                put(discounts[n - 1].d1.bitPattern, record + 52)
                put(discounts[n - 1].d2.bitPattern, record + 56)
                put(discounts[n - 1].d3.bitPattern, record + 60)
            }
            if n == 1 {
                put(UInt64(v), record + 8)
                continue
            }
            let table = tables[n - 2]
            put(UInt64(table.entries), record + 8)
            put(UInt64(table.homes), record + 16)
            put(UInt64(table.slots), record + 24)
            put(UInt64(table.offset), record + 32)
            put(UInt64(table.length), record + 40)
            put(UInt8(table.wordBits), record + 48)
            put(UInt8(table.keyBits), record + 49)
            put(UInt8(table.slotBytes), record + 50)
            put(UInt8(n < order ? 1 : 0), record + 51)
        }
        let fileBytes = file.position
        for (i, byte) in BinaryModel.magic.enumerated() { put(byte, i) }
        put(BinaryModel.formatVersion, 16)
        put(BinaryModel.byteOrderMark, 20)
        put(UInt64(BinaryModel.headerBytes), 24)
        put(UInt64(fileBytes), 32)
        put(try file.finishChecksum(), 40)
        put(UInt32(order), 56)
        let smoothing = provenance.smoothing == .stupidBackoff && provenance.alpha == nil ? nil : provenance.smoothing
        put(BinaryModel.smoothingCode(smoothing), 60)
        if smoothing == .stupidBackoff, let alpha = provenance.alpha { put(alpha.bitPattern, 64) }
        let (kind, lowercase, invalid) = BinaryModel.tokenizerBytes(provenance.tokenizer)
        put(kind, 176)
        put(lowercase, 177)
        put(invalid, 178)
        put(UInt64(v), 72)
        put(UInt64(prefix.wordIndexSlots), 80)
        for (k, section) in prefix.sections.enumerated() {
            put(UInt64(section.offset), 88 + 16 * k)
            put(UInt64(section.length), 96 + 16 * k)
        }
        put(loadFactor.bitPattern, 168)
        if let directory {
            put(UInt64(directory.offset), 184)
            put(UInt64(directory.length), 192)
        }
        put(BinaryModel.headerChecksum(header), 48)
        try file.finish(header: UnsafeRawBufferPointer(start: header, count: BinaryModel.headerBytes))
        let sections = prefix.sections
        var summary = Summary(bytes: fileBytes, ngrams: ngramCounts.reduce(0, +),
                       tableBytes: sections[0].length + sections[1].length + tables.reduce(0) { $0 + $1.length },
                       vocabularyBytes: sections[2...4].reduce(0) { $0 + $1.length })
        summary.successorBytes = successorBytes
        return summary
    }

    /// A log10 probability as the file stores it: a `Float`, with probability zero (−infinity,
    /// which only a model in memory holds) as -99, as the ARPA file of the same model writes it,
    /// so that `build --binary` and `compile` of the ARPA file give the same bytes.
    @inline(__always)
    static func stored(_ log10Prob: Double) -> Float {
        log10Prob == -.infinity ? -99 : Float(log10Prob)
    }

    /// For the entries of order `n` (by word id for n = 1, by the model's slot otherwise), 1 when
    /// some stored (n+1)-gram that is not a blank extends it; nil for the highest order.
    static func contextFlags(_ model: NGramModel, order n: Int) -> LargeBuffer<UInt8>? {
        guard n < model.order else { return nil }
        if n - 1 < model.contextFlags.count { return model.contextFlags[n - 1] }
        return NGramModel.contextFlags(order: n, tables: model.tables, logProb: model.logProb, filled: model.filled)
    }

    /// `Vocabulary`'s index over the words in id order: capacity the least power of two that
    /// keeps the load at most 3/4 (at least 16), each word on the linear probe from its home,
    /// occurrence counts 0. Depends only on the words, never on how the vocabulary grew.
    static func wordIndex(_ vocabulary: Vocabulary) -> LargeBuffer<Vocabulary.Slot> {
        let v = vocabulary.count
        var capacity = 16
        while capacity * 3 < v * 4 || capacity <= v { capacity *= 2 }
        let slots = LargeBuffer<Vocabulary.Slot>(zeroedCount: capacity)
        let mask = capacity - 1
        for id in 0..<v {
            let bytes = vocabulary.bytes(of: UInt32(id))
            let tag = Vocabulary.tag(bytes)
            var index = Int(truncatingIfNeeded: tag.hash >> 20) & mask
            while slots[index].idPlusOne != 0 { index = (index + 1) & mask }
            slots[index] = Vocabulary.Slot(tag: tag.low, tag2: tag.high, idPlusOne: UInt32(id + 1),
                                           length: UInt32(bytes.count), count: 0)
        }
        return slots
    }

    struct BuiltTable {
        let bytes: LargeBuffer<UInt8>
        let entries: Int
        let homes: Int
        let slots: Int
        let keyBits: Int
        let slotBytes: Int
        /// The model's slot → the new slot (nil for the highest order).
        let map: LargeBuffer<UInt32>?
    }

    /// Lays out order `n` (see the type's comment) on `threads` threads; the bytes are the same
    /// for any number.
    ///
    /// Steps: (1) the model's slots are cut into one contiguous piece per thread; each counts its
    /// entries, so entry numbers follow the model's slots whatever the cut, and computes its
    /// entries' codes (their contexts' new slots come from `lowerMap`). (2) A radix sort of the
    /// codes gives the table order (homes grow with codes). (3) Positions follow
    /// p_k = max(p_{k-1} + 1, home_k) along the sorted entries; a piece of them, entered with
    /// p = c, leaves with max(c + its length, its own last p when entered from −∞), so one short
    /// sequential step gives every piece its entry value and the pieces run at once. (4) Slots are
    /// filled per piece of the model's slots; each is assembled apart and copied in exactly, as
    /// neighbouring slots may belong to other threads.
    static func buildTable(_ model: NGramModel, order n: Int, wordBits: Int, contextLimit: UInt64,
                           lowerMap: LargeBuffer<UInt32>?, threads: Int) throws -> BuiltTable {
        let source = model.tables[n - 2]
        let probs = model.logProb[n - 1]
        let hasBackoff = n < model.order
        let backoffs = model.logBackoff[n - 1]
        let flags = contextFlags(model, order: n)
        let v = UInt64(model.vocabulary.count)
        let maxKey = (contextLimit - 1) << UInt64(wordBits) | (v - 1)
        let keyBits = BinaryModel.bitWidth(maxKey + 1)
        guard contextLimit < 1 << 32, keyBits <= BinaryTable.maximumKeyBits else {
            throw NGramKitError.capacityExceeded(what: "an order-\(n) key of the binary format (\(keyBits) bits)", limit: "\(BinaryTable.maximumKeyBits) bits")
        }
        let slotBytes = BinaryTable.slotBytes(keyBits: keyBits, hasBackoff: hasBackoff)
        let capacity = source.capacity
        let pieces = capacity < 1 << 16 ? 1 : max(1, threads)
        let pieceSize = (capacity + pieces - 1) / pieces
        func inParallel(_ body: @Sendable (Int) -> Void) {
            if pieces == 1 { body(0) } else { DispatchQueue.concurrentPerform(iterations: pieces, execute: body) }
        }
        // The loops below read and write at random (the lower map, positions, slots): each
        // starts loading what it needs `ahead` iterations before it needs it.
        let ahead = 16
        let shared = UncheckedSendable((source, lowerMap))

        // (1) Entries per piece of the model's slots, then every entry's code.
        let firstEntry = UnsafeMutablePointer<Int>.allocate(capacity: pieces + 1)
        defer { firstEntry.deallocate() }
        firstEntry.initialize(repeating: 0, count: pieces + 1)
        let first = UncheckedSendable(firstEntry)
        inParallel { p in
            let (source, _) = shared.value
            var count = 0
            for slot in (p * pieceSize)..<min(capacity, (p + 1) * pieceSize) where source.isOccupied(slot) { count += 1 }
            first.value[p + 1] = count
        }
        for p in 0..<pieces { firstEntry[p + 1] += firstEntry[p] }
        let entries = firstEntry[pieces]
        let homes = max(Int((Double(entries) / loadFactor).rounded(.up)), 1)
        var sortedCode = [UInt64](repeating: 0, count: entries)
        var sortedEntry = [UInt32](repeating: 0, count: entries)
        let codes = LargeBuffer<UInt64>(zeroedCount: entries)
        sortedCode.withUnsafeMutableBufferPointer { sortedCode in
            sortedEntry.withUnsafeMutableBufferPointer { sortedEntry in
                let out = UncheckedSendable((codes.base, sortedCode.baseAddress!, sortedEntry.baseAddress!))
                inParallel { p in
                    let (source, lowerMap) = shared.value
                    let (codes, sortedCode, sortedEntry) = out.value
                    var e = first.value[p]
                    let end = min(capacity, (p + 1) * pieceSize)
                    for slot in (p * pieceSize)..<end where source.isOccupied(slot) {
                        if let lowerMap, slot + ahead < end, source.isOccupied(slot + ahead) {
                            ngk_prefetch_read(lowerMap.base + Int(source.context(ofSlot: slot + ahead)))
                        }
                        let context = source.context(ofSlot: slot)
                        let newContext = lowerMap.map { UInt64($0[Int(context)]) } ?? UInt64(context)
                        let code = BinaryTable.code(newContext << UInt64(wordBits) | UInt64(source.word(ofSlot: slot)), bits: keyBits)
                        codes[e] = code
                        sortedCode[e] = code
                        sortedEntry[e] = UInt32(e)
                        e += 1
                    }
                }
            }
        }

        // (2) Table order: codes are distinct, so the order does not depend on the sort.
        ParallelRadixSort.sort(keys: &sortedCode, values: &sortedEntry, significantBits: keyBits, threads: pieces)

        // (3) Positions: each entry at its home or right after its predecessor.
        let position = LargeBuffer<UInt32>(zeroedCount: entries)
        let chunk = (entries + pieces - 1) / max(pieces, 1)
        let lastFromNothing = UnsafeMutablePointer<Int>.allocate(capacity: pieces)
        let entering = UnsafeMutablePointer<Int>.allocate(capacity: pieces + 1)
        defer { lastFromNothing.deallocate(); entering.deallocate() }
        let slotsNeeded: Int = sortedCode.withUnsafeBufferPointer { sortedCode in
            sortedEntry.withUnsafeBufferPointer { sortedEntry in
                let sorted = UncheckedSendable((sortedCode.baseAddress, sortedEntry.baseAddress))
                let scratch = UncheckedSendable((lastFromNothing, entering, position.base))
                inParallel { p in
                    guard let codes = sorted.value.0 else { return }
                    var last = Int.min / 2
                    for k in (p * chunk)..<min(entries, (p + 1) * chunk) {
                        last = max(last + 1, BinaryTable.home(code: codes[k], bits: keyBits, homes: homes))
                    }
                    scratch.value.0[p] = last
                }
                entering[0] = -1
                for p in 0..<pieces {
                    let length = max(0, min(entries, (p + 1) * chunk) - p * chunk)
                    entering[p + 1] = length == 0 ? entering[p] : max(entering[p] + length, lastFromNothing[p])
                }
                inParallel { p in
                    guard let codes = sorted.value.0, let order = sorted.value.1 else { return }
                    let position = scratch.value.2
                    var last = scratch.value.1[p]
                    let end = min(entries, (p + 1) * chunk)
                    var k = p * chunk
                    while k < end {
                        if k + ahead < end { ngk_prefetch_write(position + Int(order[k + ahead])) }
                        last = max(last + 1, BinaryTable.home(code: codes[k], bits: keyBits, homes: homes))
                        position[Int(order[k])] = UInt32(truncatingIfNeeded: last)
                        k += 1
                    }
                }
                return entering[pieces] + 1
            }
        }
        let slots = max(homes, slotsNeeded) + 1
        guard slots < 1 << 32 else {
            throw NGramKitError.capacityExceeded(what: "an order-\(n) table of \(slots) slots", limit: "2^32 slots")
        }

        // (4) The slots, per piece of the model's slots (its values are read front to back).
        let bytes = LargeBuffer<UInt8>(zeroedCount: slots * slotBytes + 16, populatingThreads: pieces)
        let map = hasBackoff ? LargeBuffer<UInt32>(zeroedCount: capacity) : nil
        let targets = UncheckedSendable((UnsafeMutableRawPointer(bytes.base), map?.base, flags?.base, probs.base, backoffs.base, codes.base, position.base))
        inParallel { p in
            let (source, _) = shared.value
            let (out, map, flags, probs, backoffs, codes, position) = targets.value
            var assembler = SlotAssembler(keyBits: keyBits, slotBytes: slotBytes)
            var e = first.value[p]
            let lastEntry = first.value[p + 1]
            for from in (p * pieceSize)..<min(capacity, (p + 1) * pieceSize) where source.isOccupied(from) {
                if e + ahead < lastEntry { ngk_prefetch_write(out + Int(position[e + ahead]) &* slotBytes) }
                let slot = Int(position[e])
                if hasBackoff { map![from] = UInt32(slot) }
                assembler.write(code: codes[e], probability: BinaryModelWriter.stored(probs[from]),
                                backoff: hasBackoff ? Float(backoffs[from]) : nil, isContext: hasBackoff && flags![from] != 0,
                                to: out + slot &* slotBytes)
                e += 1
            }
        }
        return BuiltTable(bytes: bytes, entries: entries, homes: homes, slots: slots, keyBits: keyBits,
                          slotBytes: slotBytes, map: map)
    }
}

/// One slot's bits (code, probability, and for orders below N backoff and context flag; see
/// `BinaryModel`), assembled in a local buffer and copied in exactly: neighbouring slots may be
/// another thread's, and `orBits` writes 8 bytes at a time, past the slot's end.
struct SlotAssembler {
    let keyBits: Int
    let slotBytes: Int
    private var local: (UInt64, UInt64, UInt64) = (0, 0, 0)

    init(keyBits: Int, slotBytes: Int) {
        self.keyBits = keyBits
        self.slotBytes = slotBytes
    }

    @inline(__always)
    mutating func write(code: UInt64, probability: Float, backoff: Float?, isContext: Bool, to target: UnsafeMutableRawPointer) {
        let keyBits = self.keyBits, slotBytes = self.slotBytes
        local = (0, 0, 0)
        withUnsafeMutableBytes(of: &local) { local in
            let local = local.baseAddress!
            @inline(__always) func orBits(_ value: UInt64, at bit: Int) {
                let byte = bit >> 3
                let old = local.loadUnaligned(fromByteOffset: byte, as: UInt64.self)
                local.storeBytes(of: old | value << UInt64(bit & 7), toByteOffset: byte, as: UInt64.self)
            }
            orBits(code, at: 0)
            orBits(UInt64(probability.bitPattern), at: keyBits)
            if let backoff {
                orBits(UInt64(backoff.bitPattern), at: keyBits + 32)
                if isContext { orBits(1, at: keyBits + 64) }
            }
            target.copyMemory(from: local, byteCount: slotBytes)
        }
    }
}

/// `BinaryModelWriter.buildTable` running on its own thread; `result()` waits for it.
private final class BackgroundTable: @unchecked Sendable {
    private var outcome: Result<BinaryModelWriter.BuiltTable, Error>? = nil
    private var thread: pthread_t? = nil
    private let work: () throws -> BinaryModelWriter.BuiltTable

    init(_ work: @escaping () throws -> BinaryModelWriter.BuiltTable) {
        self.work = work
        let box = Unmanaged.passRetained(self).toOpaque()
        var handle = pthread_t()
        if pthread_create(&handle, nil, { raw in
            let me = Unmanaged<BackgroundTable>.fromOpaque(raw!).takeRetainedValue()
            me.outcome = Result { try me.work() }
            return nil
        }, box) == 0 {
            thread = handle
        } else {
            Unmanaged<BackgroundTable>.fromOpaque(box).release()
            outcome = Result { try work() }
        }
    }

    func result() throws -> BinaryModelWriter.BuiltTable {
        if let thread { pthread_join(thread, nil) }
        thread = nil
        return try outcome!.get()
    }

    deinit {
        // The last reference may be the thread's own (a result never asked for, after an error).
        if let thread {
            if pthread_equal(thread, pthread_self()) != 0 { pthread_detach(thread) } else { pthread_join(thread, nil) }
        }
    }
}
