import Foundation

/// The data of a scaling experiment: a training pool cut into units, a fixed held-out set, and
/// one vocabulary for every slice.
///
/// In:  training files (and held-out files, or a fraction of the training units to hold out),
///      a tokenizer, an optional index file whose rows are documents, a seed, and a vocabulary
///      policy (`--min-count` over the pool, or a vocabulary file).
/// Out: the pool as one id stream in shuffled unit order (so every slice is a prefix of it),
///      the held-out set as an id stream, both in the fixed vocabulary, and the cumulative token
///      count after each unit (to cut slices at unit boundaries).
///
/// Past the memory budget: when the text's ids take more than a quarter of the budget, the text
/// is read into a temporary file and the pool is kept in one (`IDStore`, 4 bytes a token on
/// disk), read a chunk at a time (`forEachChunk`); the held-out set and the tables of units stay
/// in memory. The pool's ids are the same either way, so are the points.
///
/// The protocol (also in the README):
/// - Units are sentences (lines), or documents when an index file is given: every index row
///   starts a unit at its `first_line`, which runs to the next row's start (lines before the
///   first row form a unit of their own). A row applies to the training file whose name holds
///   `shardNN` for the row's `shard` column, or to the only training file when there is no such
///   column.
/// - The units are shuffled once with the seed (Fisher–Yates with SplitMix64). With
///   `--heldout-fraction` the first units of that order, by whole units, up to the fraction of
///   the tokens, are the held-out set; the rest, in that order, is the pool.
/// - The vocabulary is fixed before any slice is taken: the pool's words seen at least
///   `minCount` times (or the words of a vocabulary file); every other word is `<unk>`, in the
///   pool and in the held-out set alike.
public final class ScalingCorpus: @unchecked Sendable {
    /// What the pool is cut into.
    public enum Unit: String, Sendable { case sentence, document }

    /// Where the data comes from and how it is cut.
    public struct Configuration: Sendable, Equatable {
        public var trainingPaths: [String]
        /// Held-out files; empty to hold out `heldoutFraction` of the training units instead.
        public var heldoutPaths: [String]
        public var heldoutFraction: Double
        /// Index file (`first_line`, `n_lines`, optional `shard` columns) making documents the units.
        public var indexPath: String?
        public var tokenizer: TokenizerConfiguration
        /// Pool words seen fewer times become `<unk>` (ignored with `vocabularyPath`).
        public var minCount: UInt64
        /// A vocabulary file (one word per line, first TAB field) instead of `minCount`.
        public var vocabularyPath: String?
        /// Seed of the shuffle.
        public var seed: UInt64

        public init(trainingPaths: [String], heldoutPaths: [String] = [], heldoutFraction: Double = 0.1,
                    indexPath: String? = nil, tokenizer: TokenizerConfiguration = try! TokenizerConfiguration(),
                    minCount: UInt64 = 2, vocabularyPath: String? = nil, seed: UInt64 = 1) {
            self.trainingPaths = trainingPaths
            self.heldoutPaths = heldoutPaths
            self.heldoutFraction = heldoutFraction
            self.indexPath = indexPath
            self.tokenizer = tokenizer
            self.minCount = minCount
            self.vocabularyPath = vocabularyPath
            self.seed = seed
        }

        /// Checks the options' ranges before any file is read.
        /// - Throws: `NGramKitError.invalidOption` naming the option and its range.
        public func validate() throws {
            guard !trainingPaths.isEmpty else { throw NGramKitError.invalidOption(name: "--text", value: "", expected: "at least one training file") }
            guard heldoutFraction.isFinite && heldoutFraction > 0 && heldoutFraction < 1 else {
                throw NGramKitError.invalidOption(name: "--heldout-fraction", value: String(heldoutFraction), expected: "a fraction in (0, 1)")
            }
            guard minCount >= 1 else { throw NGramKitError.invalidOption(name: "--min-count", value: String(minCount), expected: "at least 1") }
        }
    }

    public let configuration: Configuration
    /// The fixed vocabulary (closed): `<unk>`, `<s>`, `</s>`, then the kept words.
    public let vocabulary: Vocabulary
    public let unit: Unit
    /// The pool, `<s> w... </s>` per sentence, units in shuffled order (the order of
    /// `arrangement`): in memory, or in a temporary file past the budget.
    private(set) var pool: IDStore
    /// Where a pool past the budget is kept.
    private let space: LazyTemporarySpace
    /// `poolUnitEnd[u]`: stream position one past unit u; `poolUnitTokens[u]`: word tokens in
    /// units 0...u (markers excluded).
    private(set) var poolUnitEnd: [Int]
    private(set) var poolUnitTokens: [Int]
    /// Which shuffle of the pool's units the stream holds: 0 is the seed's (the one every run
    /// has); repeat r > 0 reshuffles the same units with a seed of its own (`arrangePool`).
    public private(set) var arrangement = 0
    /// The held-out set, `<s> w... </s>` per sentence.
    let heldout: GrowableBuffer<UInt32>
    /// Stream position of every held-out sentence's `<s>`.
    public let heldoutSentenceStarts: [Int]
    /// Word tokens of the pool (all units).
    public var poolTokens: Int { poolUnitTokens.last ?? 0 }
    public var poolUnits: Int { poolUnitEnd.count }
    public let poolSentences: Int
    /// Held-out word tokens (markers excluded) and sentences; the loss is over tokens + sentences
    /// (every word and one `</s>` per sentence).
    public let heldoutTokens: Int
    public var heldoutSentences: Int { heldoutSentenceStarts.count }
    public let heldoutUnits: Int
    /// Held-out tokens that the fixed vocabulary maps to `<unk>` (literal `<unk>` included).
    public let heldoutUnknownTokens: Int

    /// Whether the pool is kept in a temporary file (its ids took more than a quarter of the
    /// memory budget).
    public var poolIsOnDisk: Bool { pool.isOnDisk }

    /// Reads and prepares the data.
    /// - Parameter memory: the run's budget (nil: `MemoryBudget.standard()`); text whose ids
    ///   take more than a quarter of it is kept in its temporary folder.
    /// - Throws: `NGramKitError` for unreadable files, a malformed index, an empty pool or
    ///   held-out set, a full temporary disk.
    public init(_ configuration: Configuration, memory: MemoryBudget? = nil, progress: ProgressReporter? = nil) throws {
        self.configuration = configuration
        let budget = memory ?? .standard()
        space = LazyTemporarySpace(budget: budget)
        // 1. Read the training files into one stream (open vocabulary), noting where each file's
        //    sentences start; past a quarter of the budget the stream goes to a temporary file.
        let reader = IDStreamReader(vocabulary: Vocabulary(), keepsStream: true, job: "reading the training text")
        reader.progress = progress
        reader.spillThreshold = max(1 << 16, budget.bytes / 16)
        reader.makeSpill = { [space] in try TokenSpill(space: space.get()) }
        var fileFirstSentence: [Int] = []
        for path in configuration.trainingPaths {
            fileFirstSentence.append(reader.sentences)
            try reader.addFiles([path], configuration: configuration.tokenizer)
        }
        progress?.done()
        let rawStore: IDStore
        if let spill = reader.spill {
            // Spilled: made addressable (4 bytes an id) in a file of its own, after the stream's
            // buffer is given back.
            try reader.finishSpilling()
            reader.stream.removeAllAndShrink()
            rawStore = try IDStore(space: space.get())
            try TokenSource.spilled(spill).forEachChunk { chunk in
                for id in chunk { try rawStore.append(id) }
            }
            reader.spill = nil   // its file goes: the raw ids are in `rawStore` now
        } else {
            rawStore = IDStore(sealing: reader.stream)
        }
        try rawStore.seal()
        let raw = rawStore.ids
        let rawVocabulary = reader.vocabulary
        var sentenceStart: [Int] = []
        sentenceStart.reserveCapacity(reader.sentences + 1)
        rawStore.forEachChunk(prefix: raw.count) { chunk, position in
            for i in chunk.indices where chunk[i] == Vocabulary.beginID { sentenceStart.append(position + i) }
        }
        sentenceStart.append(raw.count)
        let sentenceCount = sentenceStart.count - 1

        // 2. Units: sentence ranges [first, end).
        var unitFirstSentence: [Int]
        if let indexPath = configuration.indexPath {
            unit = .document
            unitFirstSentence = try ScalingCorpus.documentStarts(index: indexPath, files: configuration.trainingPaths,
                                                                 fileFirstSentence: fileFirstSentence, sentences: sentenceCount)
        } else {
            unit = .sentence
            unitFirstSentence = Array(0..<sentenceCount)
        }
        unitFirstSentence.append(sentenceCount)
        let unitCount = unitFirstSentence.count - 1
        func unitRange(_ u: Int) -> Range<Int> { sentenceStart[unitFirstSentence[u]]..<sentenceStart[unitFirstSentence[u + 1]] }
        func unitTokens(_ u: Int) -> Int { unitRange(u).count - 2 * (unitFirstSentence[u + 1] - unitFirstSentence[u]) }

        // 3. Shuffle once; hold out the first units when no held-out files are given.
        var order = Array(0..<unitCount)
        var generator = SplitMix64(seed: configuration.seed)
        if unitCount > 1 {
            for i in stride(from: unitCount - 1, to: 0, by: -1) {
                let j = Int(generator.next() % UInt64(i + 1))
                order.swapAt(i, j)
            }
        }
        var heldoutUnitsFromPool: ArraySlice<Int> = []
        var poolOrder = order[...]
        if configuration.heldoutPaths.isEmpty {
            let total = (0..<unitCount).reduce(0) { $0 + unitTokens($1) }
            let wanted = Int((Double(total) * configuration.heldoutFraction).rounded())
            var taken = 0, k = 0
            while k < unitCount - 1 && taken < wanted { taken += unitTokens(order[k]); k += 1 }
            heldoutUnitsFromPool = order[..<k]
            poolOrder = order[k...]
        }

        // 4. The fixed vocabulary, from the pool's counts: the text's, less the held-out units'
        //    (the text is read front to back; only the held-out units are gathered).
        var poolCounts = [UInt64](repeating: 0, count: rawVocabulary.count)
        rawStore.forEachChunk(prefix: raw.count) { chunk, _ in
            for id in chunk { poolCounts[Int(id)] += 1 }
        }
        var heldoutRelease = IDStore.ReleaseSchedule()
        for u in heldoutUnitsFromPool {
            for i in unitRange(u) { poolCounts[Int(raw[i])] -= 1 }
            heldoutRelease.read(ids: unitRange(u).count, of: rawStore)
        }
        rawStore.release()
        var remap: [UInt32]
        let fixed: Vocabulary
        if let vocabularyPath = configuration.vocabularyPath {
            fixed = try VocabularyFile.read(vocabularyPath)
            remap = (0..<rawVocabulary.count).map { fixed.lookup(rawVocabulary.bytes(of: UInt32($0))) ?? Vocabulary.unknownID }
        } else {
            (fixed, remap) = VocabularyRestriction(minCount: configuration.minCount).apply(to: rawVocabulary, counts: poolCounts)
        }
        vocabulary = fixed
        remap[Int(Vocabulary.beginID)] = Vocabulary.beginID
        remap[Int(Vocabulary.endID)] = Vocabulary.endID

        // 5. The pool stream in shuffled order, remapped.
        pool = rawStore.isOnDisk ? try IDStore(space: space.get()) : IDStore(inMemoryCapacity: raw.count + 16)
        var ends: [Int] = [], tokens: [Int] = []
        ends.reserveCapacity(poolOrder.count)
        tokens.reserveCapacity(poolOrder.count)
        var running = 0, sentences = 0
        var release = IDStore.ReleaseSchedule()
        for u in poolOrder {
            for i in unitRange(u) { try pool.append(remap[Int(raw[i])]) }
            running += unitTokens(u)
            sentences += unitFirstSentence[u + 1] - unitFirstSentence[u]
            ends.append(pool.count)
            tokens.append(running)
            release.read(ids: unitRange(u).count, of: rawStore)
        }
        try pool.seal()
        poolUnitEnd = ends
        poolUnitTokens = tokens
        poolSentences = sentences
        guard running > 0 else {
            let totalTokens = (0..<unitCount).reduce(0) { $0 + unitTokens($1) }
            if totalTokens == 0 {
                throw NGramKitError.emptyInput(what: "the training text (\(configuration.trainingPaths.joined(separator: ", ")))",
                                               hint: "pass --text files that hold words")
            }
            throw NGramKitError.emptyInput(what: "the training pool",
                                           hint: "all \(unitCount) \(unit.rawValue) units went to the held-out set; lower --heldout-fraction or pass --heldout FILE")
        }

        // 6. The held-out stream.
        heldout = GrowableBuffer(initialCapacity: 1 << 16)
        if configuration.heldoutPaths.isEmpty {
            heldoutUnits = heldoutUnitsFromPool.count
            var release = IDStore.ReleaseSchedule()
            for u in heldoutUnitsFromPool {
                for i in unitRange(u) { heldout.append(remap[Int(raw[i])]) }
                release.read(ids: unitRange(u).count, of: rawStore)
            }
            rawStore.release()
        } else {
            let heldoutReader = IDStreamReader(vocabulary: Vocabulary(), keepsStream: true, job: "reading the held-out text")
            heldoutReader.progress = progress
            try heldoutReader.addFiles(configuration.heldoutPaths, configuration: configuration.tokenizer)
            progress?.done()
            let words = heldoutReader.vocabulary
            let heldoutRemap = (0..<words.count).map { id -> UInt32 in
                if id == Int(Vocabulary.beginID) || id == Int(Vocabulary.endID) { return UInt32(id) }
                return fixed.lookup(words.bytes(of: UInt32(id))) ?? Vocabulary.unknownID
            }
            for i in 0..<heldoutReader.stream.count { heldout.append(heldoutRemap[Int(heldoutReader.stream[i])]) }
            heldoutUnits = heldoutReader.sentences
        }
        var starts: [Int] = []
        var unknown = 0
        for i in 0..<heldout.count {
            let id = heldout[i]
            if id == Vocabulary.beginID { starts.append(i) } else if id == Vocabulary.unknownID { unknown += 1 }
        }
        heldoutSentenceStarts = starts
        heldoutTokens = heldout.count - 2 * starts.count
        heldoutUnknownTokens = unknown
        guard heldoutTokens > 0 else {
            if !configuration.heldoutPaths.isEmpty {
                throw NGramKitError.emptyInput(what: "the held-out text (\(configuration.heldoutPaths.joined(separator: ", ")))",
                                               hint: "pass --heldout files that hold words")
            }
            throw NGramKitError.emptyInput(what: "the held-out set",
                                           hint: "--heldout-fraction \(configuration.heldoutFraction) of \(unitCount) \(unit.rawValue) unit\(unitCount == 1 ? "" : "s") took no whole unit with words; raise --heldout-fraction, use more units, or pass --heldout FILE")
        }
    }

    /// Per context length m = 2 ... `order`, the share of held-out tokens whose position in
    /// their sentence allows a match of m words: the j-th word (from 0) and `</s>` after j
    /// words have `<s>` and j words before them, so they can match j + 2 words at most.
    public func matchReach(order: Int) -> [Double] {
        guard order >= 2 else { return [] }
        var reachable = [Int](repeating: 0, count: order - 1)
        var total = 0
        for (s, start) in heldoutSentenceStarts.enumerated() {
            let end = s + 1 < heldoutSentenceStarts.count ? heldoutSentenceStarts[s + 1] : heldout.count
            let scored = end - start - 1   // the words and </s>
            total += scored
            for m in 2...order { reachable[m - 2] += max(0, scored - (m - 2)) }
        }
        return reachable.map { total == 0 ? 1 : Double($0) / Double(total) }
    }

    /// Puts the pool's units in the order of repeat `r`: arrangement 0 is the one the corpus
    /// was read in; r > 0 shuffles the units of arrangement 0 again (Fisher–Yates with
    /// SplitMix64 seeded by the corpus seed and r), so a repeat is the whole schedule on another
    /// draw of the same pool, with the same held-out set and vocabulary. The stream is rebuilt
    /// (one more copy of the pool's ids while it is, in the pool's temporary folder when it is on
    /// disk); nothing else may read the corpus meanwhile.
    /// - Throws: `NGramKitError.cannotWrite` for a full temporary disk (a pool on disk).
    public func arrangePool(forRepeat r: Int) throws {
        precondition(r >= 0)
        guard r != arrangement else { return }
        let units = poolUnitEnd.count
        // Where each unit of arrangement 0 lies now.
        var position = [Int](repeating: 0, count: units)
        for (i, unit) in unitOrder(forRepeat: arrangement).enumerated() { position[unit] = i }
        let order = unitOrder(forRepeat: r)
        let rearranged = pool.isOnDisk ? try IDStore(space: space.get()) : IDStore(inMemoryCapacity: pool.count + 16)
        var ends: [Int] = [], tokens: [Int] = []
        ends.reserveCapacity(units)
        tokens.reserveCapacity(units)
        var running = 0
        let ids = pool.ids
        var release = IDStore.ReleaseSchedule()
        for unit in order {
            let i = position[unit]
            let start = i == 0 ? 0 : poolUnitEnd[i - 1]
            for j in start..<poolUnitEnd[i] { try rearranged.append(ids[j]) }
            running += poolUnitTokens[i] - (i == 0 ? 0 : poolUnitTokens[i - 1])
            ends.append(rearranged.count)
            tokens.append(running)
            release.read(ids: poolUnitEnd[i] - start, of: pool)
        }
        try rearranged.seal()
        pool = rearranged
        poolUnitEnd = ends
        poolUnitTokens = tokens
        arrangement = r
    }

    /// The units of arrangement 0 in the order of repeat `r` (the identity for r = 0).
    private func unitOrder(forRepeat r: Int) -> [Int] {
        let units = poolUnitEnd.count
        var order = Array(0..<units)
        if r > 0 && units > 1 {
            var generator = SplitMix64(seed: configuration.seed ^ (0x9E37_79B9_7F4A_7C15 &* UInt64(r)))
            for i in stride(from: units - 1, to: 0, by: -1) {
                order.swapAt(i, Int(generator.next() % UInt64(i + 1)))
            }
        }
        return order
    }

    /// The slice of the first units holding at least `tokens` word tokens (all of the pool when
    /// it holds fewer).
    /// - Returns: the number of units, their word tokens, and the length of their id stream.
    public func slice(tokens wanted: Int) -> (units: Int, tokens: Int, streamCount: Int) {
        var low = 0, high = poolUnitTokens.count - 1
        while low < high {
            let mid = (low + high) / 2
            if poolUnitTokens[mid] >= wanted { high = mid } else { low = mid + 1 }
        }
        return (low + 1, poolUnitTokens[low], poolUnitEnd[low])
    }

    /// Calls `body` with the id stream of the first `streamCount` positions of the pool.
    /// - Throws: `NGramKitError.invalidOption` when `streamCount` is not the end of a unit
    ///   (0, or a `streamCount` that `slice(tokens:)` gives); what `body` throws.
    public func withSlice<R>(streamCount: Int, _ body: (UnsafeBufferPointer<UInt32>) throws -> R) throws -> R {
        guard streamCount == 0 || poolUnitEnd.contains(streamCount) else {
            throw NGramKitError.invalidOption(name: "streamCount", value: String(streamCount), expected: "0 or the end of a pool unit (from slice(tokens:)), at most \(poolUnitEnd.last ?? 0)")
        }
        defer { pool.release() }
        return try body(UnsafeBufferPointer(rebasing: pool.ids[0..<streamCount]))
    }

    /// Calls `body` with the first `streamCount` positions of the pool in consecutive chunks of
    /// whole sentences: all at once in memory, a few MB at a time from a pool on disk (what a
    /// reader of a slice past the budget should use).
    /// - Throws: as `withSlice`.
    public func forEachChunk(streamCount: Int, _ body: (UnsafeBufferPointer<UInt32>) throws -> Void) throws {
        guard streamCount == 0 || poolUnitEnd.contains(streamCount) else {
            throw NGramKitError.invalidOption(name: "streamCount", value: String(streamCount), expected: "0 or the end of a pool unit (from slice(tokens:)), at most \(poolUnitEnd.last ?? 0)")
        }
        try pool.forEachChunk(prefix: streamCount) { chunk, _ in try body(chunk) }
    }

    /// Memory the corpus holds (ids in memory, unit tables, vocabulary), in bytes: what a run's
    /// budget leaves to its slices is the rest.
    package var memoryFootprint: Int {
        pool.memoryFootprint + 4 * heldout.count + 8 * (poolUnitEnd.count + poolUnitTokens.count + heldoutSentenceStarts.count)
            + vocabulary.memoryFootprint
    }

    /// Calls `body` with the held-out id stream.
    public func withHeldout<R>(_ body: (UnsafeBufferPointer<UInt32>) throws -> R) rethrows -> R {
        try body(UnsafeBufferPointer(start: heldout.storage, count: heldout.count))
    }

    /// The words of the first `units` pool units as text, one sentence a line (tests and
    /// `--write-slices`: the input `ngramkit build` needs to rebuild a point's model).
    /// - Throws: `NGramKitError.invalidOption` when `units` is outside 0...`poolUnits`.
    public func sliceText(units: Int) throws -> String {
        guard units >= 0 && units <= poolUnitEnd.count else {
            throw NGramKitError.invalidOption(name: "units", value: String(units), expected: "0 to \(poolUnitEnd.count), the pool's units")
        }
        defer { pool.release() }
        return text(of: UnsafeBufferPointer(rebasing: pool.ids[0..<(units == 0 ? 0 : poolUnitEnd[units - 1])]))
    }

    /// The held-out set as text, one sentence a line.
    public func heldoutText() -> String {
        text(of: UnsafeBufferPointer(start: heldout.storage, count: heldout.count))
    }

    private func text(of ids: UnsafeBufferPointer<UInt32>) -> String {
        var bytes: [UInt8] = []
        var first = true
        for id in ids {
            if id == Vocabulary.beginID { first = true; continue }
            if id == Vocabulary.endID { bytes.append(0x0A); continue }
            if !first { bytes.append(0x20) }
            first = false
            bytes.append(contentsOf: vocabulary.bytes(of: id))
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Sentence numbers (0-based, over all training files) where documents start.
    static func documentStarts(index path: String, files: [String], fileFirstSentence: [Int], sentences: Int) throws -> [Int] {
        var lines: [[Substring]] = []
        try LineReader.forEachLine(inFile: path) { line, _ in
            lines.append(String(decoding: line, as: UTF8.self).split(separator: "\t", omittingEmptySubsequences: false))
        }
        guard let header = lines.first?.map(String.init), let firstColumn = header.firstIndex(of: "first_line") else {
            throw NGramKitError.malformedLine(path: path, line: 1, reason: "an index file needs a header line with a first_line column (as in the Gutenberg and Brown index files)")
        }
        let shardColumn = header.firstIndex(of: "shard")
        // Which training file a shard number means: the one whose name holds shardNN.
        func fileIndex(shard: Int) -> Int? {
            let tag = String(format: "shard%02d", shard)
            return files.firstIndex { ($0 as NSString).lastPathComponent.contains(tag) }
        }
        guard shardColumn != nil || files.count == 1 else {
            throw NGramKitError.malformedLine(path: path, line: 1, reason: "the index has no shard column, so it can describe only one training file, not \(files.count); give one --text file or an index with a shard column")
        }
        var starts = Set<Int>([0])
        var rows = 0, applied = 0
        for (number, fields) in lines.enumerated().dropFirst() where !(fields.count == 1 && fields[0].isEmpty) {
            rows += 1
            guard fields.count > firstColumn, let firstLine = Int(fields[firstColumn]), firstLine >= 1 else {
                throw NGramKitError.malformedLine(path: path, line: number + 1, reason: "first_line is not a positive integer; fix the index file")
            }
            var file = 0
            if let shardColumn {
                guard fields.count > shardColumn, let shard = Int(fields[shardColumn]) else {
                    throw NGramKitError.malformedLine(path: path, line: number + 1, reason: "shard is not an integer; fix the index file")
                }
                guard let found = fileIndex(shard: shard) else { continue }  // a shard not in the pool
                file = found
            }
            let fileEnd = file + 1 < fileFirstSentence.count ? fileFirstSentence[file + 1] : sentences
            let sentence = fileFirstSentence[file] + firstLine - 1
            guard sentence < fileEnd else {
                throw NGramKitError.malformedLine(path: path, line: number + 1,
                                                   reason: "first_line \(firstLine) is past the end of \(files[file]) (\(fileEnd - fileFirstSentence[file]) lines); is this the index of these files?")
            }
            starts.insert(sentence)
            applied += 1
        }
        if rows > 0 && applied == 0 {
            let names = files.map { ($0 as NSString).lastPathComponent }.joined(separator: ", ")
            throw NGramKitError.malformedLine(path: path, line: 2, reason: "none of the index's \(rows) rows applies to the --text files (\(names)): a row's shard NN picks the file whose name holds shardNN; pass the files this index describes")
        }
        for first in fileFirstSentence where first < sentences { starts.insert(first) }
        return starts.sorted()
    }
}
