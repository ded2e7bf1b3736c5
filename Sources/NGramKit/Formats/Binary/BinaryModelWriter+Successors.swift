/// The binary format's successor index (`SuccessorIndex`), written after the tables.
///
/// In:  a binary model's file being written, its prefix and every table already handed over.
/// Out: the ranking, then per order n = 2...N its offsets and records, each section on a page of
///      its own, and a directory section that the header points to (offset 184, length 192):
///      UInt64 pairs (offset, length) for the ranking and then, per order, the offsets and the
///      records. A model without the index has zeros there (and older readers ignore them).
///
/// How: the tables are read back from the file a piece at a time (`ChecksummedFileWriter
/// .readBack`), so every writer (in memory, past the budget, `compile`) gets the same index from
/// the same bytes. Memory: one order's offsets (4 bytes per context entry) and records (8 bytes
/// per n-gram) at a time.
extension BinaryModelWriter {
    /// Slots read back at a time.
    static let successorPieceSlots = 1 << 20

    /// Appends the successor index of the model in `file` (see the extension's comment).
    /// - Returns: the directory section.
    static func writeSuccessors(_ file: ChecksummedFileWriter, order: Int, prefix: Prefix,
                                tables: [TableRecord]) throws -> (offset: Int, length: Int) {
        let v = prefix.vocabularySize
        let unigrams = LargeBuffer<UInt32>(zeroedCount: 2 * v)
        try file.readBack(prefix.sections[0].offset, v * 8, into: unigrams.base)
        let ranking = SuccessorIndex.buildRanking(words: v) { Float(bitPattern: UInt32(littleEndian: unigrams.base[2 * $0])) }
        var directory: [(Int, Int)] = []
        func section(_ base: UnsafeRawPointer, _ bytes: Int) throws {
            try file.alignToPage()
            directory.append((file.position, bytes))
            try file.write(UnsafeRawBufferPointer(start: base, count: bytes))
        }
        try section(ranking.base, v * 4)
        for n in stride(from: 2, through: order, by: 1) {
            let record = tables[n - 2]
            let contexts = n == 2 ? v : tables[n - 3].slots
            let level = try SuccessorIndex.buildLevel(contexts: contexts) { visit in
                try readTable(file, record) { SuccessorIndex.visitBinarySlots($0, visit) }
            }
            try section(level.offsets.base, (contexts + 1) * 4)
            try section(level.records.base, level.records.count * 8)
        }
        try file.alignToPage()
        let offset = file.position
        for (start, bytes) in directory {
            try file.write(integer: UInt64(start))
            try file.write(integer: UInt64(bytes))
        }
        return (offset, directory.count * 16)
    }

    /// Reads the table of `record` back from `file` a piece at a time and hands each piece to
    /// `body` as a table of its own (slots keep their bytes; the 16 bytes after a piece are
    /// read too, as the table's loads are 8 bytes wide).
    static func readTable(_ file: ChecksummedFileWriter, _ record: TableRecord, _ body: (BinaryTable) -> Void) throws {
        let piece = min(successorPieceSlots, record.slots)
        let buffer = UnsafeMutableRawPointer.allocate(byteCount: piece * record.slotBytes + 16, alignment: 8)
        defer { buffer.deallocate() }
        var first = 0
        while first < record.slots {
            let slots = min(piece, record.slots - first)
            let bytes = min(slots * record.slotBytes + 16, record.length - first * record.slotBytes)
            buffer.initializeMemory(as: UInt8.self, repeating: 0, count: piece * record.slotBytes + 16)
            try file.readBack(record.offset + first * record.slotBytes, bytes, into: buffer)
            body(BinaryTable(base: buffer, slotBytes: record.slotBytes, slots: slots, homes: 1,
                             wordBits: record.wordBits, keyBits: record.keyBits))
            first += slots
        }
    }
}
