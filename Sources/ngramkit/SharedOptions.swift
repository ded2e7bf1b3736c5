import ArgumentParser
import Foundation
import NGramKit

/// `--text` and the tokenizer options shared by the subcommands that read text.
struct TextOptions: ParsableArguments {
    @Option(name: .long, parsing: .upToNextOption,
            help: "Text files to read, one sentence per line; plain or gzip (detected by content); '-' is standard input. Default: standard input (for scale: the bundled corpus \(DefaultCorpus.path)).")
    var text: [String] = []

    @Option(name: .long, help: "Tokenizer: whitespace (KenLM's rule: split on space, tab, CR, NUL), unicode (words, punctuation and CJK characters of raw text), or character (grapheme clusters). Default: whitespace; for ppl and query, the tokenizer the model records.")
    var tokenizer: TokenizerKind?

    @Flag(name: .long, help: "Lower-case the text (unicode and character tokenizers).")
    var lowercase = false

    @Option(name: .customLong("invalid-utf8"), help: "Invalid UTF-8 under the unicode and character tokenizers: error (stop, naming file, line and byte) or replace (with U+FFFD). Default: error.")
    var invalidUTF8: InvalidUTF8Policy?

    /// The files to read: `--text`, else standard input.
    /// - Throws: when no `--text` is given and standard input is a terminal (nothing is piped in).
    func files() throws -> [String] {
        if !text.isEmpty { return text }
        if isatty(0) != 0 {
            throw ValidationError("no --text given and standard input is a terminal: pass --text FILE, or pipe the text in (as lmplz and query read it)")
        }
        return ["-"]
    }

    /// The files of the main job (`scale`): `--text`, else the bundled corpus.
    /// - Throws: when no `--text` is given and the bundled corpus is not in the current directory.
    func filesOrBundledCorpus() throws -> [String] {
        if !text.isEmpty { return text }
        guard FileManager.default.fileExists(atPath: DefaultCorpus.path) else {
            throw ValidationError("no --text given and the bundled corpus \(DefaultCorpus.path) is not here; run from the repository root or pass --text FILE")
        }
        return [DefaultCorpus.path]
    }

    /// What the user asked for, option by option.
    var request: TokenizerRequest {
        TokenizerRequest(kind: tokenizer, lowercase: lowercase, invalidUTF8: invalidUTF8)
    }

    /// The tokenizer for training text.
    func configuration() throws -> TokenizerConfiguration { try request.forTraining() }
}

/// Vocabulary control shared by the subcommands that count.
struct VocabularyOptions: ParsableArguments {
    @Option(name: .long, help: "Closed vocabulary: a file with one word per line (first TAB-separated field; `ngramkit vocab` output works). Every other word becomes <unk>. Default: none (open vocabulary).")
    var vocab: String?

    @Option(name: .customLong("min-count"), parsing: .unconditional, help: "Words seen fewer than K times become <unk> (1 keeps all).")
    var minCount: Int = 1

    @Option(name: .customLong("max-vocab"), parsing: .unconditional, help: "Keep only the V most frequent words (ties: first seen); the rest become <unk>. Default: no limit.")
    var maxVocab: Int?

    func validate() throws {
        if minCount < 1 { throw ValidationError("--min-count must be at least 1, not \(minCount)") }
        if let maxVocab, maxVocab < 1 { throw ValidationError("--max-vocab must be at least 1, not \(maxVocab)") }
        if vocab != nil && (minCount > 1 || maxVocab != nil) {
            throw ValidationError("--vocab gives a closed vocabulary; it cannot be combined with --min-count or --max-vocab")
        }
    }

    var restriction: VocabularyRestriction {
        VocabularyRestriction(minCount: UInt64(minCount), maxSize: maxVocab)
    }
}

/// `--threads`, shared by every subcommand that works on all cores.
struct ThreadOptions: ParsableArguments {
    @Option(name: .long, parsing: .unconditional, help: "Threads to use; every result is the same for any number. Default: all cores.")
    var threads: Int?

    func validate() throws {
        if let threads, threads < 1 { throw ValidationError("--threads must be at least 1, not \(threads)") }
    }

    /// The thread count to pass on: nil for all cores; a count above what a job starts is
    /// clamped, with a note on stderr.
    var count: Int? {
        guard let threads else { return nil }
        let usable = ThreadCount.usable(threads)
        if usable != threads {
            StandardError.write("ngramkit: note: --threads \(threads) is more than NGramKit starts (at most \(ThreadCount.maximum) here); using \(usable)\n")
        }
        return usable
    }
}

/// `--model` and `--verify`, shared by ppl and query, and the loading they start with.
struct ScoringModelOptions: ParsableArguments {
    @Option(name: .long, help: "The model: an ARPA file (plain or gzip) or a binary model from `ngramkit compile` / `build --binary` (told apart by content). ppl takes several, with --weights, for their exact mixture.")
    var model: [String] = []

    @Flag(name: .long, help: "Check a binary model's payload checksum before scoring (reads the whole file; a plain load checks its header, sizes, vocabulary index and word offsets).")
    var verify = false

    func validate() throws {
        if model.isEmpty { throw ValidationError("give --model FILE: the model to use") }
    }

    /// The one model's path (every command but ppl takes one).
    func single() throws -> String {
        guard model.count == 1 else {
            throw ValidationError("this command takes one --model, not \(model.count); `ngramkit ppl --model A --model B --weights ...` scores a mixture, `ngramkit interpolate` merges models")
        }
        return model[0]
    }

    /// Loads the model (checking its checksum with --verify) and settles the tokenizer the text
    /// is read with: the model's own unless --tokenizer says otherwise (with a warning).
    func load(textOptions: TextOptions, threads: Int?, progress: ProgressReporter?) throws -> (NGramModel, TokenizerConfiguration) {
        let path = try single()
        let loaded = try loadModel(path, threads: threads, progress: progress)
        let (tokenizer, warning) = try textOptions.request.forScoring(modelPath: path, recorded: loaded.provenance.tokenizer)
        if let warning { StandardError.write("ngramkit: \(warning)\n") }
        return (loaded, tokenizer)
    }

    /// Loads one model (checking its checksum with --verify).
    func loadModel(_ path: String, threads: Int? = nil, progress: ProgressReporter? = nil) throws -> NGramModel {
        progress?.status("loading \(path)")
        let loaded = try ModelFile.load(path, threads: threads) { StandardError.write("ngramkit: \($0)\n") }
        if verify, let binary = loaded.binary { try binary.verifyChecksum() }
        return loaded
    }
}

/// `--weights`: a comma-separated list of numbers.
struct WeightList: ExpressibleByArgument {
    let values: [Double]
    init?(argument: String) {
        let parts = argument.split(separator: ",", omittingEmptySubsequences: false).map { Double($0.trimmingCharacters(in: .whitespaces)) }
        guard !parts.isEmpty, parts.allSatisfy({ $0 != nil }) else { return nil }
        values = parts.map { $0! }
    }
}

/// `--memory` and `--temp-dir`, shared by the jobs whose data grows with their input.
struct MemoryOptions: ParsableArguments {
    @Option(name: .long, help: "The most memory the job's data may take: a size (800M, 4G; K, M, G, T are powers of 1024) or a share of physical memory (50%). Past it the job cuts its n-grams into partitions and keeps the rest in temporary files; the output is the same bytes. Default: \(Int(MemoryBudget.defaultShare * 100))% of physical memory.")
    var memory: String?

    @Option(name: .customLong("temp-dir"), help: "Where temporary files go when the job spills (nameless files, gone when the job ends however it ends). Default: $TMPDIR, else /tmp.")
    var tempDir: String?

    /// The budget these options give.
    func budget() throws -> MemoryBudget {
        if let memory { return try MemoryBudget.parse(memory, temporaryDirectory: tempDir) }
        return MemoryBudget.standard(temporaryDirectory: tempDir)
    }
}

/// `--order`, shared by count and build.
struct OrderOption: ParsableArguments {
    @Option(name: .long, parsing: .unconditional, help: "Highest n-gram order, 1 to \(BuildConfiguration.maximumOrder).")
    var order: Int = 5

    func validate() throws {
        guard order >= 1 && order <= BuildConfiguration.maximumOrder else {
            throw ValidationError("--order must be from 1 to \(BuildConfiguration.maximumOrder) (the most the ARPA reader and the binary format take), not \(order)")
        }
    }
}

extension TokenizerKind: ExpressibleByArgument {}
extension InvalidUTF8Policy: ExpressibleByArgument {}
extension SmoothingMethod: ExpressibleByArgument {}

/// Relative-entropy pruning, shared by build and prune.
struct PruningOptions: ParsableArguments {
    @Option(name: .customLong("prune-entropy"), parsing: .unconditional, help: "Remove every n-gram of order 2 and up whose removal raises the model's perplexity (on its own distribution) by less than this share, as SRILM's -prune (Stolcke 1998), e.g. 1e-8; backoff weights are recomputed so every context sums to 1. Default: no pruning.")
    var pruneEntropy: Double?

    @Option(name: .customLong("prune-target"), parsing: .unconditional, help: "Prune by relative entropy to at most this many n-grams in all (unigrams included), with the smallest threshold that gets there, as OpenGrm's ngramshrink --target_number_of_ngrams. Default: no pruning.")
    var pruneTarget: Int?

    @Option(name: .customLong("held-out"), parsing: .upToNextOption, help: "Text to score before and after pruning (tokenized as the model records), to report the perplexity increase measured on it. Default: none (only Stolcke's estimate is reported).")
    var heldOut: [String] = []

    func validate() throws {
        if pruneEntropy != nil && pruneTarget != nil { throw ValidationError("give --prune-entropy or --prune-target, not both") }
        if let pruneEntropy, !(pruneEntropy.isFinite && pruneEntropy >= 0) {
            throw ValidationError("--prune-entropy must be a share ≥ 0 (e.g. 1e-8), not \(pruneEntropy)")
        }
        if let pruneTarget, pruneTarget < 1 { throw ValidationError("--prune-target must be at least 1, not \(pruneTarget)") }
        if !heldOut.isEmpty && criterion == nil { throw ValidationError("--held-out measures pruning: give --prune-entropy or --prune-target with it") }
    }

    /// The criterion given, if any.
    var criterion: PruningCriterion? {
        if let pruneEntropy { return .threshold(pruneEntropy) }
        if let pruneTarget { return .targetNGrams(pruneTarget) }
        return nil
    }
}
