import Foundation
import NGramKit
import Testing

/// `Perplexity.evaluate` on several threads: the totals are bit-identical for any number of
/// threads, and the per-sentence and per-token callbacks arrive in input order with the same values.
@Suite struct ParallelScoringTests {
    /// Everything a run hands out: the totals, every sentence and every token.
    struct Run: Equatable {
        var result: PerplexityResult
        var sentences: [String] = []
        var tokens: [String] = []
    }

    static let threadCounts = [1, 2, 3, 7]

    /// Scores `paths` with `threads` threads; with `callbacks`, records every sentence and token
    /// (doubles by their bit patterns, so that equality is bit equality).
    static func score(_ model: NGramModel, _ paths: [String], threads: Int, callbacks: Bool) throws -> Run {
        var sentences: [String] = []
        var tokens: [String] = []
        let result: PerplexityResult
        if callbacks {
            result = try Perplexity.evaluate(model: model, paths: paths, threads: threads, onToken: { token in
                tokens.append("\(String(decoding: token.word, as: UTF8.self))=\(token.id) \(token.matched) \(token.log10Prob.bitPattern)")
            }, onSentence: { sentence in
                sentences.append("\(sentence.path):\(sentence.line) \(sentence.log10Prob.bitPattern) \(sentence.tokens) \(sentence.oovs) \(tokens.count)")
            })
        } else {
            result = try Perplexity.evaluate(model: model, paths: paths, threads: threads)
        }
        return Run(result: result, sentences: sentences, tokens: tokens)
    }

    /// Bit patterns of the totals (`==` on doubles would take -0 for 0; these must be the same bits).
    static func bits(_ r: PerplexityResult) -> [UInt64] {
        [UInt64(r.sentences), UInt64(r.tokens), UInt64(r.oovs), r.log10Prob.bitPattern, r.log10ProbExcludingOOVs.bitPattern,
         UInt64(r.zeroProbabilityTokens), r.rawLog10Score?.bitPattern ?? 1]
    }

    static func expectSameForEveryThreadCount(_ model: NGramModel, _ paths: [String], callbacks: Bool,
                                              sourceLocation: SourceLocation = #_sourceLocation) throws -> Run {
        let one = try score(model, paths, threads: 1, callbacks: callbacks)
        for threads in threadCounts.dropFirst() {
            let many = try score(model, paths, threads: threads, callbacks: callbacks)
            #expect(bits(many.result) == bits(one.result), "\(threads) threads: \(many.result) vs 1 thread: \(one.result)", sourceLocation: sourceLocation)
            #expect(many.sentences == one.sentences, "\(threads) threads: per-sentence output differs", sourceLocation: sourceLocation)
            #expect(many.tokens == one.tokens, "\(threads) threads: per-token output differs", sourceLocation: sourceLocation)
        }
        return one
    }

    @Test("Brown order 4 on brown.test1k: totals, sentences and tokens identical on 1, 2, 3, 7 threads")
    func brown() throws {
        let model = try KenLMPerplexityParityTests.build(order: 4, train: try TestSupport.sharedFile("fixtures/kenlm/brown.train5k.txt.gz"))
        let test = try TestSupport.sharedFile("fixtures/kenlm/brown.test1k.txt.gz")
        let run = try Self.expectSameForEveryThreadCount(model, [test], callbacks: true)
        #expect(run.result.sentences == 1000)
        #expect(run.result.tokens == 20966)
        #expect(run.result.oovs == 1853)
        #expect(run.sentences.count == 1000)
        #expect(run.tokens.count == 20966)
        #expect(abs(run.result.perplexity - 506.67308469339963) / 506.67308469339963 < 1e-6)
        // Without callbacks the totals are the same bits as with them.
        let plain = try Self.expectSameForEveryThreadCount(model, [test], callbacks: false)
        #expect(Self.bits(plain.result) == Self.bits(run.result))
    }

    @Test("PTB order 5 on ptb.test: totals and sentences identical on 1, 2, 3, 7 threads")
    func ptb() throws {
        let model = try KenLMPerplexityParityTests.build(order: 5, train: try TestSupport.sharedFile("corpora/ptb/ptb.train.txt.gz"))
        let test = try TestSupport.sharedFile("corpora/ptb/ptb.test.txt.gz")
        let run = try Self.expectSameForEveryThreadCount(model, [test], callbacks: true)
        #expect(abs(run.result.perplexity - 141.2) <= 0.05, "\(run.result.perplexity)")
        #expect(run.sentences.count == run.result.sentences)
        // The per-sentence sums add up to the total (to rounding: the total sums pieces).
        var sum = 0.0
        for line in run.sentences {
            sum += Double(bitPattern: try #require(UInt64(line.split(separator: " ")[1])))
        }
        #expect(abs(sum - run.result.log10Prob) < 1e-6 * abs(run.result.log10Prob))
        _ = try Self.expectSameForEveryThreadCount(model, [test], callbacks: false)
    }

    @Test("Stupid Backoff (raw score) and several files (paths, line numbers): identical on every thread count")
    func stupidBackoffSeveralFiles() throws {
        let counter = try NGramCounter(order: 3)
        try counter.addFiles([try TestSupport.sharedFile("fixtures/kenlm/brown.train5k.txt.gz")], configuration: TokenizerConfiguration())
        let model = try NGramModel.estimate(from: try counter.finish(), options: EstimationOptions(smoothing: .stupidBackoff))
        let directory = try TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let test = try TestSupport.sharedFile("fixtures/kenlm/brown.test1k.txt.gz")
        let small = try TestSupport.write(Array("the jury said\n\nit was unknownword here\n".utf8), named: "small.txt", in: directory)
        let run = try Self.expectSameForEveryThreadCount(model, [small, test, small], callbacks: true)
        #expect(run.result.rawLog10Score != nil)
        #expect(run.result.sentences == 1006)
        #expect(run.sentences.first?.hasPrefix("\(small):1 ") == true)
        #expect(run.sentences[3].hasPrefix("\(test):1 "))
        #expect(run.sentences.last?.hasPrefix("\(small):3 ") == true)
        _ = try Self.expectSameForEveryThreadCount(model, [small, test, small], callbacks: false)
    }

    @Test("A reserved token deep in a file: the same callbacks before it and the same error on every thread count")
    func reservedToken() throws {
        let model = try KenLMPerplexityParityTests.build(order: 3, train: try TestSupport.sharedFile("fixtures/kenlm/brown.train5k.txt.gz"))
        let directory = try TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        var text = ""
        for i in 0..<30_000 { text += "the jury said \(i % 17) times\n" }
        text += "it was <s> here\nnever scored\n"
        let bad = try TestSupport.write(Array(text.utf8), named: "bad.txt", in: directory)
        var outputs: [[String]] = []
        for threads in Self.threadCounts {
            var seen: [String] = []
            #expect(throws: NGramKitError.reservedToken(path: bad, line: 30_001, token: "<s>")) {
                _ = try Perplexity.evaluate(model: model, paths: [bad], threads: threads, onToken: { token in
                    seen.append("\(String(decoding: token.word, as: UTF8.self)) \(token.log10Prob.bitPattern)")
                }, onSentence: { sentence in
                    seen.append("line \(sentence.line)")
                })
            }
            outputs.append(seen)
        }
        #expect(outputs[0].count == 30_000 * 7 + 2)   // 30,000 sentences of 5 words + </s>, then "it was"
        #expect(outputs[0].suffix(3).first == "line 30000")
        for (threads, output) in zip(Self.threadCounts, outputs).dropFirst() {
            #expect(output == outputs[0], "\(threads) threads")
        }
        // An error in the callback stops the run on every thread count.
        struct Stop: Error {}
        for threads in Self.threadCounts {
            var sentences = 0
            #expect(throws: Stop.self) {
                _ = try Perplexity.evaluate(model: model, paths: [bad], threads: threads, onSentence: { _ in
                    sentences += 1
                    if sentences == 12_345 { throw Stop() }
                })
            }
            #expect(sentences == 12_345)
        }
    }

    @Test("ngramkit query and ppl: the same output for --threads 1, 2 and 3; --threads 0 is refused")
    func commandLine() throws {
        let model = try TestSupport.sharedFile("fixtures/kenlm/brown.o4.arpa.gz")
        let test = try TestSupport.sharedFile("fixtures/kenlm/brown.test1k.txt.gz")
        func run(_ arguments: [String]) throws -> String {
            let result = try TestSupport.run(CommandLineTests.binary, arguments, currentDirectory: TestSupport.packageRoot)
            #expect(result.status == 0, "\(arguments): \(result.stderr)")
            return result.stdout
        }
        for command in [["query"], ["ppl", "--per-sentence"], ["ppl", "--json"]] {
            let one = try run(command + ["--model", model, "--text", test, "--threads", "1"])
            #expect(!one.isEmpty)
            for threads in ["2", "3"] {
                #expect(try run(command + ["--model", model, "--text", test, "--threads", threads]) == one, "\(command) --threads \(threads)")
            }
        }
        let refused = try TestSupport.run(CommandLineTests.binary, ["ppl", "--model", model, "--text", test, "--threads", "0"],
                                          currentDirectory: TestSupport.packageRoot)
        #expect(refused.status != 0)
        #expect(refused.stderr.contains("--threads must be at least 1"))
    }
}
