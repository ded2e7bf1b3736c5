#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import CZlib

/// Corpus reading, first step: a path in, a stream of decompressed bytes out.
///
/// In:  a path, or `-` for standard input.
/// Out: the bytes of the text; gzip input (recognised by its magic bytes 1f 8b, never by the file
///      name) is inflated on the fly, including multi-member files. Memory is constant: one input
///      buffer and whatever the caller reads into.

/// A readable stream of bytes.
package protocol ByteSource: AnyObject {
    /// Fills `buffer` with up to `buffer.count` bytes.
    /// - Returns: the number of bytes written; 0 only at the end of the input.
    /// - Throws: `NGramKitError` when the input cannot be read or is corrupt.
    func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int
}

/// Opens corpus files and tells plain text from gzip by content.
package enum ByteSources {
    /// Opens `path` (or standard input for `-`) and returns a source of its decompressed bytes.
    /// - Throws: `NGramKitError.cannotOpen` for a missing or unreadable file,
    ///   `NGramKitError.isDirectory` for a directory.
    package static func open(_ path: String) throws -> ByteSource {
        let fd: Int32
        let stream = path == "-" ? 0 : Platform.standardStreamDescriptor(path)
        if let stream {
            // `-`, or `/dev/stdin` and its kin where no such file exists: the descriptor itself.
            fd = stream
        } else {
            guard let info = Platform.status(path) else {
                throw NGramKitError.cannotOpen(path: path, reason: Platform.lastError())
            }
            if Platform.isDirectory(info) {
                throw NGramKitError.isDirectory(path: path)
            }
            fd = Platform.openForReading(path)
            if fd < 0 {
                throw NGramKitError.cannotOpen(path: path, reason: Platform.lastError())
            }
            #if os(Linux)
            _ = posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL)
            #endif
        }
        let file = FileDescriptorSource(fd: fd, path: path == "-" ? "<stdin>" : path, ownsDescriptor: stream == nil)
        // Peek at the first bytes; they are handed on to whichever reader takes the file.
        let head = UnsafeMutableRawBufferPointer.allocate(byteCount: GzipSource.inputCapacity, alignment: 16)
        var headCount = 0
        while headCount < 2 {
            let n = try file.read(into: UnsafeMutableRawBufferPointer(rebasing: head[headCount...]))
            if n == 0 { break }
            headCount += n
        }
        if headCount >= 2 && head[0] == 0x1f && head[1] == 0x8b {
            // Inflation runs on a second thread, ahead of the reader.
            return ReadAheadSource(try GzipSource(file: file, input: head, inputCount: headCount))
        }
        return PrefixedSource(file: file, prefix: head, prefixCount: headCount)
    }
}

/// Reads a file descriptor with `read(2)`.
final class FileDescriptorSource: ByteSource {
    let fd: Int32
    let path: String
    private let ownsDescriptor: Bool

    init(fd: Int32, path: String, ownsDescriptor: Bool) {
        self.fd = fd
        self.path = path
        self.ownsDescriptor = ownsDescriptor
    }

    deinit { if ownsDescriptor { close(fd) } }

    func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        guard let base = buffer.baseAddress, buffer.count > 0 else { return 0 }
        let n = Platform.readSome(fd, base, buffer.count)
        if n >= 0 { return n }
        if Int32(-n) == EISDIR { throw NGramKitError.isDirectory(path: path) }
        throw NGramKitError.cannotOpen(path: path, reason: Platform.describe(Int32(-n)))
    }
}

/// Plain text: first the bytes that were peeked at, then the rest of the file.
final class PrefixedSource: ByteSource {
    private let file: FileDescriptorSource
    private let prefix: UnsafeMutableRawBufferPointer
    private var prefixStart = 0
    private let prefixCount: Int

    init(file: FileDescriptorSource, prefix: UnsafeMutableRawBufferPointer, prefixCount: Int) {
        self.file = file
        self.prefix = prefix
        self.prefixCount = prefixCount
    }

    deinit { prefix.deallocate() }

    func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        if prefixStart < prefixCount {
            let n = min(buffer.count, prefixCount - prefixStart)
            buffer.baseAddress!.copyMemory(from: prefix.baseAddress! + prefixStart, byteCount: n)
            prefixStart += n
            return n
        }
        return try file.read(into: buffer)
    }
}

/// Inflates a gzip file (one or more members) with zlib.
///
/// A stream that ends before its member's trailer, or whose data or CRC is wrong, is an error:
/// a truncated download must never pass for a shorter corpus.
final class GzipSource: ByteSource {
    static let inputCapacity = 1 << 18

    private let file: FileDescriptorSource
    private let input: UnsafeMutableRawBufferPointer
    private var stream = z_stream()
    private var inputAtEOF = false
    /// True between a member's header and its trailer.
    private var insideMember = true
    private var finished = false

    init(file: FileDescriptorSource, input: UnsafeMutableRawBufferPointer, inputCount: Int) throws {
        self.file = file
        self.input = input
        stream.next_in = input.baseAddress!.assumingMemoryBound(to: Bytef.self)
        stream.avail_in = UInt32(inputCount)
        let status = ngk_inflate_init_gzip(&stream)
        if status != Z_OK {
            input.deallocate()
            throw NGramKitError.corruptGzip(path: file.path, reason: "zlib could not start (code \(status))")
        }
    }

    deinit {
        inflateEnd(&stream)
        input.deallocate()
    }

    private func refill() throws {
        let n = try file.read(into: input)
        stream.next_in = input.baseAddress!.assumingMemoryBound(to: Bytef.self)
        stream.avail_in = UInt32(n)
        if n == 0 { inputAtEOF = true }
    }

    private func corrupt(_ reason: String) -> NGramKitError {
        .corruptGzip(path: file.path, reason: reason)
    }

    func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        guard !finished, let base = buffer.baseAddress, buffer.count > 0 else { return 0 }
        stream.next_out = base.assumingMemoryBound(to: Bytef.self)
        stream.avail_out = UInt32(min(buffer.count, Int(UInt32.max)))
        let capacity = Int(stream.avail_out)
        while stream.avail_out > 0 {
            if stream.avail_in == 0 && !inputAtEOF { try refill() }
            if stream.avail_in == 0 && inputAtEOF {
                if insideMember { throw corrupt("unexpected end of file") }
                finished = true
                break
            }
            if !insideMember {
                // Another member may follow; trailing zero padding is ignored, as gzip(1) does.
                if stream.next_in.pointee == 0 {
                    while stream.avail_in > 0 && stream.next_in.pointee == 0 {
                        stream.next_in += 1
                        stream.avail_in -= 1
                    }
                    continue
                }
                if inflateReset(&stream) != Z_OK { throw corrupt("zlib could not restart") }
                insideMember = true
            }
            let status = inflate(&stream, Z_NO_FLUSH)
            switch status {
            case Z_STREAM_END:
                insideMember = false
            case Z_OK:
                continue
            case Z_BUF_ERROR:
                // No progress: more input is needed (handled at the loop head) or output is full.
                if stream.avail_in == 0 { continue }
                if stream.avail_out == 0 { break }
                throw corrupt("zlib made no progress")
            default:
                let message = stream.msg.map { String(cString: $0) } ?? "zlib error \(status)"
                throw corrupt(message)
            }
        }
        return capacity - Int(stream.avail_out)
    }
}
