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
        isatty(2) != 0 ? ProgressReporter() : nil
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

    /// Clears the line.
    public func done() { StandardError.write("\r\u{1B}[K") }
}

/// Monotonic wall-clock seconds, for timing runs.
public enum ProgressClock {
    public static func now() -> Double { ProgressReporter.now() }
}

/// Unbuffered writes to standard error (file descriptor 2), safe from any thread.
public enum StandardError {
    public static func write(_ text: String) {
        var copy = text
        copy.withUTF8 { bytes in
            var offset = 0
            while offset < bytes.count {
                let n = Glibc.write(2, bytes.baseAddress! + offset, bytes.count - offset)
                if n <= 0 { if errno == EINTR { continue }; return }
                offset += n
            }
        }
    }
}
