import Foundation

/// Runs a slow byte source (gzip inflation) on its own thread, a few chunks ahead of the reader,
/// so that decompression overlaps tokenizing and counting on a second core.
///
/// In:  any `ByteSource`.
/// Out: the same bytes, in the same order; an error of the inner source is thrown by `read`
///      at the point where the bytes before it have all been delivered.
///
/// Invariants: `chunks` holds `chunkCount` buffers of `chunkSize` bytes; the producer fills
/// `filled` chunks ahead of the consumer (guarded by `condition`); a chunk with 0 bytes marks
/// the end. The producer thread exits at the end, on an error, or when the reader is dropped.
final class ReadAheadSource: ByteSource {
    private let buffer: ReadAheadBuffer

    init(_ inner: ByteSource) { buffer = ReadAheadBuffer(inner) }

    /// A reader that stops early (an error in the text) must not leave the producer blocked.
    deinit { buffer.cancel() }

    func read(into destination: UnsafeMutableRawBufferPointer) throws -> Int {
        try buffer.read(into: destination)
    }
}

/// The chunks shared by the producer thread and the reader.
final class ReadAheadBuffer: @unchecked Sendable {
    private static let chunkSize = 1 << 20
    private static let chunkCount = 4

    private let inner: ByteSource
    private let chunks: [UnsafeMutableRawBufferPointer]
    private var lengths: [Int]
    private let condition = NSCondition()
    private var filled = 0          // chunks ready for the consumer
    private var producerIndex = 0
    private var consumerIndex = 0
    private var consumerOffset = 0
    private var failure: Error?
    private var finished = false    // producer delivered the end (or failed)
    private var cancelled = false

    init(_ inner: ByteSource) {
        self.inner = inner
        chunks = (0..<ReadAheadBuffer.chunkCount).map { _ in
            UnsafeMutableRawBufferPointer.allocate(byteCount: ReadAheadBuffer.chunkSize, alignment: 64)
        }
        lengths = [Int](repeating: 0, count: ReadAheadBuffer.chunkCount)
        let thread = Thread { [self] in produce() }
        thread.stackSize = 1 << 20
        thread.start()
    }

    deinit {
        for chunk in chunks { chunk.deallocate() }
    }

    /// Stops the producer early (the reader gave up, for example on a bad token).
    func cancel() {
        condition.lock()
        cancelled = true
        condition.broadcast()
        while !finished { condition.wait() }
        condition.unlock()
    }

    private func produce() {
        while true {
            condition.lock()
            while filled == ReadAheadBuffer.chunkCount && !cancelled { condition.wait() }
            if cancelled {
                finished = true
                condition.broadcast()
                condition.unlock()
                return
            }
            let index = producerIndex
            condition.unlock()

            // Fill one chunk completely (or up to the end) outside the lock.
            var length = 0
            var error: Error?
            do {
                while length < ReadAheadBuffer.chunkSize {
                    let n = try inner.read(into: UnsafeMutableRawBufferPointer(rebasing: chunks[index][length...]))
                    if n == 0 { break }
                    length += n
                }
            } catch let caught {
                error = caught
            }

            condition.lock()
            lengths[index] = length
            if length > 0 {
                producerIndex = (producerIndex + 1) % ReadAheadBuffer.chunkCount
                filled += 1
            }
            if error != nil || length < ReadAheadBuffer.chunkSize {
                failure = error
                finished = true
                condition.broadcast()
                condition.unlock()
                return
            }
            condition.broadcast()
            condition.unlock()
        }
    }

    func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        condition.lock()
        defer { condition.unlock() }
        while filled == 0 && !finished { condition.wait() }
        if filled == 0 {
            if let failure { throw failure }
            return 0
        }
        let index = consumerIndex
        let available = lengths[index] - consumerOffset
        let n = min(available, buffer.count)
        // Copying under the lock is fine: the producer never touches a filled chunk.
        buffer.baseAddress!.copyMemory(from: chunks[index].baseAddress! + consumerOffset, byteCount: n)
        consumerOffset += n
        if consumerOffset == lengths[index] {
            consumerOffset = 0
            consumerIndex = (consumerIndex + 1) % ReadAheadBuffer.chunkCount
            filled -= 1
            condition.broadcast()
        }
        return n
    }
}
