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
    package func apply<U: TokenizerUser>(_ user: inout U) throws -> U.Result {
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

/// The tokenizer options a user gave for scoring, each nil (or false) when not given: the
/// model's recorded tokenizer fills in the rest (`resolve`).
package struct TokenizerRequest: Sendable, Equatable {
    public var kind: TokenizerKind?
    /// True only when `--lowercase` was given.
    public var lowercase: Bool
    public var invalidUTF8: InvalidUTF8Policy?

    public init(kind: TokenizerKind? = nil, lowercase: Bool = false, invalidUTF8: InvalidUTF8Policy? = nil) {
        self.kind = kind
        self.lowercase = lowercase
        self.invalidUTF8 = invalidUTF8
    }

    /// The tokenizer for training text: what was given, whitespace otherwise.
    public func forTraining() throws -> TokenizerConfiguration {
        try TokenizerConfiguration(kind: kind ?? .whitespace, lowercase: lowercase, invalidUTF8: invalidUTF8 ?? .error)
    }

    /// The tokenizer for scoring text with a model that recorded `recorded` (nil: none):
    /// with `--tokenizer` given, what was given; otherwise the recorded one (whitespace when
    /// none), with `--lowercase` and `--invalid-utf8` applied when given.
    /// - Returns: the tokenizer, and a warning when it tokenizes differently from the recorded one.
    public func forScoring(modelPath: String, recorded: TokenizerConfiguration?) throws -> (TokenizerConfiguration, warning: String?) {
        let configuration: TokenizerConfiguration
        if let kind {
            configuration = try TokenizerConfiguration(kind: kind, lowercase: lowercase, invalidUTF8: invalidUTF8 ?? .error)
        } else {
            let base = try recorded ?? TokenizerConfiguration()
            configuration = try TokenizerConfiguration(kind: base.kind, lowercase: base.lowercase || lowercase,
                                                       invalidUTF8: invalidUTF8 ?? base.invalidUTF8)
        }
        guard let recorded, configuration.differs(from: recorded) else { return (configuration, nil) }
        return (configuration, "warning: \(modelPath) was trained with \(recorded.options), but the text is tokenized with \(configuration.options) as asked; the scores will not mean what they should unless the tokens really are the same")
    }
}

/// Work that needs a tokenizer whose type is chosen at run time (see `TokenizerConfiguration.apply`).
package protocol TokenizerUser {
    associatedtype Result
    mutating func use<T: Tokenizer>(_ tokenizer: inout T) throws -> Result
}

/// `ngramkit tokenize`: text in, the tokens NGramKit sees out, space-separated, one sentence per
/// line, so that KenLM or SRILM can be fed exactly the same tokens.
public enum TokenizedText {
    /// Tokenizes every line of `paths` into the file `output` (`-` is standard output), which is
    /// checked against the inputs and opened before any input is read, and named when complete.
    /// - Throws: `NGramKitError` for unreadable input, invalid UTF-8, or an unwritable output.
    public static func write(paths: [String], configuration: TokenizerConfiguration, to output: String) throws {
        try JobFiles.checkDistinct(inputs: paths.map { ("--text", $0) }, outputs: [("--out", output)])
        let sink = try OutputSink(path: output)
        try write(paths: paths, configuration: configuration, to: sink)
        try sink.commit()
    }

    /// Tokenizes every line of `paths` into `sink` (the caller commits it).
    package static func write(paths: [String], configuration: TokenizerConfiguration, to sink: OutputSink) throws {
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
