/// The higher orders of an ARPA file too large for the memory budget, read into sorted runs in
/// temporary files instead of hash tables: what `compile` writes a binary model from past the
/// budget (`BinaryModelWriter.compile`).
///
/// In:  the line reader's batches of orders ≥ 2, words looked up (`ARPAParser.flush`), one
///      section after another (`endOrder` after each).
/// Out: per order n ≥ 2 (`runs[n - 2]`), runs in canonical order of the file's n-grams, each
///      with its line number, log10 probability and (below the highest order) log10 backoff,
///      the `Double`s as read. `SpilledARPAModel` then closes them under contexts and suffixes
///      as the in-memory reader does (`ARPASpill+Holes`).
final class ARPASpill {
    let order: Int
    let vocabularySize: Int
    let space: TemporarySpace
    /// The budget less what the 1-grams hold: what the runs, their merges and the layout may take.
    let budget: MemoryBudget
    /// Bytes the sorters' chunks may take.
    let sortMemory: Int
    let threads: Int
    /// Per order n ≥ 2 (`[n - 2]`), the runs of its n-grams.
    private(set) var runs: [[SortedRun]]
    private var sorter: NGramRunSorter?
    private var values = [UInt64](repeating: 0, count: 3)

    /// - Parameter fixedBytes: memory the job holds besides (vocabulary, 1-grams).
    init(order: Int, vocabularySize: Int, fixedBytes: Int, space: TemporarySpace, budget: MemoryBudget, threads: Int) {
        self.order = order
        self.vocabularySize = vocabularySize
        self.space = space
        self.budget = (try? MemoryBudget(bytes: budget.bytes - fixedBytes, temporaryDirectory: budget.temporaryDirectory)) ?? budget
        self.threads = threads
        sortMemory = max(1 << 20, self.budget.bytes / 3)
        runs = Array(repeating: [], count: max(order - 1, 0))
    }

    /// Buffer bytes of each reader of a merge of `runs` runs (an eighth of the budget in all).
    func bufferBytes(runs: Int) -> Int { MemoryBudget.readerBufferBytes(runs: runs, share: budget.bytes / 8) }

    /// Adds the first `lines` lines of `batch` (an order ≥ 2).
    func add(_ batch: ARPABatch, lines: Int) throws {
        let n = batch.order
        let hasBackoff = n < order
        if sorter == nil {
            sorter = NGramRunSorter(order: n, payloadWords: 3, wordLimit: vocabularySize, memory: sortMemory,
                                    threads: threads, space: space) { writer, values in
                try writer.varint(values[0])
                try writer.fixed(values[1])
                if hasBackoff { try writer.fixed(values[2]) }
            }
        }
        let sorter = sorter!
        try values.withUnsafeMutableBufferPointer { values in
            for r in 0..<lines {
                values[0] = UInt64(batch.lineNumber[r])
                values[1] = batch.prob[r].bitPattern
                values[2] = batch.backoff[r].bitPattern
                try sorter.add(batch.ids + r * n, values.baseAddress!)
            }
        }
    }

    /// The section of order `n` ≥ 2 is read.
    func endOrder(_ n: Int) throws {
        runs[n - 2] = try sorter?.finish() ?? []
        sorter = nil
    }

    /// Reads a record's payload from a run of `runs[n - 2]`.
    static func readRecord(_ payload: TemporaryFileReader, hasBackoff: Bool) throws -> (line: Int, prob: Double, backoff: Double) {
        let line = Int(try payload.varint())
        let prob = try payload.double()
        return (line, prob, hasBackoff ? try payload.double() : 0)
    }
}
