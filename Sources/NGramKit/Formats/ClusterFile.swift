import Foundation

/// The files the stages of a cluster build (`ClusterBuild`) hand each other, through the
/// cluster's shuffles and the driver.
///
/// Layout: the 8 bytes `NGKCLUS1`, one byte of kind, the header's length in bytes (UInt64,
/// little-endian), the header (`RecordWriter` records: varints, raw little-endian values,
/// byte strings as a varint length and the bytes), then the kind's raw sections, one after
/// another. The windows file's header is made of fixed-width values only (a UInt32, then a
/// UInt64 per section), so that the Spark driver reads it with `struct`.
///
/// A file is written to a temporary file and copied to its name only when complete
/// (`OutputFile`); a reader checks the magic, the kind and the lengths before anything else, so
/// a file of another kind or a cut one gives one line naming it.
package enum ClusterFileKind: UInt8, Sendable {
    case vocabulary = 1, plan, windows, summary, counts, globals, estimate, part

    var name: String {
        switch self {
        case .vocabulary: return "vocabulary"
        case .plan: return "plan"
        case .windows: return "windows"
        case .summary: return "summary"
        case .counts: return "counts"
        case .globals: return "globals"
        case .estimate: return "estimate"
        case .part: return "part"
        }
    }
}

/// Writes one cluster file: header records through `records`, then the sections `commit` copies.
package final class ClusterFileWriter {
    static let magic: [UInt8] = Array("NGKCLUS1".utf8)
    private let output: OutputFile
    private let kind: ClusterFileKind
    private let header: TemporaryFile
    /// The header's records.
    package let records: RecordWriter

    /// Opens `path` (checked writable at once) for a file of `kind`.
    package init(path: String, kind: ClusterFileKind, space: TemporarySpace) throws {
        output = try OutputFile(path: path)
        self.kind = kind
        header = try space.makeFile()
        records = RecordWriter(file: header)
    }

    /// A byte string: its length, then its bytes.
    package func bytes(_ bytes: UnsafeBufferPointer<UInt8>) throws {
        try records.varint(UInt64(bytes.count))
        try records.drain()
        try header.write(UnsafeRawBufferPointer(bytes))
    }

    /// Ascending ids below some limit (word ids), each as its difference from the one before,
    /// followed by what `value(id)` writes: a vector that is mostly zeros.
    package func sparse(_ ids: [Int], value: (Int) throws -> Void) throws {
        try records.varint(UInt64(ids.count))
        var previous = 0
        for id in ids {
            try records.varint(UInt64(id - previous))
            try value(id)
            previous = id
        }
    }

    /// Writes the file: magic, kind, header, then whatever `sections` writes to the output; the
    /// file gets its name only when all is written.
    package func commit(sections: (OutputFile) throws -> Void = { _ in }) throws {
        do {
            try records.finish()
            var prefix = ClusterFileWriter.magic + [kind.rawValue]
            withUnsafeBytes(of: UInt64(header.count).littleEndian) { prefix += $0 }
            try prefix.withUnsafeBytes { try output.write($0) }
            try header.copy { try output.write($0) }
            try sections(output)
            try output.commit()
        } catch {
            output.discard()
            throw error
        }
    }
}

/// Reads one cluster file: the header through `records`; the sections start at `sectionsStart`.
package final class ClusterFileReader {
    package let path: String
    package let file: TemporaryFile
    package let records: TemporaryFileReader
    /// Where the sections start in the file.
    package let sectionsStart: Int

    /// Opens `path` and checks that it is a complete cluster file of `kind`.
    /// - Throws: `NGramKitError.cannotOpen` or `malformedModel` naming `path`.
    package init(path: String, kind: ClusterFileKind, space: TemporarySpace) throws {
        self.path = path
        file = try TemporaryFile.reading(path, space: space)
        let prefix = ClusterFileWriter.magic.count + 9
        let head = try file.reader(from: 0, length: min(prefix, file.count))
        var magic: [UInt8] = []
        for _ in 0..<min(ClusterFileWriter.magic.count, file.count) { magic.append(try head.byte()) }
        guard file.count >= prefix, magic == ClusterFileWriter.magic else {
            throw NGramKitError.malformedModel(path: path, line: nil, reason: "not a file of `ngramkit cluster` (no NGKCLUS1 at its start); pass the file the \(kind.name) stage wrote")
        }
        let found = try head.byte()
        guard found == kind.rawValue else {
            let name = ClusterFileKind(rawValue: found)?.name ?? "unknown"
            throw NGramKitError.malformedModel(path: path, line: nil, reason: "a \(name) file where a \(kind.name) file was expected; check the order of the stages' arguments")
        }
        let headerLength = Int(truncatingIfNeeded: try head.fixed(UInt64.self))
        guard headerLength >= 0, headerLength <= file.count - prefix else {
            throw ClusterFileReader.cut(path)
        }
        records = try file.reader(from: prefix, length: headerLength, bufferBytes: 1 << 16)
        sectionsStart = prefix + headerLength
    }

    @inline(never)
    package static func cut(_ path: String) -> NGramKitError {
        .malformedModel(path: path, line: nil, reason: "the file is cut short or damaged; run the stage that wrote it again")
    }

    /// Reads the header with `body`, turning a cut record into one line naming the file.
    package func read<T>(_ body: (TemporaryFileReader) throws -> T) throws -> T {
        do {
            let value = try body(records)
            return value
        } catch let error as NGramKitError {
            if case .cannotWrite = error { throw ClusterFileReader.cut(path) }
            throw error
        }
    }

    /// A byte string written by `ClusterFileWriter.bytes`.
    package func bytes(into buffer: inout [UInt8]) throws {
        let count = Int(truncatingIfNeeded: try records.varint())
        guard count >= 0, count <= 1 << 20 else { throw ClusterFileReader.cut(path) }
        buffer.removeAll(keepingCapacity: true)
        for _ in 0..<count { buffer.append(try records.byte()) }
    }

    /// Reads what `ClusterFileWriter.sparse` wrote, ids below `limit`: `value(id)` reads each id's value.
    package func sparse(below limit: Int, value: (Int) throws -> Void) throws {
        var id = 0
        for _ in 0..<(try count(atMost: limit)) {
            id += try count(atMost: limit - 1 - id)
            try value(id)
        }
    }

    /// A varint that must be at most `limit`.
    package func count(atMost limit: Int) throws -> Int {
        let value = try records.varint()
        guard value <= UInt64(limit) else { throw ClusterFileReader.cut(path) }
        return Int(value)
    }
}
