import Foundation
import NGramKit
import Testing

/// A seeded mutation campaign over every reader: ARPA files (plain, and gzip), binary models,
/// counts files and text, each truncated, flipped, with lines deleted, duplicated or swapped,
/// huge and non-finite numbers, a byte-order mark, CRLF endings, NUL bytes. For every case the
/// tool either succeeds or fails with one line on stderr and exit status 1: never a trap (a
/// signal, or a status of 128 or more), never a hang, and never a file left behind.
///
/// `NGRAMKIT_MUTATION_SEED` picks another campaign (the default is fixed, so CI reruns the same
/// cases); `NGRAMKIT_MUTATION_CASES` makes it longer.
@Suite("Mutated inputs")
struct MutationTests {
    enum Kind: String, CaseIterable { case arpa, arpaGzip, binary, counts, text }

    struct Inputs {
        let directory: URL
        let arpa: [UInt8], binary: [UInt8], counts: [UInt8], text: [UInt8]
        let scoring: String
    }

    static func inputs(in directory: URL) throws -> Inputs {
        let train = try TestSupport.lines(of: try TestSupport.sharedFile("fixtures/kenlm/brown.test1k.txt.gz")).prefix(300)
        let text = Array((train.joined(separator: "\n") + "\n").utf8)
        let textPath = try TestSupport.write(text, named: "train.txt", in: directory)
        let arpa = directory.appendingPathComponent("base.arpa").path, binary = directory.appendingPathComponent("base.bin").path
        let counts = directory.appendingPathComponent("base.counts").path
        try #require(TestSupport.runTool(["build", "--order", "3", "--text", textPath, "--arpa", arpa, "--binary", binary]).status == 0)
        try #require(TestSupport.runTool(["count", "--order", "3", "--text", textPath, "--out", counts]).status == 0)
        let scoring = try TestSupport.write(Array((train.suffix(40).joined(separator: "\n") + "\nzzz unseen words\n").utf8), named: "score.txt", in: directory)
        func read(_ path: String) throws -> [UInt8] { [UInt8](try Data(contentsOf: URL(fileURLWithPath: path))) }
        return Inputs(directory: directory, arpa: try read(arpa), binary: try read(binary), counts: try read(counts), text: text, scoring: scoring)
    }

    /// Numbers that readers must refuse or take, dropped into numeric fields.
    static let numbers = ["1e400", "-1e400", "3.5", "1e308", "-1e39", "nan", "-nan", "inf", "-inf", "9223372036854775807",
                          "18446744073709551616", "99999999999999999999999999", "0", "-0", "-99", "-.", "1e", "0x10", "+-1", ""]

    /// One mutation of `bytes`.
    static func mutate(_ bytes: [UInt8], _ random: inout SplitMix64, kind: Kind) -> (String, [UInt8]) {
        var lines = bytes.split(separator: 0x0A, omittingEmptySubsequences: false).map(Array.init)
        func joined() -> [UInt8] { Array(lines.joined(separator: [0x0A])) }
        switch random.below(12) {
        case 0:
            let cut = random.below(max(bytes.count, 1))
            return ("truncated at \(cut)", Array(bytes.prefix(cut)))
        case 1:
            var copy = bytes
            for _ in 0..<(1 + random.below(4)) where !copy.isEmpty { copy[random.below(copy.count)] ^= UInt8(1 << random.below(8)) }
            return ("bits flipped", copy)
        case 2:
            var copy = bytes
            for _ in 0..<(1 + random.below(3)) where !copy.isEmpty { copy[random.below(copy.count)] = UInt8(random.below(256)) }
            return ("bytes replaced", copy)
        case 3 where lines.count > 1:
            let at = random.below(lines.count)
            lines.remove(at: at)
            return ("line \(at + 1) deleted", joined())
        case 4 where !lines.isEmpty:
            let at = random.below(lines.count)
            lines.insert(lines[at], at: at)
            return ("line \(at + 1) duplicated", joined())
        case 5 where lines.count > 1:
            let a = random.below(lines.count), b = random.below(lines.count)
            lines.swapAt(a, b)
            return ("lines \(a + 1) and \(b + 1) swapped", joined())
        case 6 where !lines.isEmpty:
            // A number in a numeric field: an ARPA value, a header count, a count.
            let at = random.below(lines.count)
            var fields = lines[at].split(separator: 0x09, omittingEmptySubsequences: false).map(Array.init)
            let number = Array(random.pick(numbers).utf8)
            if kind == .counts || kind == .text {
                fields[fields.count - 1] = number
            } else if let eq = lines[at].firstIndex(of: 0x3D) {
                lines[at] = Array(lines[at][...eq]) + number
                return ("header count \(String(decoding: number, as: UTF8.self))", joined())
            } else {
                fields[random.below(2) == 0 ? 0 : fields.count - 1] = number
            }
            lines[at] = Array(fields.joined(separator: [0x09]))
            return ("line \(at + 1): \(String(decoding: number, as: UTF8.self))", joined())
        case 7:
            return ("a byte-order mark", [0xEF, 0xBB, 0xBF] + bytes)
        case 8:
            return ("CRLF endings", Array(lines.map { $0 + [0x0D] }.joined(separator: [0x0A])))
        case 9 where !lines.isEmpty:
            let at = random.below(lines.count)
            lines[at].insert(0, at: random.below(lines[at].count + 1))
            return ("a NUL in line \(at + 1)", joined())
        case 10 where !lines.isEmpty:
            let at = random.below(lines.count)
            lines.insert(random.pick([Array("\\data\\".utf8), Array("\\end\\".utf8), Array("\\2-grams:".utf8), Array("<s> </s>\t3".utf8),
                                      Array("ngram 2=4294967296".utf8), Array(String(repeating: "w ", count: 70).utf8)]), at: at)
            return ("a stray line at \(at + 1)", joined())
        default:
            return ("empty", random.below(4) == 0 ? [] : Array(bytes.prefix(random.below(64))))
        }
    }

    /// The commands one mutated file is fed to, each with the output it may write.
    static func commands(_ kind: Kind, file: String, scoring: String, out: URL) -> [[String]] {
        let arpaOut = out.appendingPathComponent("o.arpa").path, binaryOut = out.appendingPathComponent("o.bin").path
        switch kind {
        case .arpa, .arpaGzip:
            return [["ppl", "--model", file, "--text", scoring], ["compile", file, binaryOut]]
        case .binary:
            return [["query", "--model", file, "--text", scoring], ["ppl", "--verify", "--model", file, "--text", scoring]]
        case .counts:
            return [["build", "--order", "3", "--counts", file, "--arpa", arpaOut, "--binary", binaryOut]]
        case .text:
            return [["build", "--order", "3", "--text", file, "--arpa", arpaOut], ["tokenize", "--tokenizer", "unicode", "--text", file]]
        }
    }

    @Test("Seeded mutations of every input kind: success or one line and exit 1; no trap, hang or leftover")
    func campaign() throws {
        let environment = ProcessInfo.processInfo.environment
        let seed = environment["NGRAMKIT_MUTATION_SEED"].flatMap { UInt64($0) } ?? 0x5EED_2026
        let cases = environment["NGRAMKIT_MUTATION_CASES"].flatMap { Int($0) } ?? 250
        let directory = try TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let inputs = try Self.inputs(in: directory)
        var random = SplitMix64(seed: seed)
        var failures = 0, successes = 0
        for number in 0..<cases {
            let kind = Kind.allCases[number % Kind.allCases.count]
            let base: [UInt8]
            switch kind {
            case .arpa, .arpaGzip: base = inputs.arpa
            case .binary: base = inputs.binary
            case .counts: base = inputs.counts
            case .text: base = inputs.text
            }
            var (name, bytes) = Self.mutate(base, &random, kind: kind)
            if kind == .arpaGzip {
                bytes = try TestSupport.gzip(bytes)
                // Now and then the compressed stream itself is damaged.
                if random.below(3) == 0 && bytes.count > 20 {
                    bytes[10 + random.below(bytes.count - 10)] ^= 0x40
                    name += ", gzip damaged"
                }
            }
            let work = directory.appendingPathComponent("case\(number)")
            try FileManager.default.createDirectory(at: work, withIntermediateDirectories: true)
            let file = try TestSupport.write(bytes, named: "input", in: work)
            for arguments in Self.commands(kind, file: file, scoring: inputs.scoring, out: work) {
                let result = try TestSupport.runTool(arguments, in: work, timeout: 15)
                let label = "seed \(seed) case \(number) (\(kind.rawValue), \(name)): \(arguments[0])"
                #expect(!result.timedOut, "hang: \(label)")
                #expect(result.endedCleanly && (result.status == 0 || result.status == 1), "trap or signal \(result.status): \(label) \(result.stderr)")
                if result.status == 0 {
                    successes += 1
                } else {
                    failures += 1
                    #expect(result.errorLines.count == 1 && result.stderr.hasPrefix("ngramkit: "), "\(label): \(result.stderr)")
                }
                let left = try TestSupport.contents(work).subtracting(["input", "o.arpa", "o.bin"])
                #expect(left.isEmpty, "left behind: \(left) by \(label)")
                if result.status != 0 {
                    let names = try TestSupport.contents(work)
                    #expect(!names.contains("o.arpa") && !names.contains("o.bin"), "a failed run wrote an output: \(label)")
                }
                for output in ["o.arpa", "o.bin"] { try? FileManager.default.removeItem(at: work.appendingPathComponent(output)) }
            }
            try FileManager.default.removeItem(at: work)
        }
        // Both outcomes occur: the campaign reaches the error paths and the repairs alike.
        #expect(failures > cases / 4 && successes > cases / 10, "\(failures) failures, \(successes) successes")
    }
}
