#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The system calls NGramKit makes on files, in one place: each loop that retries on EINTR and
/// each turn of `errno` into words is written once, here.
package enum Platform {
    /// The text of an `errno` value ("No space left on device").
    package static func describe(_ code: Int32) -> String { String(cString: strerror(code)) }

    /// The text of the current `errno`.
    package static func lastError() -> String { describe(errno) }

    /// Writes all `count` bytes at `start` to `fd`, retrying after signals.
    /// - Returns: nil on success, or the `errno` of the failed write.
    package static func writeAll(_ fd: Int32, _ start: UnsafeRawPointer, _ count: Int) -> Int32? {
        var offset = 0
        while offset < count {
            let n = write(fd, start + offset, count - offset)
            if n < 0 {
                if errno == EINTR { continue }
                return errno
            }
            offset += n
        }
        return nil
    }

    /// Writes all `count` bytes at `start` to `fd` at file offset `position` (`pwrite`).
    /// - Returns: nil on success, or the `errno` of the failed write.
    package static func writeAll(_ fd: Int32, _ start: UnsafeRawPointer, _ count: Int, at position: Int) -> Int32? {
        var offset = 0
        while offset < count {
            let n = pwrite(fd, start + offset, count - offset, off_t(position + offset))
            if n < 0 {
                if errno == EINTR { continue }
                return errno
            }
            offset += n
        }
        return nil
    }

    /// Reads up to `count` bytes from `fd` into `start`, retrying after signals.
    /// - Returns: the number of bytes (0 at the end), or `-errno`.
    package static func readSome(_ fd: Int32, _ start: UnsafeMutableRawPointer, _ count: Int) -> Int {
        while true {
            let n = read(fd, start, count)
            if n >= 0 { return n }
            if errno == EINTR { continue }
            return -Int(errno)
        }
    }

    /// Reads up to `count` bytes from `fd` at file offset `position` (`pread`), retrying after
    /// signals.
    /// - Returns: the number of bytes (0 at the end), or `-errno`.
    package static func readSome(_ fd: Int32, _ start: UnsafeMutableRawPointer, _ count: Int, at position: Int) -> Int {
        while true {
            let n = pread(fd, start, count, off_t(position))
            if n >= 0 { return n }
            if errno == EINTR { continue }
            return -Int(errno)
        }
    }

    /// Opens `path` for reading (close-on-exec), retrying after signals; -1 with `errno` set on failure.
    package static func openForReading(_ path: String) -> Int32 {
        openRetrying(path, O_RDONLY)
    }

    /// Opens `path` for writing (close-on-exec; `truncate`: emptied first), retrying after
    /// signals (opening a FIFO waits for a reader); -1 with `errno` set on failure.
    package static func openForWriting(_ path: String, truncate: Bool = false) -> Int32 {
        openRetrying(path, O_WRONLY | (truncate ? O_TRUNC : 0))
    }

    /// `open(2)` with close-on-exec, retried after signals: the one loop both openers share.
    private static func openRetrying(_ path: String, _ flags: Int32) -> Int32 {
        while true {
            let fd = open(path, flags | O_CLOEXEC)
            if fd >= 0 || errno != EINTR { return fd }
        }
    }

    /// `stat` of `path` (symbolic links followed), or nil when it does not exist or cannot be read.
    package static func status(_ path: String) -> stat? {
        var info = stat()
        return stat(path, &info) == 0 ? info : nil
    }

    /// `lstat` of `path` (a symbolic link itself), or nil.
    package static func linkStatus(_ path: String) -> stat? {
        var info = stat()
        return lstat(path, &info) == 0 ? info : nil
    }

    /// Whether `info` describes a regular file.
    package static func isRegular(_ info: stat) -> Bool { info.st_mode & S_IFMT == S_IFREG }

    /// Whether `info` describes a directory.
    package static func isDirectory(_ info: stat) -> Bool { info.st_mode & S_IFMT == S_IFDIR }

    /// The target of the symbolic link `path`, or nil when `path` is no link.
    package static func linkTarget(_ path: String) -> String? {
        var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
        let n = readlink(path, &buffer, buffer.count - 1)
        guard n >= 0 else { return nil }
        return String(decoding: buffer[..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// The canonical absolute form of an existing path (`realpath`), or nil.
    package static func canonicalPath(_ path: String) -> String? {
        guard let resolved = realpath(path, nil) else { return nil }
        defer { free(resolved) }
        return String(cString: resolved)
    }

    /// The folder part of a path ("." for a bare name).
    package static func directory(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "." }
        return slash == path.startIndex ? "/" : String(path[..<slash])
    }

    /// The last component of a path.
    package static func lastComponent(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return path }
        return String(path[path.index(after: slash)...])
    }

    /// The process's file-creation mask, read once (reading it means setting it, which is not
    /// thread-safe, so it is never read again).
    package static let fileCreationMask: mode_t = {
        let mask = umask(0o022)
        umask(mask)
        return mask
    }()

    /// Physical memory in bytes (0 when unknown).
    package static var physicalMemory: Int {
        let pages = sysconf(Int32(_SC_PHYS_PAGES)), size = sysconf(Int32(_SC_PAGESIZE))
        return pages > 0 && size > 0 ? pages * size : 0
    }

    /// The folder for temporary files: `$TMPDIR` when set, else `/tmp`.
    package static var temporaryDirectory: String {
        if let value = getenv("TMPDIR"), value.pointee != 0 { return String(cString: value) }
        return "/tmp"
    }

    /// Creates the folder `path` and any missing folders above it (`mkdir -p`), and checks that
    /// files can be made in it.
    /// - Throws: `NGramKitError.cannotWrite` naming `path`, in the system's words.
    package static func makeDirectories(_ path: String) throws {
        var built = path.hasPrefix("/") ? "" : "."
        for component in path.split(separator: "/", omittingEmptySubsequences: true) {
            built += "/" + component
            if mkdir(built, 0o777) != 0 && errno != EEXIST {
                throw NGramKitError.cannotWrite(path: path, reason: "cannot create the folder \(built): \(lastError())")
            }
        }
        guard let info = status(path), isDirectory(info) else {
            throw NGramKitError.cannotWrite(path: path, reason: "it exists and is not a folder")
        }
        if access(path, W_OK | X_OK) != 0 {
            throw NGramKitError.cannotWrite(path: path, reason: "cannot create files in it: \(lastError())")
        }
    }

    /// Whether file descriptor `fd` is a terminal.
    package static func isTerminal(_ fd: Int32) -> Bool { isatty(fd) != 0 }

    /// The descriptor that `/dev/stdin`, `/dev/stdout`, `/dev/stderr`, `/dev/fd/N` or
    /// `/proc/self/fd/N` names where the file system has no such entry (a minimal `/dev` without
    /// those links, or no `/proc`) or only a regular file, as shells and awk read these names;
    /// nil for every other path and wherever the entry is a link or a device (it is then
    /// followed like any other).
    package static func standardStreamDescriptor(_ path: String) -> Int32? {
        let number: Int32
        switch path {
        case "/dev/stdin": number = 0
        case "/dev/stdout": number = 1
        case "/dev/stderr": number = 2
        default:
            guard let prefix = ["/dev/fd/", "/proc/self/fd/"].first(where: { path.hasPrefix($0) }),
                  path.count > prefix.count, path.dropFirst(prefix.count).allSatisfy({ $0 >= "0" && $0 <= "9" }),
                  let value = Int32(path.dropFirst(prefix.count)) else { return nil }
            number = value
        }
        guard let info = linkStatus(path) else { return number }
        // A regular file of that name is debris from a program that replaced the link; it is
        // never what the user means.
        return isRegular(info) ? number : nil
    }
}
