#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import CNGramKitSupport

/// One output of a job, written completely or not at all: the one place where NGramKit creates,
/// replaces and cleans up files (text writers go through `OutputSink`, binary models through
/// `ChecksummedFileWriter`, both on top of this).
///
/// Where the bytes go, by what `path` names:
/// - `-`: standard output, written as the bytes come.
/// - a device, named pipe or socket (`/dev/null`, a FIFO; also a symbolic link to one, such as
///   `/dev/stdout` when standard output is a pipe): written into directly, never renamed over.
///   A `seekable` output (a binary model, whose header is written last) is assembled in an
///   anonymous temporary file and copied in by `commit`.
/// - anything else: a regular file, existing or not, reached through any chain of symbolic
///   links (the link is kept; its target is written). The bytes go to a temporary file in the
///   target's folder, made anonymous (`O_TMPFILE`) where the file system allows, so that not even
///   SIGKILL can leave it behind; `commit` gives it the target's name in one step (`linkat`,
///   or a rename over an existing file). Where `O_TMPFILE` is not available the temporary file
///   is named `TARGET.tmp-XXXXXX` and removed on every error and on SIGINT, SIGTERM, SIGHUP
///   and SIGPIPE (`ngk_cleanup_register`). A replaced file keeps its permission bits; a new one
///   gets 0666 less the umask.
///
/// Opening an output creates its temporary file at once, so a job that opens its outputs
/// before reading any input learns of an unwritable location (a missing folder, no
/// permission) before it has done any work.
///
/// Invariants: `fd` is open until `commit` or `discard`; `temporaryName`, when set, names the
/// temporary file and is registered for signal cleanup under `cleanupSlot`; `finished` is set
/// by the first `commit` or `discard`, after which nothing is written.
package final class OutputFile {
    package enum Destination: Equatable {
        /// File descriptor 1.
        case standardOutput
        /// A device, pipe or socket, written into directly.
        case special
        /// A regular file, replaced when complete.
        case regular
    }

    /// The path as the user gave it (`-` for standard output); messages name it.
    package let path: String
    package let destination: Destination
    /// The file written: `path` with every symbolic link followed (`path` itself otherwise).
    package let target: String
    /// Whether `write(_:at:)` may be used (the bytes go to a temporary file first).
    package let seekable: Bool
    private let fd: Int32
    /// For a `.special` output named `/dev/stdout` or the like where no such file exists: the
    /// descriptor it stands for (`Platform.standardStreamDescriptor`).
    private var streamDescriptor: Int32?
    /// For a `.special` output that is a regular file: truncated when the complete output is copied in.
    private var truncatesTarget = false
    private var temporaryName: String?
    private var cleanupSlot: Int32 = -1
    private var finished = false

    /// Opens an output.
    /// - Parameters:
    ///   - path: the file, `-` for standard output.
    ///   - seekable: whether the writer needs `write(_:at:)`; refused for standard output.
    /// - Throws: `NGramKitError.cannotWrite` naming `path` when its folder is missing or not
    ///   writable, or it names a directory.
    package init(path: String, seekable: Bool = false) throws {
        self.path = path
        self.seekable = seekable
        OutputFile.installSignalCleanup
        if path == "-" {
            guard !seekable else { throw NGramKitError.cannotWrite(path: path, reason: "this output must go to a file, not standard output") }
            destination = .standardOutput
            target = path
            fd = 1
            return
        }
        if let stream = Platform.standardStreamDescriptor(path) {
            // `/dev/stdout` and its kin where no such file exists: the descriptor itself (never a
            // new regular file of that name), written directly.
            var info = stat()
            guard fstat(stream, &info) == 0 else {
                throw NGramKitError.cannotWrite(path: path, reason: "file descriptor \(stream) is not open")
            }
            destination = .special
            target = path
            streamDescriptor = stream
            fd = seekable ? try OutputFile.anonymousFile(in: Platform.temporaryDirectory, mode: 0o600, path: path)
                          : try OutputFile.openSpecialTarget(path, stream: stream, truncate: false)
            return
        }
        if let info = Platform.status(path), !Platform.isRegular(info) {
            if Platform.isDirectory(info) { throw NGramKitError.cannotWrite(path: path, reason: "it is a directory; name a file") }
            destination = .special
            target = path
            if seekable {
                // Assembled apart, copied in by `commit` (a pipe is opened only then: opening it
                // for writing waits for a reader).
                fd = try OutputFile.anonymousFile(in: Platform.temporaryDirectory, mode: 0o600, path: path)
            } else {
                fd = try OutputFile.openSpecialTarget(path, stream: nil, truncate: false)
            }
            return
        }
        let followed = OutputFile.followLinks(path)
        if let info = Platform.status(path), Platform.status(followed).map({ $0.st_dev != info.st_dev || $0.st_ino != info.st_ino }) ?? true {
            // An existing file whose name the links do not lead back to (`/proc/self/fd/N` of a
            // deleted file, or of one outside this mount namespace): there is no name to give a
            // complete file, so it is assembled apart and copied in, as into a device.
            destination = .special
            target = path
            truncatesTarget = true
            fd = try OutputFile.anonymousFile(in: Platform.temporaryDirectory, mode: 0o600, path: path)
            return
        }
        destination = .regular
        target = followed
        // A replaced file keeps its permission bits.
        let mode = Platform.status(target).map { $0.st_mode & 0o7777 } ?? (0o666 & ~Platform.fileCreationMask)
        let folder = Platform.directory(of: target)
        if OutputFile.anonymousFilesWork, let descriptor = try OutputFile.tryAnonymousFile(in: folder, mode: mode, path: path) {
            fd = descriptor
            if Platform.status(target) != nil { fchmod(fd, mode) }
            return
        }
        var template = Array((target + ".tmp-XXXXXX").utf8CString)
        let descriptor = template.withUnsafeMutableBufferPointer { ngk_make_temporary($0.baseAddress!) }
        if descriptor < 0 { throw NGramKitError.cannotWrite(path: path, reason: OutputFile.folderProblem(folder, errno)) }
        fchmod(descriptor, mode)
        fd = descriptor
        let name = template.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
        temporaryName = name
        cleanupSlot = ngk_cleanup_register(name)
    }

    deinit { discard() }

    /// The handlers that remove named temporary files when a signal ends the process (see
    /// `ngk_install_signal_cleanup`); the command-line tool installs them first thing.
    package static let installSignalCleanup: Void = ngk_install_signal_cleanup()

    /// Whether anonymous files can later be given a name: `linkat` through `/proc/self/fd`.
    /// `NGRAMKIT_NAMED_TEMPORARIES=1` turns them off, so that tests reach the named fallback.
    private static let anonymousFilesWork: Bool = access("/proc/self/fd", X_OK) == 0 && getenv("NGRAMKIT_NAMED_TEMPORARIES") == nil

    /// An `O_TMPFILE` in `folder`, or nil when the file system does not offer it.
    private static func tryAnonymousFile(in folder: String, mode: mode_t, path: String) throws -> Int32? {
        let descriptor = ngk_open_anonymous(folder, UInt32(mode))
        if descriptor >= 0 { return descriptor }
        let code = errno
        // Not offered by this file system (or kernel): fall back to a named temporary file.
        if code == EOPNOTSUPP || code == EISDIR || code == EINVAL { return nil }
        throw NGramKitError.cannotWrite(path: path, reason: folderProblem(folder, code))
    }

    /// An anonymous temporary file in `folder` (the temporary folder), named nowhere: it is gone
    /// when closed, however the process ends (`TemporarySpace` makes its files so too).
    /// - Throws: `NGramKitError.cannotWrite` naming `path` when no file can be made in `folder`.
    package static func anonymousFile(in folder: String, mode: mode_t, path: String) throws -> Int32 {
        if let descriptor = try tryAnonymousFile(in: folder, mode: mode, path: path) { return descriptor }
        var template = Array((folder + "/ngramkit-output.tmp-XXXXXX").utf8CString)
        let descriptor = template.withUnsafeMutableBufferPointer { ngk_make_temporary($0.baseAddress!) }
        if descriptor < 0 { throw NGramKitError.cannotWrite(path: path, reason: folderProblem(folder, errno)) }
        template.withUnsafeBufferPointer { _ = unlink($0.baseAddress!) }   // open, nameless
        return descriptor
    }

    /// Why a temporary file could not be made in `folder`, in words.
    private static func folderProblem(_ folder: String, _ code: Int32) -> String {
        code == ENOENT ? "the folder \(folder) does not exist" : "cannot create a file in \(folder): \(Platform.describe(code))"
    }

    /// `path` with every symbolic link in its last component followed (at most 40, as the
    /// kernel allows), relative links resolved against the folder of the link.
    package static func followLinks(_ path: String) -> String {
        var current = path
        for _ in 0..<40 {
            guard let info = Platform.linkStatus(current), info.st_mode & S_IFMT == S_IFLNK,
                  let link = Platform.linkTarget(current) else { return current }
            current = link.hasPrefix("/") ? link : Platform.directory(of: current) + "/" + link
        }
        return current
    }

    private func failure(_ code: Int32) -> NGramKitError {
        .cannotWrite(path: path, reason: Platform.describe(code))
    }

    /// Appends bytes.
    package func write(_ bytes: UnsafeRawBufferPointer) throws {
        precondition(!finished, "OutputFile: write after commit or discard")
        guard let start = bytes.baseAddress, bytes.count > 0 else { return }
        if let code = Platform.writeAll(fd, start, bytes.count) { throw failure(code) }
    }

    /// Writes bytes at file offset `offset` (a `seekable` output only).
    package func write(_ bytes: UnsafeRawBufferPointer, at offset: Int) throws {
        precondition(seekable && !finished, "OutputFile: positioned write on a stream or after commit")
        guard let start = bytes.baseAddress, bytes.count > 0 else { return }
        if let code = Platform.writeAll(fd, start, bytes.count, at: offset) { throw failure(code) }
    }

    /// Reads back `count` bytes written at file offset `offset` (a `seekable` output only).
    package func read(into destination: UnsafeMutableRawPointer, count: Int, at offset: Int) throws {
        precondition(seekable && !finished, "OutputFile: read back from a stream or after commit")
        var done = 0
        while done < count {
            let n = pread(fd, destination + done, count - done, off_t(offset + done))
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else { throw NGramKitError.cannotWrite(path: path, reason: n < 0 ? Platform.describe(errno) : "the file is shorter than written (read back)") }
            done += n
        }
    }

    /// Makes the output visible under its name (see the type's comment). After a failure the
    /// target is as it was and nothing of the output is left.
    package func commit() throws {
        precondition(!finished, "OutputFile: committed twice")
        finished = true
        switch destination {
        case .standardOutput:
            return
        case .special:
            if seekable || truncatesTarget {
                defer { close(fd) }
                try copyIntoTarget()
            } else if close(fd) != 0 {
                throw failure(errno)
            }
        case .regular:
            try publish()
        }
    }

    /// Drops the output: the temporary file is removed, the target left as it was. Called by
    /// `deinit`; a no-op after `commit`.
    package func discard() {
        guard !finished else { return }
        finished = true
        if destination == .standardOutput { return }
        close(fd)
        if let temporaryName {
            unlink(temporaryName)
            ngk_cleanup_unregister(cleanupSlot)
        }
    }

    /// Gives the temporary file the target's name.
    private func publish() throws {
        if let temporaryName {
            defer { ngk_cleanup_unregister(cleanupSlot) }
            try closeAndRename(temporaryName)
            return
        }
        // Anonymous: link it straight to the target's name when that is free (atomic, and
        // nothing can be left behind); otherwise to a fresh name, renamed over the target.
        let handle = "/proc/self/fd/\(fd)"
        if linkat(AT_FDCWD, handle, AT_FDCWD, target, AT_SYMLINK_FOLLOW) == 0 {
            if close(fd) != 0 {
                let code = errno
                unlink(target)
                throw failure(code)
            }
            return
        }
        guard errno == EEXIST else {
            let code = errno
            close(fd)
            throw failure(code)
        }
        var slot: Int32 = -1
        var name = ""
        var attempt: UInt64 = 0
        while true {
            name = target + ".tmp-" + OutputFile.randomSuffix(attempt)
            slot = ngk_cleanup_register(name)
            if linkat(AT_FDCWD, handle, AT_FDCWD, name, AT_SYMLINK_FOLLOW) == 0 { break }
            let code = errno
            ngk_cleanup_unregister(slot)
            attempt += 1
            if code != EEXIST || attempt > 100 {
                close(fd)
                throw failure(code)
            }
        }
        defer { ngk_cleanup_unregister(slot) }
        try closeAndRename(name)
    }

    /// Closes the temporary file, then renames its name `name` over the target; on a failure of
    /// either, `name` is removed and the target left as it was.
    private func closeAndRename(_ name: String) throws {
        if close(fd) != 0 || rename(name, target) != 0 {
            let code = errno
            unlink(name)
            throw failure(code)
        }
    }

    /// Six letters that differ between processes, threads and attempts.
    private static func randomSuffix(_ attempt: UInt64) -> String {
        var spec = timespec()
        clock_gettime(CLOCK_REALTIME, &spec)
        var value = Hashing.mix(UInt64(getpid()) << 32 ^ UInt64(spec.tv_nsec) ^ attempt &* 0x9E37_79B9_7F4A_7C15
                                ^ UInt64(pthread_self()))
        let letters = Array("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789".utf8)
        var result: [UInt8] = []
        for _ in 0..<6 {
            result.append(letters[Int(value % UInt64(letters.count))])
            value /= UInt64(letters.count)
        }
        return String(decoding: result, as: UTF8.self)
    }

    /// Opens a `.special` output for writing: a duplicate of the descriptor it stands for
    /// (`stream`), or `path` itself.
    private static func openSpecialTarget(_ path: String, stream: Int32?, truncate: Bool) throws -> Int32 {
        let descriptor = stream.map { fcntl($0, F_DUPFD_CLOEXEC, 0) } ?? Platform.openForWriting(path, truncate: truncate)
        if descriptor < 0 { throw NGramKitError.cannotWrite(path: path, reason: Platform.lastError()) }
        return descriptor
    }

    /// Copies the complete temporary file into the device, pipe or descriptor that `path` names.
    private func copyIntoTarget() throws {
        let destination = try OutputFile.openSpecialTarget(path, stream: streamDescriptor, truncate: truncatesTarget)
        defer { close(destination) }
        let chunk = 1 << 21
        let buffer = UnsafeMutableRawPointer.allocate(byteCount: chunk, alignment: 4096)
        defer { buffer.deallocate() }
        var offset = 0
        while true {
            let n = Platform.readSome(fd, buffer, chunk, at: offset)
            if n < 0 { throw failure(Int32(-n)) }
            if n == 0 { break }
            if let code = Platform.writeAll(destination, buffer, n) { throw failure(code) }
            offset += n
        }
    }
}

// MARK: - Inputs and outputs of one job

/// The files a job reads and writes, checked against each other before the job does any work.
package enum JobFiles {
    /// A file and the option that names it ("--arpa", "the input model").
    package typealias Named = (role: String, path: String)

    /// Refuses outputs that are inputs, or each other, as files (device and inode, through any
    /// symbolic link), so that no job destroys what it reads or writes one output over another.
    /// Standard input and output (`-`) and devices never clash.
    /// - Parameters:
    ///   - writesStandardOutput: the job also prints to standard output; an output that is the
    ///     same file as standard output (`--arpa /dev/stdout > file`) is refused then.
    /// - Throws: `NGramKitError.sameFile`.
    package static func checkDistinct(inputs: [Named], outputs: [Named], writesStandardOutput: Bool = false) throws {
        var seen: [(key: FileKey, named: Named)] = []
        for input in inputs where input.path != "-" {
            if let key = FileKey(existing: input.path) { seen.append((key, input)) }
        }
        let inputCount = seen.count
        if writesStandardOutput, let key = FileKey(descriptor: 1) { seen.append((key, ("standard output", "-"))) }
        let fixed = seen.count
        for output in outputs where output.path != "-" {
            guard let key = FileKey(output: output.path) else { continue }
            if let index = seen.firstIndex(where: { $0.key == key }) {
                let other = seen[index].named
                let conflict: NGramKitError.FileConflict = index < inputCount ? .input : index < fixed ? .standardOutput : .output
                throw NGramKitError.sameFile(output: describe(output), other: conflict == .standardOutput ? other.role : describe(other),
                                             conflict: conflict)
            }
            seen.append((key, output))
        }
    }

    /// "--arpa out.arpa"; a role that is itself a path (a positional argument) stands alone.
    private static func describe(_ named: Named) -> String {
        named.role.isEmpty ? named.path : "\(named.role) \(named.path)"
    }

    /// A file's identity: device and inode of an existing regular file, or the canonical path of
    /// one that does not exist yet.
    private enum FileKey: Equatable {
        case inode(UInt64, UInt64)
        case path(String)

        /// An existing regular file (nil for devices, pipes and missing files).
        init?(existing path: String) {
            if let stream = Platform.standardStreamDescriptor(path) {
                self.init(descriptor: stream)
                return
            }
            guard let info = Platform.status(path), Platform.isRegular(info) else { return nil }
            self = .inode(UInt64(info.st_dev), UInt64(info.st_ino))
        }

        init?(descriptor: Int32) {
            var info = stat()
            guard fstat(descriptor, &info) == 0, Platform.isRegular(info) else { return nil }
            self = .inode(UInt64(info.st_dev), UInt64(info.st_ino))
        }

        /// Where an output will be written: the existing file, or the canonical name of a new one.
        init?(output path: String) {
            if let stream = Platform.standardStreamDescriptor(path) {
                self.init(descriptor: stream)
                return
            }
            if let info = Platform.status(path) {
                guard Platform.isRegular(info) else { return nil }
                self = .inode(UInt64(info.st_dev), UInt64(info.st_ino))
                return
            }
            let target = OutputFile.followLinks(path)
            guard let folder = Platform.canonicalPath(Platform.directory(of: target)) else { return nil }
            self = .path(folder + "/" + Platform.lastComponent(of: target))
        }
    }
}
