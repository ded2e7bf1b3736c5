import Foundation

/// A build spread over the machines of a cluster (the Spark job in `spark/`): the stages that
/// `ngramkit cluster STAGE` runs, each on one machine, and the files (`ClusterFile`) they hand
/// each other. The model is the one `ngramkit build --text` writes on one machine, byte for
/// byte: the cluster runs the stages of a build past its memory budget
/// (`NGramCounter.finishPartitioned`, `PartitionedEstimate`, `SpilledModelWriter`), with the
/// text's parts and the plan's partitions on different machines.
///
///   1. vocabulary (each text part): its words in order of first appearance, their counts, its
///      sentences and tokens;
///   2. plan (driver): the parts' words, in part order, give the word ids that the whole text
///      gives on one machine; the unigram counts give the `PartitionPlan` (by next-to-last word);
///   3. windows (each text part): for every position, the last N ids up to it (`PartitionCounter`'s
///      windows), grouped by the plan's partition; the shuffle sends partition p's to one task;
///   4. count (each partition): `PartitionCounter` on its windows: raw and adjusted counts in
///      canonical order, and a summary (distinct n-grams, counts-of-counts, the unigrams'
///      continuation counts it adds, its end-of-walk candidate);
///   5. globals (driver): the summaries summed (the one global reduce: counts-of-counts, hence
///      the discounts) and the estimation options;
///   6. estimate (each partition): `PartitionedEstimate.Estimator` on its counts: runs of
///      (n-gram, log10 p) and (context, log10 backoff) in canonical order, cut into ranges of
///      first words (contiguous in id order);
///   7. format (each range): the ARPA lines of the range's n-grams of every order, merged from
///      every partition's runs of that range;
///   8. write (driver): the ranges' parts, one after another, are the ARPA file; the binary model
///      is merged from every partition's runs.
///
/// Why a partition needs nothing but itself and the globals: see `PartitionPlan`.
package enum ClusterBuild {
    // MARK: 1. vocabulary

    /// Reads the text part `paths` and writes its vocabulary file to `output`.
    package static func vocabulary(text paths: [String], tokenizer: TokenizerConfiguration, output: String,
                                   space: TemporarySpace) throws {
        let counter = try NGramCounter(order: 1)
        let writer = try ClusterFileWriter(path: output, kind: .vocabulary, space: space)
        try counter.addFiles(paths, configuration: tokenizer)
        try write(tokenizer, to: writer)
        try writer.records.varint(UInt64(counter.sentences))
        try writer.records.varint(UInt64(counter.tokens))
        try writeWords(counter.vocabulary, counts: counter.vocabulary.occurrenceCounts(), to: writer)
        try writer.commit()
    }

    // MARK: 2. plan

    /// Merges the text parts' vocabularies (in the text's order) into the plan of a build of
    /// `order` in `partitions` partitions.
    /// - Throws: `NGramKitError.invalidOption` for an order below 2 or partitions out of range,
    ///   `malformedModel` for parts of different tokenizers.
    /// - Parameter taskBudget: the memory of one task of the count and estimate stages, which
    ///   the largest partition must fit (nil: not checked).
    package static func plan(vocabularies: [String], order: Int, partitions: Int, taskBudget: MemoryBudget? = nil, output: String,
                             space: TemporarySpace) throws {
        guard order >= 2 && order <= BuildConfiguration.maximumOrder else {
            throw NGramKitError.invalidOption(name: "--order", value: String(order), expected: "an order from 2 to \(BuildConfiguration.maximumOrder) (a unigram model needs no cluster: `ngramkit build`)")
        }
        guard partitions >= 1 && partitions <= 1 << 16 else {
            throw NGramKitError.invalidOption(name: "--partitions", value: String(partitions), expected: "1 to 65536")
        }
        guard !vocabularies.isEmpty else {
            throw NGramKitError.invalidOption(name: "--vocabularies", value: "none", expected: "the vocabulary file of every text part, in the text's order")
        }
        let writer = try ClusterFileWriter(path: output, kind: .plan, space: space)
        let vocabulary = Vocabulary()
        var counts: [UInt64] = []
        var sentences = 0, tokens = 0
        var tokenizer: TokenizerConfiguration?
        for path in vocabularies {
            let part = try ClusterFileReader(path: path, kind: .vocabulary, space: space)
            try part.read { _ in
                let its = try readTokenizer(part)
                if let tokenizer, tokenizer != its {
                    throw NGramKitError.malformedModel(path: path, line: nil, reason: "its text was read with another tokenizer than \(vocabularies[0])'s; run the vocabulary stage of every part with the same options")
                }
                tokenizer = its
                sentences += try part.count(atMost: Int.max)
                tokens += try part.count(atMost: Int.max)
                try readWords(part) { word, count in
                    let id = Int(word.withUnsafeBufferPointer { vocabulary.lookupOrAdd($0) })
                    if id >= counts.count { counts.append(contentsOf: repeatElement(0, count: id + 1 - counts.count)) }
                    counts[id] += count
                }
            }
        }
        counts.append(contentsOf: repeatElement(0, count: max(0, vocabulary.count - counts.count)))
        // As `NGramCounter.finalUnigramCounts`: <s> and </s> once per sentence.
        counts[Int(Vocabulary.beginID)] = UInt64(sentences)
        counts[Int(Vocabulary.endID)] = UInt64(sentences)
        let plan = ClusterPlan(order: order, partitions: partitions, tokenizer: tokenizer!, sentences: sentences, tokens: tokens,
                               vocabulary: vocabulary, unigramCounts: counts)
        if let taskBudget { try check(plan, fits: taskBudget) }
        try plan.write(to: writer)
        try writer.commit()
    }

    /// Refuses a plan whose largest partition needs more than `budget` in the count stage (its
    /// windows and tables) or the estimate stage (`PartitionedEstimate.bytesPerEntry` an n-gram),
    /// counting every position as a distinct n-gram of every order.
    static func check(_ plan: ClusterPlan, fits budget: MemoryBudget) throws {
        let n = plan.order
        let perPosition = 4 * n + 8 + (n - 1) * PartitionedEstimate.bytesPerEntry
        let fixed = plan.vocabulary.memoryFootprint + plan.vocabulary.count * 48
        let available = max(1, budget.bytes - fixed)
        let partitionPlan = plan.partitionPlan
        let heaviest = Int(partitionPlan.loads.max() ?? 0)
        guard heaviest * perPosition > available else { return }
        let weights = PartitionPlan.weights(unigramCounts: plan.unigramCounts)
        let word = weights.indices.max { weights[$0] < weights[$1] } ?? 0
        if Int(weights[word]) * perPosition > available {
            throw NGramKitError.invalidOption(name: "--memory", value: ByteCount.text(budget.bytes),
                                              expected: "room for one word's n-grams: those after \(plan.vocabulary.text(of: UInt32(word))) (\(weights[word]) positions) need about \(ByteCount.text(Int(weights[word]) * perPosition + fixed)) in one task; raise --memory")
        }
        let total = Int(partitionPlan.loads.reduce(0, +)) * perPosition
        let needed = (total + available - 1) / available
        throw NGramKitError.invalidOption(name: "--partitions", value: String(plan.partitions),
                                          expected: "at least \(needed) partitions for --memory \(ByteCount.text(budget.bytes)): the largest holds \(heaviest) positions, about \(ByteCount.text(heaviest * perPosition + fixed)) in one task")
    }

    // MARK: 3. windows

    /// Reads the text part `paths` (the same lines its vocabulary stage read) with the plan's
    /// tokenizer and vocabulary, and writes every position's window into its partition's section.
    package static func windows(plan planPath: String, text paths: [String], output: String, space: TemporarySpace) throws {
        let plan = try ClusterPlan.read(planPath, space: space)
        let writer = try ClusterFileWriter(path: output, kind: .windows, space: space)
        let counter = try NGramCounter(order: plan.order, vocabulary: plan.vocabulary)
        try counter.addFiles(paths, configuration: plan.tokenizer)
        guard counter.vocabulary.count == plan.vocabulary.count else {
            throw NGramKitError.malformedModel(path: planPath, line: nil, reason: "the text holds words the plan does not know; make the plan from the vocabulary files of this very text")
        }
        let n = plan.order
        let assignment = plan.partitionPlan.assignment
        let sections = (0..<plan.partitions).map { _ in GrowableBuffer<UInt32>(initialCapacity: 1 << 12) }
        try TokenSource.memory(counter.stream).forEachChunk { ids in
            PartitionCounter.forEachWindow(in: ids, order: n) { j, depth in
                PartitionCounter.appendWindow(ending: j, depth: depth, in: ids, order: n, to: sections[Int(assignment[Int(ids[j - 1])])])
            }
        }
        try writer.records.fixed(UInt32(plan.partitions))
        for section in sections { try writer.records.fixed(UInt64(section.count * 4)) }
        try writer.commit { output in
            for section in sections {
                try output.write(UnsafeRawBufferPointer(start: section.storage, count: section.count * 4))
            }
        }
    }

    // MARK: 4. count

    /// Counts partition `partition` from its windows (raw little-endian UInt32 files, the
    /// partition's sections of the windows files, in any order) into `output`, and writes its
    /// summary to `summaryOutput`.
    /// - Throws: `NGramKitError.malformedModel` naming a windows file that is not whole windows
    ///   of this plan's partition.
    package static func count(plan planPath: String, partition: Int, windows paths: [String], output: String, summaryOutput: String,
                              space: TemporarySpace) throws {
        let plan = try ClusterPlan.read(planPath, space: space)
        guard partition >= 0 && partition < plan.partitions else {
            throw NGramKitError.invalidOption(name: "--partition", value: String(partition), expected: "0 to \(plan.partitions - 1), a partition of \(planPath)")
        }
        let countsWriter = try ClusterFileWriter(path: output, kind: .counts, space: space)
        let summaryWriter = try ClusterFileWriter(path: summaryOutput, kind: .summary, space: space)
        let n = plan.order
        let vocabularySize = plan.vocabulary.count
        let assignment = plan.partitionPlan.assignment
        let windows = GrowableBuffer<UInt32>(initialCapacity: 1 << 16)
        for path in paths {
            let file = try TemporaryFile.reading(path, space: space)
            guard file.count % (4 * n) == 0 else {
                throw NGramKitError.malformedModel(path: path, line: nil, reason: "\(file.count) bytes are not whole windows of \(n) ids; pass the sections the windows stage wrote")
            }
            let reader = try file.reader()
            for w in 0..<(file.count / (4 * n)) {
                var inSentence = false
                for k in 0..<n {
                    let id = try reader.fixed(UInt32.self)
                    // Ids right-aligned: `noSlot` only before the sentence, which holds two ids at least.
                    inSentence = inSentence || id != PartitionCounter.noSlot
                    guard id < vocabularySize || (!inSentence && k < n - 2) else {
                        throw NGramKitError.malformedModel(path: path, line: nil, reason: "window \(w) holds id \(id), outside the plan's vocabulary of \(vocabularySize) words")
                    }
                    windows.append(id)
                }
                guard assignment[Int(windows.storage[windows.count - 2])] == UInt32(partition) else {
                    throw NGramKitError.malformedModel(path: path, line: nil, reason: "window \(w) belongs to another partition than \(partition); pass this partition's sections only")
                }
            }
        }
        let positions = windows.count / n
        let continuation = LargeBuffer<UInt32>(zeroedCount: vocabularySize)
        let counts = try PartitionCounter.count(windows: windows, order: n, vocabularySize: vocabularySize, unigramContinuation: continuation,
                                                capacityHints: [Int](repeating: positions / 2, count: n - 1), threads: 1)
        let summary = counts.summary(lastWord: plan.base(continuation: []).lastOpenNGram(order: 1))
        try countsWriter.records.varint(UInt64(partition))
        try counts.write(to: countsWriter.records)
        try countsWriter.commit()
        // The summary: distinct n-grams and counts-of-counts of orders 2...N, the end-of-walk
        // candidate, and the unigrams' continuation counts this partition adds (sparse).
        let records = summaryWriter.records
        try records.varint(UInt64(partition))
        for m in 2...n {
            try records.varint(UInt64(summary.unique[m]))
            for k in 0..<5 { try records.varint(summary.countsOfCounts[m][k]) }
        }
        try records.varint(summary.lastBigramFirst.map { UInt64($0) + 1 } ?? 0)
        try records.varint(UInt64(summary.endOfWalk.count))
        for (m, adjusted, raw) in summary.endOfWalk {
            try records.varint(UInt64(m))
            try records.varint(adjusted)
            try records.varint(raw)
        }
        // The n-grams (orders 2...N) each word starts: what sizes the ranges of first words.
        let starts = LargeBuffer<UInt64>(zeroedCount: vocabularySize)
        for entries in counts.orders {
            for i in 0..<entries.count { starts[Int(entries.first[i])] += 1 }
        }
        try summaryWriter.sparse((0..<vocabularySize).filter { continuation[$0] != 0 }) { try records.varint(UInt64(continuation[$0])) }
        try summaryWriter.sparse((0..<vocabularySize).filter { starts[$0] != 0 }) { try records.varint(starts[$0]) }
        try summaryWriter.commit()
    }

    // MARK: 5. globals

    /// Sums every partition's summary (one each, any order) into the globals, with the
    /// estimation `options`, checked here once: `warn` gets the fallback discounts' lines.
    /// - Throws: `NGramKitError.invalidOption` for options only estimated in memory,
    ///   `emptyInput` for a text without sentences, `malformedModel` for missing or repeated partitions.
    /// - Returns: the distinct n-grams of orders 1...N (what sizes the ARPA file's ranges).
    @discardableResult
    package static func globals(plan planPath: String, summaries paths: [String], options: EstimationOptions, output: String,
                                space: TemporarySpace, warn: (String) -> Void) throws -> [Int] {
        let plan = try ClusterPlan.read(planPath, space: space)
        let writer = try ClusterFileWriter(path: output, kind: .globals, space: space)
        let n = plan.order
        let vocabularySize = plan.vocabulary.count
        var summaries = [PartitionCounts.Summary?](repeating: nil, count: plan.partitions)
        var continuation = [UInt32](repeating: 0, count: vocabularySize)
        var starts = [UInt64](repeating: 0, count: vocabularySize)
        for path in paths {
            let file = try ClusterFileReader(path: path, kind: .summary, space: space)
            try file.read { records in
                let p = try file.count(atMost: plan.partitions - 1)
                guard summaries[p] == nil else {
                    throw NGramKitError.malformedModel(path: path, line: nil, reason: "a second summary of partition \(p); pass each partition's summary once")
                }
                var summary = PartitionCounts.Summary(unique: [Int](repeating: 0, count: n + 1),
                                                      countsOfCounts: [[UInt64]](repeating: [UInt64](repeating: 0, count: 5), count: n + 1))
                for m in 2...n {
                    summary.unique[m] = try file.count(atMost: Int.max)
                    for k in 0..<5 { summary.countsOfCounts[m][k] = try records.varint() }
                }
                let first = try file.count(atMost: vocabularySize)
                summary.lastBigramFirst = first == 0 ? nil : UInt32(first - 1)
                for _ in 0..<(try file.count(atMost: n)) {
                    let m = try file.count(atMost: n - 1)
                    summary.endOfWalk.append((m, try records.varint(), try records.varint()))
                }
                try file.sparse(below: vocabularySize) { continuation[$0] += UInt32(truncatingIfNeeded: try records.varint()) }
                try file.sparse(below: vocabularySize) { starts[$0] += try records.varint() }
                summaries[p] = summary
            }
        }
        if let missing = summaries.firstIndex(where: { $0 == nil }) {
            throw NGramKitError.invalidOption(name: "--summaries", value: "\(paths.count) files", expected: "the summary of every partition 0...\(plan.partitions - 1); partition \(missing)'s is missing")
        }
        let globals = try ClusterGlobals(plan: plan, continuation: continuation, starts: starts, summaries: summaries.map { $0! }, options: options)
        guard plan.sentences > 0 else {
            throw NGramKitError.emptyInput(what: "the training text", hint: "pass text with at least one line")
        }
        _ = try PartitionedEstimate.Estimator(globals.counts, options: options, warn: warn)
        try globals.write(to: writer)
        try writer.commit()
        return globals.counts.uniqueCounts
    }

    // MARK: 6. estimate

    /// Estimates one partition's counts (from the count stage) into its runs, cut at the bounds
    /// of `ranges` ranges of first words (`ClusterGlobals.firstWordRanges`): the files `output.0`
    /// ... `output.(ranges - 1)`, each with the unigram contexts of its range's words.
    package static func estimate(globals globalsPath: String, counts countsPath: String, ranges: Int, output: String,
                                 space: TemporarySpace) throws {
        let globals = try ClusterGlobals.read(globalsPath, space: space)
        guard ranges >= 1 && ranges <= maximumRanges else {
            throw NGramKitError.invalidOption(name: "--ranges", value: String(ranges), expected: "1 to \(maximumRanges)")
        }
        let writers = try (0..<ranges).map { try ClusterFileWriter(path: "\(output).\($0)", kind: .estimate, space: space) }
        let input = try ClusterFileReader(path: countsPath, kind: .counts, space: space)
        let (partition, counts) = try input.read { records in
            (try input.count(atMost: globals.plan.partitions - 1), try PartitionCounts.read(from: records, order: globals.plan.order))
        }
        let estimator = try PartitionedEstimate.Estimator(globals.counts, options: globals.options, warn: { _ in })
        let vocabularySize = globals.plan.vocabulary.count
        let contexts = PartitionedEstimate.UnigramContexts(logBackoff: LargeBuffer(zeroedCount: vocabularySize),
                                                           flags: LargeBuffer(zeroedCount: vocabularySize))
        let runs = try estimator.estimatePartition(counts, contexts, RecordWriter(file: try space.makeFile()),
                                                   RecordWriter(file: try space.makeFile()))
        // Each run cut into its ranges' runs: records in canonical order ascend by first word.
        let bounds = globals.firstWordRanges(ranges)
        let probabilityWriters = try (0..<ranges).map { _ in RecordWriter(file: try space.makeFile()) }
        let backoffWriters = try (0..<ranges).map { _ in RecordWriter(file: try space.makeFile()) }
        var cut = [PartitionedEstimate.Runs](repeating: PartitionedEstimate.Runs(), count: ranges)
        for (isProbability, list) in [(true, runs.probabilities), (false, runs.backoffs)] {
            let files = isProbability ? probabilityWriters : backoffWriters
            for run in list {
                let pieces = try files.map { try SortedRunWriter(writer: $0, order: run.order) }
                let reader = try run.reader(bufferBytes: 1 << 16)
                var k = 0
                while try reader.next() {
                    while Int(reader.ids[0]) >= bounds[k + 1] { k += 1 }
                    try pieces[k].append(reader.ids)
                    try files[k].double(try reader.payload.double())
                }
                for k in 0..<ranges {
                    let piece = try pieces[k].finish()
                    if isProbability { cut[k].probabilities.append(piece) } else { cut[k].backoffs.append(piece) }
                }
            }
        }
        for k in 0..<ranges {
            let records = writers[k].records
            try records.varint(UInt64(partition))
            try records.varint(UInt64(k))
            try records.varint(UInt64(ranges))
            for list in [cut[k].probabilities, cut[k].backoffs] {
                try records.varint(UInt64(list.count))
                for run in list {
                    try records.varint(UInt64(run.order))
                    try records.varint(UInt64(run.count))
                    try records.varint(UInt64(run.start))
                    try records.varint(UInt64(run.length))
                }
            }
            try writers[k].sparse((bounds[k]..<bounds[k + 1]).filter { contexts.flags[$0] != 0 }) {
                try records.double(contexts.logBackoff[$0])
            }
            let probabilities = probabilityWriters[k].file, backoffs = backoffWriters[k].file
            try records.fixed(UInt64(probabilities.count))
            try records.fixed(UInt64(backoffs.count))
            try writers[k].commit { output in
                try probabilities.copy { try output.write($0) }
                try backoffs.copy { try output.write($0) }
            }
        }
    }

    /// The most ranges of first words (the format stage's tasks).
    package static let maximumRanges = 1 << 16

    /// The runs of estimate files, in (partition, range) order, and the ranges they were cut
    /// into; the unigram contexts they hold go to `logBackoff` and `flags`.
    /// - Parameter range: the one range the files must be of (each partition once), or nil for
    ///   every range of every partition.
    static func readEstimates(_ paths: [String], globals: ClusterGlobals, range wanted: Int?, logBackoff: LargeBuffer<Double>,
                              flags: LargeBuffer<UInt8>, space: TemporarySpace) throws -> (runs: [PartitionedEstimate.Runs], ranges: Int) {
        let n = globals.plan.order
        let vocabularySize = globals.plan.vocabulary.count
        var found: [Int: PartitionedEstimate.Runs] = [:]
        var ranges: Int?
        for path in paths {
            let file = try ClusterFileReader(path: path, kind: .estimate, space: space)
            try file.read { records in
                let p = try file.count(atMost: globals.plan.partitions - 1)
                let k = try file.count(atMost: maximumRanges - 1)
                let its = try file.count(atMost: maximumRanges)
                guard k < its else { throw ClusterFileReader.cut(path) }
                if let ranges, ranges != its {
                    throw NGramKitError.malformedModel(path: path, line: nil, reason: "cut into \(its) ranges where the other estimates have \(ranges); run the estimate stage of every partition with the same --ranges")
                }
                ranges = its
                if let wanted, k != wanted {
                    throw NGramKitError.malformedModel(path: path, line: nil, reason: "range \(k) of partition \(p) where range \(wanted) was expected; pass one range's estimates")
                }
                guard found[p * its + k] == nil else {
                    throw NGramKitError.malformedModel(path: path, line: nil, reason: "a second estimate of partition \(p), range \(k); pass each once")
                }
                var lists: [[(order: Int, count: Int, start: Int, length: Int)]] = []
                for expected in [n - 1, max(0, n - 2)] {
                    guard try file.count(atMost: n) == expected else { throw ClusterFileReader.cut(path) }
                    lists.append(try (0..<expected).map { _ in
                        (try file.count(atMost: n), try file.count(atMost: Int.max), try file.count(atMost: file.file.count),
                         try file.count(atMost: file.file.count))
                    })
                }
                try file.sparse(below: vocabularySize) { id in
                    logBackoff[id] = try records.double()
                    flags[id] = 1
                }
                let probabilityBytes = Int(truncatingIfNeeded: try records.fixed(UInt64.self))
                let backoffBytes = Int(truncatingIfNeeded: try records.fixed(UInt64.self))
                guard probabilityBytes >= 0, backoffBytes >= 0, file.sectionsStart + probabilityBytes + backoffBytes == file.file.count else {
                    throw ClusterFileReader.cut(path)
                }
                func located(_ list: [(order: Int, count: Int, start: Int, length: Int)], at offset: Int, bytes: Int) throws -> [SortedRun] {
                    try list.map {
                        guard $0.start + $0.length <= bytes else { throw ClusterFileReader.cut(path) }
                        return SortedRun(file: file.file, order: $0.order, start: offset + $0.start, length: $0.length, count: $0.count)
                    }
                }
                found[p * its + k] = PartitionedEstimate.Runs(probabilities: try located(lists[0], at: file.sectionsStart, bytes: probabilityBytes),
                                                              backoffs: try located(lists[1], at: file.sectionsStart + probabilityBytes, bytes: backoffBytes))
            }
        }
        let count = ranges ?? 1
        let expected = wanted.map { k in (0..<globals.plan.partitions).map { $0 * count + k } }
            ?? Array(0..<(globals.plan.partitions * count))
        if let missing = expected.first(where: { found[$0] == nil }) {
            throw NGramKitError.invalidOption(name: "--estimates", value: "\(paths.count) files",
                                              expected: "the estimate of every partition 0...\(globals.plan.partitions - 1)\(wanted == nil ? " and range 0...\(count - 1)" : ""); partition \(missing / count)'s range \(missing % count) is missing")
        }
        return (expected.map { found[$0]! }, count)
    }

    // MARK: 7. format

    /// Formats the ARPA lines of every order whose first word lies in one range, from that
    /// range's estimates of every partition: the ranges' parts, one after another, are the ARPA
    /// file's sections (`write --parts`).
    package static func format(globals globalsPath: String, range: Int, estimates paths: [String], output: String,
                               space: TemporarySpace) throws {
        let globals = try ClusterGlobals.read(globalsPath, space: space)
        let writer = try ClusterFileWriter(path: output, kind: .part, space: space)
        let n = globals.plan.order
        let vocabulary = globals.plan.vocabulary
        let logBackoff = LargeBuffer<Double>(zeroedCount: vocabulary.count), flags = LargeBuffer<UInt8>(zeroedCount: vocabulary.count)
        let (runs, ranges) = try readEstimates(paths, globals: globals, range: range, logBackoff: logBackoff, flags: flags, space: space)
        let estimator = try PartitionedEstimate.Estimator(globals.counts, options: globals.options, warn: { _ in })
        let bounds = globals.firstWordRanges(ranges)
        let sections = try (0..<n).map { _ in try space.makeFile() }
        try ARPAWriter.writeUnigramLines(vocabulary: vocabulary, logProb: estimator.unigramLogProb(), logBackoff: logBackoff,
                                         ids: bounds[range]..<bounds[range + 1]) { try sections[0].write(UnsafeRawBufferPointer($0)) }
        let bufferBytes = MemoryBudget.readerBufferBytes(runs: 2 * runs.count, share: 64 << 20)
        for m in 2...n {
            try SpilledModelWriter.writeOrder(m, order: n, runs: runs, bufferBytes: bufferBytes, vocabulary: vocabulary,
                                              text: { try sections[m - 1].write(UnsafeRawBufferPointer($0)) }, binary: nil, restricted: nil) { _ in }
        }
        try writer.records.varint(UInt64(range))
        try writer.records.varint(UInt64(ranges))
        try writer.records.varint(UInt64(n))
        for section in sections { try writer.records.fixed(UInt64(section.count)) }
        try writer.commit { output in
            for section in sections { try section.copy { try output.write($0) } }
        }
    }

    // MARK: 8. write

    /// Writes the model's files: the ARPA file from the ranges' parts (one each, any order) when
    /// `parts` are given, else by merging every estimate (each partition's every range once, any
    /// order); the binary model from the estimates.
    /// - Returns: the model's summary.
    package static func write(globals globalsPath: String, estimates paths: [String], parts: [String] = [], arpa: String?, binary: String?,
                              successors: Bool, budget: MemoryBudget, threads: Int?, space: TemporarySpace,
                              progress: ProgressReporter?) throws -> ModelSummary {
        let start = ProgressClock.now()
        guard arpa != nil || binary != nil else {
            throw NGramKitError.invalidOption(name: "--arpa/--binary", value: "none", expected: "--arpa FILE, --binary FILE or both: where to write the model")
        }
        let needsEstimates = binary != nil || (arpa != nil && parts.isEmpty)
        if needsEstimates && paths.isEmpty {
            throw NGramKitError.invalidOption(name: "--estimates", value: "none", expected: binary != nil ? "every estimate file: the binary model is merged from them" : "every estimate file, or --parts")
        }
        var outputsNamed: [JobFiles.Named] = []
        if let arpa { outputsNamed.append(("--arpa", arpa)) }
        if let binary { outputsNamed.append(("--binary", binary)) }
        try JobFiles.checkDistinct(inputs: [("--globals", globalsPath)] + paths.map { ("--estimates", $0) } + parts.map { ("--parts", $0) },
                                   outputs: outputsNamed)
        let outputs = try ModelOutputs(arpaPath: arpa, binaryPath: binary, successors: successors)
        let globals = try ClusterGlobals.read(globalsPath, space: space)
        let estimator = try PartitionedEstimate.Estimator(globals.counts, options: globals.options, warn: { _ in })
        var provenance = estimator.provenance
        provenance.tokenizer = globals.plan.tokenizer
        let n = globals.plan.order
        if let sink = outputs.arpa, !parts.isEmpty {
            try writeARPA(parts: parts, globals: globals, provenance: provenance, to: sink, space: space)
        }
        if needsEstimates {
            let vocabularySize = globals.plan.vocabulary.count
            let logBackoff = LargeBuffer<Double>(zeroedCount: vocabularySize), flags = LargeBuffer<UInt8>(zeroedCount: vocabularySize)
            let (runs, _) = try readEstimates(paths, globals: globals, range: nil, logBackoff: logBackoff, flags: flags, space: space)
            let estimated = PartitionedEstimate(runs: runs, unigramLogProb: estimator.unigramLogProb(), unigramLogBackoff: logBackoff,
                                                unigramFlags: flags)
            _ = try SpilledModelWriter.write(globals.counts, estimated, provenance: provenance, arpa: parts.isEmpty ? outputs.arpa : nil,
                                             binary: outputs.binary, space: space, budget: budget, threads: ThreadCount.usable(threads),
                                             progress: progress, successors: successors)
        }
        try outputs.commit()
        progress?.done()
        return ModelSummary(order: n, provenance: provenance, ngrams: globals.counts.uniqueCounts, sentences: globals.plan.sentences,
                            tokens: globals.plan.tokens, seconds: ProgressClock.now() - start,
                            phases: [("write", ProgressClock.now() - start)])
    }

    /// The ARPA file from the ranges' parts: the header, then each order's sections of the parts
    /// in range order (the bytes `SpilledModelWriter` writes).
    static func writeARPA(parts paths: [String], globals: ClusterGlobals, provenance: ModelProvenance, to sink: OutputSink,
                          space: TemporarySpace) throws {
        let n = globals.plan.order
        var parts: [Int: (file: ClusterFileReader, lengths: [Int])] = [:]
        var ranges: Int?
        for path in paths {
            let file = try ClusterFileReader(path: path, kind: .part, space: space)
            try file.read { records in
                let k = try file.count(atMost: maximumRanges - 1)
                let its = try file.count(atMost: maximumRanges)
                guard try file.count(atMost: BuildConfiguration.maximumOrder) == n, k < its else { throw ClusterFileReader.cut(path) }
                if let ranges, ranges != its {
                    throw NGramKitError.malformedModel(path: path, line: nil, reason: "one of \(its) ranges where the other parts are of \(ranges); format every range of one run")
                }
                ranges = its
                guard parts[k] == nil else {
                    throw NGramKitError.malformedModel(path: path, line: nil, reason: "a second part of range \(k); pass each range's part once")
                }
                let lengths = try (0..<n).map { _ in Int(truncatingIfNeeded: try records.fixed(UInt64.self)) }
                guard lengths.allSatisfy({ $0 >= 0 }), file.sectionsStart + lengths.reduce(0, +) == file.file.count else {
                    throw ClusterFileReader.cut(path)
                }
                parts[k] = (file, lengths)
            }
        }
        if let missing = (0..<(ranges ?? 1)).first(where: { parts[$0] == nil }) {
            throw NGramKitError.invalidOption(name: "--parts", value: "\(paths.count) files", expected: "the part of every range 0...\((ranges ?? 1) - 1); range \(missing)'s is missing")
        }
        try ARPAWriter.writeHeader(provenance: provenance, ngramCounts: globals.counts.uniqueCounts, isComplete: true, to: sink)
        for m in 1...n {
            try sink.write(string: "\n\\\(m)-grams:\n")
            for k in 0..<(ranges ?? 1) {
                let (file, lengths) = parts[k]!
                let offset = file.sectionsStart + lengths[..<(m - 1)].reduce(0, +)
                try file.file.copy(from: offset, length: lengths[m - 1]) { try sink.write($0.bindMemory(to: UInt8.self)) }
            }
        }
        try sink.write(string: "\n\\end\\\n")
    }

    // MARK: Word and tokenizer records

    /// Every word of `vocabulary`, in id order, with its count.
    static func writeWords(_ vocabulary: Vocabulary, counts: [UInt64], to writer: ClusterFileWriter) throws {
        try writer.records.varint(UInt64(vocabulary.count))
        for id in 0..<vocabulary.count {
            try writer.bytes(vocabulary.bytes(of: UInt32(id)))
            try writer.records.varint(counts[id])
        }
    }

    /// Reads what `writeWords` wrote: `body(word, count)` for every word, in id order.
    static func readWords(_ reader: ClusterFileReader, _ body: ([UInt8], UInt64) throws -> Void) throws {
        var word: [UInt8] = []
        for _ in 0..<(try reader.count(atMost: Int(UInt32.max - 1))) {
            try reader.bytes(into: &word)
            try body(word, try reader.records.varint())
        }
    }

    static func write(_ tokenizer: TokenizerConfiguration, to writer: ClusterFileWriter) throws {
        for text in [tokenizer.kind.rawValue, tokenizer.invalidUTF8.rawValue] {
            try Array(text.utf8).withUnsafeBufferPointer { try writer.bytes($0) }
        }
        try writer.records.varint(tokenizer.lowercase ? 1 : 0)
    }

    static func readTokenizer(_ reader: ClusterFileReader) throws -> TokenizerConfiguration {
        var bytes: [UInt8] = []
        try reader.bytes(into: &bytes)
        let kind = TokenizerKind(rawValue: String(decoding: bytes, as: UTF8.self))
        try reader.bytes(into: &bytes)
        let policy = InvalidUTF8Policy(rawValue: String(decoding: bytes, as: UTF8.self))
        let lowercase = try reader.count(atMost: 1) == 1
        guard let kind, let policy else { throw ClusterFileReader.cut(reader.path) }
        return try TokenizerConfiguration(kind: kind, lowercase: lowercase, invalidUTF8: policy)
    }
}

/// What the plan stage decides: the order, the partitions, the tokenizer, the whole text's
/// vocabulary (word ids as one machine gives them) and unigram counts.
struct ClusterPlan {
    let order: Int
    let partitions: Int
    let tokenizer: TokenizerConfiguration
    let sentences: Int
    let tokens: Int
    let vocabulary: Vocabulary
    let unigramCounts: [UInt64]

    /// Which partition every next-to-last word's n-grams go to (a function of the counts).
    var partitionPlan: PartitionPlan {
        PartitionPlan(weights: PartitionPlan.weights(unigramCounts: unigramCounts), partitions: partitions)
    }

    /// The global counts of one machine's count (no tables), with `continuation` as the
    /// unigrams' continuation counts.
    func base(continuation: [UInt32]) -> NGramCounts {
        NGramCounts(order: order, vocabulary: vocabulary, unigramCounts: unigramCounts, unigramContinuation: continuation,
                    tables: [], sentences: sentences, tokens: tokens)
    }

    func write(to writer: ClusterFileWriter) throws {
        let records = writer.records
        try records.varint(UInt64(order))
        try records.varint(UInt64(partitions))
        try ClusterBuild.write(tokenizer, to: writer)
        try records.varint(UInt64(sentences))
        try records.varint(UInt64(tokens))
        try ClusterBuild.writeWords(vocabulary, counts: unigramCounts, to: writer)
    }

    /// Reads what `write` wrote, from `reader`'s header.
    static func read(from reader: ClusterFileReader) throws -> ClusterPlan {
        try reader.read { records in
            let order = try reader.count(atMost: BuildConfiguration.maximumOrder)
            let partitions = try reader.count(atMost: 1 << 16)
            let tokenizer = try ClusterBuild.readTokenizer(reader)
            let sentences = try reader.count(atMost: Int.max), tokens = try reader.count(atMost: Int.max)
            guard order >= 2, partitions >= 1 else { throw ClusterFileReader.cut(reader.path) }
            let vocabulary = Vocabulary()
            var counts = [UInt64]()
            try ClusterBuild.readWords(reader) { word, count in
                guard word.withUnsafeBufferPointer({ vocabulary.lookupOrAdd($0) }) == UInt32(counts.count) else { throw ClusterFileReader.cut(reader.path) }
                counts.append(count)
            }
            guard counts.count >= 3 else { throw ClusterFileReader.cut(reader.path) }
            return ClusterPlan(order: order, partitions: partitions, tokenizer: tokenizer, sentences: sentences, tokens: tokens,
                               vocabulary: vocabulary, unigramCounts: counts)
        }
    }

    static func read(_ path: String, space: TemporarySpace) throws -> ClusterPlan {
        try read(from: try ClusterFileReader(path: path, kind: .plan, space: space))
    }
}

/// What the globals stage sums: the plan, the unigrams' continuation counts, the
/// counts-of-counts and distinct n-grams of every order, and the estimation options.
struct ClusterGlobals {
    let plan: ClusterPlan
    let options: EstimationOptions
    /// The global counts as a build past its budget keeps them (no partition files).
    let counts: SpilledCounts

    /// `starts[w]`: the n-grams of orders 2...N that word w starts.
    let starts: [UInt64]

    init(plan: ClusterPlan, continuation: [UInt32], starts: [UInt64], summaries: [PartitionCounts.Summary], options: EstimationOptions) throws {
        let base = plan.base(continuation: continuation)
        let (countsOfCounts, unique) = try PartitionCounts.Summary.combine(summaries, base: base)
        self.init(plan: plan, options: options, starts: starts,
                  counts: SpilledCounts(base: base, countsOfCounts: countsOfCounts, uniqueCounts: unique, plan: plan.partitionPlan, partitions: []))
    }

    private init(plan: ClusterPlan, options: EstimationOptions, starts: [UInt64], counts: SpilledCounts) {
        self.plan = plan
        self.options = options
        self.starts = starts
        self.counts = counts
    }

    /// The bounds of `count` ranges of first words, contiguous in id order, of about equal
    /// numbers of n-grams (each word's unigram and the n-grams it starts): range k is
    /// `bounds[k]..<bounds[k + 1]`, `bounds[0]` = 0 and `bounds[count]` = the vocabulary's size.
    func firstWordRanges(_ count: Int) -> [Int] {
        let words = starts.count
        let total = starts.reduce(0, +) + UInt64(words)
        var bounds = [0]
        var cumulative: UInt64 = 0
        for id in 0..<words {
            cumulative += starts[id] + 1
            // The products stay below 2^64 for fewer than 2^47 n-grams and 2^16 ranges.
            while bounds.count < count && cumulative * UInt64(count) >= total * UInt64(bounds.count) { bounds.append(id + 1) }
        }
        while bounds.count <= count { bounds.append(words) }
        bounds[count] = words
        return bounds
    }

    func write(to writer: ClusterFileWriter) throws {
        try plan.write(to: writer)
        let records = writer.records
        for value in counts.base.unigramContinuation { try records.varint(UInt64(value)) }
        for value in starts { try records.varint(value) }
        for order in counts.countsOfCounts {
            for value in order { try records.varint(value) }
        }
        for value in counts.uniqueCounts { try records.varint(UInt64(value)) }
        try Array(options.smoothing.rawValue.utf8).withUnsafeBufferPointer { try writer.bytes($0) }
        try records.double(options.alpha)
        for d in [options.discountFallback.d1, options.discountFallback.d2, options.discountFallback.d3] { try records.fixed(d.bitPattern) }
        try records.varint(options.unigramAddOne ? 1 : 0)
        try records.varint(UInt64(options.vocabularyPad))
    }

    static func read(_ path: String, space: TemporarySpace) throws -> ClusterGlobals {
        let reader = try ClusterFileReader(path: path, kind: .globals, space: space)
        let plan = try ClusterPlan.read(from: reader)
        return try reader.read { records in
            let continuation = try (0..<plan.vocabulary.count).map { _ in UInt32(try reader.count(atMost: Int(UInt32.max))) }
            let starts = try (0..<plan.vocabulary.count).map { _ in try records.varint() }
            let countsOfCounts = try (0..<plan.order).map { _ in try (0..<5).map { _ in try records.varint() } }
            let unique = try (0..<plan.order).map { _ in try reader.count(atMost: Int.max) }
            var bytes: [UInt8] = []
            try reader.bytes(into: &bytes)
            guard let smoothing = SmoothingMethod(rawValue: String(decoding: bytes, as: UTF8.self)) else { throw ClusterFileReader.cut(path) }
            var options = EstimationOptions(smoothing: smoothing, alpha: try records.double())
            let d = try (0..<3).map { _ in Float(bitPattern: try records.fixed(UInt32.self)) }
            options.discountFallback = KneserNeyDiscount(d[0], d[1], d[2])
            options.unigramAddOne = try reader.count(atMost: 1) == 1
            options.vocabularyPad = try reader.count(atMost: Int.max)
            let base = plan.base(continuation: continuation)
            return ClusterGlobals(plan: plan, options: options, starts: starts,
                                  counts: SpilledCounts(base: base, countsOfCounts: countsOfCounts, uniqueCounts: unique,
                                                        plan: plan.partitionPlan, partitions: []))
        }
    }
}
