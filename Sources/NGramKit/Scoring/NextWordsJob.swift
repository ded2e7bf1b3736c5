/// `ngramkit next` as a library call: contexts in, their next-word distributions out.
///
/// In:  a model and contexts (one given, or one per line of a file: plain or gzip).
/// Out: per context its `top` next words, best first (all with `top` nil), as TSV lines
///      (`word<TAB>log10 p`, after the context's line number with a file) or one JSON object
///      per context (`{"context": ..., "words": [{"word": ..., "log10_prob": ...}, ...]}`).
public enum NextWordsJob {
    /// What a run did.
    public struct Summary: Sendable {
        public let contexts: Int
        /// Seconds for the distributions alone (the index and the output excluded).
        public let seconds: Double
        /// Seconds to build the successor index in memory (0 when the binary file stores it).
        public let indexSeconds: Double
        public let indexStored: Bool
    }

    /// Where the contexts come from.
    public enum Contexts: Sendable {
        case one(String)
        case file(String)
    }

    /// Runs the job, handing each output line (with its newline) to `write`.
    /// - Parameters:
    ///   - top: the number of words per context; nil: the whole distribution (by scoring every word).
    ///   - sentenceStart: each context begins a sentence (`<s>` before it).
    ///   - exhaustive: score every word of the vocabulary instead of walking the successor index
    ///     (what KenLM users write; the same output, for checking and the benchmark).
    /// - Throws: `NGramKitError` for a context file that cannot be read, a reserved token in a
    ///   context, or a damaged index.
    ///   - finder: a finder of `model` to reuse (its index), or nil for a new one.
    public static func run(model: NGramModel, contexts: Contexts, top: Int?, sentenceStart: Bool, exhaustive: Bool, json: Bool,
                           finder reused: NextWords? = nil, write: (String) throws -> Void) throws -> Summary {
        if let top, top < 1 {
            throw NGramKitError.invalidOption(name: "--top", value: String(top), expected: "at least 1 (leave it out for the whole distribution)")
        }
        let indexStart = ProgressClock.now()
        let finder = reused ?? NextWords(model: model, buildIndex: top != nil && !exhaustive)
        let indexSeconds = finder.indexIsStored || top == nil || exhaustive ? 0 : ProgressClock.now() - indexStart
        var seconds = 0.0
        var count = 0
        func answer(_ text: String, line: Int?) throws {
            let ids: [UInt32]
            do {
                ids = try model.contextIDs(text, sentenceStart: sentenceStart)
            } catch NGramKitError.reservedToken(_, _, let token) {
                throw NGramKitError.reservedToken(path: line == nil ? "--context" : pathOf(contexts), line: line ?? 1, token: token)
            }
            let start = ProgressClock.now()
            let words = exhaustive || top == nil ? try finder.exhaustive(after: ids, top: top) : try finder.top(top!, after: ids)
            seconds += ProgressClock.now() - start
            count += 1
            if json {
                let items = words.map { "{\"word\":\(JSON.quote(model.vocabulary.word($0.word) ?? Vocabulary.unknownWord)),\"log10_prob\":\(JSON.exact($0.log10Prob))}" }
                try write("{\"context\":\(JSON.quote(text)),\"words\":[" + items.joined(separator: ",") + "]}\n")
            } else {
                let prefix = line.map { "\($0)\t" } ?? ""
                var out = ""
                for (word, p) in words { out += prefix + (model.vocabulary.word(word) ?? Vocabulary.unknownWord) + "\t" + p.description + "\n" }
                try write(out)
            }
        }
        switch contexts {
        case .one(let text):
            try answer(text, line: nil)
        case .file(let path):
            try LineReader.forEachLine(of: try ByteSources.open(path)) { bytes, line in
                try answer(String(decoding: bytes, as: UTF8.self), line: line)
            }
        }
        return Summary(contexts: count, seconds: seconds, indexSeconds: indexSeconds, indexStored: finder.indexIsStored)
    }

    private static func pathOf(_ contexts: Contexts) -> String {
        if case .file(let path) = contexts { return path }
        return "--context"
    }
}
