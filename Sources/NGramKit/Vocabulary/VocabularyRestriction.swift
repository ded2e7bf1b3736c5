/// Vocabulary control used by counting and, later, by the scaling harness.
///
/// In:  an open vocabulary with the count of every word.
/// Out: a smaller vocabulary (the reserved words, then the kept words in their original id
///      order) and a map from old ids to new ids, where every dropped word maps to `<unk>`.
public struct VocabularyRestriction: Sendable, Equatable {
    /// Words seen fewer times than this become `<unk>` (1 keeps everything).
    public var minCount: UInt64
    /// Keep at most this many words besides `<unk>`, `<s>`, `</s>`, most frequent first
    /// (ties go to the word seen first); nil keeps all.
    public var maxSize: Int?

    public init(minCount: UInt64 = 1, maxSize: Int? = nil) {
        self.minCount = minCount
        self.maxSize = maxSize
    }

    /// True when the restriction keeps every word.
    public var isNone: Bool { minCount <= 1 && maxSize == nil }

    /// Applies the restriction.
    /// - Parameters:
    ///   - vocabulary: the full vocabulary.
    ///   - counts: `counts[id]` is the number of occurrences of word `id`.
    /// - Returns: the restricted vocabulary (closed) and `remap[oldID] = newID`.
    public func apply(to vocabulary: Vocabulary, counts: [UInt64]) -> (Vocabulary, [UInt32]) {
        let reserved = 3
        var candidates: [UInt32] = []
        for id in reserved..<vocabulary.count where counts[id] >= minCount {
            candidates.append(UInt32(id))
        }
        if let maxSize, candidates.count > maxSize {
            // Stable: by count descending, then by id (first appearance).
            candidates.sort { counts[Int($0)] != counts[Int($1)] ? counts[Int($0)] > counts[Int($1)] : $0 < $1 }
            candidates = Array(candidates.prefix(maxSize)).sorted()
        }
        let restricted = Vocabulary()
        var remap = [UInt32](repeating: Vocabulary.unknownID, count: vocabulary.count)
        remap[Int(Vocabulary.beginID)] = Vocabulary.beginID
        remap[Int(Vocabulary.endID)] = Vocabulary.endID
        for id in candidates {
            let newID = restricted.add(vocabulary.bytes(of: id))
            remap[Int(id)] = newID
        }
        restricted.close()
        return (restricted, remap)
    }
}
