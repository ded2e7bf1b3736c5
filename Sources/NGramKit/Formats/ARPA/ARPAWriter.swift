import CNGramKitSupport
import Foundation

/// Writes a model as an ARPA file, the text format every n-gram toolkit reads (KenLM's `query`
/// and `build_binary`, SRILM's `ngram`, MITLM, IRSTLM).
///
/// Layout: optional `#` comment lines (KenLM skips them; NGramKit records the smoothing there),
/// `\data\`, `ngram n=count` per order, then per order `\n-grams:` and one line per n-gram:
/// log10 probability, TAB, the words separated by spaces, and for orders below N a TAB and the
/// log10 backoff (0 when the n-gram is no context), then `\end\`. Numbers are written in the
/// shortest form that reads back to the same single-precision value (as KenLM writes them);
/// probability 0 is written as -99. Unigrams come in id order, higher orders in
/// `CanonicalOrder`, so the same model always gives the same bytes.
public enum ARPAWriter {
    /// Writes `model` to the file `path` (`-` is standard output; a name ending in `.gz` is
    /// written gzipped), complete or not at all (see `OutputFile`). A model mapped from a binary
    /// file is converted to one in memory first.
    /// - Parameter threads: threads that format lines (the bytes are the same for any number).
    /// - Throws: `NGramKitError.cannotWrite` for an unwritable location.
    public static func write(_ model: NGramModel, to path: String, threads: Int = ThreadCount.all) throws {
        let sink = try OutputSink(path: path)
        try write(model, to: sink, threads: ThreadCount.usable(threads))
        try sink.commit()
    }

    /// Writes `model` to `sink` (the caller commits the sink).
    package static func write(_ model: NGramModel, to sink: OutputSink, threads: Int = ThreadCount.all) throws {
        let model = model.binary == nil ? model : try model.inMemory()
        let vocabulary = model.vocabulary
        try writeHeader(provenance: model.provenance, ngramCounts: model.ngramCounts, isComplete: model.isComplete, to: sink)
        try writeUnigrams(vocabulary: vocabulary, logProb: model.logProb[0], logBackoff: model.order > 1 ? model.logBackoff[0] : nil, to: sink)
        let probs = model.logProb.map(\.base), backoffs = model.logBackoff.map(\.base)
        let hasFills = model.filled.contains { !$0.isEmpty }
        let order = model.order
        try CanonicalOrder.write(tables: model.tables, vocabulary: vocabulary, threads: threads, to: sink, beforeOrder: { n in
            try sink.write(string: "\n\\\(n)-grams:\n")
        }, prefetch: { n, slot in
            ngk_prefetch_read(probs[n - 1] + slot)
            if n < order { ngk_prefetch_read(backoffs[n - 1] + slot) }
        }) { n, slot, context, word, out in
            let prob = probs[n - 1][slot]
            if prob.isNaN { return }   // a blank: a context only
            if hasFills && model.isFilled(order: n, slot: slot) { return }   // no n-gram of the file it was read from
            out.append(distinctLog10: prob)
            out.append(byte: 0x09)
            out.append(context)
            out.append(byte: 0x20)
            out.append(vocabulary.bytes(of: word))
            if n < order {
                out.append(byte: 0x09)
                out.append(log10: backoffs[n - 1][slot])
            }
            out.append(byte: 0x0A)
        }
        try sink.write(string: "\n\\end\\\n")
    }

    /// The comment lines (smoothing, completeness, tokenizer), `\data\` and the counts.
    static func writeHeader(provenance: ModelProvenance, ngramCounts: [Int], isComplete: Bool, to sink: OutputSink) throws {
        let discounts = provenance.discounts
        if provenance.smoothing == .kneserNey && !discounts.isEmpty {
            let values = discounts.map { "\($0.d1),\($0.d2),\($0.d3)" }.joined(separator: " ")
            try sink.write(string: "# ngramkit kneser-ney discounts=\(values)\n")
        }
        if provenance.smoothing == .stupidBackoff, let alpha = provenance.alpha {
            try sink.write(string: "# ngramkit stupid-backoff alpha=\(alpha)\n")
            try sink.write(string: "# Normalized Stupid Backoff: p(w|h) = S(w|h) / Z(h). The backoff weights are alpha*Z(h')/Z(h), so raw scores can be recovered.\n")
        }
        if let smoothing = provenance.smoothing, smoothing != .kneserNey && smoothing != .stupidBackoff {
            try sink.write(string: "\(ARPAParser.smoothingMarker)\(smoothing.rawValue)\n")
        }
        if isComplete {
            let counts = ngramCounts.map(String.init).joined(separator: ",")
            try sink.write(string: ARPAParser.completeMarker + counts + ARPAParser.completeMarkerEnd + "\n")
        }
        if let tokenizer = provenance.tokenizer {
            try sink.write(string: "\(ARPAParser.tokenizerMarker)\(tokenizer.recorded)\n")
        }
        try sink.write(string: "\\data\\\n")
        for n in 1...ngramCounts.count {
            try sink.write(string: "ngram \(n)=\(ngramCounts[n - 1])\n")
        }
    }

    /// The unigrams' section, every word in id order (`logBackoff` nil for a unigram model).
    static func writeUnigrams(vocabulary: Vocabulary, logProb: LargeBuffer<Double>, logBackoff: LargeBuffer<Double>?,
                              to sink: OutputSink) throws {
        try sink.write(string: "\n\\1-grams:\n")
        try writeUnigramLines(vocabulary: vocabulary, logProb: logProb, logBackoff: logBackoff, ids: 0..<vocabulary.count) { try sink.write($0) }
    }

    /// The unigram lines of the words `ids`, in id order, handed to `emit` a buffer at a time
    /// (a cluster's format stage writes a range of them).
    static func writeUnigramLines(vocabulary: Vocabulary, logProb: LargeBuffer<Double>, logBackoff: LargeBuffer<Double>?, ids: Range<Int>,
                                  emit: (UnsafeBufferPointer<UInt8>) throws -> Void) throws {
        let line = LineBuffer(capacity: 1 << 16)
        for id in ids {
            line.append(log10: logProb[id])
            line.append(byte: 0x09)
            line.append(vocabulary.bytes(of: UInt32(id)))
            if let logBackoff {
                line.append(byte: 0x09)
                line.append(log10: logBackoff[id])
            }
            line.append(byte: 0x0A)
            if line.count >= 1 << 15 {
                try emit(UnsafeBufferPointer(start: line.bytes, count: line.count))
                line.removeAll()
            }
        }
        try emit(UnsafeBufferPointer(start: line.bytes, count: line.count))
    }
}
