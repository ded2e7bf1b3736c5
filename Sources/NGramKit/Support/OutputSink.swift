#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Buffered output to a file or standard output that never leaves a half-written file behind.
///
/// A file is written to a temporary name in the same directory and renamed over the target only
/// by `commit()`; if the sink is dropped without a commit (an error was thrown on the way), the
/// temporary file is removed. Standard output (`-`) and a path that names no regular file (a
/// device such as `/dev/null`, a named pipe) are written through as they come: renaming a
/// temporary file over them would replace the device or pipe with a plain file.
public final class OutputSink {
    private let fd: Int32
    /// Whether `fd` was opened here for a device or pipe (closed by `commit`, not renamed).
    private let opensSpecialFile: Bool
    /// The user-facing path (`-` for standard output).
    public let path: String
    private let temporaryPath: String?
    private var buffer: UnsafeMutablePointer<UInt8>
    private var used = 0
    private let capacity = 1 << 20
    private var committed = false

    /// Opens `path` for writing (`-` is standard output).
    /// - Throws: `NGramKitError.cannotWrite` when the temporary file cannot be created.
    public init(path: String) throws {
        self.path = path
        buffer = .allocate(capacity: capacity)
        if path == "-" {
            fd = 1
            temporaryPath = nil
            opensSpecialFile = false
            return
        }
        if OutputSink.namesSpecialFile(path) {
            let descriptor = open(path, O_WRONLY)
            if descriptor < 0 {
                let reason = String(cString: strerror(errno))
                buffer.deallocate()
                throw NGramKitError.cannotWrite(path: path, reason: reason)
            }
            fd = descriptor
            temporaryPath = nil
            opensSpecialFile = true
            return
        }
        opensSpecialFile = false
        var template = Array((path + ".tmp-XXXXXX").utf8CString)
        let descriptor = template.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
        if descriptor < 0 {
            let reason = String(cString: strerror(errno))
            buffer.deallocate()
            throw NGramKitError.cannotWrite(path: path, reason: reason)
        }
        fchmod(descriptor, 0o644)
        fd = descriptor
        temporaryPath = template.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
    }

    /// Whether `path` exists and is neither a regular file nor a directory (a character or
    /// block device, a named pipe, a socket): output goes into it, never a rename over it.
    public static func namesSpecialFile(_ path: String) -> Bool {
        var info = stat()
        guard stat(path, &info) == 0 else { return false }
        let type = info.st_mode & S_IFMT
        return type != S_IFREG && type != S_IFDIR
    }

    deinit {
        buffer.deallocate()
        if opensSpecialFile && !committed { close(fd) }
        if let temporaryPath, !committed {
            close(fd)
            unlink(temporaryPath)
        }
    }

    private func flush() throws {
        var offset = 0
        while offset < used {
            let n = Glibc.write(fd, buffer + offset, used - offset)
            if n < 0 {
                if errno == EINTR { continue }
                throw NGramKitError.cannotWrite(path: path, reason: String(cString: strerror(errno)))
            }
            offset += n
        }
        used = 0
    }

    /// Appends bytes.
    @inline(__always)
    public func write(_ bytes: UnsafeBufferPointer<UInt8>) throws {
        if used + bytes.count > capacity {
            try flush()
            if bytes.count > capacity {
                used = 0
                var offset = 0
                while offset < bytes.count {
                    let n = Glibc.write(fd, bytes.baseAddress! + offset, bytes.count - offset)
                    if n < 0 {
                        if errno == EINTR { continue }
                        throw NGramKitError.cannotWrite(path: path, reason: String(cString: strerror(errno)))
                    }
                    offset += n
                }
                return
            }
        }
        if bytes.count > 0 {
            (buffer + used).update(from: bytes.baseAddress!, count: bytes.count)
            used += bytes.count
        }
    }

    /// Appends one byte.
    @inline(__always)
    public func write(byte: UInt8) throws {
        if used == capacity { try flush() }
        buffer[used] = byte
        used += 1
    }

    /// Appends an unsigned integer in decimal.
    @inline(__always)
    public func write(decimal value: UInt64) throws {
        if used + 20 > capacity { try flush() }
        var v = value
        if v == 0 {
            buffer[used] = 0x30
            used += 1
            return
        }
        var length = 0
        var probe = v
        while probe > 0 { length += 1; probe /= 10 }
        var position = used + length - 1
        while v > 0 {
            buffer[position] = 0x30 + UInt8(v % 10)
            v /= 10
            position -= 1
        }
        used += length
    }

    /// Writes out what is buffered and, for a file, moves it to its final name.
    public func commit() throws {
        try flush()
        if opensSpecialFile {
            committed = true
            if close(fd) != 0 { throw NGramKitError.cannotWrite(path: path, reason: String(cString: strerror(errno))) }
        }
        if let temporaryPath {
            // No fsync: the rename protects against a crash of this process (the old file or
            // the complete new one, never half of it); forcing a gigabyte model to disk would
            // cost seconds for protection against power loss only.
            if close(fd) != 0 {
                let reason = String(cString: strerror(errno))
                unlink(temporaryPath)
                committed = true
                throw NGramKitError.cannotWrite(path: path, reason: reason)
            }
            if rename(temporaryPath, path) != 0 {
                let reason = String(cString: strerror(errno))
                unlink(temporaryPath)
                committed = true
                throw NGramKitError.cannotWrite(path: path, reason: reason)
            }
        }
        committed = true
    }
}
