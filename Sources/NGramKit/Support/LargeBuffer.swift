import Dispatch
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
public final class LargeBuffer<T: BitwiseCopyable>: @unchecked Sendable {
    /// First element; valid for `count` elements until deinit.
    public let base: UnsafeMutablePointer<T>
    /// Number of elements.
    public let count: Int
    private let byteCount: Int
    private let isMapped: Bool
    /// What keeps a borrowed buffer's memory alive; nil for buffers that own their memory.
    private let owner: AnyObject?

    /// Whether the elements live in memory owned by another object (see the type's comment).
    public var isBorrowed: Bool { owner != nil }

    /// A buffer over `count` elements at `base` that `owner` keeps alive (and frees).
    public init(borrowing base: UnsafeMutablePointer<T>, count: Int, owner: AnyObject) {
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
    public init(zeroedCount count: Int, populatingThreads: Int = 1) {
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
            fatalError("NGramKit: out of memory mapping \(bytes) bytes")
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
    public var memoryFootprint: Int { byteCount }

    @inline(__always)
    public subscript(index: Int) -> T {
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
public final class GrowableBuffer<T: BitwiseCopyable>: @unchecked Sendable {
    public private(set) var storage: UnsafeMutablePointer<T>
    public private(set) var count: Int = 0
    public private(set) var capacity: Int
    /// What keeps a borrowed buffer's elements alive; nil once the buffer owns its storage.
    private var owner: AnyObject?

    /// A buffer over the `count` elements at `storage`, which `owner` keeps alive.
    public init(borrowing storage: UnsafePointer<T>, count: Int, owner: AnyObject) {
        self.storage = UnsafeMutablePointer(mutating: storage)
        self.count = count
        capacity = count
        self.owner = owner
    }

    public init(initialCapacity: Int = 1 << 16) {
        capacity = max(initialCapacity, 16)
        storage = malloc(capacity * MemoryLayout<T>.stride)!.bindMemory(to: T.self, capacity: capacity)
    }

    /// A copy of `other`'s elements.
    public init(copying other: GrowableBuffer<T>) {
        capacity = max(other.count, 16)
        storage = malloc(capacity * MemoryLayout<T>.stride)!.bindMemory(to: T.self, capacity: capacity)
        storage.update(from: other.storage, count: other.count)
        count = other.count
    }

    deinit { if owner == nil { free(storage) } }

    @inline(__always)
    public func append(_ value: T) {
        if count == capacity { grow() }
        storage[count] = value
        count += 1
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
            fatalError("NGramKit: out of memory growing a buffer to \(capacity) elements")
        }
        storage = grown.bindMemory(to: T.self, capacity: capacity)
    }

    @inline(__always)
    public subscript(index: Int) -> T {
        get { storage[index] }
        set { storage[index] = newValue }
    }

    public var memoryFootprint: Int { capacity * MemoryLayout<T>.stride }
}
