#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A stream of word ids (`<s> w1 ... wn </s>` per sentence), written once front to back and
/// then read at any position: in memory, or, for a stream too large for the job's memory
/// budget, in a temporary file mapped for reading (the scaling harness's pool past the budget).
///
/// In:  ids, appended (`append`), then `seal()`.
/// Out: `ids`, the whole stream as one buffer, for reads anywhere; `forEachChunk`, the first ids
///      in chunks of whole sentences, for reads front to back within a bounded resident size.
///
/// Why a mapping and 4 bytes an id: slices of the pool are prefixes cut at unit ends, and a
/// shuffle gathers units from anywhere, so positions must be addressable. The pages of a mapping
/// a reader has touched count in the process's resident size until `release()` hands them back
/// to the page cache; readers that walk far call it as they go (`forEachChunk` does).
///
/// Invariants: before `seal()` only `append` may be called; after it, `ids` covers exactly
/// `count` ids (a mapping of the file, or the memory buffer) and nothing more may be appended.
/// `buffered` ids at the end of the stream are in `writeBuffer`, not yet in the file.
package final class IDStore: @unchecked Sendable {
    private let memory: GrowableBuffer<UInt32>?
    private let file: TemporaryFile?
    /// Ids not yet written to the file.
    private var writeBuffer: UnsafeMutablePointer<UInt32>?
    private var buffered = 0
    private static let writeBufferIDs = 1 << 16
    /// When a reader that gathers units from anywhere in the stream (a shuffle) calls `release()`:
    /// after 256 units (each may touch a page or two of its own) or 1 Mi ids, whichever comes
    /// first, so that the pages it holds stay a few MB.
    package struct ReleaseSchedule {
        private var units = 0, ids = 0

        package init() {}

        /// Notes a unit of `count` ids read from `store`, and releases the store's pages when due.
        package mutating func read(ids count: Int, of store: IDStore) {
            units += 1
            ids += count
            if units >= 256 || ids >= 1 << 20 {
                store.release()
                units = 0
                ids = 0
            }
        }
    }
    private var mapping: UnsafeMutableRawPointer?
    private var mappedBytes = 0
    private var sealed = false
    /// Ids appended.
    package private(set) var count = 0

    /// A stream kept in memory, with room for `capacity` ids to begin with.
    package init(inMemoryCapacity capacity: Int) {
        memory = GrowableBuffer(initialCapacity: capacity)
        file = nil
    }

    /// The ids of `buffer`, which the store takes over (sealed: nothing more may be appended).
    package init(sealing buffer: GrowableBuffer<UInt32>) {
        memory = buffer
        file = nil
        count = buffer.count
        sealed = true
    }

    /// A stream kept in a new file of `space`.
    package init(space: TemporarySpace) throws {
        memory = nil
        file = try space.makeFile()
        writeBuffer = .allocate(capacity: IDStore.writeBufferIDs)
    }

    deinit {
        writeBuffer?.deallocate()
        if let mapping { munmap(mapping, mappedBytes) }
    }

    /// Whether the ids are in a temporary file rather than in memory.
    package var isOnDisk: Bool { file != nil }

    /// Memory the store holds: the ids in memory, or the write buffer of a file (the mapped
    /// pages belong to the page cache once released).
    package var memoryFootprint: Int {
        if let memory { return 4 * memory.capacity }
        return writeBuffer == nil ? 0 : 4 * IDStore.writeBufferIDs
    }

    @inline(__always)
    package func append(_ id: UInt32) throws {
        if let memory {
            memory.append(id)
        } else {
            if buffered == IDStore.writeBufferIDs { try flush() }
            writeBuffer![buffered] = id
            buffered += 1
        }
        count += 1
    }

    @inline(never)
    private func flush() throws {
        try file!.write(UnsafeRawBufferPointer(start: writeBuffer, count: 4 * buffered))
        buffered = 0
    }

    /// Ends the writing: a file is written out and mapped for reading (nothing to do for a
    /// store sealed already).
    /// - Throws: `NGramKitError.cannotWrite` naming the temporary folder (a full disk), or when
    ///   the file cannot be mapped.
    package func seal() throws {
        guard !sealed else { return }
        sealed = true
        guard let file else { return }
        try flush()
        writeBuffer?.deallocate()
        writeBuffer = nil
        try file.flush()
        guard count > 0 else { return }
        mappedBytes = 4 * count
        guard let mapped = mmap(nil, mappedBytes, PROT_READ, MAP_SHARED, file.fd, 0), mapped != MAP_FAILED else {
            throw NGramKitError.cannotWrite(path: file.space.directory, reason: "cannot map a temporary file of \(ByteCount.text(mappedBytes)): \(Platform.lastError())")
        }
        mapping = mapped
    }

    /// Every id, for reads at any position (after `seal()`).
    package var ids: UnsafeBufferPointer<UInt32> {
        precondition(sealed)
        if let memory { return UnsafeBufferPointer(start: memory.storage, count: count) }
        return UnsafeBufferPointer(start: mapping?.assumingMemoryBound(to: UInt32.self), count: count)
    }

    /// Hands the pages of the mapping that were read back to the page cache, so that they no
    /// longer count in this process's resident size (nothing to do in memory).
    package func release() {
        if let mapping { _ = madvise(mapping, mappedBytes, MADV_DONTNEED) }
    }

    /// Calls `body` with the first `prefix` ids in consecutive chunks of whole sentences (the
    /// whole prefix at once in memory; about `chunkIDs` at a time from a file, released after
    /// each), with the position of the chunk's first id.
    /// - Precondition: `prefix` is at most `count` and ends a sentence.
    package func forEachChunk(prefix: Int, chunkIDs: Int = 1 << 20,
                              _ body: (UnsafeBufferPointer<UInt32>, _ position: Int) throws -> Void) rethrows {
        precondition(prefix <= count)
        let all = ids
        guard isOnDisk else {
            if prefix > 0 { try body(UnsafeBufferPointer(rebasing: all[0..<prefix]), 0) }
            return
        }
        defer { release() }
        var start = 0
        while start < prefix {
            var end = min(start + chunkIDs, prefix)
            while end < prefix && all[end - 1] != Vocabulary.endID { end += 1 }
            try body(UnsafeBufferPointer(rebasing: all[start..<end]), start)
            // The pages wholly read go back to the page cache.
            let page = Int(sysconf(Int32(_SC_PAGESIZE)))
            let first = 4 * start / page * page, last = 4 * end / page * page
            if last > first, let mapping { _ = madvise(mapping + first, last - first, MADV_DONTNEED) }
            start = end
        }
    }
}
