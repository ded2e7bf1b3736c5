import Foundation

/// Vocabulary files: one word per line, optionally followed by a TAB and its count.
///
/// `ngramkit vocab` writes `word<TAB>count`, most frequent first (ties in order of first
/// appearance). `--vocab FILE` reads the first TAB-separated field of each non-empty line, so
/// plain word lists (SRILM's `-vocab` files) work too.
public enum VocabularyFile {
    /// Reads a closed vocabulary from `path` (plain or gzip).
    /// - Throws: `NGramKitError` for unreadable files or a line holding `<s>` or `</s>` with a count.
    public static func read(_ path: String) throws -> Vocabulary {
        let vocabulary = Vocabulary()
        try LineReader.forEachLine(inFile: path) { line, _ in
            var end = 0
            while end < line.count && line[end] != 0x09 { end += 1 }
            // Trim spaces around the word; an empty line is skipped.
            var start = 0
            while start < end && (line[start] == 0x20 || line[start] == 0x0D) { start += 1 }
            while end > start && (line[end - 1] == 0x20 || line[end - 1] == 0x0D) { end -= 1 }
            if end == start { return }
            let word = UnsafeBufferPointer(rebasing: line[start..<end])
            if vocabulary.lookup(word) == nil { vocabulary.add(word) }
        }
        vocabulary.close()
        return vocabulary
    }

    /// The `word<TAB>count` lines of `vocabulary`, most frequent first.
    /// - Parameters:
    ///   - counts: occurrences per id; `<s>` and `</s>` are left out (they are markers, not words).
    package static func render(_ vocabulary: Vocabulary, counts: [UInt64], into output: OutputSink) throws {
        var ids = (0..<vocabulary.count).filter { $0 != Int(Vocabulary.beginID) && $0 != Int(Vocabulary.endID) && counts[$0] > 0 }
        ids.sort { counts[$0] != counts[$1] ? counts[$0] > counts[$1] : $0 < $1 }
        for id in ids {
            try output.write(vocabulary.bytes(of: UInt32(id)))
            try output.write(byte: 0x09)
            try output.write(decimal: counts[id])
            try output.write(byte: 0x0A)
        }
    }
}
