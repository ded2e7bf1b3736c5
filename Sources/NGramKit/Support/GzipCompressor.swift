import CZlib

/// Compresses an output into the gzip format as it is written (`OutputSink` for outputs whose
/// name ends in `.gz`, as SRILM does), with zlib.
///
/// Invariants: `stream` is initialised until deinit; `output` holds `outputCapacity` bytes,
/// handed to `file` whenever zlib fills it.
final class GzipCompressor {
    /// zlib's level 6 (its default): what `gzip` writes, about four times smaller than ARPA text.
    static let level: Int32 = 6
    private var stream = z_stream()
    private let output: UnsafeMutablePointer<UInt8>
    private let outputCapacity = 1 << 18
    private let file: OutputFile

    init(into file: OutputFile) throws {
        self.file = file
        output = .allocate(capacity: outputCapacity)
        let status = ngk_deflate_init_gzip(&stream, GzipCompressor.level)
        if status != Z_OK {
            output.deallocate()
            throw NGramKitError.cannotWrite(path: file.path, reason: "zlib could not start compressing (code \(status))")
        }
    }

    deinit {
        deflateEnd(&stream)
        output.deallocate()
    }

    /// Compresses `count` bytes at `start`; `finish` ends the stream.
    func compress(_ start: UnsafePointer<UInt8>, _ count: Int, finish: Bool = false) throws {
        stream.next_in = UnsafeMutablePointer(mutating: start)
        stream.avail_in = UInt32(count)
        while true {
            stream.next_out = output
            stream.avail_out = UInt32(outputCapacity)
            let status = deflate(&stream, finish ? Z_FINISH : Z_NO_FLUSH)
            guard status == Z_OK || status == Z_STREAM_END || status == Z_BUF_ERROR else {
                throw NGramKitError.cannotWrite(path: file.path, reason: "zlib failed compressing (code \(status))")
            }
            let produced = outputCapacity - Int(stream.avail_out)
            try file.write(UnsafeRawBufferPointer(start: output, count: produced))
            if finish ? status == Z_STREAM_END : (stream.avail_in == 0 && stream.avail_out > 0) { return }
        }
    }
}
