// NGramKit's hot loops, measured with package-benchmark (ordo-one/benchmark).
//
// Every benchmark works on real text that is read once, with NGramKit's own `LineReader`, in the
// benchmark's setup, so that reading and inflating the gzip file is outside the measured part
// (the end-to-end path, gzip included, is what `count-benchmark.sh` measures).
//
// Input: `../../shared/corpora/...` relative to this package's folder (`Benchmarks/`), that is
// `shared/` beside the repository, as CI has it; `NGRAMKIT_SHARED=/path/to/shared` overrides it.
//
// Besides the framework's wall clock and throughput (iterations per second), each benchmark
// records what an iteration processed per second of its own wall time, as custom metrics
// (`tokens/s`, `bytes/s`, `lookups/s`, shown in thousands: `(K)`), so the output reads in the
// units the issue's targets use.

import Benchmark
import Foundation
import NGramKit

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

// MARK: - Inputs

/// Where the shared corpora are: `$NGRAMKIT_SHARED`, else `../../shared` from this package's folder.
private func sharedFolder() -> String {
    if let value = getenv("NGRAMKIT_SHARED"), let path = String(validatingCString: value), !path.isEmpty {
        return path
    }
    // #filePath is .../Benchmarks/NGramKitBenchmarks/NGramKitBenchmarks.swift.
    var components = "\(#filePath)".split(separator: "/", omittingEmptySubsequences: false).map(String.init)
    components.removeLast(2)
    return components.joined(separator: "/") + "/../../shared"
}

private let gutenbergPath = sharedFolder() + "/corpora/gutenberg/gutenberg_top100authors.shard00.txt.gz"
private let ptbTrainPath = sharedFolder() + "/corpora/ptb/ptb.train.txt.gz"

/// Whole lines of a text held in memory: line `i` is `bytes[starts[i] ..< starts[i + 1] - 1]`
/// (each line is stored with its `\n`, which `forEachLine` leaves out).
struct LoadedText: Sendable {
    let path: String
    let bytes: [UInt8]
    let starts: [Int]
    var lineCount: Int { starts.count - 1 }

    /// Calls `body` with every line's bytes, without `\n`.
    @inline(__always)
    func forEachLine(_ body: (UnsafeBufferPointer<UInt8>) throws -> Void) rethrows {
        try bytes.withUnsafeBufferPointer { all in
            let base = all.baseAddress!
            for i in 0..<lineCount {
                let start = starts[i]
                try body(UnsafeBufferPointer(start: base + start, count: starts[i + 1] - 1 - start))
            }
        }
    }

    /// The text as one `String`, lines joined by `\n` (for `NGramCounter.addText`).
    var string: String { String(decoding: bytes, as: UTF8.self) }
}

private struct EnoughText: Error {}

/// Reads whole lines of `path` until at least `byteLimit` bytes (lines plus their `\n`) or
/// `lineLimit` lines are held.
private func loadText(_ path: String, byteLimit: Int = .max, lineLimit: Int = .max) throws -> LoadedText {
    var bytes: [UInt8] = []
    var starts = [0]
    do {
        try LineReader.forEachLine(inFile: path) { line, _ in
            bytes.append(contentsOf: line)
            bytes.append(0x0A)
            starts.append(bytes.count)
            if bytes.count >= byteLimit || starts.count > lineLimit { throw EnoughText() }
        }
    } catch is EnoughText {
    }
    return LoadedText(path: path, bytes: bytes, starts: starts)
}

/// Fails the benchmark run with a message that says what is missing.
private func load(_ path: String, byteLimit: Int = .max, lineLimit: Int = .max) -> LoadedText {
    do {
        return try loadText(path, byteLimit: byteLimit, lineLimit: lineLimit)
    } catch {
        fatalError("""
            NGramKitBenchmarks: cannot read \(path): \(error).
            The benchmarks need the shared corpora in ../shared beside the repository (as CI has them), \
            or NGRAMKIT_SHARED=/path/to/shared.
            """)
    }
}

/// The first 20 MB (whole lines) of Gutenberg shard 00: raw English text, one paragraph a line.
/// Globals are initialised once, on first use (in a benchmark's setup).
private let gutenberg20MB = load(gutenbergPath, byteLimit: 20_000_000)

/// PTB train (Mikolov's preprocessing), 42,068 lines, 887,521 whitespace tokens.
private let ptbTrain = load(ptbTrainPath)

/// Word tokens (KenLM's whitespace rule) of the Gutenberg text, back to back, for the vocabulary
/// benchmarks; the framework's `scaledIterations` (1,000,000) go through the first million of them.
struct TokenList: Sendable {
    let bytes: [UInt8]
    let starts: [Int]
    var count: Int { starts.count - 1 }
}

private let gutenbergTokens: TokenList = {
    var bytes: [UInt8] = []
    var starts = [0]
    var tokenizer = WhitespaceTokenizer()
    gutenberg20MB.forEachLine { line in
        try! tokenizer.tokenize(line) { token in
            bytes.append(contentsOf: token)
            starts.append(bytes.count)
        }
    }
    return TokenList(bytes: bytes, starts: starts)
}()

/// The vocabulary of all Gutenberg tokens, for lookups of words that are present.
private let gutenbergVocabulary: Vocabulary = {
    let vocabulary = Vocabulary()
    gutenbergTokens.bytes.withUnsafeBufferPointer { all in
        for i in 0..<gutenbergTokens.count {
            let start = gutenbergTokens.starts[i]
            _ = vocabulary.lookupOrAdd(UnsafeBufferPointer(start: all.baseAddress! + start, count: gutenbergTokens.starts[i + 1] - start))
        }
    }
    return vocabulary
}()

// MARK: - Metrics

enum Rates {
    /// Tokens per second of the iteration's wall time (shown in thousands).
    static let tokensPerSecond = BenchmarkMetric.custom("tokens/s", polarity: .prefersLarger, useScalingFactor: false)
    /// Input bytes per second of the iteration's wall time (shown in thousands: KB/s).
    static let bytesPerSecond = BenchmarkMetric.custom("bytes/s", polarity: .prefersLarger, useScalingFactor: false)
    /// Vocabulary lookups per second of the iteration's wall time (shown in thousands).
    static let lookupsPerSecond = BenchmarkMetric.custom("lookups/s", polarity: .prefersLarger, useScalingFactor: false)
    /// N-grams (counts-file lines) per second of the iteration's wall time (shown in thousands).
    static let ngramsPerSecond = BenchmarkMetric.custom("n-grams/s", polarity: .prefersLarger, useScalingFactor: false)
}

/// PTB train counted at order 5 once, and its counts file written once, for the counts-file benchmarks.
private let ptbCounts: (counts: NGramCounts, file: String) = {
    do {
        let counter = try NGramCounter(order: 5)
        var tokenizer = WhitespaceTokenizer()
        try counter.addFiles([ptbTrainPath], tokenizer: &tokenizer)
        let counts = try counter.finish()
        mkdir("/tmp/ngramkit-bench", 0o755)
        let file = "/tmp/ngramkit-bench/ptb-order5.counts"
        let sink = try OutputSink(path: file)
        try CountsFile.write(counts, to: sink)
        try sink.commit()
        return (counts, file)
    } catch {
        fatalError("preparing the PTB counts failed: \(error)")
    }
}()

// MARK: - Models and scoring inputs

/// Scratch folder for files the benchmarks write (models, the query text): never the repository.
private let scratchFolder: String = {
    let folder = "/tmp/ngramkit-bench"
    mkdir(folder, 0o755)
    return folder
}()

private let gutenbergQueriesPath = sharedFolder() + "/corpora/gutenberg/gutenberg_top100authors.shard01.txt.gz"

/// The first 40,000 lines of Gutenberg shard 01 (the queries of `compare-kenlm.sh`), in memory.
private let queries40k = load(gutenbergQueriesPath, lineLimit: 40_000)

/// The same lines as a file, for `Perplexity.evaluate` (which reads files): written once per process.
private let queries40kFile: String = {
    let path = scratchFolder + "/queries40k.benchmarks.txt"
    do {
        let sink = try OutputSink(path: path)
        try queries40k.bytes.withUnsafeBufferPointer { try sink.write($0) }
        try sink.commit()
    } catch {
        fatalError("writing \(path) failed: \(error)")
    }
    return path
}()

/// Counts of a text in memory (whitespace tokens).
private func countText(_ text: String, order: Int, path: String) -> NGramCounts {
    do {
        let counter = try NGramCounter(order: order)
        var tokenizer = WhitespaceTokenizer()
        try counter.addText(text, tokenizer: &tokenizer, path: path)
        return try counter.finish()
    } catch {
        fatalError("counting \(path) failed: \(error)")
    }
}

/// An order-5 Kneser-Ney model of the first 20 MB of Gutenberg shard 00, in memory, for the
/// scoring benchmarks (the queries come from shard 01: unseen text, about 2.5 % OOVs).
private let gutenbergModel: NGramModel = {
    do {
        return try NGramModel.estimate(from: countText(gutenberg20MB.string, order: 5, path: "gutenberg20MB"))
    } catch {
        fatalError("estimating the Gutenberg model failed: \(error)")
    }
}()

/// Query text as the model's word ids, `</s>` ending each sentence (what the scoring loop sees).
struct QueryIDs: Sendable {
    let ids: [UInt32]
    /// For each sentence, the index one past its `</s>`.
    let sentenceEnds: [Int]
}

private let queries40kIDs: QueryIDs = {
    var ids: [UInt32] = []
    var ends: [Int] = []
    var tokenizer = WhitespaceTokenizer()
    let vocabulary = gutenbergModel.vocabulary
    queries40k.forEachLine { line in
        try! tokenizer.tokenize(line) { ids.append(vocabulary.lookup($0) ?? Vocabulary.unknownID) }
        ids.append(Vocabulary.endID)
        ends.append(ids.count)
    }
    return QueryIDs(ids: ids, sentenceEnds: ends)
}()

/// PTB train's order-5 Kneser-Ney model written as ARPA once per process, for the load benchmark.
private let ptbARPA: (file: String, ngrams: Int) = {
    let file = scratchFolder + "/ptb-order5.benchmarks.arpa"
    do {
        let model = try NGramModel.estimate(from: countText(ptbTrain.string, order: 5, path: "ptb.train"))
        let sink = try OutputSink(path: file)
        try ARPAWriter.write(model, to: sink)
        try sink.commit()
        return (file, model.totalNGrams)
    } catch {
        fatalError("writing \(file) failed: \(error)")
    }
}()

/// `NGRAMKIT_SCORE_ARPA`: an ARPA file (e.g. `compare-kenlm.sh`'s order-5 model of gut60)
/// for the optional benchmarks that load it and score the 40k query lines with it.
private let scoreARPAPath: String? = {
    guard let value = getenv("NGRAMKIT_SCORE_ARPA"), let path = String(validatingCString: value), !path.isEmpty else { return nil }
    return path
}()

private let scoreARPAModel: NGramModel = {
    do {
        return try ARPAReader.read(scoreARPAPath!)
    } catch {
        fatalError("reading NGRAMKIT_SCORE_ARPA=\(scoreARPAPath!) failed: \(error)")
    }
}()

/// Scores `paths` with `Perplexity.evaluate` and records tokens/s.
private func measureEvaluate(_ model: NGramModel, threads: Int, _ benchmark: Benchmark) {
    let start = ContinuousClock.now
    do {
        let result = try Perplexity.evaluate(model: model, paths: [queries40kFile], threads: threads)
        let elapsed = seconds(since: start)
        blackHole(result.log10Prob)
        benchmark.measurement(Rates.tokensPerSecond, rate(result.tokens, elapsed))
        benchmark.measurement(Rates.bytesPerSecond, rate(queries40k.bytes.count, elapsed))
    } catch {
        fatalError("scoring failed: \(error)")
    }
}

/// All cores, as `ppl --threads` defaults to.
private let allCores = ProcessInfo.processInfo.activeProcessorCount

/// Seconds since `start`, for the per-iteration rates.
@inline(__always)
private func seconds(since start: ContinuousClock.Instant) -> Double {
    let elapsed = start.duration(to: .now)
    return Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18
}

@inline(__always)
private func rate(_ amount: Int, _ seconds: Double) -> Int {
    seconds > 0 ? Int((Double(amount) / seconds).rounded()) : 0
}

/// Tokenizes every line of `text` and records tokens/s and bytes/s.
private func measureTokenizing<T: Tokenizer>(_ text: LoadedText, with tokenizer: inout T, _ benchmark: Benchmark) {
    var tokens = 0
    var tokenBytes = 0
    let start = ContinuousClock.now
    text.forEachLine { line in
        do {
            try tokenizer.tokenize(line) { token in
                tokens += 1
                tokenBytes &+= token.count
            }
        } catch {
            fatalError("\(T.self) rejected a line of \(text.path): \(error)")
        }
    }
    let elapsed = seconds(since: start)
    blackHole(tokenBytes)
    benchmark.measurement(Rates.tokensPerSecond, rate(tokens, elapsed))
    benchmark.measurement(Rates.bytesPerSecond, rate(text.bytes.count, elapsed))
}

/// Records tokens/s and input bytes/s of a counting run that began at `start`.
private func recordCounting(_ counts: NGramCounts, inputBytes: Int, since start: ContinuousClock.Instant, _ benchmark: Benchmark) {
    let elapsed = seconds(since: start)
    blackHole(counts.totalUniqueNGrams)
    benchmark.measurement(Rates.tokensPerSecond, rate(counts.tokens, elapsed))
    benchmark.measurement(Rates.bytesPerSecond, rate(inputBytes, elapsed))
}

// MARK: - Benchmarks

let benchmarks: @Sendable () -> Void = {
    // Whole passes over 20 MB or a whole corpus: a few iterations each, a few seconds at most.
    let passConfiguration = Benchmark.Configuration(
        metrics: [.wallClock, .throughput, .cpuTotal, .mallocCountTotal, .peakMemoryResident,
                  Rates.tokensPerSecond, Rates.bytesPerSecond],
        timeUnits: .milliseconds,
        units: [Rates.tokensPerSecond: .kilo, Rates.bytesPerSecond: .kilo, .peakMemoryResident: .mega],
        warmupIterations: 1,
        maxDuration: .seconds(3),
        maxIterations: 10
    )

    // (a) KenLM's whitespace rule over 20 MB of raw Gutenberg text in memory.
    Benchmark("Tokenize whitespace, Gutenberg 20 MB", configuration: passConfiguration) { benchmark, text in
        var tokenizer = WhitespaceTokenizer()
        measureTokenizing(text, with: &tokenizer, benchmark)
    } setup: {
        gutenberg20MB
    }

    // (b) The Unicode word tokenizer (validation, punctuation, NFC check) over the same text.
    Benchmark("Tokenize unicode, Gutenberg 20 MB", configuration: passConfiguration) { benchmark, text in
        var tokenizer = UnicodeWordTokenizer()
        measureTokenizing(text, with: &tokenizer, benchmark)
    } setup: {
        gutenberg20MB
    }

    // (c) Counting orders 1-5 of PTB train: the text is in memory, `addText` tokenizes it into
    // word ids (whitespace rule) and `finish` counts orders 2-5. Tokens are the text's words,
    // without the sentence markers.
    Benchmark("Count orders 1-5, PTB train (addText + finish)", configuration: passConfiguration) { benchmark, text in
        let start = ContinuousClock.now
        do {
            let counter = try NGramCounter(order: 5)
            var tokenizer = WhitespaceTokenizer()
            try counter.addText(text, tokenizer: &tokenizer, path: "ptb.train")
            recordCounting(try counter.finish(), inputBytes: text.utf8.count, since: start, benchmark)
        } catch {
            fatalError("counting failed: \(error)")
        }
    } setup: {
        ptbTrain.string
    }

    // (c') The same through `addFiles`, the command-line tool's path: the gzip file is read and
    // inflated (on a second thread) inside the measurement, as `ngramkit count` does.
    Benchmark("Count orders 1-5, PTB train gzip (addFiles + finish)", configuration: passConfiguration) { (benchmark, path: String) in
        let start = ContinuousClock.now
        do {
            let counter = try NGramCounter(order: 5)
            var tokenizer = WhitespaceTokenizer()
            try counter.addFiles([path], tokenizer: &tokenizer)
            recordCounting(try counter.finish(), inputBytes: ptbTrain.bytes.count, since: start, benchmark)
        } catch {
            fatalError("counting failed: \(error)")
        }
    } setup: {
        _ = ptbTrain // fails early, with a clear message, if the corpus is missing
        return ptbTrainPath
    }

    // (c'') Counts files: writing PTB's 2.3 million n-grams (to /dev/null-like scratch in /tmp)
    // and reading them back (what `--counts FILE` will do).
    let countsConfiguration = Benchmark.Configuration(
        metrics: [.wallClock, .throughput, .mallocCountTotal, .peakMemoryResident, Rates.ngramsPerSecond],
        timeUnits: .milliseconds,
        units: [Rates.ngramsPerSecond: .kilo, .peakMemoryResident: .mega],
        warmupIterations: 1,
        maxDuration: .seconds(3),
        maxIterations: 10
    )

    Benchmark("Write counts file, PTB orders 1-5", configuration: countsConfiguration) { benchmark in
        let start = ContinuousClock.now
        do {
            let file = ptbCounts.file + ".out"
            let sink = try OutputSink(path: file)
            try CountsFile.write(ptbCounts.counts, to: sink)
            try sink.commit()
            unlink(file)
        } catch {
            fatalError("writing counts failed: \(error)")
        }
        benchmark.measurement(Rates.ngramsPerSecond, rate(ptbCounts.counts.totalUniqueNGrams, seconds(since: start)))
    } setup: {
        _ = ptbCounts
    }

    Benchmark("Read counts file, PTB orders 1-5", configuration: countsConfiguration) { benchmark in
        let start = ContinuousClock.now
        do {
            let counts = try CountsFile.read(ptbCounts.file)
            blackHole(counts.totalUniqueNGrams)
        } catch {
            fatalError("reading counts failed: \(error)")
        }
        benchmark.measurement(Rates.ngramsPerSecond, rate(ptbCounts.counts.totalUniqueNGrams, seconds(since: start)))
    } setup: {
        _ = ptbCounts
    }

    // (d) Vocabulary lookups: a million words of running text (so with Zipf's frequencies), all
    // present in a vocabulary built from the whole 20 MB.
    let lookupConfiguration = Benchmark.Configuration(
        metrics: [.wallClock, .throughput, .mallocCountTotal, Rates.lookupsPerSecond],
        units: [Rates.lookupsPerSecond: .kilo],
        warmupIterations: 1,
        scalingFactor: .mega,
        maxDuration: .seconds(2),
        maxIterations: 50
    )

    Benchmark("Vocabulary lookup, 1M Gutenberg words (all present)", configuration: lookupConfiguration) { (benchmark, state: (Vocabulary, TokenList)) in
        let (vocabulary, words) = state
        var idSum: UInt64 = 0
        let start = ContinuousClock.now
        words.bytes.withUnsafeBufferPointer { all in
            let base = all.baseAddress!
            for i in benchmark.scaledIterations {
                let first = words.starts[i]
                let id = vocabulary.lookup(UnsafeBufferPointer(start: base + first, count: words.starts[i + 1] - first))
                idSum &+= UInt64(id!)
            }
        }
        let elapsed = seconds(since: start)
        blackHole(idSum)
        benchmark.measurement(Rates.lookupsPerSecond, rate(benchmark.scaledIterations.count, elapsed))
    } setup: {
        precondition(gutenbergTokens.count >= 1_000_000, "fewer than a million tokens in \(gutenbergPath)")
        return (gutenbergVocabulary, gutenbergTokens)
    }

    // (d') Lookup-or-add into a fresh vocabulary (what reading a corpus does): the same million
    // words, new ones appended, the index growing from its initial size.
    Benchmark("Vocabulary lookupOrAdd, 1M Gutenberg words into an empty vocabulary", configuration: lookupConfiguration) { (benchmark, words: TokenList) in
        let vocabulary = Vocabulary()
        var idSum: UInt64 = 0
        let start = ContinuousClock.now
        words.bytes.withUnsafeBufferPointer { all in
            let base = all.baseAddress!
            for i in benchmark.scaledIterations {
                let first = words.starts[i]
                idSum &+= UInt64(vocabulary.lookupOrAdd(UnsafeBufferPointer(start: base + first, count: words.starts[i + 1] - first)))
            }
        }
        let elapsed = seconds(since: start)
        blackHole(idSum)
        blackHole(vocabulary.count)
        benchmark.measurement(Rates.lookupsPerSecond, rate(benchmark.scaledIterations.count, elapsed))
    } setup: {
        precondition(gutenbergTokens.count >= 1_000_000, "fewer than a million tokens in \(gutenbergPath)")
        return gutenbergTokens
    }

    // (e) Estimation from PTB train's order-5 counts (2.3 M n-grams). The counts are made afresh
    // before each iteration, outside the measurement (a model takes over its counts' tables).
    let estimateConfiguration = Benchmark.Configuration(
        metrics: [.wallClock, .throughput, .cpuTotal, .mallocCountTotal, .peakMemoryResident, Rates.ngramsPerSecond],
        timeUnits: .milliseconds,
        units: [Rates.ngramsPerSecond: .kilo, .peakMemoryResident: .mega],
        warmupIterations: 1,
        maxDuration: .seconds(4),
        maxIterations: 8
    )

    for (name, options) in [("Kneser-Ney", EstimationOptions(smoothing: .kneserNey)),
                            ("Stupid Backoff", EstimationOptions(smoothing: .stupidBackoff))] {
        Benchmark("Estimate \(name) order 5, PTB train counts", configuration: estimateConfiguration) { benchmark, text in
            let counts = countText(text, order: 5, path: "ptb.train")
            let ngrams = counts.totalUniqueNGrams
            benchmark.startMeasurement()
            let start = ContinuousClock.now
            do {
                let model = try NGramModel.estimate(from: counts, options: options)
                blackHole(model.totalNGrams)
            } catch {
                fatalError("estimating failed: \(error)")
            }
            let elapsed = seconds(since: start)
            benchmark.stopMeasurement()
            benchmark.measurement(Rates.ngramsPerSecond, rate(ngrams, elapsed))
        } setup: {
            ptbTrain.string
        }
    }

    // (f) Scoring the first 40,000 lines of Gutenberg shard 01 (1.35 M tokens with </s>) with an
    // order-5 Kneser-Ney model of the first 20 MB of shard 00, in memory.
    let scoreConfiguration = Benchmark.Configuration(
        metrics: [.wallClock, .throughput, .cpuTotal, .mallocCountTotal, .peakMemoryResident,
                  Rates.tokensPerSecond, Rates.bytesPerSecond],
        timeUnits: .milliseconds,
        units: [Rates.tokensPerSecond: .kilo, Rates.bytesPerSecond: .kilo, .peakMemoryResident: .mega],
        warmupIterations: 1,
        maxDuration: .seconds(3),
        maxIterations: 10
    )

    // The bare per-token loop: ids already looked up, one `ModelState`, one thread.
    Benchmark("Score per token (ModelState), 40k Gutenberg lines, 1 thread", configuration: scoreConfiguration) { (benchmark, input: (NGramModel, QueryIDs)) in
        let (model, queries) = input
        let state = ModelState(model: model)
        var sum = 0.0
        let start = ContinuousClock.now
        queries.ids.withUnsafeBufferPointer { ids in
            var index = 0
            for end in queries.sentenceEnds {
                state.beginSentence()
                while index < end {
                    sum += try! state.score(ids[index]).log10Prob
                    index += 1
                }
            }
        }
        let elapsed = seconds(since: start)
        blackHole(sum)
        benchmark.measurement(Rates.tokensPerSecond, rate(queries.ids.count, elapsed))
    } setup: {
        (gutenbergModel, queries40kIDs)
    }

    // `Perplexity.evaluate` as `ngramkit ppl` runs it once the model is loaded: reading the file,
    // tokenizing, vocabulary lookups and scoring on 1 thread and on all cores.
    for threads in Set([1, allCores]).sorted() {
        Benchmark("Score Perplexity.evaluate, 40k Gutenberg lines, \(threads) thread\(threads == 1 ? "" : "s")",
                  configuration: scoreConfiguration) { (benchmark, model: NGramModel) in
            measureEvaluate(model, threads: threads, benchmark)
        } setup: {
            _ = queries40kFile
            return gutenbergModel
        }
    }

    // (g) Loading an ARPA file: PTB train's order-5 Kneser-Ney model (2.3 M n-grams), parsed into
    // the in-memory model.
    Benchmark("Load ARPA, PTB order 5", configuration: countsConfiguration) { benchmark in
        let start = ContinuousClock.now
        do {
            let model = try ARPAReader.read(ptbARPA.file)
            blackHole(model.totalNGrams)
        } catch {
            fatalError("reading the ARPA file failed: \(error)")
        }
        benchmark.measurement(Rates.ngramsPerSecond, rate(ptbARPA.ngrams, seconds(since: start)))
    } setup: {
        _ = ptbARPA
    }

    // (h) Optional, with NGRAMKIT_SCORE_ARPA=FILE: that model (loaded once, in the setup, outside
    // the measurement) scores the 40k lines on 1 thread and on all cores, and its load is timed.
    if scoreARPAPath != nil {
        for threads in Set([1, allCores]).sorted() {
            Benchmark("Score Perplexity.evaluate, 40k Gutenberg lines, NGRAMKIT_SCORE_ARPA, \(threads) thread\(threads == 1 ? "" : "s")",
                      configuration: scoreConfiguration) { (benchmark, model: NGramModel) in
                measureEvaluate(model, threads: threads, benchmark)
            } setup: {
                _ = queries40kFile
                return scoreARPAModel
            }
        }
        let loadConfiguration = Benchmark.Configuration(
            metrics: [.wallClock, .peakMemoryResident, Rates.ngramsPerSecond],
            timeUnits: .milliseconds,
            units: [Rates.ngramsPerSecond: .kilo, .peakMemoryResident: .mega],
            warmupIterations: 0,
            maxDuration: .seconds(1),
            maxIterations: 2
        )
        Benchmark("Load ARPA, NGRAMKIT_SCORE_ARPA", configuration: loadConfiguration) { benchmark in
            let start = ContinuousClock.now
            do {
                let model = try ARPAReader.read(scoreARPAPath!)
                benchmark.measurement(Rates.ngramsPerSecond, rate(model.totalNGrams, seconds(since: start)))
            } catch {
                fatalError("reading NGRAMKIT_SCORE_ARPA failed: \(error)")
            }
        }
    }
}
