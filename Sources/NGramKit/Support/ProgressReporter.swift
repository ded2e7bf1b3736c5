#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A one-line progress display on standard error, for long runs in a terminal.
///
/// Create it with `ProgressReporter.forTerminal()`, which returns nil when stderr is not a
/// terminal: scripts and CI logs stay quiet, and machine output on stdout is never mixed in.
public final class ProgressReporter {
    private var lastUpdate: Double = 0
    private var bytes = 0
    private var lines = 0
    private var file = ""
    private let start: Double

    /// A reporter when standard error is a terminal, nil otherwise.
    public static func forTerminal() -> ProgressReporter? {
        Platform.isTerminal(2) ? ProgressReporter() : nil
    }

    init() { start = ProgressReporter.now() }

    static func now() -> Double {
        var spec = timespec()
        clock_gettime(CLOCK_MONOTONIC, &spec)
        return Double(spec.tv_sec) + Double(spec.tv_nsec) * 1e-9
    }

    private func show(_ text: String) {
        let line = "\r\u{1B}[K" + text
        StandardError.write(line)
    }

    func startFile(_ name: String) { file = name }

    /// Called once per batch of lines (tens of thousands of tokens), so reading the clock each
    /// time costs nothing.
    func advance(lines count: Int, bytes size: Int, tokens: Int) {
        lines += count
        bytes += size
        let now = ProgressReporter.now()
        if now - lastUpdate < 0.25 { return }
        lastUpdate = now
        let mb = Double(bytes) / 1e6
        show("reading \(file): \(lines) lines, \(tokens) tokens, \(Int(mb)) MB, \(Int(now - start)) s")
    }

    func finishReading(tokens: Int) {
        show("read \(lines) lines, \(tokens) tokens")
    }

    func startOrder(_ n: Int, of total: Int) {
        show("counting order \(n) of \(total) (\(Int(ProgressReporter.now() - start)) s)")
    }

    /// Shows a free-form status line.
    public func status(_ text: String) { show(text) }

    /// Shows how far a phase of `total` steps has come since `started` (`ProgressClock.now()`)
    /// and, from its pace so far, about how long the rest will take.
    /// Updates come at most four times a second, but for the first and the last step.
    public func phase(_ name: String, done: Int, of total: Int, started: Double) {
        let now = ProgressReporter.now()
        if done > 0 && done < total && now - lastUpdate < 0.25 { return }
        lastUpdate = now
        let elapsed = now - started
        var text = "\(name): \(done) of \(total), \(Int(elapsed)) s"
        if done > 0 && done < total { text += ", about \(Int((elapsed / Double(done) * Double(total - done)).rounded())) s left" }
        show(text)
    }

    /// Clears the line.
    public func done() { StandardError.write("\r\u{1B}[K") }
}

/// Monotonic wall-clock seconds, for timing runs.
package enum ProgressClock {
    package static func now() -> Double { ProgressReporter.now() }
}

/// Unbuffered writes to standard error (file descriptor 2), safe from any thread. A failed
/// write to stderr has nowhere to be reported, so it is dropped.
package enum StandardError {
    package static func write(_ text: String) {
        var copy = text
        copy.withUTF8 { bytes in
            guard let base = bytes.baseAddress else { return }
            _ = Platform.writeAll(2, base, bytes.count)
        }
    }
}

/// Unbuffered writes to standard output (file descriptor 1) that report failure: a summary,
/// JSON or help text that cannot be written (a full disk, `/dev/full`) is an error, not a
/// silent exit 0.
package enum StandardOutput {
    /// Writes `text`.
    /// - Throws: `NGramKitError.cannotWrite` with path `-`.
    package static func write(_ text: String) throws {
        var copy = text
        try copy.withUTF8 { bytes in
            guard let base = bytes.baseAddress else { return }
            if let code = Platform.writeAll(1, base, bytes.count) {
                throw NGramKitError.cannotWrite(path: "-", reason: Platform.describe(code))
            }
        }
    }

    /// Writes `text` and a newline.
    package static func line(_ text: String) throws { try write(text + "\n") }
}
