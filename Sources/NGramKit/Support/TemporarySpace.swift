#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation

/// The temporary files of one job that spills past its memory budget (`MemoryBudget`).
///
/// Every file is anonymous (`O_TMPFILE`, or created and unlinked at once): it has no name, so
/// it is gone when the job ends, on success, on an error, on a signal and even on SIGKILL.
/// The space counts the bytes its files hold, now and at the peak (`--json` reports the peak),
/// and turns a full disk into one line naming the folder.
///
/// Invariants: `currentBytes` is the sum of the sizes of the live files; `peakBytes` is the
/// largest value it has had. Both are updated under `lock` (files may be written on several threads).
package final class TemporarySpace: @unchecked Sendable {
    /// The folder the files are made in.
    package let directory: String
    private let lock = NSLock()
    private var current = 0
    private var peak = 0
    /// What the job expects to need in all, for the message of a full disk (0: unknown).
    package var expectedBytes = 0

    /// A space in `directory`, which is created when missing.
    /// - Throws: `NGramKitError.cannotWrite` naming the folder when it cannot be made or written.
    package init(directory: String) throws {
        self.directory = directory
        try Platform.makeDirectories(directory)
    }

    package var currentBytes: Int { lock.withLock { current } }
    package var peakBytes: Int { lock.withLock { peak } }

    func grew(by bytes: Int) {
        lock.withLock {
            current += bytes
            peak = max(peak, current)
        }
    }

    func shrank(by bytes: Int) { lock.withLock { current -= bytes } }

    /// A new empty file.
    package func makeFile() throws -> TemporaryFile {
        let fd = try OutputFile.anonymousFile(in: directory, mode: 0o600, path: directory)
        return TemporaryFile(fd: fd, space: self)
    }

    /// The error of a write that failed with `code`.
    func failure(_ code: Int32) -> NGramKitError {
        if code == ENOSPC || code == EDQUOT {
            let need = expectedBytes > 0 ? "; this job needs about \(ByteCount.text(expectedBytes)) of temporary space in all" : ""
            return .cannotWrite(path: directory, reason: "the temporary folder is full (\(Platform.describe(code))) with \(ByteCount.text(currentBytes)) of this job's temporary files in it\(need); free space there or name a folder on a larger disk with --temp-dir")
        }
        return .cannotWrite(path: directory, reason: "writing a temporary file: \(Platform.describe(code))")
    }
}

/// One anonymous temporary file: written once from the start (buffered appends), then read
/// back any number of times by `TemporaryFileReader`s.
package final class TemporaryFile: @unchecked Sendable {
    let fd: Int32
    let space: TemporarySpace
    /// Bytes written (flushed or buffered).
    package private(set) var count = 0
    private var flushed = 0
    /// The write buffer, while the file is being written (a job may hold many finished files).
    private var buffer: UnsafeMutableRawPointer?
    private var buffered = 0
    private static let bufferBytes = 1 << 20

    init(fd: Int32, space: TemporarySpace) {
        self.fd = fd
        self.space = space
    }

    /// An existing file, read like a temporary file and never written (a cluster stage's input:
    /// `ClusterFileReader`); closed when let go, never removed.
    /// - Throws: `NGramKitError.cannotOpen` naming `path`.
    package static func reading(_ path: String, space: TemporarySpace) throws -> TemporaryFile {
        let fd = Platform.openForReading(path)
        if fd < 0 { throw NGramKitError.cannotOpen(path: path, reason: Platform.lastError()) }
        guard let info = Platform.status(path), Platform.isRegular(info) else {
            close(fd)
            throw NGramKitError.cannotOpen(path: path, reason: "not a regular file")
        }
        let file = TemporaryFile(fd: fd, space: space)
        file.count = Int(info.st_size)
        return file
    }

    /// Hands `length` bytes from `offset` (all that was written by default) to `emit`, a buffer at a time.
    package func copy(from offset: Int = 0, length: Int? = nil, to emit: (UnsafeRawBufferPointer) throws -> Void) throws {
        try flush()
        let end = offset + (length ?? count - offset)
        let chunk = 1 << 20
        let buffer = UnsafeMutableRawPointer.allocate(byteCount: chunk, alignment: 64)
        defer { buffer.deallocate() }
        var position = offset
        while position < end {
            let n = Platform.readSome(fd, buffer, min(chunk, end - position), at: position)
            if n < 0 { throw space.failure(Int32(-n)) }
            if n == 0 { throw NGramKitError.cannotWrite(path: space.directory, reason: "a temporary file is shorter than what was written to it; was the folder cleaned while the job ran?") }
            try emit(UnsafeRawBufferPointer(start: buffer, count: n))
            position += n
        }
    }

    /// Appends `bytes`.
    package func write(_ bytes: UnsafeRawBufferPointer) throws {
        guard let start = bytes.baseAddress, bytes.count > 0 else { return }
        if buffered + bytes.count > TemporaryFile.bufferBytes { try flush() }
        if bytes.count >= TemporaryFile.bufferBytes {
            try writeOut(start, bytes.count)
        } else {
            if buffer == nil { buffer = UnsafeMutableRawPointer.allocate(byteCount: TemporaryFile.bufferBytes, alignment: 64) }
            (buffer! + buffered).copyMemory(from: start, byteCount: bytes.count)
            buffered += bytes.count
        }
        count += bytes.count
    }

    /// Writes what is buffered to the file (before reading it back) and lets the buffer go;
    /// a later write makes a new one.
    package func flush() throws {
        guard let buffer else { return }
        self.buffer = nil
        defer { buffer.deallocate() }
        let n = buffered
        buffered = 0
        if n > 0 { try writeOut(buffer, n) }
    }

    private func writeOut(_ start: UnsafeRawPointer, _ n: Int) throws {
        if let code = Platform.writeAll(fd, start, n, at: flushed) { throw space.failure(code) }
        flushed += n
        space.grew(by: n)
    }

    /// A reader of `length` bytes from `offset` (all that was written by default), with its own
    /// buffer of `bufferBytes`.
    package func reader(from offset: Int = 0, length: Int? = nil, bufferBytes: Int = 1 << 20) throws -> TemporaryFileReader {
        try flush()
        return TemporaryFileReader(file: self, start: offset, end: offset + (length ?? count - offset), bufferBytes: bufferBytes)
    }
}

/// Reads a range of a `TemporaryFile` front to back through a buffer: bytes, LEB128 varints
/// and raw 8-byte values, as `RecordWriter` wrote them.
package final class TemporaryFileReader {
    private let file: TemporaryFile
    private var position: Int
    private let end: Int
    private let buffer: UnsafeMutablePointer<UInt8>
    private let capacity: Int
    private var index = 0
    private var available = 0

    init(file: TemporaryFile, start: Int, end: Int, bufferBytes: Int) {
        self.file = file
        position = start
        self.end = end
        capacity = max(bufferBytes, 64)
        buffer = UnsafeMutablePointer<UInt8>.allocate(capacity: capacity)
    }

    deinit { buffer.deallocate() }

    /// Whether every byte of the range has been read.
    package var isAtEnd: Bool { index == available && position == end }

    @inline(never)
    private func refill() throws {
        // Keep what is left unread at the front.
        let left = available - index
        if left > 0 { buffer.update(from: buffer + index, count: left) }
        index = 0
        available = left
        let wanted = min(capacity - left, end - position)
        guard wanted > 0 else { return }
        var got = 0
        while got < wanted {
            let n = Platform.readSome(file.fd, buffer + available + got, wanted - got, at: position + got)
            if n < 0 { throw file.space.failure(Int32(-n)) }
            if n == 0 { throw NGramKitError.cannotWrite(path: file.space.directory, reason: "a temporary file is shorter than what was written to it; was the folder cleaned while the job ran?") }
            got += n
        }
        position += got
        available += got
    }

    /// The next byte.
    @inline(__always)
    package func byte() throws -> UInt8 {
        if index == available { try refill() }
        guard index < available else { throw TemporaryFileReader.truncated() }
        let value = buffer[index]
        index += 1
        return value
    }

    /// The next unsigned LEB128 value.
    @inline(__always)
    package func varint() throws -> UInt64 {
        if available - index < 10 && position < end { try refill() }
        var value: UInt64 = 0
        var shift: UInt64 = 0
        while true {
            guard index < available, shift < 64 else { throw TemporaryFileReader.truncated() }
            let b = buffer[index]
            index += 1
            value |= UInt64(b & 0x7F) << shift
            if b < 0x80 { return value }
            shift += 7
        }
    }

    /// The next 8 bytes as a `Double` (its bit pattern, little-endian).
    @inline(__always)
    package func double() throws -> Double { Double(bitPattern: try fixed(UInt64.self)) }

    /// The next `T.bitWidth / 8` bytes, little-endian.
    @inline(__always)
    package func fixed<T: FixedWidthInteger>(_ type: T.Type) throws -> T {
        let size = MemoryLayout<T>.size
        if available - index < size && position < end { try refill() }
        guard available - index >= size else { throw TemporaryFileReader.truncated() }
        let value = UnsafeRawPointer(buffer + index).loadUnaligned(as: T.self)
        index += size
        return T(littleEndian: value)
    }

    @inline(never)
    static func truncated() -> NGramKitError {
        .cannotWrite(path: Platform.temporaryDirectory, reason: "a temporary file ended inside a record (internal error; please report it)")
    }
}

/// Appends records to a `TemporaryFile` through a small buffer: LEB128 varints (small numbers,
/// which most ids and counts are, take one or two bytes) and raw 8-byte values.
package final class RecordWriter {
    package let file: TemporaryFile
    /// `capacity` bytes, of which the first `count` wait for `drain`; always room for one record part.
    private let bytes: UnsafeMutablePointer<UInt8>
    private var count = 0
    private static let capacity = 1 << 16

    package init(file: TemporaryFile) {
        self.file = file
        bytes = .allocate(capacity: RecordWriter.capacity + 16)
    }

    deinit { bytes.deallocate() }

    @inline(__always)
    package func varint(_ value: UInt64) throws {
        var v = value
        var i = count
        while v >= 0x80 {
            bytes[i] = UInt8(truncatingIfNeeded: v) | 0x80
            v >>= 7
            i += 1
        }
        bytes[i] = UInt8(v)
        count = i + 1
        if count >= RecordWriter.capacity { try drain() }
    }

    @inline(__always)
    package func double(_ value: Double) throws { try fixed(value.bitPattern) }

    /// `value`'s bytes, little-endian.
    @inline(__always)
    package func fixed<T: FixedWidthInteger>(_ value: T) throws {
        UnsafeMutableRawPointer(bytes + count).storeBytes(of: value.littleEndian, as: T.self)
        count += MemoryLayout<T>.size
        if count >= RecordWriter.capacity { try drain() }
    }

    /// Passes the buffered bytes to the file.
    package func drain() throws {
        let n = count
        count = 0
        try file.write(UnsafeRawBufferPointer(start: bytes, count: n))
    }

    /// Drains and flushes: the file holds every record written so far.
    package func finish() throws {
        try drain()
        try file.flush()
    }
}

/// A job's `TemporarySpace`, made the first time it is needed, so that a job that fits in
/// memory never touches the temporary folder.
package final class LazyTemporarySpace: @unchecked Sendable {
    private let budget: MemoryBudget
    private var space: TemporarySpace?

    package init(budget: MemoryBudget) { self.budget = budget }

    package func get() throws -> TemporarySpace {
        if let space { return space }
        let made = try TemporarySpace(directory: budget.temporaryDirectory)
        space = made
        return made
    }

    /// The peak bytes of temporary files (0 when none were made).
    package var peakBytes: Int { space?.peakBytes ?? 0 }
}
