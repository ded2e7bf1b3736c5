import Foundation
import NGramKit
import Testing

/// `ngramkit scale` (and `ngramkit` with no subcommand) as a user runs it.
@Suite("ngramkit scale command line")
struct ScaleCommandLineTests {
    private func run(_ arguments: [String]) throws -> (status: Int32, stdout: String, stderr: String) {
        try TestSupport.run(CommandLineTests.binary, arguments, currentDirectory: TestSupport.packageRoot)
    }

    @Test("The schedule says what became of each size: beyond the pool, the same slice as another, the pool added")
    func scheduleNotes() throws {
        let directory = try TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let out = directory.appendingPathComponent("results").path
        // 20001 tokens end inside the verse that brings the slice to 20k; 5M is past the 711k pool.
        let listed = try run(["scale", "--orders", "2", "--smoothing", "kneser-ney", "--sizes", "20k,20001,5M",
                              "--bootstrap", "100", "--out", out])
        #expect(listed.status == 0, "\(listed.stderr)")
        #expect(listed.stdout.contains("ngramkit scale: 2 slices x 1 orders x 1 methods = 2 points"), "\(listed.stdout)")
        #expect(listed.stdout.contains("slices    20k, 711k"), "\(listed.stdout)")
        #expect(listed.stdout.contains("5000000 is beyond the pool (710667 tokens): measured as the whole pool"), "\(listed.stdout)")
        #expect(listed.stdout.contains("20001 gives the same slice as 20000 (whole sentences: "), "\(listed.stdout)")
        let report = try String(contentsOfFile: out + "/report.md", encoding: .utf8)
        #expect(report.contains("5000000 is beyond the pool"))
        // The geometric schedule: 640k is within 10% of the 711k pool, which takes its place.
        let geometric = try run(["scale", "--orders", "2", "--smoothing", "kneser-ney", "--start", "160k", "--factor", "2",
                                 "--bootstrap", "100", "--out", out, "--fresh"])
        #expect(geometric.status == 0, "\(geometric.stderr)")
        #expect(geometric.stdout.contains("slices    160k, 320k, 711k"), "\(geometric.stdout)")
        #expect(geometric.stdout.contains("640000 is within 10% of the pool: the whole pool (710667 tokens) takes its place"), "\(geometric.stdout)")
    }

    @Test("With no subcommand it runs scale on the bundled corpus and writes every output file")
    func defaultSubcommandWritesTheReport() throws {
        let directory = try TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let out = directory.appendingPathComponent("results").path
        let result = try run(["--orders", "1,3", "--sizes", "20k,80k,300k", "--bootstrap", "200", "--out", out])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stderr.isEmpty)  // no progress when stderr is not a terminal
        #expect(result.stdout.contains("ngramkit scale: 3 slices x 2 orders x 2 methods = 12 points (0 from an earlier run)"))
        #expect(result.stdout.contains("KN 3-gram"))
        for name in ["points.csv", "fits.json", "report.md", "loss.svg", "model-size.svg", "backtest.svg", "run.json"] {
            #expect(FileManager.default.fileExists(atPath: out + "/" + name), "missing \(name)")
        }
        let points = try TestSupport.lines(of: out + "/points.csv")
        #expect(points.count == 13)
        let fits = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: out + "/fits.json"))) as? [String: Any])
        let curves = try #require(fits["curves"] as? [[String: Any]])
        #expect(curves.count == 4)
        #expect(curves.allSatisfy { $0["loss_fit"] is [String: Any] })
        // Every law form fitted per curve, one of them the headline.
        for curve in curves {
            let laws = try #require(curve["laws"] as? [[String: Any]])
            #expect(laws.compactMap { $0["form"] as? String } == ScalingLawForm.allCases.map(\.rawValue))
            #expect(laws.contains { $0["form"] as? String == curve["headline_law"] as? String })
        }
        let report = try String(contentsOfFile: out + "/report.md", encoding: .utf8)
        #expect(report.contains("## Fits of L(D) = E + B·D^−β"))
        #expect(report.contains("## Forecasts") && report.contains("## Laws compared by how they forecast"))
        #expect(report.contains("![Held-out loss against training tokens](loss.svg)"))
        #expect(report.contains("## Compute: L(C)") && report.contains("| KN 3-gram |"))
        #expect(FileManager.default.fileExists(atPath: out + "/residuals.svg"))
        let svg = try String(contentsOfFile: out + "/loss.svg", encoding: .utf8)
        #expect(svg.hasPrefix("<svg") || svg.hasPrefix("<?xml"))
        #expect(svg.contains("held-out cross-entropy (nats per token)"))

        // Run again: every point is already measured; the fits are the same bytes.
        let again = try run(["scale", "--orders", "1,3", "--sizes", "20k,80k,300k", "--bootstrap", "200", "--out", out])
        #expect(again.status == 0, "\(again.stderr)")
        #expect(again.stdout.contains("(12 from an earlier run)"))
        #expect(try Data(contentsOf: URL(fileURLWithPath: out + "/fits.json")) == Data(contentsOf: URL(fileURLWithPath: directory.path + "/results/fits.json")))
        // A fresh run with the same seed gives byte-identical fits.
        let first = try Data(contentsOf: URL(fileURLWithPath: out + "/fits.json"))
        let fresh = try run(["scale", "--orders", "1,3", "--sizes", "20k,80k,300k", "--bootstrap", "200", "--out", out, "--fresh"])
        #expect(fresh.status == 0, "\(fresh.stderr)")
        #expect(try Data(contentsOf: URL(fileURLWithPath: out + "/fits.json")) == first)
    }

    @Test("Settings that differ from the points in --out, and bad options, are one-line errors")
    func errors() throws {
        let directory = try TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let out = directory.appendingPathComponent("results").path
        #expect(try run(["scale", "--orders", "2", "--sizes", "20k", "--smoothing", "kneser-ney", "--out", out]).status == 0)
        for arguments in [["scale", "--orders", "2", "--sizes", "20k", "--seed", "2", "--out", out],
                          ["scale", "--orders", "0", "--out", out],
                          ["scale", "--smoothing", "good-turing", "--out", out],
                          ["scale", "--sizes", "ten", "--out", out],
                          ["scale", "--index", "README.md", "--out", out]] {
            let result = try run(arguments)
            #expect(result.status != 0, "\(arguments)")
            let lines = result.stderr.split(separator: "\n").filter { !$0.isEmpty }
            #expect(lines.count == 1, "\(arguments): \(result.stderr)")
            #expect(result.stderr.hasPrefix("ngramkit: "))
        }
    }
}
