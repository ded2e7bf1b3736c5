import Dispatch
import CNGramKitSupport
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A fixed-size, zero-filled array of trivial elements backed by an anonymous memory mapping.
///
/// Why not `[T]`: counting tables are hundreds of megabytes and are probed at random, so they
/// ask the kernel for 2 MB pages (`madvise(MADV_HUGEPAGE)`), which cuts TLB misses; and a fresh
/// mapping is zero-filled lazily, so "empty" costs nothing until a page is touched.
///
/// Invariants: `base` points to `count` initialized elements (zero bytes are a valid value of
/// every `T` used here: integers); the mapping lives exactly as long as the object.
/// `T` must be a trivial type (no references). A *borrowed* buffer (`init(borrowing:count:owner:)`)
/// points into memory that `owner` keeps alive (a mapped model file, possibly read-only): it is
/// never freed here and must not be written unless the owner's memory is writable.
package final class LargeBuffer<T: BitwiseCopyable>: @unchecked Sendable {
    /// First element; valid for `count` elements until deinit.
    package let base: UnsafeMutablePointer<T>
    /// Number of elements.
    package let count: Int
    private let byteCount: Int
    private let isMapped: Bool
    /// What keeps a borrowed buffer's memory alive; nil for buffers that own their memory.
    private let owner: AnyObject?

    /// Whether the elements live in memory owned by another object (see the type's comment).
    package var isBorrowed: Bool { owner != nil }

    /// A buffer over `count` elements at `base` that `owner` keeps alive (and frees).
    package init(borrowing base: UnsafeMutablePointer<T>, count: Int, owner: AnyObject) {
        self.base = base
        self.count = count
        byteCount = count * MemoryLayout<T>.stride
        isMapped = false
        self.owner = owner
    }

    /// Allocates `count` zeroed elements.
    /// - Parameters:
    ///   - count: number of elements, at least 0.
    ///   - populatingThreads: the kernel zeroes the pages up front (rather than at first touch,
    ///     inside a hot loop), split over this many threads.
    package init(zeroedCount count: Int, populatingThreads: Int = 1) {
        precondition(count >= 0)
        self.count = count
        owner = nil
        let bytes = max(count * MemoryLayout<T>.stride, 1)
        self.byteCount = bytes
        // Small buffers are not worth a mapping of their own.
        if bytes < 1 << 20 {
            let raw = UnsafeMutableRawPointer.allocate(byteCount: bytes, alignment: 64)
            raw.initializeMemory(as: UInt8.self, repeating: 0, count: bytes)
            base = raw.bindMemory(to: T.self, capacity: max(count, 1))
            isMapped = false
            return
        }
        let mapped = mmap(nil, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0)
        guard let mapped, mapped != MAP_FAILED else {
            LargeBuffer.outOfMemory(bytes)
        }
        #if os(Linux)
        _ = madvise(mapped, bytes, 14 /* MADV_HUGEPAGE */)
        // Fault every page in now, in 2 MB-aligned pieces, on several threads when asked: the
        // kernel's zeroing of hundreds of megabytes is otherwise a serial cost.
        let pieces = max(1, min(populatingThreads, bytes >> 22))
        let pieceBytes = ((bytes / pieces) + (1 << 21) - 1) & ~((1 << 21) - 1)
        let region = UncheckedRegion(base: mapped, bytes: bytes)
        let populate: @Sendable (Int) -> Void = { piece in
            let start = piece * pieceBytes
            guard start < region.bytes else { return }
            _ = madvise(region.base + start, min(pieceBytes, region.bytes - start), 23 /* MADV_POPULATE_WRITE */)
        }
        if pieces == 1 { populate(0) } else { DispatchQueue.concurrentPerform(iterations: pieces, execute: populate) }
        #endif
        base = mapped.bindMemory(to: T.self, capacity: count)
        isMapped = true
    }

    deinit {
        if owner != nil { return }
        if isMapped {
            munmap(UnsafeMutableRawPointer(base), byteCount)
        } else {
            UnsafeMutableRawPointer(base).deallocate()
        }
    }

    /// Bytes of memory reserved for the elements.
    package var memoryFootprint: Int { byteCount }

    /// The end of a job that asked for memory the system refused, where it cannot throw: one
    /// line, temporary files removed, exit status 1 (not a trap).
    @inline(never)
    static func outOfMemory(_ bytes: Int) -> Never {
        ngk_exit_out_of_memory("out of memory: the system refused \(ByteCount.text(bytes)) (physical memory \(ByteCount.text(Platform.physicalMemory))); use a smaller input, a lower --order, or a machine with more memory")
        fatalError("unreachable")
    }

    @inline(__always)
    package subscript(index: Int) -> T {
        get { base[index] }
        set { base[index] = newValue }
    }
}

/// A mapped region handed to the threads that populate it.
private struct UncheckedRegion: @unchecked Sendable {
    let base: UnsafeMutableRawPointer
    let bytes: Int
}

/// A growable array of trivial elements for streams of unknown length (the token-id stream).
///
/// Grows by doubling with `realloc`, which for large blocks remaps pages instead of copying.
/// Invariants: `storage` holds `capacity` elements of which the first `count` are initialized.
/// A borrowed buffer (`init(borrowing:count:owner:)`) reads memory that `owner` keeps alive; its
/// first `append` copies the elements into memory of its own, so it never writes the owner's.
package final class GrowableBuffer<T: BitwiseCopyable>: @unchecked Sendable {
    package private(set) var storage: UnsafeMutablePointer<T>
    package private(set) var count: Int = 0
    package private(set) var capacity: Int
    /// What keeps a borrowed buffer's elements alive; nil once the buffer owns its storage.
    private var owner: AnyObject?

    /// A buffer over the `count` elements at `storage`, which `owner` keeps alive.
    package init(borrowing storage: UnsafePointer<T>, count: Int, owner: AnyObject) {
        self.storage = UnsafeMutablePointer(mutating: storage)
        self.count = count
        capacity = count
        self.owner = owner
    }

    package init(initialCapacity: Int = 1 << 16) {
        capacity = max(initialCapacity, 16)
        storage = malloc(capacity * MemoryLayout<T>.stride)!.bindMemory(to: T.self, capacity: capacity)
    }

    /// A copy of `other`'s elements.
    package init(copying other: GrowableBuffer<T>) {
        capacity = max(other.count, 16)
        storage = malloc(capacity * MemoryLayout<T>.stride)!.bindMemory(to: T.self, capacity: capacity)
        storage.update(from: other.storage, count: other.count)
        count = other.count
    }

    deinit { if owner == nil { free(storage) } }

    /// Forgets the elements, keeping the storage (a stream that spills its ids reuses it).
    package func removeAll() { count = 0 }

    /// Forgets the elements and gives back the storage (down to a few elements).
    package func removeAllAndShrink() {
        count = 0
        guard owner == nil, capacity > 16, let shrunk = realloc(storage, 16 * MemoryLayout<T>.stride) else { return }
        storage = shrunk.bindMemory(to: T.self, capacity: 16)
        capacity = 16
    }

    @inline(__always)
    package func append(_ value: T) {
        if count == capacity { grow() }
        storage[count] = value
        count += 1
    }

    /// Makes room for `minimumCapacity` elements at once, so that the appends after it cannot
    /// fail: growth that the machine cannot give is an error here, not a trap inside `append`.
    /// - Parameters:
    ///   - limit: the most bytes the buffer may take (for example, what physical memory allows).
    ///   - what: the job, for the message ("counting the text").
    /// - Throws: `NGramKitError.outOfMemory` with the bytes needed.
    package func reserve(_ minimumCapacity: Int, limit: Int, what: String, advice: String) throws {
        guard minimumCapacity > capacity else { return }
        var newCapacity = max(capacity * 2, 16)
        while newCapacity < minimumCapacity { newCapacity *= 2 }
        let bytes = newCapacity * MemoryLayout<T>.stride
        guard bytes <= limit else {
            throw NGramKitError.outOfMemory(what: what, bytesNeeded: bytes, bytesAvailable: limit, advice: advice)
        }
        if owner != nil {
            guard let copy = malloc(bytes) else {
                throw NGramKitError.outOfMemory(what: what, bytesNeeded: bytes, bytesAvailable: 0, advice: advice)
            }
            let typed = copy.bindMemory(to: T.self, capacity: newCapacity)
            typed.update(from: storage, count: count)
            storage = typed
            owner = nil
        } else {
            guard let grown = realloc(storage, bytes) else {
                throw NGramKitError.outOfMemory(what: what, bytesNeeded: bytes, bytesAvailable: 0, advice: advice)
            }
            storage = grown.bindMemory(to: T.self, capacity: newCapacity)
        }
        capacity = newCapacity
    }

    private func grow() {
        if owner != nil {
            // Borrowed: copy into memory of our own first.
            let newCapacity = max(capacity * 2, 16)
            let copy = malloc(newCapacity * MemoryLayout<T>.stride)!.bindMemory(to: T.self, capacity: newCapacity)
            copy.update(from: storage, count: count)
            storage = copy
            capacity = newCapacity
            owner = nil
            return
        }
        capacity *= 2
        guard let grown = realloc(storage, capacity * MemoryLayout<T>.stride) else {
            LargeBuffer<UInt8>.outOfMemory(capacity * MemoryLayout<T>.stride)
        }
        storage = grown.bindMemory(to: T.self, capacity: capacity)
    }

    @inline(__always)
    package subscript(index: Int) -> T {
        get { storage[index] }
        set { storage[index] = newValue }
    }

    package var memoryFootprint: Int { capacity * MemoryLayout<T>.stride }
}
