import Foundation
import NGramKit
import Testing

/// ARPA bytes do not depend on the number of writing threads. Brown 5k order 4 has about
/// 100,000 n-grams per order above 1, so the parallel key sort and several rounds of formatted
/// lines (each written while the next is formatted) are exercised.
@Suite struct ARPAWriterThreadsTests {
    @Test("Brown 5k order 4: the same ARPA bytes with 1, 2, 3 and 5 writing threads")
    func sameBytesForAnyThreads() throws {
        let model = try ARPARoundTripTests.model(.kneserNey, order: 4)
        let directory = try TestSupport.temporaryDirectory()
        var outputs: [Data] = []
        for threads in [1, 2, 3, 5] {
            let path = directory.appendingPathComponent("t\(threads).arpa").path
            let sink = try OutputSink(path: path)
            try ARPAWriter.write(model, to: sink, threads: threads)
            try sink.commit()
            outputs.append(try Data(contentsOf: URL(fileURLWithPath: path)))
        }
        #expect(outputs[0].count > 1_000_000)
        for output in outputs.dropFirst() { #expect(output == outputs[0]) }
    }
}
