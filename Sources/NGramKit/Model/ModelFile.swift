/// Loading a model from a file, whatever its format.
public enum ModelFile {
    /// Reads the model in `path`: an ARPA file (plain or gzip, recognized by content).
    /// - Parameter warn: receives warning lines (for example, a model without `<unk>`).
    /// - Throws: `NGramKitError` naming the file (and line) for unreadable or malformed models.
    public static func load(_ path: String, warn: (String) -> Void = { _ in }) throws -> NGramModel {
        try ARPAReader.read(path, warn: warn)
    }
}
