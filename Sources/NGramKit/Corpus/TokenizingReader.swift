import Foundation

/// Reads and tokenizes files on a thread of its own, a few batches ahead of the counter.
///
/// In:  paths and a tokenizer.
/// Out: `TokenBatch`es of consecutive lines, in file and line order; the last batch carries the
///      error that stopped reading (a missing file, corrupt gzip, invalid UTF-8), if any, after
///      the lines that came before it.
///
/// Why: reading (with gzip inflation on yet another thread), splitting lines, tokenizing and
/// hashing tokens is half the work of turning text into word ids; the other half, probing the
/// vocabulary, must stay on one thread so that ids follow first appearance. Splitting the two
/// puts both cores to work.
///
/// Invariants: at most `depth` batches exist; a batch is in exactly one of: the producer's
/// hands, `ready`, the consumer's hands, `free` (two `BlockingQueue`s). Closing `free` stops the
/// producer (the consumer gave up); `finished` is signalled when the producer has let go.
final class TokenizingReader: @unchecked Sendable {
    private static let depth = 4
    private static let batchTokens = 1 << 16
    private static let batchBytes = 1 << 20

    private let ready = BlockingQueue<TokenBatch>()
    private let free = BlockingQueue<TokenBatch>()
    private let finished = Completion()

    private struct Cancelled: Error {}

    /// Whether batches get their vocabulary tags (the counter needs them; `tokenize` does not).
    private let computesTags: Bool

    /// Starts reading `paths` (`-` is standard input) with a copy of `tokenizer`.
    init<T: Tokenizer>(paths: [String], tokenizer: T, computeTags: Bool = true) {
        computesTags = computeTags
        for _ in 0..<TokenizingReader.depth { free.push(TokenBatch()) }
        let box = UncheckedBox(tokenizer)
        let thread = Thread { [self] in
            var tokenizer = box.value
            produce(paths: paths, tokenizer: &tokenizer)
        }
        thread.stackSize = 1 << 22
        thread.start()
    }

    private final class UncheckedBox<Value>: @unchecked Sendable {
        let value: Value
        init(_ value: Value) { self.value = value }
    }

    /// Calls `body` with every batch in order, then throws the error that stopped reading, if
    /// any, after the lines before it were handled. If `body` throws, the producer is stopped.
    func forEachBatch(_ body: (TokenBatch) throws -> Void) throws {
        var completed = false
        defer { if !completed { cancel() } }
        while let batch = ready.pop() {
            try body(batch)
            if let failure = batch.failure { throw failure }
            free.push(batch)
        }
        completed = true
    }

    /// Stops the producer (the consumer met an error) and waits for it to let go.
    private func cancel() {
        free.close(discarding: true)
        finished.wait()
    }

    private func takeFree() throws -> TokenBatch {
        guard let batch = free.pop() else { throw Cancelled() }
        batch.removeAll()
        return batch
    }

    private func handOff(_ batch: TokenBatch) {
        if computesTags { batch.computeTags() }
        ready.push(batch)
    }

    private func produce<T: Tokenizer>(paths: [String], tokenizer: inout T) {
        defer {
            ready.close()
            finished.signal()
        }
        guard var batch = try? takeFree() else { return }
        do {
            for path in paths {
                let name = path == "-" ? "<stdin>" : path
                if batch.lineCount > 0 {
                    handOff(batch)
                    batch = try takeFree()
                }
                batch.path = name
                let source = try ByteSources.open(path)
                try LineReader.forEachLine(of: source) { line, lineNumber in
                    if batch.lineCount == 0 {
                        batch.path = name
                        batch.firstLineNumber = lineNumber
                    }
                    do {
                        try tokenizer.tokenize(line) { batch.append($0) }
                    } catch let TokenizationFailure.invalidUTF8(byteOffset) {
                        batch.dropUnfinishedLine()
                        throw NGramKitError.invalidUTF8(path: name, line: lineNumber, byteOffset: byteOffset)
                    }
                    batch.endLine(inputBytes: line.count + 1)
                    if batch.count >= TokenizingReader.batchTokens || batch.byteCount >= TokenizingReader.batchBytes {
                        handOff(batch)
                        batch = try takeFree()
                        batch.path = name
                    }
                }
            }
            if batch.lineCount > 0 { handOff(batch) } else { free.push(batch) }
        } catch is Cancelled {
            return
        } catch {
            batch.failure = error
            handOff(batch)
        }
    }
}
