/// Every error NGramKit reports to a user.
///
/// Each case renders as one line that says where (file and line when known), what is wrong and
/// what to do about it; the command-line tool prints `description` and exits non-zero.
public enum NGramKitError: Error, Equatable, CustomStringConvertible, Sendable {
    /// A file could not be opened or read.
    case cannotOpen(path: String, reason: String)
    /// A path names a directory where a file was expected.
    case isDirectory(path: String)
    /// A gzip stream is corrupt or ends early.
    case corruptGzip(path: String, reason: String)
    /// A line is not valid UTF-8 (unicode and character tokenizers only); `byteOffset` counts
    /// from 0 (the message counts bytes from 1, as lines are counted).
    case invalidUTF8(path: String, line: Int, byteOffset: Int)
    /// The text contains a token that is reserved for sentence boundaries.
    case reservedToken(path: String, line: Int, token: String)
    /// An option has a value out of its range.
    case invalidOption(name: String, value: String, expected: String)
    /// A file the tool reads back (counts, vocabulary) has a malformed line.
    case malformedLine(path: String, line: Int, reason: String)
    /// A count or an id went past what the tables store.
    case capacityExceeded(what: String, limit: String)
    /// Writing output failed.
    case cannotWrite(path: String, reason: String)
    /// There is nothing to work on; `hint` says what to give instead.
    case emptyInput(what: String, hint: String)
    /// A language model file is malformed (ARPA or binary).
    case malformedModel(path: String, line: Int?, reason: String)
    /// An output is the same file as an input, as another output, or as standard output.
    case sameFile(output: String, other: String, conflict: FileConflict)
    /// A job needs more memory than the machine has (`bytesAvailable` 0: the system refused it).
    case outOfMemory(what: String, bytesNeeded: Int, bytesAvailable: Int, advice: String)

    /// What an output would have destroyed (`sameFile`).
    public enum FileConflict: Sendable, Equatable {
        /// An input of the same job.
        case input
        /// Another output of the same job.
        case output
        /// Standard output, where the job also prints.
        case standardOutput
    }

    public var description: String {
        switch self {
        case let .cannotOpen(path, reason):
            return "\(path): cannot open: \(reason); check the path and its permissions"
        case let .isDirectory(path):
            return "\(path): is a directory, not a text file; name the files inside it"
        case let .corruptGzip(path, reason):
            return "\(path): corrupt or truncated gzip stream (\(reason)); the input would be silently short, so nothing was counted; re-download or re-compress the file"
        case let .invalidUTF8(path, line, byteOffset):
            return "\(path):\(line): invalid UTF-8 at byte \(byteOffset + 1) of the line; fix the encoding or pass --invalid-utf8 replace"
        case let .reservedToken(path, line, token):
            return "\(path):\(line): the text contains the reserved token \(token), which NGramKit adds itself at sentence boundaries; remove or rename it"
        case let .invalidOption(name, value, expected):
            return "invalid value '\(value)' for \(name): expected \(expected)"
        case let .malformedLine(path, line, reason):
            return "\(path):\(line): \(reason)"
        case let .capacityExceeded(what, limit):
            return "\(what) exceeds the supported limit of \(limit); split the input or raise the limit in the source"
        case let .cannotWrite(path, reason):
            return "\(path): cannot write: \(reason); check free space and permissions"
        case let .emptyInput(what, hint):
            return "\(what) is empty, so there is nothing to work on; \(hint)"
        case let .malformedModel(path, line, reason):
            return line.map { "\(path):\($0): \(reason)" } ?? "\(path): \(reason)"
        case let .sameFile(output, other, conflict):
            switch conflict {
            case .input:
                return "\(output) is the same file as the input \(other): writing it would destroy the input; write the output to another path"
            case .output:
                return "\(output) is the same file as \(other): one output would overwrite the other; give each output its own path"
            case .standardOutput:
                return "\(output) is standard output, where this command also prints (\(other)); write the output to a file or drop that option"
            }
        case let .outOfMemory(what, needed, available, advice):
            if available == 0 { return "\(what) needs about \(ByteCount.text(needed)) of memory, which the system refused; \(advice)" }
            return "\(what) needs about \(ByteCount.text(needed)) of memory, more than the \(ByteCount.text(available)) this machine can spare for it; \(advice)"
        }
    }
}

/// Byte counts in words for messages ("3.2 GB").
package enum ByteCount {
    package static func text(_ bytes: Int) -> String {
        let value = Double(bytes)
        if value >= 1e9 { return "\(String(format1: value / 1e9)) GB" }
        if value >= 1e6 { return "\(String(format1: value / 1e6)) MB" }
        if value >= 1e3 { return "\(String(format1: value / 1e3)) kB" }
        return "\(bytes) bytes"
    }
}
