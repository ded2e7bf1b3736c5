import Foundation
import Testing

import NGramKit

private func characters(
    _ text: String, lowercase: Bool = false, invalidUTF8: InvalidUTF8Policy = .error,
    wordBoundary: String = CharacterTokenizer.defaultWordBoundary
) throws -> [String] {
    try characters(Array(text.utf8), lowercase: lowercase, invalidUTF8: invalidUTF8, wordBoundary: wordBoundary)
}

private func characters(
    _ bytes: [UInt8], lowercase: Bool = false, invalidUTF8: InvalidUTF8Policy = .error,
    wordBoundary: String = CharacterTokenizer.defaultWordBoundary
) throws -> [String] {
    var tokenizer = CharacterTokenizer(lowercase: lowercase, invalidUTF8: invalidUTF8, wordBoundary: wordBoundary)
    return try TokenizerTestSupport.tokens(&tokenizer, bytes)
}

/// Splits an expected token list written with single spaces.
private func split(_ expected: String) -> [String] {
    expected.split(separator: " ").map(String.init)
}

@Suite("CharacterTokenizer")
struct CharacterTokenizerTests {
    @Test func defaultWordBoundaryIsLowerOneEighthBlock() {
        #expect(CharacterTokenizer.defaultWordBoundary == "\u{2581}")
        #expect(Array(CharacterTokenizer.defaultWordBoundary.utf8) == [0xE2, 0x96, 0x81])
        #expect(CharacterTokenizer().wordBoundary == "▁")
    }

    @Test func emptyAndBlankLinesHaveNoTokens() throws {
        #expect(try characters("") == [])
        #expect(try characters("   \t ") == [])
        #expect(try characters("\u{3000}\u{A0} \u{FEFF}") == [])
    }

    @Test func whitespaceRunsBecomeOneBoundary() throws {
        #expect(try characters("ab  c") == ["a", "b", "▁", "c"])
        #expect(try characters("  ab c \t ") == ["a", "b", "▁", "c"])
        #expect(try characters("a b\tc") == ["a", "▁", "b", "▁", "c"])
        // Any separator counts: tab, no-break space, ideographic space, ZWSP, BOM, controls.
        #expect(try characters("a\t\u{A0}b\u{200B}c\u{3000}d\u{FEFF}e\u{07}f") == split("a ▁ b ▁ c ▁ d ▁ e ▁ f"))
        #expect(try characters("x.y, z!") == ["x", ".", "y", ",", "▁", "z", "!"])
    }

    @Test func oneTokenPerGraphemeClusterAfterNFC() throws {
        #expect(try characters("e\u{301}") == ["é"])
        #expect(try characters("e\u{301}").map { Array($0.utf8) } == [[0xC3, 0xA9]])
        #expect(try characters("Cafe\u{301}") == (try characters("Café")))
        #expect(try characters("한국") == ["한", "국"])
        #expect(try characters("\u{1112}\u{1161}\u{11AB}") == ["한"])
        #expect(try characters("🇩🇪🇫🇷") == ["🇩🇪", "🇫🇷"])
        #expect(try characters("👨‍👩‍👧 👍🏽") == ["👨‍👩‍👧", "▁", "👍🏽"])
        #expect(try characters("कि q\u{307}\u{323}") == ["कि", "▁", "q\u{323}\u{307}"])
        #expect(try characters("\u{212B}\u{F900}") == ["\u{C5}", "\u{8C48}"])
        #expect(try characters("ｶﾞ") == ["ｶﾞ"])
    }

    @Test func separatorsInsideAClusterAreCut() throws {
        // " \u{301}" is one grapheme cluster; its space is a boundary and the mark a token.
        #expect(try characters("a \u{301}b") == ["a", "▁", "\u{301}", "b"])
        #expect(try characters(" \u{301}") == ["\u{301}"])
    }

    @Test func lowercase() throws {
        #expect(try characters("AbC D", lowercase: true) == ["a", "b", "c", "▁", "d"])
        #expect(try characters("ÄB ẞ", lowercase: true) == ["ä", "b", "▁", "ß"])
        #expect(try characters("İ", lowercase: true) == ["i\u{307}"])
        #expect(try characters("ÄB") == ["Ä", "B"])
    }

    @Test func customAndEmptyWordBoundary() throws {
        #expect(try characters("ab c", wordBoundary: "</w>") == ["a", "b", "</w>", "c"])
        #expect(try characters("ab c é", wordBoundary: "") == ["a", "b", "c", "é"])
        #expect(try characters("日本 語", wordBoundary: "_") == ["日", "本", "_", "語"])
    }

    @Test func invalidUTF8() throws {
        var tokenizer = CharacterTokenizer()
        #expect(TokenizerTestSupport.failure(&tokenizer, Array("ab".utf8) + [0xFF]) == .invalidUTF8(byteOffset: 2))
        #expect(
            TokenizerTestSupport.failure(&tokenizer, Array("é ".utf8) + [0xE2, 0x82, 0x41])
                == .invalidUTF8(byteOffset: 3))
        #expect(try characters([0x61, 0xFF, 0x20, 0x62], invalidUTF8: .replace) == ["a", "\u{FFFD}", "▁", "b"])
        #expect(try characters([0xF0, 0x80, 0x80], invalidUTF8: .replace) == ["\u{FFFD}", "\u{FFFD}", "\u{FFFD}"])
        #expect(
            try characters([0x65, 0xCC, 0x81, 0xC0], invalidUTF8: .replace) == ["é", "\u{FFFD}"])
    }

    @Test func asciiFastPathAgreesWithTheGeneralPath() throws {
        var state: UInt64 = 0x2545_F491_4F6C_DD1D
        func next() -> UInt64 {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return state >> 33
        }
        let alphabet = Array("aB9_ '-.,\t\u{7F}Zq".utf8)
        var fast = CharacterTokenizer()
        var general = CharacterTokenizer()
        for _ in 0..<2000 {
            let line = (0..<Int(next() % 24)).map { _ in alphabet[Int(next() % UInt64(alphabet.count))] }
            let plain = try TokenizerTestSupport.tokens(&fast, line)
            let mixed = try TokenizerTestSupport.tokens(&general, line + Array("é".utf8))
            let expected = plain.isEmpty ? ["é"] : (line.last.map { $0 <= 0x20 || $0 == 0x7F } ?? false)
                ? plain + ["▁", "é"] : plain + ["é"]
            #expect(mixed == expected, "line \(String(decoding: line, as: UTF8.self).debugDescription)")
        }
    }

    @Test func reusingAnInstanceGivesTheSameTokens() throws {
        let lines = ["Ein „langer“ Satz, Ümläute.", "ok", "e\u{301}", "", "吾輩は猫である。", "  x  "]
        for lowercase in [false, true] {
            var reused = CharacterTokenizer(lowercase: lowercase)
            for line in lines + lines.reversed() {
                var fresh = CharacterTokenizer(lowercase: lowercase)
                #expect(
                    try TokenizerTestSupport.tokens(&reused, Array(line.utf8))
                        == (try TokenizerTestSupport.tokens(&fresh, Array(line.utf8))))
            }
        }
    }

    // MARK: Real lines, expected tokens worked out by hand

    @Test func realLines() throws {
        #expect(try characters(try TokenizerTestSupport.multilingualLine("ko_kolaw_constitution.txt.gz", 1)) == split("대 한 민 국 헌 법"))
        #expect(try characters(try TokenizerTestSupport.multilingualLine("ko_kolaw_constitution.txt.gz", 5)) == split("제 1 장 ▁ 총 강"))
        #expect(
            try characters(try TokenizerTestSupport.multilingualLine("ja_wagahaiwa_nekodearu.txt.gz", 8))
                == split("（ 例 ） 一 番 ｜ 獰 悪 《 ど う あ く 》 な 種 族 で あ っ た"))
        #expect(
            try characters(try TokenizerTestSupport.multilingualLine("de_fortunes_zitate.txt.gz", 33), lowercase: true)
                == split("s c h e i ß g e f ü h l , ▁ k e i n ▁ g e l d ▁ z u ▁ h a b e n ."))
        let url = TokenizerTestSupport.sharedCorpora("gutenberg/gutenberg_top100authors.shard00.txt.gz")
        let english = try TokenizerTestSupport.gzipLines(url, limit: 2000)
        #expect(try characters(english[8]) == split("“ M y ▁ w i f e , ▁ D i c k . ”"))
        #expect(try characters(english[2]) == split("B y ▁ L . ▁ M . ▁ A l c o t t"))
    }

    // MARK: Property test over the multilingual corpus

    @Test func multilingualCorpusInvariants() async throws {
        let boundary: [UInt8] = Array("<wb>".utf8)  // four characters: never a one-character token
        let result = try await TokenizerTestSupport.checkCorpus { text in
            var problems: [String] = []
            var tokenizer = CharacterTokenizer(wordBoundary: "<wb>")
            for (index, line) in text.lines.enumerated() {
                var place: String { "\(text.name):\(index + 1)" }
                var joined: [UInt8] = []
                joined.reserveCapacity(line.count)
                var tokenCount = 0
                var boundaries = 0
                var previousWasBoundary = true  // a leading boundary is an error
                var lineProblems: [String] = []
                do {
                    try line.withUnsafeBufferPointer { buffer in
                        try tokenizer.tokenize(buffer) { token in
                            tokenCount += 1
                            if token.count == 4 && token[0] == boundary[0] && token[1] == boundary[1]
                                && token[2] == boundary[2] && token[3] == boundary[3]
                            {
                                if previousWasBoundary { lineProblems.append("leading or doubled boundary") }
                                previousWasBoundary = true
                                boundaries += 1
                                return
                            }
                            previousWasBoundary = false
                            guard let first = token.first else {
                                lineProblems.append("empty token")
                                return
                            }
                            if first & 0xC0 == 0x80 { lineProblems.append("token starts inside a UTF-8 sequence") }
                            // More than one scalar: must still be a single grapheme cluster.
                            var scalarCount = 0
                            for index in 0..<token.count where token[index] & 0xC0 != 0x80 { scalarCount += 1 }
                            if scalarCount > 1 {
                                let string = String(decoding: token, as: UTF8.self)
                                if string.count != 1 { lineProblems.append("token \(string.debugDescription) is not one character") }
                            }
                            joined.append(contentsOf: token)
                        }
                    }
                } catch {
                    problems.append("\(place): threw \(error)")
                    continue
                }
                problems += lineProblems.map { "\(place): \($0)" }
                if tokenCount > 0 && previousWasBoundary { problems.append("\(place): trailing boundary") }
                if let string = String(validating: joined, as: UTF8.self) {
                    if string.unicodeScalars.contains(where: { $0.properties.isWhitespace }) {
                        problems.append("\(place): a token contains whitespace")
                    }
                } else {
                    problems.append("\(place): tokens are not valid UTF-8")
                }
                let normalized = TokenizerTestSupport.nfc(line)
                if joined != TokenizerTestSupport.withoutSeparators(normalized) {
                    problems.append("\(place): tokens do not join to the NFC line without separators")
                }
                // One boundary per run of separators with a non-separator on both sides.
                var runs = 0
                var seenText = false
                var inRun = false
                for scalar in normalized.unicodeScalars {
                    if TokenizerTestSupport.isSeparator(scalar) {
                        inRun = seenText
                    } else {
                        if inRun { runs += 1 }
                        inRun = false
                        seenText = true
                    }
                }
                if runs != boundaries { problems.append("\(place): \(boundaries) boundaries, expected \(runs)") }
            }
            return problems
        }
        #expect(result.files >= 392, "expected 4 gzip texts and 388 UDHR texts, found \(result.files)")
        let problemCount = result.problems.count
        let firstProblems = result.problems.prefix(10).joined(separator: "\n")
        #expect(problemCount == 0, "\(problemCount) lines break the invariants; the first:\n\(firstProblems)")
    }
}
