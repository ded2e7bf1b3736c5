/// The binary model of a build that spilled past its memory budget: the same bytes as
/// `BinaryModelWriter.write` of the same model in memory, written from the n-grams of each order
/// as they come out of the merge, in canonical order, with memory bounded by the budget.
///
/// In:  per order, every n-gram in canonical order with its log10 probability and backoff and
///      whether it is a context (`add`); the merged runs of the order below, read again to find
///      each n-gram's context.
/// Out: the file: the sections before the tables (`BinaryModelWriter.writePrefix`), each order's
///      table, and the header (`BinaryModelWriter.finish`).
///
/// How, per order n: each n-gram's key needs its context's slot in the table of order n-1. The
/// contexts come in canonical order too, so the order below's n-grams are read again alongside
/// (counting them gives the context's canonical index) and the order below's slots, kept as runs
/// sorted by canonical index, are read alongside as well. Each n-gram's code then goes, with its
/// values and canonical index, into a chunk that is sorted by code (radix sort) and written as a
/// run; the merge of those runs gives the entries in code order, which is table order: each slot
/// at its home or right after the one before, written front to back (zeros between). The slot of
/// each entry goes, with its canonical index, into runs sorted by index for the order above.
final class SpilledBinaryWriter {
    private let file: ChecksummedFileWriter
    private let order: Int
    private let vocabularySize: Int
    private let wordBits: Int
    private let space: TemporarySpace
    private let chunkRecords: Int
    /// Bytes the buffers of each merge's readers may take in all.
    private let mergeShare: Int
    private let threads: Int
    private let ngramCounts: [Int]
    private let provenance: ModelProvenance
    private var prefix: BinaryModelWriter.Prefix?
    private var tables: [BinaryModelWriter.TableRecord] = []

    // The order being added.
    private var n = 0
    private var keyBits = 0
    private var slotBytes = 0
    private var canonical = 0
    /// Slots of the order below (the vocabulary size below bigrams): the keys' context range.
    private var contextLimit: UInt64 = 0
    /// The order below's n-grams in canonical order, and how many have been passed.
    private var below: SortedRunMerge?
    private var belowRun: Int?
    private var belowIndex = -1
    private var skipBelow: ((TemporaryFileReader) throws -> Void)?
    /// The order below's slots by canonical index, and the current one.
    private var belowSlots: RunMerge<KeyedRunReader>?
    private var belowSlot: (index: UInt64, slot: UInt32)?
    /// This order's slots by canonical index, for the order above.
    private var slotRuns: [KeyedRun] = []
    private var previousSlotRuns: [KeyedRun] = []
    /// The chunk of entries waiting to be sorted by code, and the runs sorted so far.
    private var codes: [UInt64] = [], entries: [UInt32] = [], indexes: [UInt32] = []
    private var probabilities: [Float] = [], backoffs: [Float] = [], flags: [UInt8] = []
    private var codeRuns: [KeyedRun] = []

    init(output: OutputFile, order: Int, vocabularySize: Int, ngramCounts: [Int], provenance: ModelProvenance,
         space: TemporarySpace, budget: MemoryBudget, threads: Int) throws {
        guard order <= BinaryModel.maximumOrder else {
            throw NGramKitError.capacityExceeded(what: "order \(order)", limit: "order \(BinaryModel.maximumOrder) in the binary format")
        }
        file = ChecksummedFileWriter(file: output)
        self.order = order
        self.vocabularySize = vocabularySize
        wordBits = BinaryModel.bitWidth(UInt64(vocabularySize - 1))
        self.space = space
        // A chunk entry takes about 40 bytes with the sort's scratch; a quarter of the budget.
        chunkRecords = max(1 << 14, budget.bytes / 4 / 40)
        mergeShare = budget.bytes / 16
        self.threads = threads
        self.ngramCounts = ngramCounts
        self.provenance = provenance
        contextLimit = UInt64(vocabularySize)
    }

    /// Writes the sections before the tables.
    func begin(vocabulary: Vocabulary, unigramLogProb: LargeBuffer<Double>, unigramLogBackoff: LargeBuffer<Double>,
               unigramFlags: LargeBuffer<UInt8>) throws {
        let hasBackoff = order > 1
        prefix = try BinaryModelWriter.writePrefix(vocabulary: vocabulary, to: file, unigram: { id in
            (BinaryModelWriter.stored(unigramLogProb[id]), hasBackoff ? Float(unigramLogBackoff[id]) : 0)
        }, flag: { id in hasBackoff ? unigramFlags[id] : 0 })
    }

    /// Starts order `n` (2...N); `belowRuns` are the order below's merged runs (nil for bigrams),
    /// whose records' payloads `skipBelow` passes over (nil: one `Double`, read inline, as the
    /// build's runs hold).
    func beginOrder(_ n: Int, belowRuns: [SortedRunReader]?,
                    skipBelow: ((TemporaryFileReader) throws -> Void)? = nil) throws {
        self.n = n
        self.skipBelow = skipBelow
        let maxKey = (contextLimit - 1) << UInt64(wordBits) | UInt64(vocabularySize - 1)
        keyBits = BinaryModel.bitWidth(maxKey + 1)
        guard contextLimit < 1 << 32, keyBits <= BinaryTable.maximumKeyBits else {
            throw NGramKitError.capacityExceeded(what: "an order-\(n) key of the binary format (\(keyBits) bits)", limit: "\(BinaryTable.maximumKeyBits) bits")
        }
        slotBytes = BinaryTable.slotBytes(keyBits: keyBits, hasBackoff: n < order)
        canonical = 0
        below = try belowRuns.map { try SortedRunMerge($0) }
        belowRun = nil
        belowIndex = -1
        let slotBuffer = MemoryBudget.readerBufferBytes(runs: previousSlotRuns.count, share: mergeShare)
        belowSlots = n >= 3 ? try RunMerge(previousSlotRuns.map { try $0.reader(bufferBytes: slotBuffer) }) : nil
        belowSlot = nil
        codeRuns = []
    }

    /// The slot of the context of `ids` (its first n-1 words) in the order below.
    private func contextSlot(_ ids: UnsafePointer<UInt32>) throws -> UInt64 {
        if n == 2 { return UInt64(ids[0]) }
        // The order below's n-grams, passed until the context (they come in the same order).
        while belowRun == nil || !below!.readers[belowRun!].holds(ids) {
            if let run = belowRun {
                if let skipBelow { try skipBelow(below!.readers[run].payload) } else { _ = try below!.readers[run].payload.double() }
            }
            guard let run = try below!.next() else { throw SpilledBinaryWriter.internalError("a context is missing") }
            belowRun = run
            belowIndex += 1
        }
        // Its slot, from the order below's slots by canonical index.
        while belowSlot == nil || belowSlot!.index < UInt64(belowIndex) {
            guard let run = try belowSlots!.next() else { throw SpilledBinaryWriter.internalError("a context has no slot") }
            let reader = belowSlots!.readers[run]
            belowSlot = (reader.key, UInt32(truncatingIfNeeded: try reader.payload.varint()))
        }
        return UInt64(belowSlot!.slot)
    }

    /// Adds the next n-gram of the order, in canonical order.
    func add(_ ids: UnsafePointer<UInt32>, logProb: Double, logBackoff: Double, isContext: Bool) throws {
        let key = try contextSlot(ids) << UInt64(wordBits) | UInt64(ids[n - 1])
        codes.append(BinaryTable.code(key, bits: keyBits))
        entries.append(UInt32(entries.count))
        indexes.append(UInt32(truncatingIfNeeded: canonical))
        probabilities.append(BinaryModelWriter.stored(logProb))
        if n < order {
            backoffs.append(Float(logBackoff))
            flags.append(isContext ? 1 : 0)
        }
        canonical += 1
        if codes.count >= chunkRecords { try sortChunk() }
    }

    /// Sorts the chunk by code and writes it as a run.
    private func sortChunk() throws {
        guard !codes.isEmpty else { return }
        ParallelRadixSort.sort(keys: &codes, values: &entries, significantBits: keyBits, threads: threads)
        let run = try KeyedRunWriter(writer: RecordWriter(file: try space.makeFile()))
        let writer = run.writer
        for (k, code) in codes.enumerated() {
            let e = Int(entries[k])
            try run.append(key: code)
            try writer.varint(UInt64(indexes[e]))
            try writer.fixed(probabilities[e].bitPattern)
            if n < order {
                try writer.fixed(backoffs[e].bitPattern)
                try writer.fixed(flags[e])
            }
        }
        codeRuns.append(try run.finish())
        codes.removeAll(keepingCapacity: true)
        entries.removeAll(keepingCapacity: true)
        indexes.removeAll(keepingCapacity: true)
        probabilities.removeAll(keepingCapacity: true)
        backoffs.removeAll(keepingCapacity: true)
        flags.removeAll(keepingCapacity: true)
    }

    /// Writes the order's table from its entries in code order.
    func endOrder() throws {
        try sortChunk()
        below = nil
        belowSlots = nil
        let count = canonical
        let homes = max(Int((Double(count) / BinaryModelWriter.loadFactor).rounded(.up)), 1)
        let hasBackoff = n < order
        try file.alignToPage()
        let tableOffset = file.position
        let codeBuffer = MemoryBudget.readerBufferBytes(runs: codeRuns.count, share: mergeShare)
        var merge = try RunMerge(codeRuns.map { try $0.reader(bufferBytes: codeBuffer) })
        var last = -1
        var written = 0
        let slot = UnsafeMutableRawPointer.allocate(byteCount: slotBytes, alignment: 8)
        defer { slot.deallocate() }
        var assembler = SlotAssembler(keyBits: keyBits, slotBytes: slotBytes)
        // This order's slots by canonical index, sorted in chunks.
        var pending: [UInt64] = [], pendingSlots: [UInt32] = []
        slotRuns = []
        func sortSlots() throws {
            guard !pending.isEmpty else { return }
            RadixSort.sort(keys: &pending, values: &pendingSlots, significantBits: BinaryModel.bitWidth(UInt64(max(count, 1))))
            let run = try KeyedRunWriter(writer: RecordWriter(file: try space.makeFile()))
            for (k, index) in pending.enumerated() {
                try run.append(key: index)
                try run.writer.varint(UInt64(pendingSlots[k]))
            }
            slotRuns.append(try run.finish())
            pending.removeAll(keepingCapacity: true)
            pendingSlots.removeAll(keepingCapacity: true)
        }
        while let run = try merge.next() {
            let reader = merge.readers[run]
            let code = reader.key
            let index = try reader.payload.varint()
            let probability = Float(bitPattern: try reader.payload.fixed(UInt32.self))
            var backoff: Float? = nil, isContext = false
            if hasBackoff {
                backoff = Float(bitPattern: try reader.payload.fixed(UInt32.self))
                isContext = try reader.payload.fixed(UInt8.self) != 0
            }
            let position = max(last + 1, BinaryTable.home(code: code, bits: keyBits, homes: homes))
            last = position
            if position > written { try file.writeZeros((position - written) * slotBytes) }
            assembler.write(code: code, probability: probability, backoff: backoff, isContext: isContext, to: slot)
            try file.write(UnsafeRawBufferPointer(start: slot, count: slotBytes))
            written = position + 1
            if hasBackoff {
                pending.append(index)
                pendingSlots.append(UInt32(truncatingIfNeeded: position))
                if pending.count >= chunkRecords { try sortSlots() }
            }
        }
        try sortSlots()
        codeRuns = []
        let slots = max(homes, last + 1) + 1
        guard slots < 1 << 32 else {
            throw NGramKitError.capacityExceeded(what: "an order-\(n) table of \(slots) slots", limit: "2^32 slots")
        }
        try file.writeZeros((slots - written) * slotBytes + 16)
        tables.append(BinaryModelWriter.TableRecord(entries: count, homes: homes, slots: slots, offset: tableOffset,
                                                    length: slots * slotBytes + 16, wordBits: wordBits, keyBits: keyBits,
                                                    slotBytes: slotBytes))
        contextLimit = UInt64(slots)
        previousSlotRuns = slotRuns
        slotRuns = []
    }

    /// Writes the header and finishes the file (the caller commits the output).
    func finish(successors: Bool) throws -> BinaryModelWriter.Summary {
        previousSlotRuns = []
        return try BinaryModelWriter.finish(file, order: order, ngramCounts: ngramCounts, provenance: provenance,
                                            prefix: prefix!, tables: tables, successors: successors)
    }

    @inline(never)
    static func internalError(_ what: String) -> NGramKitError {
        .cannotWrite(path: "the binary model", reason: "\(what) while writing it past the memory budget (internal error; please report it)")
    }
}
