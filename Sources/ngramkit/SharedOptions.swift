import ArgumentParser
import Foundation
import NGramKit

/// `--text` and the tokenizer options shared by the subcommands that read text.
struct TextOptions: ParsableArguments {
    @Option(name: .long, parsing: .upToNextOption,
            help: "Text files to read, one sentence per line; plain or gzip (detected by content); '-' is standard input. Default: the bundled corpus \(DefaultCorpus.path).")
    var text: [String] = []

    @Option(name: .long, help: "Tokenizer: whitespace (KenLM's rule: split on space, tab, CR, NUL), unicode (words, punctuation and CJK characters of raw text), or character (grapheme clusters). Default: whitespace.")
    var tokenizer: TokenizerKind = .whitespace

    @Flag(name: .long, help: "Lower-case the text (unicode and character tokenizers). Default: off.")
    var lowercase = false

    @Option(name: .customLong("invalid-utf8"), help: "What to do with invalid UTF-8 under the unicode and character tokenizers: error (stop, naming file, line and byte) or replace (with U+FFFD). Default: error.")
    var invalidUTF8: InvalidUTF8Policy = .error

    /// The files to read: `--text`, or the bundled corpus.
    /// - Throws: when no `--text` is given and the bundled corpus is not in the current directory.
    func files() throws -> [String] {
        if !text.isEmpty { return text }
        guard FileManager.default.fileExists(atPath: DefaultCorpus.path) else {
            throw ValidationError("no --text given and the bundled corpus \(DefaultCorpus.path) is not here; run from the repository root or pass --text FILE")
        }
        return [DefaultCorpus.path]
    }

    func configuration() throws -> TokenizerConfiguration {
        try TokenizerConfiguration(kind: tokenizer, lowercase: lowercase, invalidUTF8: invalidUTF8)
    }
}

/// Vocabulary control shared by the subcommands that count.
struct VocabularyOptions: ParsableArguments {
    @Option(name: .long, help: "Closed vocabulary: a file with one word per line (first TAB-separated field; `ngramkit vocab` output works). Every other word becomes <unk>. Default: none (open vocabulary).")
    var vocab: String?

    @Option(name: .customLong("min-count"), help: "Words seen fewer than K times become <unk>. Default: 1 (keep all).")
    var minCount: Int = 1

    @Option(name: .customLong("max-vocab"), help: "Keep only the V most frequent words (ties: first seen); the rest become <unk>. Default: no limit.")
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

    func closedVocabulary() throws -> Vocabulary? {
        try vocab.map { try VocabularyFile.read($0) }
    }
}

extension TokenizerKind: ExpressibleByArgument {}
extension InvalidUTF8Policy: ExpressibleByArgument {}
