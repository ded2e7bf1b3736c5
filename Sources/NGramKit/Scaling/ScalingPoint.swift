import Foundation

/// One measurement of the scaling harness: a model of one smoothing method and order, trained on
/// one slice, scored on the held-out set.
public struct ScalingPoint: Sendable, Equatable {
    public var smoothing: SmoothingMethod
    public var order: Int
    /// Which shuffle of the pool the slice is a prefix of (0 to `--repeats` − 1:
    /// `ScalingCorpus.arrangePool`).
    public var repeatIndex = 0
    /// The slice size asked for (the schedule's value) and the slice's real word tokens (a prefix
    /// of whole units, so at least the size asked for, or the whole pool).
    public var requestedTokens: Int
    public var tokens: Int
    public var sentences: Int
    public var units: Int
    /// Tokens scored: held-out words plus one `</s>` per sentence.
    public var heldoutTokens: Int
    /// Held-out words the fixed vocabulary maps to `<unk>` (the same for every slice).
    public var heldoutUnknownRate: Double
    /// Held-out words (`<unk>` included) that never occur in this slice.
    public var heldoutUnseenRate: Double
    /// Held-out cross-entropy, nats per token (every token counted).
    public var lossNats: Double
    /// Stupid Backoff only: −(Σ log S)/tokens in nats, from the raw (unnormalized) scores. Not a
    /// loss: S is not a distribution.
    public var rawScoreNats: Double?
    /// Held-out tokens with probability 0 (Stupid Backoff without mass for a word).
    public var zeroProbabilityTokens: Int
    /// Unique n-grams per order in the model (model size).
    public var ngrams: [Int]
    /// Scored tokens by matched length (element m − 1: the tokens whose longest n-gram found in
    /// the model has m words) and their mean loss in nats (NaN for none): how the loss is made,
    /// what `MatchedLengthLaw` is fitted to. Empty for points read from a points.csv written
    /// before these were measured.
    public var matchedTokens: [Int] = []
    public var matchedLossNats: [Double] = []
    public var countSeconds: Double
    public var estimateSeconds: Double
    public var scoreSeconds: Double
    /// CPU seconds (all threads) of counting the slice (one count serves every order of it)
    /// and of estimating this model: the compute C of L(C). NaN for points read from a file
    /// written before they were measured.
    public var countCPUSeconds: Double = .nan
    public var estimateCPUSeconds: Double = .nan
    /// C: `countCPUSeconds + estimateCPUSeconds`.
    public var computeSeconds: Double { countCPUSeconds + estimateCPUSeconds }
    /// Bytes the model holds (tables, probabilities, vocabulary).
    public var modelBytes: Int
    /// The relative-entropy threshold the model was pruned with (`scale --prune`); 0: not pruned.
    public var pruneThreshold = 0.0
    /// Bytes of the model in NGramKit's binary format (measured when the run prunes; nil otherwise).
    public var binaryBytes: Int?
    /// Peak resident memory of the process while this slice was counted and this model built and
    /// scored (the peak is reset at the start of every slice).
    public var peakResidentBytes: Int

    public var lossBits: Double { lossNats / M_LN2 }
    /// Whether the model was pruned (`scale --prune`).
    public var isPruned: Bool { pruneThreshold > 0 }
    /// Whether the point has its tokens by matched length.
    public var hasMatchedLengths: Bool { !matchedTokens.isEmpty && matchedTokens.count == matchedLossNats.count }
    public var perplexity: Double { Foundation.exp(lossNats) }
    public var totalNGrams: Int { ngrams.reduce(0, +) }
    /// N-grams of orders 2 and up: what grows with D (the unigrams are the fixed vocabulary).
    public var higherOrderNGrams: Int { ngrams.dropFirst().reduce(0, +) }

    /// The points of one slice size under several repeats as one: the mean of the loss (and of
    /// the raw score, rates, sizes and seconds; the counts rounded), the largest peak memory,
    /// and the first point's tallies by matched length. One point is itself.
    /// - Precondition: `points` is not empty and its points share smoothing, order and size asked for.
    public static func mean(of points: [ScalingPoint]) -> ScalingPoint {
        var result = points[0]
        guard points.count > 1 else { return result }
        let n = Double(points.count)
        func average(_ value: (ScalingPoint) -> Double) -> Double { points.reduce(0) { $0 + value($1) } / n }
        func rounded(_ value: (ScalingPoint) -> Int) -> Int { Int((average { Double(value($0)) }).rounded()) }
        result.tokens = rounded(\.tokens)
        result.sentences = rounded(\.sentences)
        result.units = rounded(\.units)
        result.heldoutUnseenRate = average(\.heldoutUnseenRate)
        result.lossNats = average(\.lossNats)
        result.rawScoreNats = points.allSatisfy { $0.rawScoreNats != nil } ? average { $0.rawScoreNats! } : nil
        result.zeroProbabilityTokens = rounded(\.zeroProbabilityTokens)
        result.ngrams = result.ngrams.indices.map { k in rounded { $0.ngrams.indices.contains(k) ? $0.ngrams[k] : 0 } }
        result.countSeconds = average(\.countSeconds)
        result.estimateSeconds = average(\.estimateSeconds)
        result.scoreSeconds = average(\.scoreSeconds)
        result.countCPUSeconds = average(\.countCPUSeconds)
        result.estimateCPUSeconds = average(\.estimateCPUSeconds)
        result.modelBytes = rounded(\.modelBytes)
        result.binaryBytes = points.allSatisfy { $0.binaryBytes != nil } ? rounded { $0.binaryBytes! } : nil
        result.peakResidentBytes = points.map(\.peakResidentBytes).max()!
        return result
    }

    /// The sample standard deviation of the loss over `points` (repeats of one size); nil for one.
    public static func lossSpread(of points: [ScalingPoint]) -> Double? {
        SliceGroups.standardDeviation(points.map(\.lossNats))
    }

    /// What identifies a point across runs (for resuming).
    public struct Key: Hashable, Sendable {
        public var smoothing: SmoothingMethod
        public var order: Int
        public var requestedTokens: Int
        public var repeatIndex = 0
        public var pruneThreshold = 0.0
    }
    public var key: Key {
        Key(smoothing: smoothing, order: order, requestedTokens: requestedTokens, repeatIndex: repeatIndex, pruneThreshold: pruneThreshold)
    }
}

/// `points.csv`: one row per point, written after every point (temporary file, then rename) and
/// read back to resume an interrupted run.
public enum ScalingPointsFile {
    public static let header = ["smoothing", "order", "requested_tokens", "tokens", "sentences", "units",
                                "heldout_tokens", "heldout_unk_rate", "heldout_unseen_rate", "loss_nats", "loss_bits",
                                "perplexity", "sb_raw_score_nats", "zero_probability_tokens", "ngrams_total",
                                "ngrams_by_order", "count_seconds", "estimate_seconds", "score_seconds",
                                "model_bytes", "peak_rss_bytes", "matched_tokens_by_length", "matched_loss_nats_by_length", "repeat",
                                "count_cpu_seconds", "estimate_cpu_seconds", "prune_threshold", "binary_bytes"]
    /// The columns of the files written before tokens by matched length and repeats (read back
    /// for resuming, without tallies, as repeat 0), and of those written before pruning (read
    /// back as unpruned points).
    static let headerBeforeMatchedLengths = Array(header.prefix(21))
    static let headerBeforePruning = Array(header.prefix(26))

    /// The CSV text of `points` (header first). Numbers are written exactly (shortest
    /// round-trip form) except wall seconds (milliseconds) and CPU seconds (microseconds).
    public static func render(_ points: [ScalingPoint]) -> String {
        var lines = [header.joined(separator: ",")]
        for p in points {
            let fields: [String] = [
                p.smoothing.rawValue, String(p.order), String(p.requestedTokens), String(p.tokens), String(p.sentences),
                String(p.units), String(p.heldoutTokens), exact(p.heldoutUnknownRate), exact(p.heldoutUnseenRate),
                exact(p.lossNats), exact(p.lossBits), exact(p.perplexity), p.rawScoreNats.map(exact) ?? "",
                String(p.zeroProbabilityTokens), String(p.totalNGrams), p.ngrams.map(String.init).joined(separator: " "),
                String(format: "%.3f", p.countSeconds), String(format: "%.3f", p.estimateSeconds),
                String(format: "%.3f", p.scoreSeconds), String(p.modelBytes), String(p.peakResidentBytes),
                p.matchedTokens.map(String.init).joined(separator: " "), p.matchedLossNats.map(exact).joined(separator: " "),
                String(p.repeatIndex), String(format: "%.6f", p.countCPUSeconds), String(format: "%.6f", p.estimateCPUSeconds),
                exact(p.pruneThreshold), p.binaryBytes.map(String.init) ?? "",
            ]
            lines.append(fields.joined(separator: ","))
        }
        return lines.joined(separator: "\n") + "\n"
    }

    static func exact(_ value: Double) -> String { value.isFinite ? "\(value)" : (value > 0 ? "inf" : value < 0 ? "-inf" : "nan") }

    /// Reads `path` back.
    /// - Throws: `NGramKitError.malformedLine` naming the line for anything but a file `render` wrote.
    public static func read(_ path: String) throws -> [ScalingPoint] {
        var points: [ScalingPoint] = []
        var columns = header.count
        try LineReader.forEachLine(inFile: path) { bytes, number in
            let line = String(decoding: bytes, as: UTF8.self)
            if number == 1 {
                for older in [headerBeforeMatchedLengths, headerBeforePruning] where line == older.joined(separator: ",") {
                    columns = older.count
                    return
                }
                guard line == header.joined(separator: ",") else {
                    throw NGramKitError.malformedLine(path: path, line: 1, reason: "not a points.csv of this version of ngramkit scale; move it away or pass --fresh")
                }
                return
            }
            if line.isEmpty { return }
            let f = line.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
            func bad(_ what: String) -> NGramKitError {
                .malformedLine(path: path, line: number, reason: "\(what); the file is damaged: delete the line or pass --fresh")
            }
            guard f.count == columns else { throw bad("expected \(columns) fields, found \(f.count)") }
            func int(_ i: Int) throws -> Int { guard let v = Int(f[i]) else { throw bad("\(header[i]) is not an integer") }; return v }
            func double(_ i: Int) throws -> Double {
                switch f[i] { case "inf": return .infinity; case "-inf": return -.infinity; case "nan": return .nan; default: break }
                guard let v = Double(f[i]) else { throw bad("\(header[i]) is not a number") }
                return v
            }
            guard let smoothing = SmoothingMethod(rawValue: f[0]) else { throw bad("unknown smoothing \(f[0])") }
            // A space-separated list of column i.
            func list<T>(_ i: Int, of kind: String, _ parse: (Substring) -> T?) throws -> [T] {
                try f[i].split(separator: " ").map { s -> T in guard let v = parse(s) else { throw bad("\(header[i]) is not a list of \(kind)") }; return v }
            }
            func integers(_ i: Int) throws -> [Int] { try list(i, of: "integers") { Int($0) } }
            let ngrams = try integers(15)
            var point = ScalingPoint(
                smoothing: smoothing, order: try int(1), requestedTokens: try int(2), tokens: try int(3), sentences: try int(4),
                units: try int(5), heldoutTokens: try int(6), heldoutUnknownRate: try double(7), heldoutUnseenRate: try double(8),
                lossNats: try double(9), rawScoreNats: f[12].isEmpty ? nil : try double(12), zeroProbabilityTokens: try int(13),
                ngrams: ngrams, countSeconds: try double(16), estimateSeconds: try double(17), scoreSeconds: try double(18),
                modelBytes: try int(19), peakResidentBytes: try int(20))
            if columns > 21 {
                point.matchedTokens = try integers(21)
                point.matchedLossNats = try list(22, of: "numbers") { Double($0) }
                guard point.matchedTokens.count == point.matchedLossNats.count else { throw bad("the lists by matched length differ in length") }
                point.repeatIndex = try int(23)
                guard point.repeatIndex >= 0 else { throw bad("repeat is negative") }
                point.countCPUSeconds = try double(24)
                point.estimateCPUSeconds = try double(25)
            }
            if columns > 26 {
                point.pruneThreshold = try double(26)
                guard point.pruneThreshold >= 0 && point.pruneThreshold.isFinite else { throw bad("prune_threshold is not a threshold ≥ 0") }
                point.binaryBytes = f[27].isEmpty ? nil : try int(27)
            }
            points.append(point)
        }
        return points
    }
}
