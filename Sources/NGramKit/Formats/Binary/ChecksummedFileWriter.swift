/// A binary model's file, written front to back through a buffer, with the payload checksum of
/// `BinaryModel` computed on the way, into an `OutputFile` (a temporary file until `commit`;
/// see `OutputFile` for devices, pipes and symbolic links).
///
/// Bytes reach the file in writes that start at multiples of 2 MiB and are 2 MiB long (but the
/// last): the page cache then holds the file in 2 MiB folios, which the kernel maps with 2 MB
/// pages, so the random lookups of scoring miss the TLB far less than in a file written in
/// 4 MiB pieces after a 4 KiB header.
///
/// Invariants: `position` bytes have been handed over; `chunkHashes` holds the hash of every
/// complete 4 MiB chunk after the header; `buffer` holds the bytes since the last flush, and
/// flushes happen only at chunk boundaries (after the header, at multiples of the chunk size);
/// `staged` holds the flushed bytes from file offset `written` (a multiple of `stageBytes`) on.
final class ChecksummedFileWriter {
    let file: OutputFile
    var path: String { file.path }
    private(set) var position = 0
    private let buffer: UnsafeMutableRawPointer
    private var used = 0
    private var chunkHashes: [UInt64] = []
    private let chunkBytes = BinaryModel.checksumChunkBytes
    /// The write size and alignment: one 2 MB page.
    static let stageBytes = 1 << 21
    private let staged: UnsafeMutableRawPointer
    private var stagedCount = 0
    private var written = 0

    /// Writes into `file`, which must be `seekable` (the header is written last, at offset 0).
    init(file: OutputFile) {
        precondition(file.seekable)
        self.file = file
        buffer = .allocate(byteCount: BinaryModel.checksumChunkBytes, alignment: 64)
        staged = .allocate(byteCount: Self.stageBytes, alignment: 4096)
    }

    deinit {
        buffer.deallocate()
        staged.deallocate()
    }

    /// Stages bytes for the file; every full 2 MiB stage is written at its aligned offset.
    private func writeAll(_ start: UnsafeRawPointer, _ count: Int) throws {
        var offset = 0
        while offset < count {
            let n = min(count - offset, Self.stageBytes - stagedCount)
            (staged + stagedCount).copyMemory(from: start + offset, byteCount: n)
            stagedCount += n
            offset += n
            if stagedCount == Self.stageBytes { try writeStaged() }
        }
    }

    /// Writes the staged bytes at file offset `written`.
    private func writeStaged() throws {
        try file.write(UnsafeRawBufferPointer(start: staged, count: stagedCount))
        written += stagedCount
        stagedCount = 0
    }

    /// Writes the buffer out; a full chunk after the header also gets its hash.
    private func flush() throws {
        guard used > 0 else { return }
        if position - used >= BinaryModel.headerBytes {
            chunkHashes.append(Hashing.hash(bytes: UnsafeBufferPointer(start: buffer.assumingMemoryBound(to: UInt8.self), count: used)))
        }
        try writeAll(buffer, used)
        used = 0
    }

    /// Appends bytes.
    func write(_ bytes: UnsafeRawBufferPointer) throws {
        guard var source = bytes.baseAddress else { return }
        var remaining = bytes.count
        while remaining > 0 {
            // The header is its own "chunk", so payload chunks start right after it.
            let limit = position < BinaryModel.headerBytes ? BinaryModel.headerBytes - (position - used) : chunkBytes
            let n = min(remaining, limit - used)
            (buffer + used).copyMemory(from: source, byteCount: n)
            used += n
            position += n
            source += n
            remaining -= n
            if used == limit { try flush() }
        }
    }

    func write<T: FixedWidthInteger>(integer value: T) throws {
        var little = value.littleEndian
        try withUnsafeBytes(of: &little) { try write($0) }
    }

    /// Appends `count` zero bytes.
    func writeZeros(_ count: Int) throws {
        let zeros = [UInt8](repeating: 0, count: min(count, 1 << 16))
        var left = count
        while left > 0 {
            let n = min(left, zeros.count)
            try zeros.withUnsafeBytes { try write(UnsafeRawBufferPointer(rebasing: $0[0..<n])) }
            left -= n
        }
    }

    /// Pads with zeros to the next page boundary.
    func alignToPage() throws {
        let page = BinaryModel.pageBytes
        try writeZeros((page - position % page) % page)
    }

    /// Appends `count` elements of `bytesEach` bytes, each formatted by `body` into zeroed space.
    func writeElements(count: Int, bytesEach: Int, _ body: (Int, UnsafeMutableRawPointer) -> Void) throws {
        let scratch = UnsafeMutableRawPointer.allocate(byteCount: 1 << 16, alignment: 8)
        defer { scratch.deallocate() }
        let perBatch = (1 << 16) / bytesEach
        var i = 0
        while i < count {
            let n = min(perBatch, count - i)
            scratch.initializeMemory(as: UInt8.self, repeating: 0, count: n * bytesEach)
            for k in 0..<n { body(i + k, scratch + k * bytesEach) }
            try write(UnsafeRawBufferPointer(start: scratch, count: n * bytesEach))
            i += n
        }
    }

    /// Copies `count` bytes handed over at file offset `offset` into `destination`: what has
    /// reached the file is read back from it, the rest comes from the stage and the buffer
    /// (`written + stagedCount == position - used`).
    func readBack(_ offset: Int, _ count: Int, into destination: UnsafeMutableRawPointer) throws {
        precondition(offset >= 0 && offset + count <= position)
        var done = 0
        while done < count {
            let at = offset + done
            let n: Int
            if at < written {
                n = min(count - done, written - at)
                try file.read(into: destination + done, count: n, at: at)
            } else if at < written + stagedCount {
                n = min(count - done, written + stagedCount - at)
                (destination + done).copyMemory(from: staged + (at - written), byteCount: n)
            } else {
                n = min(count - done, position - at)
                (destination + done).copyMemory(from: buffer + (at - (position - used)), byteCount: n)
            }
            done += n
        }
    }

    /// Flushes and returns the payload checksum.
    func finishChecksum() throws -> UInt64 {
        try flush()
        return chunkHashes.withUnsafeBufferPointer { BinaryModel.combine($0) }
    }

    /// Writes out what is staged and `header` over the first bytes; the file is then complete
    /// (its owner commits it).
    func finish(header: UnsafeRawBufferPointer) throws {
        try flush()
        try writeStaged()
        try file.write(header, at: 0)
    }
}
