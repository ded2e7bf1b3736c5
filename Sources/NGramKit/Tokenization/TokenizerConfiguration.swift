/// A tokenizer chosen at run time (`--tokenizer`, `--lowercase`, `--invalid-utf8`), and the
/// one place that turns that choice into a concrete, specialised tokenizer type.
public struct TokenizerConfiguration: Sendable, Equatable {
    public var kind: TokenizerKind
    public var lowercase: Bool
    public var invalidUTF8: InvalidUTF8Policy

    /// - Throws: `NGramKitError.invalidOption` for `lowercase` with the whitespace tokenizer,
    ///   whose tokens are KenLM's byte strings and are never changed.
    public init(kind: TokenizerKind = .whitespace, lowercase: Bool = false, invalidUTF8: InvalidUTF8Policy = .error) throws {
        if kind == .whitespace && lowercase {
            throw NGramKitError.invalidOption(name: "--lowercase", value: "whitespace", expected: "--tokenizer unicode or character (the whitespace tokenizer keeps KenLM's bytes as they are)")
        }
        self.kind = kind
        self.lowercase = lowercase
        self.invalidUTF8 = invalidUTF8
    }

    /// Hands `user` a fresh tokenizer of the configured kind: one generic instantiation per
    /// kind, so the hot loop that uses it is specialised.
    public func apply<U: TokenizerUser>(_ user: inout U) throws -> U.Result {
        switch kind {
        case .whitespace:
            var tokenizer = WhitespaceTokenizer()
            return try user.use(&tokenizer)
        case .unicode:
            var tokenizer = UnicodeWordTokenizer(lowercase: lowercase, invalidUTF8: invalidUTF8)
            return try user.use(&tokenizer)
        case .character:
            var tokenizer = CharacterTokenizer(lowercase: lowercase, invalidUTF8: invalidUTF8)
            return try user.use(&tokenizer)
        }
    }
}

extension TokenizerConfiguration {
    /// How model files record the tokenizer (an ARPA comment line, see `ARPAWriter`):
    /// `kind=unicode lowercase=yes invalid-utf8=error`.
    public var recorded: String {
        "kind=\(kind.rawValue) lowercase=\(lowercase ? "yes" : "no") invalid-utf8=\(invalidUTF8.rawValue)"
    }

    /// Reads `recorded` back; nil for any other text.
    public init?(recorded text: String) {
        var fields: [String: String] = [:]
        for part in text.split(separator: " ") {
            let pair = part.split(separator: "=", maxSplits: 1).map(String.init)
            guard pair.count == 2, fields[pair[0]] == nil else { return nil }
            fields[pair[0]] = pair[1]
        }
        guard fields.count == 3, let kind = fields["kind"].flatMap(TokenizerKind.init(rawValue:)),
              let lowercase = fields["lowercase"], lowercase == "yes" || lowercase == "no",
              let invalid = fields["invalid-utf8"].flatMap(InvalidUTF8Policy.init(rawValue:)),
              let configuration = try? TokenizerConfiguration(kind: kind, lowercase: lowercase == "yes", invalidUTF8: invalid) else { return nil }
        self = configuration
    }

    /// What differs between the tokens of this tokenizer and `other`'s (kind and lower-casing;
    /// the invalid-UTF-8 policy changes no token of valid text), as options, or nil.
    public func differs(from other: TokenizerConfiguration) -> Bool {
        kind != other.kind || lowercase != other.lowercase
    }

    /// The command-line options that choose this tokenizer ("--tokenizer unicode --lowercase").
    public var options: String {
        "--tokenizer \(kind.rawValue)" + (lowercase ? " --lowercase" : "") + (invalidUTF8 == .replace ? " --invalid-utf8 replace" : "")
    }
}

/// Work that needs a tokenizer whose type is chosen at run time (see `TokenizerConfiguration.apply`).
public protocol TokenizerUser {
    associatedtype Result
    mutating func use<T: Tokenizer>(_ tokenizer: inout T) throws -> Result
}

/// `ngramkit tokenize`: text in, the tokens NGramKit sees out, space-separated, one sentence per
/// line, so that KenLM or SRILM can be fed exactly the same tokens.
public enum TokenizedText {
    /// Tokenizes every line of `paths` into `sink`.
    /// - Throws: `NGramKitError` for unreadable input or invalid UTF-8.
    public static func write(paths: [String], configuration: TokenizerConfiguration, to sink: OutputSink) throws {
        var writer = Writer(paths: paths, sink: sink)
        try configuration.apply(&writer)
    }

    private struct Writer: TokenizerUser {
        let paths: [String]
        let sink: OutputSink

        func use<T: Tokenizer>(_ tokenizer: inout T) throws {
            // The same reading thread the counter uses, so the tokens are the ones it counts.
            let reader = TokenizingReader(paths: paths, tokenizer: tokenizer, computeTags: false)
            try reader.forEachBatch { batch in
                var index = 0
                for end in batch.lineEnds {
                    while index < end {
                        try sink.write(batch.token(index))
                        index += 1
                        if index < end { try sink.write(byte: 0x20) }
                    }
                    try sink.write(byte: 0x0A)
                }
            }
        }
    }
}
