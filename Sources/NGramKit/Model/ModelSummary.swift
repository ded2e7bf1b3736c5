/// What `ngramkit build` reports about a model it made.
public struct ModelSummary: Sendable {
    public var order: Int
    public var smoothing: String
    public var sentences: Int
    public var tokens: Int
    /// n-grams per order.
    public var ngrams: [Int]
    /// Modified Kneser-Ney's D1, D2, D3+ per order (empty for other smoothing).
    public var discounts: [KneserNeyDiscount]
    public var alpha: Double?
    public var seconds: Double
    public var phases: [(phase: String, seconds: Double)]
    public var peakMemoryBytes: Int?
    public var modelBytes: Int
    /// Partitions the build was cut into to stay within its memory budget (1: all in memory).
    public var partitions = 1
    /// The most bytes of temporary files the build held at once (0: none).
    public var peakTemporaryBytes = 0
    /// What relative-entropy pruning did (nil: not pruned).
    public var pruning: PruningReport?

    public init(model: NGramModel, sentences: Int, tokens: Int, seconds: Double, phases: [(phase: String, seconds: Double)]) {
        order = model.order
        smoothing = model.provenance.name
        self.sentences = sentences
        self.tokens = tokens
        ngrams = model.ngramCounts
        discounts = model.provenance.discounts
        alpha = model.provenance.alpha
        self.seconds = seconds
        self.phases = phases
        peakMemoryBytes = ResourceUsage.peakResidentBytes()
        modelBytes = model.memoryFootprint
    }

    /// The summary of a model that was written without being held in memory.
    init(order: Int, provenance: ModelProvenance, ngrams: [Int], sentences: Int, tokens: Int, seconds: Double,
         phases: [(phase: String, seconds: Double)]) {
        self.order = order
        smoothing = provenance.name
        self.sentences = sentences
        self.tokens = tokens
        self.ngrams = ngrams
        discounts = provenance.discounts
        alpha = provenance.alpha
        self.seconds = seconds
        self.phases = phases
        peakMemoryBytes = ResourceUsage.peakResidentBytes()
        modelBytes = 0
    }

    /// One JSON object on one line.
    public var json: String {
        let d = discounts.map { "[\($0.d1),\($0.d2),\($0.d3)]" }
        return "{\"order\":\(order),\"smoothing\":\(JSON.quote(smoothing)),\"sentences\":\(sentences),\"tokens\":\(tokens),"
            + "\"ngrams\":[\(ngrams.map(String.init).joined(separator: ","))],"
            + "\"discounts\":[\(d.joined(separator: ","))],\"alpha\":\(alpha.map(JSON.exact) ?? "null"),"
            + "\"seconds\":\(JSON.number(seconds)),\"peak_memory_bytes\":\(peakMemoryBytes.map(String.init) ?? "null"),"
            + "\"model_bytes\":\(modelBytes),\"partitions\":\(partitions),\"peak_temporary_bytes\":\(peakTemporaryBytes),"
            + "\"pruning\":\(pruning.map { "{" + $0.jsonFields + "}" } ?? "null"),"
            + "\"phase_seconds\":{" + phases.map { "\(JSON.quote($0.phase)):\(JSON.number($0.seconds))" }.joined(separator: ",") + "}}"
    }

    /// Aligned lines for a terminal.
    public var text: String {
        var lines = ["model       order \(order), \(smoothing)\(alpha.map { ", alpha \($0)" } ?? "")",
                     "trained on  \(sentences) sentences, \(tokens) tokens"]
        for (index, count) in ngrams.enumerated() {
            var line = "\(index + 1)-grams     \(count)"
            if index < discounts.count { line += "   discounts \(discounts[index])" }
            lines.append(line)
        }
        lines.append("time        \(String(format1: seconds)) s (" + phases.map { "\($0.phase) \(String(format1: $0.seconds)) s" }.joined(separator: ", ") + ")")
        if let peak = peakMemoryBytes {
            lines.append("peak memory \(String(format1: Double(peak) / 1_048_576)) MiB")
        }
        if let pruning { lines.append(pruning.text) }
        if partitions > 1 {
            lines.append("spilled     \(partitions) partitions; peak temporary files \(String(format1: Double(peakTemporaryBytes) / 1_048_576)) MiB")
        }
        return lines.joined(separator: "\n")
    }
}
