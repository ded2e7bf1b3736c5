import NGramKit
import Testing

@Suite("Whitespace tokenizer: KenLM's rule")
struct WhitespaceTokenizerTests {
    private func tokens(_ bytes: [UInt8]) throws -> [[UInt8]] {
        var result: [[UInt8]] = []
        var tokenizer = WhitespaceTokenizer()
        try bytes.withUnsafeBufferPointer { line in
            try tokenizer.tokenize(line) { result.append(Array($0)) }
        }
        return result
    }

    private func tokens(_ text: String) throws -> [String] {
        try tokens(Array(text.utf8)).map { String(decoding: $0, as: UTF8.self) }
    }

    @Test("Splits on space, tab, CR and NUL, and on nothing else")
    func separators() throws {
        #expect(try tokens("a b\tc\rd") == ["a", "b", "c", "d"])
        #expect(try tokens(Array("a\u{0}b".utf8)) == [Array("a".utf8), Array("b".utf8)])
        // Non-ASCII spaces, the BOM, vertical tab and form feed belong to tokens.
        #expect(try tokens("a\u{00A0}b c\u{FEFF}d") == ["a\u{00A0}b", "c\u{FEFF}d"])
        #expect(try tokens("a\u{0B}b\u{0C}c") == ["a\u{0B}b\u{0C}c"])
    }

    @Test("Runs of separators and leading or trailing ones give no empty token")
    func runs() throws {
        #expect(try tokens("  a \t\t b  ") == ["a", "b"])
        #expect(try tokens("") == [])
        #expect(try tokens(" \t ") == [])
    }

    @Test("Tokens are bytes: invalid UTF-8 passes through untouched")
    func bytes() throws {
        #expect(try tokens([0x61, 0xFF, 0x62, 0x20, 0xC3]) == [[0x61, 0xFF, 0x62], [0xC3]])
    }
}
