/// Buffered output of text (ARPA models, counts, vocabularies, tokens, reports) to an
/// `OutputFile`: standard output, a device or pipe, or a file replaced only when complete (see
/// `OutputFile` for where the bytes go and what is left after an error or a signal).
///
/// A file whose name ends in `.gz` is written gzip-compressed (as SRILM writes such names);
/// NGramKit's readers recognise gzip by content, so it reads back as it was written.
///
/// Invariants: `buffer` holds `capacity` bytes, the first `used` not yet handed on; nothing is
/// written after `commit` or `discard`.
package final class OutputSink {
    private let file: OutputFile
    private let compressor: GzipCompressor?
    /// The user-facing path (`-` for standard output).
    package var path: String { file.path }
    private var buffer: UnsafeMutablePointer<UInt8>
    private var used = 0
    private let capacity = 1 << 20

    /// Opens `path` for writing (`-` is standard output); its temporary file is made now.
    /// - Throws: `NGramKitError.cannotWrite` when the location cannot be written.
    package convenience init(path: String) throws {
        try self.init(file: OutputFile(path: path))
    }

    /// Writes into an output opened earlier (jobs open every output before reading input).
    package init(file: OutputFile) throws {
        self.file = file
        compressor = file.path != "-" && file.path.hasSuffix(".gz") ? try GzipCompressor(into: file) : nil
        buffer = .allocate(capacity: capacity)
    }

    deinit {
        buffer.deallocate()
        file.discard()
    }

    private func hand(_ start: UnsafePointer<UInt8>, _ count: Int) throws {
        if let compressor {
            try compressor.compress(start, count)
        } else {
            try file.write(UnsafeRawBufferPointer(start: start, count: count))
        }
    }

    private func flush() throws {
        guard used > 0 else { return }
        try hand(buffer, used)
        used = 0
    }

    /// Appends bytes.
    @inline(__always)
    package func write(_ bytes: UnsafeBufferPointer<UInt8>) throws {
        if used + bytes.count > capacity {
            try flush()
            if bytes.count > capacity { return try hand(bytes.baseAddress!, bytes.count) }
        }
        if bytes.count > 0 {
            (buffer + used).update(from: bytes.baseAddress!, count: bytes.count)
            used += bytes.count
        }
    }

    /// Appends one byte.
    @inline(__always)
    package func write(byte: UInt8) throws {
        if used == capacity { try flush() }
        buffer[used] = byte
        used += 1
    }

    /// Appends an unsigned integer in decimal.
    @inline(__always)
    package func write(decimal value: UInt64) throws {
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

    /// Appends a string's UTF-8 bytes.
    package func write(string: String) throws {
        var copy = string
        try copy.withUTF8 { try write($0) }
    }

    /// Writes out what is buffered and makes the output visible under its name.
    package func commit() throws {
        try flush()
        if let compressor {
            try withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 1) { try compressor.compress($0.baseAddress!, 0, finish: true) }
        }
        try file.commit()
    }

    /// Drops the output (a temporary file is removed; the target is left as it was).
    package func discard() { file.discard() }
}
