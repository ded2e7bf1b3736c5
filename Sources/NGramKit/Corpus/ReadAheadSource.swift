import Foundation

/// Runs a slow byte source (gzip inflation) on its own thread, a few chunks ahead of the reader,
/// so that decompression overlaps tokenizing and counting on a second core.
///
/// In:  any `ByteSource`.
/// Out: the same bytes, in the same order; an error of the inner source is thrown by `read`
///      at the point where the bytes before it have all been delivered.
///
/// The producer thread exits at the end, on an error, or when the reader is dropped.
final class ReadAheadSource: ByteSource {
    private let buffer: ReadAheadBuffer

    init(_ inner: ByteSource) { buffer = ReadAheadBuffer(inner) }

    /// A reader that stops early (an error in the text) must not leave the producer blocked.
    deinit { buffer.cancel() }

    func read(into destination: UnsafeMutableRawBufferPointer) throws -> Int {
        try buffer.read(into: destination)
    }
}

/// The chunks the producer thread and the reader hand each other.
///
/// Invariants: `chunkCount` chunks of `chunkSize` bytes exist; each is in exactly one of: the
/// producer's hands, `filled` (with its length, the last one short or carrying the error that
/// ended the input), the reader's hands (`current`), `empty` (two `BlockingQueue`s).
final class ReadAheadBuffer: @unchecked Sendable {
    private static let chunkSize = 1 << 20
    private static let chunkCount = 4

    /// A chunk handed to the reader: its bytes, how many are valid, and what ended the input
    /// after them (an error), if anything.
    private struct Filled {
        let index: Int
        let length: Int
        let isLast: Bool
        let failure: Error?
    }

    private let inner: ByteSource
    private let chunks: [UnsafeMutableRawBufferPointer]
    private let filled = BlockingQueue<Filled>()
    private let empty = BlockingQueue<Int>()
    private let finished = Completion()
    // The reader's side: the chunk being read from, and where.
    private var current: Filled?
    private var offset = 0
    private var ended = false

    init(_ inner: ByteSource) {
        self.inner = inner
        chunks = (0..<ReadAheadBuffer.chunkCount).map { _ in
            UnsafeMutableRawBufferPointer.allocate(byteCount: ReadAheadBuffer.chunkSize, alignment: 64)
        }
        for index in 0..<ReadAheadBuffer.chunkCount { empty.push(index) }
        let thread = Thread { [self] in produce() }
        thread.stackSize = 1 << 20
        thread.start()
    }

    deinit {
        for chunk in chunks { chunk.deallocate() }
    }

    /// Stops the producer early (the reader gave up, for example on a bad token) and waits for it.
    func cancel() {
        empty.close(discarding: true)
        finished.wait()
    }

    private func produce() {
        defer {
            filled.close()
            finished.signal()
        }
        while let index = empty.pop() {
            // Fill one chunk completely, or up to the end of the input.
            var length = 0
            var failure: Error?
            do {
                while length < ReadAheadBuffer.chunkSize {
                    let n = try inner.read(into: UnsafeMutableRawBufferPointer(rebasing: chunks[index][length...]))
                    if n == 0 { break }
                    length += n
                }
            } catch {
                failure = error
            }
            let isLast = failure != nil || length < ReadAheadBuffer.chunkSize
            filled.push(Filled(index: index, length: length, isLast: isLast, failure: failure))
            if isLast { return }
        }
    }

    func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        while true {
            if ended { return 0 }
            if current == nil {
                guard let next = filled.pop() else { return 0 }
                current = next
                offset = 0
            }
            let chunk = current!
            let available = chunk.length - offset
            if available > 0 {
                let n = min(available, buffer.count)
                buffer.baseAddress!.copyMemory(from: chunks[chunk.index].baseAddress! + offset, byteCount: n)
                offset += n
                return n
            }
            // This chunk is used up: hand it back, or end with what ended the input.
            current = nil
            if chunk.isLast {
                ended = true
                if let failure = chunk.failure { throw failure }
                return 0
            }
            empty.push(chunk.index)
        }
    }
}
