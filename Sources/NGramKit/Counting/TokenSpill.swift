/// The token-id stream of a text too large for memory, in a temporary file.
///
/// In:  whole sentences of ids (`<s> w1 ... wn </s>`), a stream buffer at a time.
/// Out: the same ids, read back front to back in chunks of whole sentences, as many times as
///      the job needs (once per partition), each id passed through an optional map (the
///      restriction of `--min-count` / `--max-vocab`, decided after reading).
///
/// Ids are stored as LEB128 varints: ids follow first appearance, so the frequent words have
/// small ids and most tokens take one or two bytes instead of four.
package final class TokenSpill {
    let file: TemporaryFile
    private let writer: RecordWriter
    /// Ids written.
    package private(set) var count = 0

    package init(space: TemporarySpace) throws {
        file = try space.makeFile()
        writer = RecordWriter(file: file)
    }

    /// Appends the ids of `stream` (whole sentences) and empties it.
    func take(_ stream: GrowableBuffer<UInt32>) throws {
        let ids = stream.storage
        for i in 0..<stream.count { try writer.varint(UInt64(ids[i])) }
        count += stream.count
        stream.removeAll()
        try writer.finish()
    }
}

/// The token-id stream of a job, in memory or spilled, read in chunks of whole sentences.
package enum TokenSource {
    case memory(GrowableBuffer<UInt32>)
    case spilled(TokenSpill)

    /// Number of ids (tokens and sentence markers).
    package var count: Int {
        switch self {
        case .memory(let stream): return stream.count
        case .spilled(let spill): return spill.count
        }
    }

    /// Calls `body` with consecutive chunks of the stream, each made of whole sentences, every
    /// id mapped through `remap` when given.
    /// - Parameter chunkIDs: ids a chunk holds at most (more when one sentence is longer).
    package func forEachChunk(chunkIDs: Int = 1 << 20, remap: [UInt32]? = nil,
                              _ body: (UnsafeBufferPointer<UInt32>) throws -> Void) throws {
        switch self {
        case .memory(let stream):
            if let remap {
                // Mapped a chunk at a time into a scratch buffer; chunks need not end on sentences
                // here, but do so anyway for the callers' sake.
                var scratch = [UInt32]()
                scratch.reserveCapacity(chunkIDs + 1)
                var start = 0
                while start < stream.count {
                    var end = min(start + chunkIDs, stream.count)
                    while end < stream.count && stream[end - 1] != Vocabulary.endID { end += 1 }
                    scratch.removeAll(keepingCapacity: true)
                    for i in start..<end { scratch.append(remap[Int(stream[i])]) }
                    try scratch.withUnsafeBufferPointer { try body($0) }
                    start = end
                }
            } else {
                try body(UnsafeBufferPointer(start: stream.storage, count: stream.count))
            }
        case .spilled(let spill):
            let reader = try spill.file.reader()
            var chunk = [UInt32]()
            chunk.reserveCapacity(chunkIDs + 1)
            var read = 0
            while read < spill.count {
                let raw = UInt32(truncatingIfNeeded: try reader.varint())
                let id = remap.map { $0[Int(raw)] } ?? raw
                chunk.append(id)
                read += 1
                if id == Vocabulary.endID && chunk.count >= chunkIDs {
                    try chunk.withUnsafeBufferPointer { try body($0) }
                    chunk.removeAll(keepingCapacity: true)
                }
            }
            if !chunk.isEmpty { try chunk.withUnsafeBufferPointer { try body($0) } }
        }
    }
}
