import CNGramKitSupport

/// The line reader: every line of the file in turn (gzip files, standard input, and any file
/// the bulk reader hands back). It gives the exact error, in line order, for anything wrong,
/// and makes blanks for missing contexts.
///
/// Higher-order lines are parsed one by one (`ARPALine`) into a batch of `batchSize` lines, which
/// is then looked up in one go (`resolve`, inserting blanks) and stored: errors of the lines
/// before a bad one are found first, so errors still come out in line order.
extension ARPAParser {
    /// Takes one line of the file.
    /// - Parameter readableAfter: bytes readable past the line's end (16-byte loads that start
    ///   inside the line may use them).
    @inline(__always)
    func consume(_ line: UnsafeBufferPointer<UInt8>, _ number: Int, readableAfter: Int, warn: (String) -> Void) throws {
        if case .section(let n) = place, let first = line.first, first != 0x5C /* \ */ {
            try ngramLine(line, number, order: n, readableAfter: readableAfter)
            return
        }
        try slowLine(trimmed(line), number, warn: warn)
    }

    /// One n-gram line of section `n` (it does not start with a backslash): parsed and checked
    /// here; 1-grams are stored at once, higher orders join the batch.
    @inline(__always)
    private func ngramLine(_ line: UnsafeBufferPointer<UInt8>, _ number: Int, order n: Int, readableAfter: Int) throws {
        let base = line.baseAddress!
        let fields = ARPALine.split(base, from: 0, to: line.count, vectorLimit: line.count + readableAfter - 16,
                                    limit: ARPAParser.maxFields, starts: fieldStart, ends: fieldEnd)
        if fields == 0 { return }   // a blank line
        let values: (prob: Double, backoff: Double)
        switch ARPALine.values(base, fields: fields, order: n, highest: n == order, starts: fieldStart, ends: fieldEnd) {
        case .success(let parsed): values = parsed
        case .failure(let problem):
            // The lines before it are stored first: their own errors come first.
            try flush()
            throw self.problem(problem, base: base, number, order: n)
        }
        if n == 1 {
            try storeUnigram(UnsafeBufferPointer(start: base + fieldStart[1], count: fieldEnd[1] - fieldStart[1]),
                             prob: values.prob, backoff: values.backoff, number)
            return
        }
        read[n - 1] += 1
        if batch.count == 0 { batch.start(order: n) }
        batch.append(line: base, starts: fieldStart, ends: fieldEnd, number: number, prob: values.prob, backoff: values.backoff)
        if batch.isFull { try flush() }
    }

    /// Looks up and stores the batch: words, contexts (missing ones become blanks), then the
    /// n-grams, each step over the whole batch so that it can prefetch. A word missing from the
    /// 1-grams stops the batch there: the lines before it are stored (their own errors come
    /// first), then its error is thrown.
    func flush() throws {
        guard batch.count > 0, case .section(let n) = place else { return }
        defer { batch.removeAll() }
        if let spill {
            let (count, missing) = resolveWords(batch)
            try spill.add(batch, lines: count)
            if case .word(let t)? = missing { throw missingWord(batch, token: t) }
            return
        }
        let (count, missing) = try resolve(batch, insertBlanks: true)
        let ahead = ARPAParser.ahead
        let contexts = batch.contexts, ids = batch.ids
        let hasBackoff = n < order
        var seen = generation
        var table = tables[n - 2], prob = probs[n - 2], backoff = backoffs[n - 2]
        for r in 0..<count {
            if r + ahead < count {
                // The n-gram lands at its home slot or just after it: its values too.
                let key = table.key(context: contexts[r + ahead], word: ids[(r + ahead) * n + n - 1])
                let home = table.homeSlot(CountTable.hash(key))
                ngk_prefetch_write(table.address(ofSlot: home))
                ngk_prefetch_write(prob.base + home)
                if hasBackoff { ngk_prefetch_write(backoff.base + home) }
            }
            let (slot, isNew) = try insert(into: table, order: n, key: table.key(context: contexts[r], word: ids[r * n + n - 1]))
            if seen != generation {
                // The insert grew the table: new table, new value arrays.
                seen = generation
                (table, prob, backoff) = (tables[n - 2], probs[n - 2], backoffs[n - 2])
            }
            guard isNew else {
                throw duplicate(words: (0..<n).map { batch.token(r * n + $0) }, batch.lineNumber[r], order: n)
            }
            prob[slot] = batch.prob[r]
            if hasBackoff { backoff[slot] = batch.backoff[r] }
        }
        if case .word(let t)? = missing { throw missingWord(batch, token: t) }
    }

    /// The error for token `t` of `batch`, a word that is not among the 1-grams.
    func missingWord(_ batch: ARPABatch, token t: Int) -> NGramKitError {
        let n = batch.order
        return error(batch.lineNumber[t / n], "the word '\(ARPALine.quote(batch.token(t)))' of this \(n)-gram is not among the 1-grams; every word of an ARPA model needs a 1-gram line")
    }
}
