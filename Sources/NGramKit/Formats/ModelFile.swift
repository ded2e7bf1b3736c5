#if canImport(Glibc)
import Glibc
#endif
/// Loading a model from a file, whatever its format.
public enum ModelFile {
    /// Reads the model in `path`: NGramKit's binary format (mapped in constant time; see
    /// `BinaryModel`) or an ARPA file (plain or gzip), told apart by content (the binary
    /// format's magic bytes), so the name does not matter.
    /// - Parameters:
    ///   - threads: threads that parse an ARPA file (the model is the same for any number).
    ///     Default: all cores.
    ///   - warn: receives warning lines (for example, a model without `<unk>`).
    /// - Throws: `NGramKitError` naming the file (and line) for unreadable or malformed models.
    public static func load(_ path: String, threads: Int? = nil, warn: (String) -> Void = { _ in }) throws -> NGramModel {
        if path != "-" && BinaryModel.hasMagic(path) { return try BinaryModel.load(path) }
        if let threads { return try ARPAReader.read(path, threads: threads, warn: warn) }
        return try ARPAReader.read(path, warn: warn)
    }

    /// Checks the payload checksum of the binary model in `path` (reads the whole file, on all
    /// cores); `load` checks only the header and sizes, in constant time.
    /// - Throws: `NGramKitError.malformedModel` naming the file when it is not a binary model or
    ///   its checksum does not match; the errors of `load`.
    public static func verify(_ path: String) throws {
        guard BinaryModel.hasMagic(path) else {
            throw NGramKitError.malformedModel(path: path, line: nil, reason: "not an NGramKit binary model, so it has no checksum to verify (ARPA files are checked as they are read)")
        }
        try BinaryModel(path: path).verifyChecksum()
    }
}

/// A job's model outputs, ARPA and/or binary (`build`, `prune`, `interpolate`): opened before
/// any input is read, written, and named together only when both are complete.
package struct ModelOutputs {
    let arpa: OutputSink?
    let binary: OutputFile?
    /// Store the successor index in the binary model.
    let successors: Bool

    /// Opens the outputs (nil paths are not written).
    package init(arpaPath: String?, binaryPath: String?, successors: Bool = false) throws {
        arpa = try arpaPath.map { try OutputSink(file: OutputFile(path: $0)) }
        binary = try binaryPath.map { try OutputFile(path: $0, seekable: true) }
        self.successors = successors
    }

    /// Writes `model` to every output and then names them all.
    package func write(_ model: NGramModel, threads: Int, progress: ProgressReporter?) throws {
        if let arpa {
            progress?.status("writing \(arpa.path)")
            try ARPAWriter.write(model, to: arpa, threads: threads)
        }
        if let binary {
            progress?.status("writing \(binary.path)")
            try BinaryModelWriter.write(model, into: binary, threads: threads, successors: successors)
        }
        try commit()
    }

    /// Names every output (each is complete: written here or by a writer past the budget).
    package func commit() throws {
        try arpa?.commit()
        try binary?.commit()
    }
}
