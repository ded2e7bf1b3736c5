import Foundation
import NGramKit
import Testing

/// Models written as ARPA, read back and rescored; KenLM's ARPA files read and scored.
@Suite struct ARPARoundTripTests {
    static func write(_ model: NGramModel, to path: String) throws {
        let sink = try OutputSink(path: path)
        try ARPAWriter.write(model, to: sink)
        try sink.commit()
    }

    static func model(_ smoothing: SmoothingMethod, order: Int, restriction: VocabularyRestriction = .init()) throws -> NGramModel {
        let counter = try NGramCounter(order: order, restriction: restriction)
        try counter.addFiles([try TestSupport.sharedFile("fixtures/kenlm/brown.train5k.txt.gz")], configuration: TokenizerConfiguration())
        return try NGramModel.estimate(from: try counter.finish(), options: EstimationOptions(smoothing: smoothing))
    }

    @Test("Written, read back and rescored: the same perplexity and raw score; rewritten: the same bytes",
          arguments: [(SmoothingMethod.kneserNey, 4), (.kneserNey, 1), (.stupidBackoff, 3)])
    func roundTrip(smoothing: SmoothingMethod, order: Int) throws {
        let directory = try TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let built = try Self.model(smoothing, order: order, restriction: VocabularyRestriction(minCount: 2))
        let test = try TestSupport.sharedFile("fixtures/kenlm/brown.test1k.txt.gz")
        let direct = try Perplexity.evaluate(model: built, paths: [test])
        let path = directory.appendingPathComponent("model.arpa").path
        try Self.write(built, to: path)
        let read = try ARPAReader.read(path)
        #expect(read.provenance.name == built.provenance.name)
        #expect(read.ngramCounts == built.ngramCounts)
        let again = try Perplexity.evaluate(model: read, paths: [test])
        #expect(again.tokens == direct.tokens && again.oovs == direct.oovs)
        // ARPA holds single-precision values: the perplexity moves in the seventh digit at most.
        #expect(abs(again.perplexity - direct.perplexity) / direct.perplexity < 1e-6, "\(again.perplexity) vs \(direct.perplexity)")
        if smoothing == .stupidBackoff {
            let raw = try #require(direct.rawLog10Score), rawAgain = try #require(again.rawLog10Score)
            #expect(abs(raw - rawAgain) / abs(raw) < 1e-6, "\(rawAgain) vs \(raw)")
        }
        let path2 = directory.appendingPathComponent("model2.arpa").path
        try Self.write(read, to: path2)
        #expect(try Data(contentsOf: URL(fileURLWithPath: path)) == (try Data(contentsOf: URL(fileURLWithPath: path2))))
    }

    @Test("KenLM's PTB order-3 ARPA scores perplexity.tsv's numbers")
    func kenlmPTB() throws {
        let directory = try TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let model = try ARPAReader.read(try TestSupport.sharedFile("fixtures/kenlm/ptb.o3.arpa.gz"))
        #expect(model.ngramCounts == [10002, 264990, 586558])
        for (file, expected) in [("ptb/ptb.valid.txt.gz", 157.76525525845207), ("ptb/ptb.test.txt.gz", 148.2814995024931)] {
            let result = try Perplexity.evaluate(model: model, paths: [try KenLMPerplexityParityTests.prepared(file, in: directory)])
            #expect(abs(result.perplexity - expected) / expected < 1e-6, "\(file): \(result.perplexity) vs \(expected)")
        }
    }
}
