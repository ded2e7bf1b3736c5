#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Corpus reading, second step: a byte stream in, lines out.
///
/// In:  a `ByteSource`.
/// Out: each line's bytes without its `\n` (and without a `\r` right before it, so `\r\n` files
///      read like `\n` files), with its 1-based line number. A final line without `\n` is a line;
///      an empty line is a line (KenLM scores it as a sentence). The buffer grows only for a line
///      longer than itself, so memory stays constant for any corpus size.
package struct LineReader {
    private static let initialCapacity = 1 << 20
    /// Readable bytes past the end of every line (see the type's comment).
    package static let readableSlack = 16

    /// Calls `body` for every line of `source`.
    /// - Parameters:
    ///   - source: where the bytes come from.
    ///   - body: receives the line (valid only during the call) and its 1-based number.
    /// - Returns: the number of lines read.
    @discardableResult
    package static func forEachLine(
        of source: ByteSource,
        _ body: (UnsafeBufferPointer<UInt8>, Int) throws -> Void
    ) throws -> Int {
        var capacity = initialCapacity
        var buffer = UnsafeMutableRawPointer.allocate(byteCount: capacity + readableSlack, alignment: 64)
        buffer.initializeMemory(as: UInt8.self, repeating: 0, count: capacity + readableSlack)
        defer { buffer.deallocate() }
        var start = 0       // first byte not yet handed out
        var end = 0         // one past the last byte read
        var scanFrom = 0    // where the search for '\n' resumes
        var lineNumber = 0
        var atEOF = false
        while true {
            if let newline = memchr(buffer + scanFrom, 0x0A, end - scanFrom) {
                let newlineIndex = buffer.distance(to: newline)
                var lineEnd = newlineIndex
                if lineEnd > start && buffer.load(fromByteOffset: lineEnd - 1, as: UInt8.self) == 0x0D { lineEnd -= 1 }
                lineNumber += 1
                try body(UnsafeBufferPointer(start: (buffer + start).assumingMemoryBound(to: UInt8.self), count: lineEnd - start), lineNumber)
                start = newlineIndex + 1
                scanFrom = start
                continue
            }
            if atEOF {
                if end > start {
                    var lineEnd = end
                    if buffer.load(fromByteOffset: lineEnd - 1, as: UInt8.self) == 0x0D { lineEnd -= 1 }
                    lineNumber += 1
                    try body(UnsafeBufferPointer(start: (buffer + start).assumingMemoryBound(to: UInt8.self), count: lineEnd - start), lineNumber)
                }
                return lineNumber
            }
            // Keep the unfinished line, make room, read more.
            if start > 0 {
                if end > start { memmove(buffer, buffer + start, end - start) }
                end -= start
                start = 0
            }
            scanFrom = end
            if end == capacity {
                capacity *= 2
                let grown = UnsafeMutableRawPointer.allocate(byteCount: capacity + readableSlack, alignment: 64)
                grown.initializeMemory(as: UInt8.self, repeating: 0, count: capacity + readableSlack)
                grown.copyMemory(from: buffer, byteCount: end)
                buffer.deallocate()
                buffer = grown
            }
            let n = try source.read(into: UnsafeMutableRawBufferPointer(start: buffer + end, count: capacity - end))
            if n == 0 { atEOF = true } else { end += n }
        }
    }

    /// Opens `path` (`-` for standard input) and calls `body` for every line.
    @discardableResult
    package static func forEachLine(
        inFile path: String,
        _ body: (UnsafeBufferPointer<UInt8>, Int) throws -> Void
    ) throws -> Int {
        let source = try ByteSources.open(path)
        return try forEachLine(of: source, body)
    }
}
