import Foundation

/// Process resource figures reported by `--json` summaries and benchmarks.
public enum ResourceUsage {
    /// Peak resident set size of this process in bytes (Linux `VmHWM`), or nil where unavailable.
    public static func peakResidentBytes() -> Int? {
        guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else { return nil }
        for line in status.split(separator: "\n") where line.hasPrefix("VmHWM:") {
            let fields = line.split(separator: " ", omittingEmptySubsequences: true)
            if fields.count >= 2, let kib = Int(fields[1]) { return kib * 1024 }
        }
        return nil
    }
}
