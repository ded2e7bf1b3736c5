/// The summary `ngramkit count` prints: as text for people, as JSON (`--json`) for scripts.
public struct CountSummary: Sendable {
    public var files: [String]
    public var order: Int
    public var sentences: Int
    public var tokens: Int
    public var vocabularySize: Int
    /// Distinct n-grams of orders 1...N.
    public var uniqueNGrams: [Int]
    public var seconds: Double
    public var peakMemoryBytes: Int?
    /// Bytes held by the count tables.
    public var tableBytes: Int
    /// Seconds per phase (reading, then each order), in order.
    public var phases: [(phase: String, seconds: Double)]
    /// Partitions the job was cut into to stay within its memory budget (1: all in memory).
    public var partitions = 1
    /// The most bytes of temporary files the job held at once (0: none).
    public var peakTemporaryBytes = 0

    public init(counts: NGramCounts, files: [String], seconds: Double, phases: [(phase: String, seconds: Double)] = []) {
        self.phases = phases
        self.files = files
        order = counts.order
        sentences = counts.sentences
        tokens = counts.tokens
        vocabularySize = counts.vocabulary.count
        uniqueNGrams = counts.tables.count == counts.order - 1 ? (1...counts.order).map { counts.uniqueCount(order: $0) } : [counts.vocabulary.count]
        self.seconds = seconds
        peakMemoryBytes = ResourceUsage.peakResidentBytes()
        tableBytes = counts.tableMemory
    }

    /// Tokens per second over the whole run.
    public var tokensPerSecond: Double { seconds > 0 ? Double(tokens) / seconds : 0 }

    /// Table bytes per distinct n-gram.
    public var bytesPerNGram: Double {
        let total = uniqueNGrams.reduce(0, +)
        return total > 0 ? Double(tableBytes) / Double(total) : 0
    }

    /// One JSON object on one line.
    public var json: String {
        let fileList = files.map { JSON.quote($0) }.joined(separator: ",")
        let unique = uniqueNGrams.map(String.init).joined(separator: ",")
        return "{\"files\":[\(fileList)],\"order\":\(order),\"sentences\":\(sentences),\"tokens\":\(tokens),"
            + "\"vocabulary_size\":\(vocabularySize),\"unique_ngrams\":[\(unique)],"
            + "\"seconds\":\(JSON.number(seconds)),\"tokens_per_second\":\(JSON.number(tokensPerSecond)),"
            + "\"peak_memory_bytes\":\(peakMemoryBytes.map(String.init) ?? "null"),"
            + "\"table_bytes\":\(tableBytes),\"table_bytes_per_ngram\":\(JSON.number(bytesPerNGram)),"
            + "\"partitions\":\(partitions),\"peak_temporary_bytes\":\(peakTemporaryBytes),"
            + "\"phase_seconds\":{" + phases.map { "\(JSON.quote($0.phase)):\(JSON.number($0.seconds))" }.joined(separator: ",") + "}}"
    }

    /// A few aligned lines for a terminal.
    public var text: String {
        var lines: [String] = []
        lines.append("corpus      \(files.joined(separator: " "))")
        lines.append("sentences   \(sentences)")
        lines.append("tokens      \(tokens)")
        lines.append("vocabulary  \(vocabularySize) (with <unk>, <s>, </s>)")
        for (index, unique) in uniqueNGrams.enumerated() {
            lines.append("\(index + 1)-grams     \(unique)")
        }
        let rate = String(format1: tokensPerSecond / 1e6)
        lines.append("time        \(String(format1: seconds)) s (\(rate) M tokens/s)")
        if let peak = peakMemoryBytes {
            lines.append("peak memory \(String(format1: Double(peak) / 1_048_576)) MiB; tables \(String(format1: bytesPerNGram)) bytes per n-gram")
        }
        if partitions > 1 {
            lines.append("spilled     \(partitions) partitions; peak temporary files \(String(format1: Double(peakTemporaryBytes) / 1_048_576)) MiB")
        }
        return lines.joined(separator: "\n")
    }
}

/// Minimal JSON rendering for one-line summaries (no Foundation on the path, stable key order).
enum JSON {
    static func quote(_ string: String) -> String {
        var out = "\""
        for scalar in string.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\t": out += "\\t"
            case "\r": out += "\\r"
            default:
                if scalar.value < 0x20 {
                    let hex = String(scalar.value, radix: 16)
                    out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        return out + "\""
    }

    static func number(_ value: Double) -> String {
        value.isFinite ? String(format6: value) : "null"
    }

    /// Full precision (the shortest text that reads back to the same Double); null when not finite.
    static func exact(_ value: Double) -> String {
        value.isFinite ? value.description : "null"
    }
}

extension String {
    /// `value` with one decimal.
    init(format1 value: Double) {
        let scaled = (value * 10).rounded()
        let sign = scaled < 0 ? "-" : ""
        let magnitude = abs(scaled)
        self = "\(sign)\(Int(magnitude / 10)).\(Int(magnitude.truncatingRemainder(dividingBy: 10)))"
    }

    /// `value` with two decimals.
    package init(format2 value: Double) {
        let scaled = (value * 100).rounded()
        let whole = Int(scaled) / 100, fraction = abs(Int(scaled) % 100)
        self = "\(scaled < 0 && whole == 0 ? "-" : "")\(whole).\(fraction < 10 ? "0" : "")\(fraction)"
    }

    /// `value` with up to six decimals, trailing zeros removed.
    package init(format6 value: Double) {
        if value == value.rounded() && abs(value) < 1e15 {
            self = String(Int64(value))
            return
        }
        let scaled = (value * 1_000_000).rounded()
        let sign = scaled < 0 ? "-" : ""
        let magnitude = abs(scaled)
        var fraction = String(Int64(magnitude.truncatingRemainder(dividingBy: 1_000_000)))
        fraction = String(repeating: "0", count: 6 - fraction.count) + fraction
        while fraction.hasSuffix("0") { fraction.removeLast() }
        self = "\(sign)\(Int64(magnitude / 1_000_000))" + (fraction.isEmpty ? "" : ".\(fraction)")
    }
}

/// The small real corpus shipped in `Corpora/`, used when no `--text` is given.
package enum DefaultCorpus {
    /// Path relative to the repository root: the King James Bible, one verse per line.
    package static let path = "Corpora/kjv.txt.gz"
}
