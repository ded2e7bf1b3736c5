/// Counting a stream of word ids that is already in memory (the scaling harness's slices).
///
/// In:  ids `<s> w1 ... wn </s>` per sentence, every id below the size of a closed vocabulary.
/// Out: the same `NGramCounts` as reading the text those ids came from with that vocabulary:
///      the passes of `NGramCounter.finish()` run over the ids; nothing is tokenized again.
extension NGramCounter {
    /// Counts orders 1...`order` of `ids`.
    /// - Parameters:
    ///   - ids: the stream; every sentence begins with `Vocabulary.beginID` and ends with
    ///     `Vocabulary.endID`.
    ///   - vocabulary: the closed vocabulary the ids refer to.
    ///   - order: highest order, at least 1.
    ///   - threads: threads for the counting passes (the counts are the same for any number).
    /// - Returns: the counts; unigram counts are the occurrences in `ids` (`<s>` and `</s>` once
    ///   per sentence), zero for vocabulary words the stream lacks.
    /// - Throws: `NGramKitError.invalidOption` for an id outside the vocabulary or a thread
    ///   count below 1.
    public static func count(ids: UnsafeBufferPointer<UInt32>, vocabulary: Vocabulary, order: Int,
                             threads: Int) throws -> NGramCounts {
        try loading(ids: ids, vocabulary: vocabulary, order: order, threads: threads).finish()
    }

    /// A counter holding `ids` as if it had read their text, ready for `finish()` or, past a
    /// memory budget (`limitMemory`, `fitsInMemory`), for `finishPartitioned`.
    /// - Throws: as `count(ids:vocabulary:order:threads:)`.
    package static func loading(ids: UnsafeBufferPointer<UInt32>, vocabulary: Vocabulary, order: Int,
                                threads: Int) throws -> NGramCounter {
        try loading(vocabulary: vocabulary, order: order, threads: threads) { try $0(ids) }
    }

    /// A counter holding the ids that `chunks` passes to its argument, chunk after chunk (each of
    /// whole sentences), as if it had read their text.
    /// - Parameters:
    ///   - spillingWithin: a budget and the space its stream spills to once it holds a quarter
    ///     of it (`limitMemory`); nil keeps the whole stream in memory.
    /// - Throws: as `count(ids:vocabulary:order:threads:)`; what `chunks` throws.
    package static func loading(vocabulary: Vocabulary, order: Int, threads: Int,
                                spillingWithin: (budget: MemoryBudget, space: () throws -> TemporarySpace)? = nil,
                                chunks: ((UnsafeBufferPointer<UInt32>) throws -> Void) throws -> Void) throws -> NGramCounter {
        guard threads >= 1 else { throw NGramKitError.invalidOption(name: "threads", value: String(threads), expected: "at least 1") }
        let counter = try NGramCounter(order: order, vocabulary: vocabulary)
        counter.threads = ThreadCount.usable(threads)
        if let spillingWithin { counter.limitMemory(to: spillingWithin.budget, space: spillingWithin.space) }
        var unigramCounts = [UInt64](repeating: 0, count: vocabulary.count)
        var sentences = 0, ids = 0
        let stream = counter.stream
        try chunks { chunk in
            for id in chunk {
                guard Int(id) < unigramCounts.count else {
                    throw NGramKitError.invalidOption(name: "word id", value: String(id), expected: "an id below \(vocabulary.count), the vocabulary's size")
                }
                unigramCounts[Int(id)] += 1
                if id == Vocabulary.beginID { sentences += 1 }
                if order > 1 { stream.append(id) }
            }
            ids += chunk.count
            try counter.reader.spillIfDue()
        }
        counter.reader.sentences = sentences
        counter.reader.tokens = ids - 2 * sentences
        counter.presetUnigramCounts = unigramCounts
        return counter
    }
}
