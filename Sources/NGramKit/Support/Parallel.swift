import Dispatch

/// Data-parallel loops whose result does not depend on the number of threads: the index range
/// is cut into contiguous pieces and each element is computed independently of the others.
enum Parallel {
    /// Calls `body` on contiguous pieces covering `0..<count`, on up to `threads` threads.
    /// Small ranges run on the calling thread.
    static func forEachPiece(of count: Int, threads: Int, minimumPiece: Int = 1 << 16, _ body: @Sendable (Range<Int>) -> Void) {
        let pieces = max(1, min(threads, count / max(minimumPiece, 1)))
        if pieces == 1 {
            body(0..<count)
            return
        }
        let size = (count + pieces - 1) / pieces
        DispatchQueue.concurrentPerform(iterations: pieces) { piece in
            let start = piece * size
            body(start..<min(start + size, count))
        }
    }
}

/// A value handed to worker threads that only read it or write disjoint parts of what it points to.
struct UncheckedSendable<Value>: @unchecked Sendable {
    let value: Value
    init(_ value: Value) { self.value = value }
}
