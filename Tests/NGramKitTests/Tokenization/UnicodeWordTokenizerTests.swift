import Foundation
import Testing

import NGramKit

// MARK: - Shared helpers for the tokenizer tests (also used by CharacterTokenizerTests)

/// Helpers for driving tokenizers and reading the shared multilingual corpora.
enum TokenizerTestSupport {
    /// The tokens of `bytes` as strings (decoded leniently so that broken tokens still show up).
    static func tokens<T: Tokenizer>(_ tokenizer: inout T, _ bytes: [UInt8]) throws -> [String] {
        var out: [String] = []
        try bytes.withUnsafeBufferPointer { buffer in
            try tokenizer.tokenize(buffer) { out.append(String(decoding: $0, as: UTF8.self)) }
        }
        return out
    }

    /// The error a tokenizer throws for `bytes`, or nil.
    static func failure<T: Tokenizer>(_ tokenizer: inout T, _ bytes: [UInt8]) -> TokenizationFailure? {
        do {
            _ = try tokens(&tokenizer, bytes)
            return nil
        } catch let failure as TokenizationFailure {
            return failure
        } catch {
            return nil
        }
    }

    /// Separators by the documented rule, written out independently of the implementation:
    /// White_Space, Cc, and the listed invisible format characters.
    static func isSeparator(_ scalar: Unicode.Scalar) -> Bool {
        if scalar.value < 0x80 { return scalar.value <= 0x20 || scalar.value == 0x7F }  // Cc and space
        if scalar.properties.isWhitespace || scalar.properties.generalCategory == .control { return true }
        switch scalar.value {
        case 0x061C, 0x200B, 0x200E, 0x200F, 0x202A...0x202E, 0x2060...0x2064, 0x2066...0x206F, 0xFEFF:
            return true
        default:
            return false
        }
    }

    /// NFC of `bytes` (invalid sequences replaced), optionally lower-cased first.
    static func nfc(_ bytes: [UInt8], lowercase: Bool = false) -> String {
        var string = String(decoding: bytes, as: UTF8.self)
        if lowercase { string = string.lowercased() }
        return string.precomposedStringWithCanonicalMapping
    }

    /// The UTF-8 of `string` without its separator scalars.
    static func withoutSeparators(_ string: String) -> [UInt8] {
        var scalars = String.UnicodeScalarView()
        for scalar in string.unicodeScalars where !isSeparator(scalar) { scalars.append(scalar) }
        return Array(String(scalars).utf8)
    }

    // MARK: Corpus files

    /// The package root, found from this file's path (Tests/NGramKitTests/Tokenization/…).
    static func packageRoot(_ filePath: String = #filePath) -> URL {
        URL(fileURLWithPath: filePath)
            .deletingLastPathComponent()  // Tokenization
            .deletingLastPathComponent()  // NGramKitTests
            .deletingLastPathComponent()  // Tests
            .deletingLastPathComponent()  // package root
    }

    /// `../shared/corpora/<sub>` next to the package root.
    static func sharedCorpora(_ sub: String) -> URL {
        packageRoot().appendingPathComponent("../shared/corpora/\(sub)").standardizedFileURL
    }

    static var multilingualDirectory: URL { sharedCorpora("multilingual") }

    struct CorpusError: Error, CustomStringConvertible {
        let description: String
    }

    /// Fails with a clear message when a shared corpus file is missing.
    static func requireFile(_ url: URL) throws {
        guard FileManager.default.fileExists(atPath: url.path) else {
            throw CorpusError(
                description: "shared corpus file \(url.path) is missing; the tokenizer corpus tests need "
                    + "../shared/corpora/ next to the package root")
        }
    }

    /// Runs a program and returns its standard output; throws if it fails.
    static func run(_ executable: String, _ arguments: [String]) throws -> Data {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw CorpusError(description: "\(executable) \(arguments) exited with \(process.terminationStatus)")
        }
        return data
    }

    /// Lines of `data` split at `\n`, each without its `\n` and a `\r` before it.
    static func lines(_ data: Data) -> [[UInt8]] {
        let bytes = [UInt8](data)
        var lines: [[UInt8]] = []
        var start = 0
        for index in bytes.indices where bytes[index] == 0x0A {
            var end = index
            if end > start && bytes[end - 1] == 0x0D { end -= 1 }
            lines.append(Array(bytes[start..<end]))
            start = index + 1
        }
        if start < bytes.count {
            var end = bytes.count
            if bytes[end - 1] == 0x0D { end -= 1 }
            lines.append(Array(bytes[start..<end]))
        }
        return lines
    }

    /// The lines of a gzip file, optionally only the first `limit` (via `head`, for big files).
    static func gzipLines(_ url: URL, limit: Int? = nil) throws -> [[UInt8]] {
        try requireFile(url)
        if let limit {
            return lines(try run("/bin/sh", ["-c", "/bin/gzip -dc \"$1\" | head -n \(limit)", "sh", url.path]))
        }
        return lines(try run("/bin/gzip", ["-dc", url.path]))
    }

    /// One line (1-based) of a multilingual gzip file.
    static func multilingualLine(_ file: String, _ number: Int) throws -> [UInt8] {
        let lines = try gzipLines(multilingualDirectory.appendingPathComponent(file))
        try #require(number <= lines.count, "\(file) has only \(lines.count) lines")
        return lines[number - 1]
    }

    struct CorpusText: Sendable {
        let name: String
        let lines: [[UInt8]]
    }

    /// Every line of every file in `../shared/corpora/multilingual/`: the `.txt.gz` files and each
    /// text file inside `udhr2_388langs.tar.gz`. Loaded once per test process.
    static func multilingualCorpus() throws -> [CorpusText] { try loadedCorpus.get() }

    private static let loadedCorpus: Result<[CorpusText], any Error> = Result { try loadCorpus() }

    private static func loadCorpus() throws -> [CorpusText] {
        let directory = multilingualDirectory
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: directory.path, isDirectory: &isDirectory), isDirectory.boolValue
        else {
            throw CorpusError(
                description: "shared corpus folder \(directory.path) is missing; the multilingual tokenizer "
                    + "property tests need ../shared/corpora/multilingual/ next to the package root")
        }
        let names = try FileManager.default.contentsOfDirectory(atPath: directory.path).sorted()
        var texts: [CorpusText] = []
        for name in names where name.hasSuffix(".gz") && !name.hasSuffix(".tar.gz") {
            texts.append(CorpusText(name: name, lines: try gzipLines(directory.appendingPathComponent(name))))
        }
        for name in names where name.hasSuffix(".tar.gz") {
            let temporary = FileManager.default.temporaryDirectory
                .appendingPathComponent("ngramkit-tokenizer-tests-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: temporary, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(at: temporary) }
            _ = try run("/bin/tar", ["-xzf", directory.appendingPathComponent(name).path, "-C", temporary.path])
            guard let enumerator = FileManager.default.enumerator(atPath: temporary.path) else {
                throw CorpusError(description: "cannot list the files extracted from \(name)")
            }
            var members: [String] = []
            for case let member as String in enumerator where member.hasSuffix(".txt") { members.append(member) }
            for member in members.sorted() {
                let data = try Data(contentsOf: temporary.appendingPathComponent(member))
                texts.append(CorpusText(name: "\(name)/\(member)", lines: lines(data)))
            }
        }
        return texts
    }

    /// Runs `check` over every corpus file in parallel and returns the problems, "file:line: what".
    static func checkCorpus(_ check: @escaping @Sendable (CorpusText) -> [String]) async throws -> (
        files: Int, lines: Int, problems: [String]
    ) {
        let corpus = try multilingualCorpus()
        let problems = await withTaskGroup(of: [String].self) { group in
            for text in corpus { group.addTask { check(text) } }
            var all: [String] = []
            for await found in group { all += found }
            return all
        }
        return (corpus.count, corpus.reduce(0) { $0 + $1.lines.count }, problems)
    }
}

// MARK: - UnicodeWordTokenizer

private func words(
    _ text: String, lowercase: Bool = false, invalidUTF8: InvalidUTF8Policy = .error
) throws -> [String] {
    var tokenizer = UnicodeWordTokenizer(lowercase: lowercase, invalidUTF8: invalidUTF8)
    return try TokenizerTestSupport.tokens(&tokenizer, Array(text.utf8))
}

private func words(_ bytes: [UInt8], lowercase: Bool = false, invalidUTF8: InvalidUTF8Policy = .error) throws
    -> [String]
{
    var tokenizer = UnicodeWordTokenizer(lowercase: lowercase, invalidUTF8: invalidUTF8)
    return try TokenizerTestSupport.tokens(&tokenizer, bytes)
}

/// Splits an expected token list written with single spaces.
private func split(_ expected: String) -> [String] {
    expected.split(separator: " ").map(String.init)
}

@Suite("UnicodeWordTokenizer")
struct UnicodeWordTokenizerTests {
    @Test func emptyAndBlankLinesHaveNoTokens() throws {
        #expect(try words("") == [])
        #expect(try words(" ") == [])
        #expect(try words(" \t  \u{0B}\u{0C}") == [])
        #expect(try words("\u{3000}\u{00A0}\u{2003}\u{FEFF}\u{200B}\u{85}") == [])
        #expect(try words("\u{3000} \u{00A0}", lowercase: true) == [])
    }

    @Test func englishPunctuation() throws {
        #expect(try words("\"Hello,\" she said...") == ["\"", "Hello", ",", "\"", "she", "said", ".", ".", "."])
        #expect(try words("Wait!? (Really) [x]; a:b") == split("Wait ! ? ( Really ) [ x ] ; a : b"))
        #expect(try words("Mr. Smith & Co. -- $5 #1 @home") == split("Mr . Smith & Co . - - $ 5 # 1 @ home"))
        #expect(try words("word--word") == ["word", "-", "-", "word"])
    }

    @Test func apostrophes() throws {
        #expect(try words("don't O’Brien l'homme rock'n'roll") == ["don't", "O’Brien", "l'homme", "rock'n'roll"])
        #expect(try words("'tis") == ["'", "tis"])
        #expect(try words("dogs' tails") == ["dogs", "'", "tails"])
        #expect(try words("’Tis the dogs’") == ["’", "Tis", "the", "dogs", "’"])
        #expect(try words("80's x''y a' b") == ["80", "'", "s", "x", "'", "'", "y", "a", "'", "b"])
        #expect(try words("‘quoted’") == ["‘", "quoted", "’"])
    }

    @Test func hyphens() throws {
        // Decided: a hyphen joins a letter or digit on its left to a letter or digit on its right.
        #expect(try words("well-known 1-2 COVID-19 A-1") == ["well-known", "1-2", "COVID-19", "A-1"])
        #expect(try words("self\u{2010}made non\u{2011}stop") == ["self\u{2010}made", "non\u{2011}stop"])
        #expect(try words("-5 x- -y- a - b") == ["-", "5", "x", "-", "-", "y", "-", "a", "-", "b"])
        // Other dashes never join.
        #expect(try words("1914–1918 a—b") == ["1914", "–", "1918", "a", "—", "b"])
        #expect(try words("_-a") == ["_", "-", "a"])
    }

    @Test func numbers() throws {
        #expect(try words("3.14 1,000 1.000.000 0,5") == ["3.14", "1,000", "1.000.000", "0,5"])
        #expect(try words("in 1914. .5 5. 1,2,3") == ["in", "1914", ".", ".", "5", "5", ".", "1,2,3"])
        #expect(try words("3.x v1.2 e.g. 1.,2") == ["3", ".", "x", "v1.2", "e", ".", "g", ".", "1", ".", ",", "2"])
        #expect(try words("snake_case __init__ x_1") == ["snake_case", "__init__", "x_1"])
    }

    @Test func quotes() throws {
        #expect(
            try words("“Yes,” he said. ‘No’ «Oui» „Ja“ »Nein«")
                == split("“ Yes , ” he said . ‘ No ’ « Oui » „ Ja “ » Nein «"))
    }

    @Test func german() throws {
        #expect(
            try words("Ärger über Straße; Grüße „Guten Tag“ – Maß!")
                == split("Ärger über Straße ; Grüße „ Guten Tag “ – Maß !"))
        #expect(try words("Gemüse-Eintopf, 2,5 kg für 3.000 €") == split("Gemüse-Eintopf , 2,5 kg für 3.000 €"))
    }

    @Test func lowercase() throws {
        #expect(try words("Don't SHOUT, Bob-2!", lowercase: true) == ["don't", "shout", ",", "bob-2", "!"])
        #expect(try words("ÄRGER Über STRASSE ẞ", lowercase: true) == ["ärger", "über", "strasse", "ß"])
        #expect(try words("ΣΟΦΙΑ Σ", lowercase: true) == ["σοφια", "σ"])
        #expect(try words("İstanbul", lowercase: true) == ["i\u{307}stanbul"])
        // A line whose non-ASCII characters have no lower case takes the byte path.
        #expect(try words("HELLO “World” 漢字", lowercase: true) == ["hello", "“", "world", "”", "漢", "字"])
        // Without the option nothing changes.
        #expect(try words("ÄRGER HELLO") == ["ÄRGER", "HELLO"])
        // J + combining caron has a precomposed lower case: lower-case, then NFC.
        #expect(try words("J\u{30C}", lowercase: true) == ["\u{1F0}"])
    }

    @Test func nfcNormalization() throws {
        let decomposed = "Cafe\u{301} A\u{30A}ngstro\u{308}m \u{1112}\u{1161}\u{11AB}\u{1100}\u{1173}\u{11AF}"
        let composed = "Café Ångström 한글"
        #expect(try words(decomposed) == ["Café", "Ångström", "한글"])
        #expect(try words(decomposed) == (try words(composed)))
        #expect(try words(decomposed).first.map { Array($0.utf8) } == [0x43, 0x61, 0x66, 0xC3, 0xA9])
        // Singletons: ANGSTROM SIGN and a CJK compatibility ideograph.
        #expect(try words("\u{212B}") == ["\u{C5}"])
        #expect(try words("\u{F900}\u{F901}") == ["\u{8C48}", "\u{66F4}"])
        // Canonical reordering of marks.
        #expect(try words("q\u{307}\u{323}").map { Array($0.unicodeScalars) } == [["q", "\u{323}", "\u{307}"]])
        #expect(try words("か\u{3099}") == ["が"])
    }

    @Test func combiningMarksStayAttached() throws {
        #expect(try words("हिन्दी में") == ["हिन्दी", "में"])
        #expect(try words("q\u{307}x !\u{301} \u{301}ab") == ["q\u{307}x", "!\u{301}", "\u{301}ab"])
        #expect(try words("漢\u{E0100}字") == ["漢\u{E0100}", "字"])
        #expect(try words("'\u{301}") == ["'\u{301}"])
    }

    @Test func hanAndKanaAreOneTokenPerCharacter() throws {
        #expect(try words("日本語のテキスト") == ["日", "本", "語", "の", "テ", "キ", "ス", "ト"])
        // Decided: the prolonged sound mark is a token of its own, like every kana.
        #expect(try words("スーパー") == ["ス", "ー", "パ", "ー"])
        #expect(try words("ｶﾞｰﾄﾞ") == ["ｶﾞ", "ｰ", "ﾄﾞ"])
        #expect(try words("人々〆切 〇 㐀𠀀") == ["人", "々", "〆", "切", "〇", "㐀", "𠀀"])
        #expect(try words("東京Tower2020年") == ["東", "京", "Tower2020", "年"])
        #expect(try words("ゝゞヽヾ") == ["ゝ", "ゞ", "ヽ", "ヾ"])
    }

    @Test func hangulAndOtherScriptsFormWords() throws {
        #expect(try words("대한민국헌법") == ["대한민국헌법"])
        #expect(try words("3·1운동으로") == ["3", "·", "1운동으로"])
        #expect(try words("Всеобщая декларация, прав") == ["Всеобщая", "декларация", ",", "прав"])
        #expect(try words("Ελληνικά; κείμενο") == ["Ελληνικά", ";", "κείμενο"])
        #expect(try words("حقوق الإنسان،") == ["حقوق", "الإنسان", "،"])
        #expect(try words("สวัสดีครับ") == ["สวัสดีครับ"])
    }

    @Test func separatorsAndFormatCharacters() throws {
        #expect(
            try words("a\u{200B}b c\u{FEFF}d e\u{07}f g\u{A0}h i\u{2028}j k\u{200E}l m\u{2060}n")
                == split("a b c d e f g h i j k l m n"))
        // ZWNJ, ZWJ and the soft hyphen stay inside words.
        #expect(try words("می\u{200C}شود") == ["می\u{200C}شود"])
        #expect(try words("Ab\u{AD}satz") == ["Ab\u{AD}satz"])
    }

    @Test func emojiSequences() throws {
        #expect(
            try words("👨‍👩‍👧 🇩🇪🇫🇷 👍🏽! #️⃣")
                == ["👨‍👩‍👧", "🇩🇪", "🇫🇷", "👍🏽", "!", "#️⃣"])
        #expect(try words("①②½²") == ["①", "②", "½", "²"])
    }

    @Test func invalidUTF8ThrowsWithTheByteOffset() {
        let cases: [([UInt8], Int)] = [
            (Array("abc".utf8) + [0xFF] + Array("def".utf8), 3),
            (Array("héllo".utf8) + [0xC3], 6),  // truncated at the end of the line
            (Array("ab".utf8) + [0xE2, 0x82] + Array("c".utf8), 2),  // truncated in the middle
            ([0xC0, 0xAF], 0),  // overlong
            ([0x61, 0xED, 0xA0, 0x80], 1),  // surrogate
            (Array("ok ".utf8) + [0xF4, 0x90, 0x80, 0x80], 3),  // above U+10FFFF
            (Array("日本".utf8) + [0x80], 6),  // stray continuation byte after valid non-ASCII
            (Array("x ".utf8) + [0xF0, 0x9F, 0x98], 2),
        ]
        for (bytes, offset) in cases {
            var tokenizer = UnicodeWordTokenizer()
            #expect(
                TokenizerTestSupport.failure(&tokenizer, bytes) == .invalidUTF8(byteOffset: offset),
                "bytes \(bytes)")
        }
    }

    @Test func invalidUTF8ReplaceMode() throws {
        #expect(try words([0x61, 0xFF, 0x62], invalidUTF8: .replace) == ["a", "\u{FFFD}", "b"])
        #expect(try words([0xE2, 0x82, 0x78], invalidUTF8: .replace) == ["\u{FFFD}", "x"])
        #expect(try words([0xF0, 0x80, 0x80], invalidUTF8: .replace) == ["\u{FFFD}", "\u{FFFD}", "\u{FFFD}"])
        #expect(
            try words(Array("cafe\u{301}".utf8) + [0xFF] + Array(" OK".utf8), lowercase: true, invalidUTF8: .replace)
                == ["café", "\u{FFFD}", "ok"])
        // What the replace mode produces is exactly String(decoding:)'s repair, normalized.
        let messy: [UInt8] = [0x41, 0xC3, 0x28, 0xE0, 0x80, 0xAF, 0xED, 0xBF, 0xBF, 0x20, 0xF8, 0x42]
        let expected = TokenizerTestSupport.withoutSeparators(TokenizerTestSupport.nfc(messy))
        #expect(Array(try words(messy, invalidUTF8: .replace).joined().utf8) == expected)
    }

    @Test func errorsFromTheBodyPropagate() {
        struct Stop: Error {}
        var tokenizer = UnicodeWordTokenizer()
        let bytes = Array("one two".utf8)
        var seen = 0
        #expect(throws: Stop.self) {
            try bytes.withUnsafeBufferPointer { buffer in
                try tokenizer.tokenize(buffer) { _ in
                    seen += 1
                    throw Stop()
                }
            }
        }
        #expect(seen == 1)
    }

    @Test func asciiFastPathAgreesWithTheGeneralPath() throws {
        // Random ASCII lines, tokenized alone (fast path) and with a non-ASCII suffix (general path).
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15
        func next() -> UInt64 {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return state >> 33
        }
        let alphabet = Array("aZ9_ '-.,!\"\t()xy0".utf8)
        var fast = UnicodeWordTokenizer()
        var general = UnicodeWordTokenizer()
        for _ in 0..<2000 {
            let line = (0..<Int(next() % 24)).map { _ in alphabet[Int(next() % UInt64(alphabet.count))] }
            let plain = try TokenizerTestSupport.tokens(&fast, line)
            let mixed = try TokenizerTestSupport.tokens(&general, line + Array(" é".utf8))
            #expect(mixed == plain + ["é"], "line \(String(decoding: line, as: UTF8.self).debugDescription)")
            var lowerFast = UnicodeWordTokenizer(lowercase: true)
            #expect(try TokenizerTestSupport.tokens(&lowerFast, line) == plain.map { $0.lowercased() })
        }
    }

    @Test func reusingAnInstanceGivesTheSameTokens() throws {
        let lines = [
            "Ein „langer“ Satz mit Ümläuten, Zahlen 1.234 und mehr.", "ok", "e\u{301}", "",
            "吾輩は猫である。", "short", "ΣΟΦΙΑ", "\u{FEFF}x",
        ]
        for lowercase in [false, true] {
            var reused = UnicodeWordTokenizer(lowercase: lowercase)
            for line in lines + lines.reversed() {
                var fresh = UnicodeWordTokenizer(lowercase: lowercase)
                #expect(
                    try TokenizerTestSupport.tokens(&reused, Array(line.utf8))
                        == (try TokenizerTestSupport.tokens(&fresh, Array(line.utf8))))
            }
        }
    }

    @Test func nfcInertRangesReallyAreInert() {
        // Every scalar the byte path accepts without normalization must be a starter that NFC keeps
        // and that never composes with the character before it.
        var inert: [Unicode.Scalar] = []
        for value in UInt32(0x80)...0x3FFFF where UnicodeTextSupport.isNFCInert(value) {
            guard let scalar = Unicode.Scalar(value) else { continue }
            #expect(scalar.properties.canonicalCombiningClass == .notReordered, "U+\(String(value, radix: 16))")
            inert.append(scalar)
        }
        #expect(inert.count > 40_000)
        let before: [Unicode.Scalar] = ["a", "e", "\u{1100}", "가", "か", "ｶ", "\u{B47}", "\u{BC6}", "\u{CC6}", "\u{DD9}", "\u{1025}"]
        for previous in before {
            var scalars = String.UnicodeScalarView()
            for scalar in inert {
                scalars.append(previous)
                scalars.append(scalar)
            }
            let text = String(scalars)
            let normalized = text.precomposedStringWithCanonicalMapping
            #expect(Array(normalized.unicodeScalars) == Array(text.unicodeScalars), "after U+\(String(previous.value, radix: 16))")
        }
    }

    // MARK: Real lines, expected tokens worked out by hand from the rules

    @Test func koreanConstitutionLines() throws {
        let file = "ko_kolaw_constitution.txt.gz"
        let expected: [(Int, String)] = [
            (1, "대한민국헌법"),
            (5, "제1장 총강"),
            (6, "제1조 ① 대한민국은 민주공화국이다 ."),
            (7, "② 대한민국의 주권은 국민에게 있고 , 모든 권력은 국민으로부터 나온다 ."),
            (22, "제9조 국가는 전통문화의 계승 · 발전과 민족문화의 창달에 노력하여야 한다 ."),
        ]
        let lines = try TokenizerTestSupport.gzipLines(TokenizerTestSupport.multilingualDirectory.appendingPathComponent(file))
        for (number, tokens) in expected {
            #expect(try words(lines[number - 1]) == split(tokens), "\(file):\(number)")
        }
    }

    @Test func japaneseNovelLines() throws {
        let file = "ja_wagahaiwa_nekodearu.txt.gz"
        let expected: [(Int, String)] = [
            (1, "吾 輩 は 猫 で あ る"),
            (5, "《 》 ： ル ビ"),
            (8, "（ 例 ） 一 番 ｜ 獰 悪 《 ど う あ く 》 な 種 族 で あ っ た"),
            (10, "（ 数 字 は 、 JIS X 0213 の 面 区 点 番 号 ま た は Unicode 、 底 本 の ペ ー ジ と 行 数 ）"),
            (15, "http : / / www . aozora . gr . jp / accent_separation . html"),
            (17, "［ ＃ ８ 字 下 げ ］ 一 ［ ＃ 「 一 」 は 中 見 出 し ］"),
        ]
        let lines = try TokenizerTestSupport.gzipLines(TokenizerTestSupport.multilingualDirectory.appendingPathComponent(file))
        for (number, tokens) in expected {
            #expect(try words(lines[number - 1]) == split(tokens), "\(file):\(number)")
        }
    }

    @Test func germanQuotationLines() throws {
        let file = "de_fortunes_zitate.txt.gz"
        let expected: [(Int, String)] = [
            (1, "Man muß wissen , daß Stoff und Form immer miteinander verbunden"),
            (18, "- - Abu'l-Ala-Al-Ma'arri ( arabischer Dichter , 973-1057 )"),
            (1740, "Wir hatten heute über 70.000 Abgänge . Das soll uns erstmal einer"),
            (3503, "- - Ludwig Börne ( über Heinrich Heine , Paris , 27.10.1831 )"),
            (6090, "Artgenossen und sprach „ Schaut Freunde ! Warum wählen wir immer wieder"),
            (6092, "stattdessen eine Regierung aus Mäusen ? “ „ Oh ! “ riefen die Mäuse"),
            (6388, "gerade auf dem für sie » heiligsten « Gebiet anzunehmen . Gleichwohl"),
            (6686, "Der Vatikan hat bei 0,5 Quadratkilometern Fläche eine Dichte von zwei"),
        ]
        let lines = try TokenizerTestSupport.gzipLines(TokenizerTestSupport.multilingualDirectory.appendingPathComponent(file))
        for (number, tokens) in expected {
            #expect(try words(lines[number - 1]) == split(tokens), "\(file):\(number)")
        }
        #expect(
            try words(lines[4666], lowercase: true)
                == split("nur weil du paranoid bist , heißt das nicht , daß sie nicht hinter dir her sind !"))
    }

    @Test func englishGutenbergLines() throws {
        let url = TokenizerTestSupport.sharedCorpora("gutenberg/gutenberg_top100authors.shard00.txt.gz")
        let lines = try TokenizerTestSupport.gzipLines(url, limit: 2000)
        try #require(lines.count == 2000)
        let expected: [(Int, String)] = [
            (3, "By L . M . Alcott"),
            (8, "_WHAT_ air you thinkin ' of , Phil ?"),
            (9, "“ My wife , Dick . ”"),
            (22, "“ Tellin ' how we found our wives wouldn't be a bad game , would it , Phil ? ”"),
            (28, "“ Settle up them scores byme-by ; fightin ' Christians scurse raound here . Fire away , Dick . ”"),
            (
                67,
                "“ ' Nothing but myself . ' Then the tears came , and she laid her head down on my arm , sobbing , - - ' Keep me ! oh , do keep me safe somewhere ! ' ”"
            ),
            (
                577,
                "Images of the original pages are available through Internet Archive . See https : / / archive . org / details / deandunhamorwate00alge"
            ),
            (1771, "\" That's Mr . Kirby's room , \" said the bellboy , pointing to 197 . \" Shall I knock , or will you ? \""),
        ]
        for (number, tokens) in expected {
            #expect(try words(lines[number - 1]) == split(tokens), "gutenberg shard00:\(number)")
        }
        #expect(
            try words(lines[8], lowercase: true) == split("“ my wife , dick . ”"))
    }

    // MARK: Property test over the multilingual corpus

    @Test func multilingualCorpusInvariants() async throws {
        let result = try await TokenizerTestSupport.checkCorpus { text in
            var problems: [String] = []
            var tokenizer = UnicodeWordTokenizer()
            for (index, line) in text.lines.enumerated() {
                var place: String { "\(text.name):\(index + 1)" }
                var joined: [UInt8] = []
                joined.reserveCapacity(line.count)
                var empty = 0
                var splitScalar = 0
                do {
                    try line.withUnsafeBufferPointer { buffer in
                        try tokenizer.tokenize(buffer) { token in
                            if token.isEmpty { empty += 1 }
                            if let first = token.first, first & 0xC0 == 0x80 { splitScalar += 1 }
                            joined.append(contentsOf: token)
                        }
                    }
                } catch {
                    problems.append("\(place): threw \(error)")
                    continue
                }
                if empty > 0 { problems.append("\(place): \(empty) empty tokens") }
                if splitScalar > 0 { problems.append("\(place): a token starts inside a UTF-8 sequence") }
                // Valid UTF-8 and no whitespace, checked directly.
                if let string = String(validating: joined, as: UTF8.self) {
                    if string.unicodeScalars.contains(where: { $0.properties.isWhitespace }) {
                        problems.append("\(place): a token contains whitespace")
                    }
                } else {
                    problems.append("\(place): tokens are not valid UTF-8")
                }
                let expected = TokenizerTestSupport.withoutSeparators(TokenizerTestSupport.nfc(line))
                if joined != expected {
                    problems.append(
                        "\(place): tokens join to \(String(decoding: joined, as: UTF8.self).debugDescription), "
                            + "expected \(String(decoding: expected, as: UTF8.self).debugDescription)")
                }
            }
            return problems
        }
        #expect(result.files >= 392, "expected 4 gzip texts and 388 UDHR texts, found \(result.files)")
        #expect(result.lines > 100_000)
        let problemCount = result.problems.count
        let firstProblems = result.problems.prefix(10).joined(separator: "\n")
        #expect(problemCount == 0, "\(problemCount) lines break the invariants; the first:\n\(firstProblems)")
    }
}
