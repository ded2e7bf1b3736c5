import Foundation

/// The output folder of `ngramkit scale`: what a run wrote so far, and resuming it.
///
/// In:  `--out DIR`, the corpus settings and options of this run.
/// Out: `DIR/run.json` (the settings the points depend on), `DIR/points.csv` (rewritten after
///      every point through a temporary file and a rename, so an interruption loses at most the
///      point being measured), and, at the end, the report files (`ScalingReport`).
///
/// A run into a folder that holds points of the same settings continues from them; points of
/// other settings are an error (pass `--fresh` to start over or choose another folder), because
/// mixing them would fit a curve through incomparable numbers.
public final class ScalingRun {
    public let directory: String
    /// Every point on record, in the order measured.
    public private(set) var points: [ScalingPoint] = []

    /// Opens (creating it if needed) the output folder.
    /// - Parameters:
    ///   - directory: the folder.
    ///   - settings: the settings the points depend on, as written to `run.json`.
    ///   - fresh: discard earlier points.
    /// - Throws: `NGramKitError` when the folder holds a run of other settings or cannot be written.
    public init(directory: String, settings: String, fresh: Bool) throws {
        self.directory = directory
        try ScalingRun.prepare(directory)
        let runPath = path("run.json"), pointsPath = path("points.csv")
        if !fresh, FileManager.default.fileExists(atPath: pointsPath) {
            let previous = (try? String(contentsOfFile: runPath, encoding: .utf8)) ?? ""
            guard previous == settings else {
                throw NGramKitError.invalidOption(name: "--out", value: directory,
                                                  expected: "a folder without points of other settings (its run.json differs from this run's); pass --fresh to start over or choose another --out")
            }
            points = try ScalingPointsFile.read(pointsPath)
        }
        try ScalingRun.writeAtomically(settings, to: runPath)
        if fresh || points.isEmpty { try ScalingRun.writeAtomically(ScalingPointsFile.render([]), to: pointsPath) }
    }

    /// Creates the output folder (and those above it) and checks that files can be made in it:
    /// a job calls this before it reads any input.
    /// - Throws: `NGramKitError.cannotWrite` naming the folder.
    public static func prepare(_ directory: String) throws {
        try Platform.makeDirectories(directory)
    }

    /// The keys of the points already measured.
    public var done: Set<ScalingPoint.Key> { Set(points.map(\.key)) }

    /// Records a new point and rewrites `points.csv`.
    public func record(_ point: ScalingPoint) throws {
        points.append(point)
        try ScalingRun.writeAtomically(ScalingPointsFile.render(points), to: path("points.csv"))
    }

    /// `directory/name`.
    public func path(_ name: String) -> String { (directory as NSString).appendingPathComponent(name) }

    /// Writes `text` to `path` through a temporary file and a rename.
    public static func writeAtomically(_ text: String, to path: String) throws {
        let sink = try OutputSink(path: path)
        var copy = text
        try copy.withUTF8 { try sink.write($0) }
        try sink.commit()
    }

    /// The `run.json` text of a run: everything the points depend on (not the orders, methods
    /// and sizes, which a resumed run may extend).
    public static func settings(corpus: ScalingCorpus, options: ScalingOptions) -> String {
        let c = corpus.configuration
        func list(_ items: [String]) -> String { "[" + items.map(JSON.quote).joined(separator: ", ") + "]" }
        let fields: [(String, String)] = [
            ("training", list(c.trainingPaths)),
            ("heldout", list(c.heldoutPaths)),
            ("heldout_fraction", c.heldoutPaths.isEmpty ? "\(c.heldoutFraction)" : "null"),
            ("index", c.indexPath.map(JSON.quote) ?? "null"),
            ("unit", JSON.quote(corpus.unit.rawValue)),
            ("tokenizer", JSON.quote(c.tokenizer.kind.rawValue)),
            ("lowercase", "\(c.tokenizer.lowercase)"),
            ("vocabulary", c.vocabularyPath.map(JSON.quote) ?? JSON.quote("pool words with count >= \(c.minCount)")),
            ("seed", "\(c.seed)"),
            ("alpha", "\(options.alpha)"),
            ("stupid_backoff_unigrams", JSON.quote("add-one")),
            ("discount_fallback", "[\(options.discountFallback.d1), \(options.discountFallback.d2), \(options.discountFallback.d3)]"),
            ("pool_tokens", "\(corpus.poolTokens)"),
            ("pool_units", "\(corpus.poolUnits)"),
            ("vocabulary_size", "\(corpus.vocabulary.count)"),
            ("heldout_tokens", "\(corpus.heldoutTokens)"),
            ("heldout_sentences", "\(corpus.heldoutSentences)"),
        ]
        return "{\n" + fields.map { "  \(JSON.quote($0.0)): \($0.1)" }.joined(separator: ",\n") + "\n}\n"
    }
}
