import Foundation
import NGramKit
import Testing

/// The models NGramKit writes against the ARPA files `lmplz` wrote: the same n-grams, and every
/// log10 probability and backoff within 1e-5. The ARPA text is parsed here, independently of
/// NGramKit's reader.
@Suite struct KenLMARPAParityTests {
    /// n-gram text → (log10 prob, log10 backoff) of every line of an ARPA file, and the header counts.
    static func parse(_ path: String) throws -> (entries: [String: (Double, Double)], header: [Int]) {
        var entries: [String: (Double, Double)] = [:]
        var header: [Int] = []
        var order = 0
        for line in try TestSupport.lines(of: path) {
            if line.hasPrefix("ngram ") { header.append(Int(line.split(separator: "=")[1])!); continue }
            if line.hasPrefix("\\") {
                order = line.hasSuffix("-grams:") ? Int(line.dropFirst().prefix(while: { $0 != "-" }))! : 0
                continue
            }
            guard order > 0, !line.isEmpty else { continue }
            let fields = line.split(separator: "\t", omittingEmptySubsequences: false)
            #expect(fields[1].split(separator: " ").count == order, "\(line)")
            let key = String(fields[1])
            #expect(entries[key] == nil, "duplicate \(key)")
            entries[key] = (Double(fields[0])!, fields.count > 2 ? Double(fields[2])! : 0)
        }
        return (entries, header)
    }

    static func expectSameModel(ours: String, kenlm: String, sourceLocation: SourceLocation = #_sourceLocation) throws {
        let a = try parse(ours), b = try parse(kenlm)
        #expect(a.header == b.header, sourceLocation: sourceLocation)
        #expect(a.entries.count == b.entries.count, sourceLocation: sourceLocation)
        var missing = 0, worstProb = 0.0, worstBackoff = 0.0
        for (key, expected) in b.entries {
            guard let got = a.entries[key] else {
                missing += 1
                continue
            }
            worstProb = max(worstProb, abs(got.0 - expected.0))
            worstBackoff = max(worstBackoff, abs(got.1 - expected.1))
        }
        #expect(missing == 0, sourceLocation: sourceLocation)
        #expect(worstProb <= 1e-5, "largest log10 probability difference \(worstProb)", sourceLocation: sourceLocation)
        #expect(worstBackoff <= 1e-5, "largest log10 backoff difference \(worstBackoff)", sourceLocation: sourceLocation)
    }

    static func buildARPA(order: Int, train: String, in directory: URL, countThresholds: [UInt64] = [],
                          interpolateUnigrams: Bool = true, vocabularyPad: Int = 0) throws -> String {
        let counter = try NGramCounter(order: order)
        try counter.addFiles([train], configuration: TokenizerConfiguration())
        var options = EstimationOptions(countThresholds: countThresholds)
        options.interpolateUnigrams = interpolateUnigrams
        options.vocabularyPad = vocabularyPad
        let model = try NGramModel.estimate(from: try counter.finish(), options: options)
        let path = directory.appendingPathComponent("model.o\(order).arpa").path
        let sink = try OutputSink(path: path)
        try ARPAWriter.write(model, to: sink)
        try sink.commit()
        return path
    }

    @Test("PTB order 3 (<unk> -> UNKTOK): the n-grams and values of ptb.o3.arpa.gz")
    func ptbOrder3() throws {
        let directory = try TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let train = try KenLMPerplexityParityTests.prepared("ptb/ptb.train.txt.gz", in: directory)
        try Self.expectSameModel(ours: try Self.buildARPA(order: 3, train: train, in: directory),
                                 kenlm: try TestSupport.sharedFile("fixtures/kenlm/ptb.o3.arpa.gz"))
    }

    @Test("Brown 5k order 4: the n-grams and values of brown.o4.arpa.gz")
    func brownOrder4() throws {
        let directory = try TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        try Self.expectSameModel(ours: try Self.buildARPA(order: 4, train: try TestSupport.sharedFile("fixtures/kenlm/brown.train5k.txt.gz"), in: directory),
                                 kenlm: try TestSupport.sharedFile("fixtures/kenlm/brown.o4.arpa.gz"))
    }

    @Test("Brown 2k order 4 with count pruning 0 1 1 2: the n-grams and values of lmplz --prune 0 1 1 2")
    func brownCountPruning() throws {
        let directory = try TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let lines = try TestSupport.lines(of: try TestSupport.sharedFile("fixtures/kenlm/brown.train5k.txt.gz")).prefix(2000)
        let train = try TestSupport.write(Array((lines.joined(separator: "\n") + "\n").utf8), named: "brown2k.txt", in: directory)
        let kenlm = TestSupport.packageRoot.appendingPathComponent("Tests/Fixtures/brown2k.o4.prune0112.kenlm.arpa.gz").path
        try Self.expectSameModel(ours: try Self.buildARPA(order: 4, train: train, in: directory, countThresholds: [0, 1, 1, 2]), kenlm: kenlm)
        // Without pruning the same text has many more n-grams: the thresholds did the work.
        let full = try Self.parse(try Self.buildARPA(order: 4, train: train, in: directory)).header
        #expect(full[0] == 8015 && full[1] > 4583 * 5 && full[3] > 122 * 100, "\(full)")
    }

    @Test("Brown 2k order 2 with unigrams not interpolated: the n-grams and values of lmplz --interpolate_unigrams 0")
    func brownUnigramsNotInterpolated() throws {
        let directory = try TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let lines = try TestSupport.lines(of: try TestSupport.sharedFile("fixtures/kenlm/brown.train5k.txt.gz")).prefix(2000)
        let train = try TestSupport.write(Array((lines.joined(separator: "\n") + "\n").utf8), named: "brown2k.txt", in: directory)
        let kenlm = TestSupport.packageRoot.appendingPathComponent("Tests/Fixtures/brown2k.o2.nointerp.kenlm.arpa.gz").path
        let ours = try Self.buildARPA(order: 2, train: train, in: directory, interpolateUnigrams: false)
        try Self.expectSameModel(ours: ours, kenlm: kenlm)
        let notInterpolated = try Self.parse(ours).entries
        // <unk> never occurs in this text: interpolated, it gets γ(ε)/|V|; not, all of γ(ε), and
        // every other word loses its share.
        let interpolated = try Self.parse(try Self.buildARPA(order: 2, train: train, in: directory)).entries
        #expect(notInterpolated["<unk>"]!.0 > interpolated["<unk>"]!.0 + 2)
        #expect(notInterpolated["the"]!.0 < interpolated["the"]!.0)
    }

    @Test("Brown 500 lines, order 2, vocabulary padded to 50,000: the n-grams and values of lmplz --vocab_pad 50000")
    func brownVocabularyPad() throws {
        let directory = try TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let lines = try TestSupport.lines(of: try TestSupport.sharedFile("fixtures/kenlm/brown.train5k.txt.gz")).prefix(500)
        let train = try TestSupport.write(Array((lines.joined(separator: "\n") + "\n").utf8), named: "brown500.txt", in: directory)
        let kenlm = TestSupport.packageRoot.appendingPathComponent("Tests/Fixtures/brown500.o2.pad50000.kenlm.arpa.gz").path
        let ours = try Self.buildARPA(order: 2, train: train, in: directory, vocabularyPad: 50_000)
        try Self.expectSameModel(ours: ours, kenlm: kenlm)
        let padded = try Self.parse(ours).entries
        let plain = try Self.parse(try Self.buildARPA(order: 2, train: train, in: directory)).entries
        #expect(padded["<unk>"]!.0 < plain["<unk>"]!.0 - 0.5, "the padding did not lower p(<unk>)")
    }
}
