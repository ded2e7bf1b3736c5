import Foundation
import NGramKit
import Testing

/// `ngramkit scale` (and `ngramkit` with no subcommand) as a user runs it.
@Suite("ngramkit scale command line")
struct ScaleCommandLineTests {
    private func run(_ arguments: [String]) throws -> (status: Int32, stdout: String, stderr: String) {
        try TestSupport.run(CommandLineTests.binary, arguments, currentDirectory: TestSupport.packageRoot)
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
        let report = try String(contentsOfFile: out + "/report.md", encoding: .utf8)
        #expect(report.contains("## Fits of L(D) = E + B·D^−β"))
        #expect(report.contains("![Held-out loss against training tokens](loss.svg)"))
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
                          ["scale", "--smoothing", "witten-bell", "--out", out],
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
