import Foundation

/// Process resource figures reported by `--json` summaries and benchmarks.
package enum ResourceUsage {
    /// Peak resident set size of this process in bytes (Linux `VmHWM`), or nil where unavailable.
    package static func peakResidentBytes() -> Int? {
        guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else { return nil }
        for line in status.split(separator: "\n") where line.hasPrefix("VmHWM:") {
            let fields = line.split(separator: " ", omittingEmptySubsequences: true)
            if fields.count >= 2, let kib = Int(fields[1]) { return kib * 1024 }
        }
        return nil
    }

    /// CPU seconds this process has used so far, all threads together (user and system).
    package static func processCPUSeconds() -> Double {
        var time = timespec()
        guard clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &time) == 0 else { return .nan }
        return Double(time.tv_sec) + Double(time.tv_nsec) * 1e-9
    }

    /// Resets the peak resident set size to the current one (Linux ≥ 4.0: writing 5 to
    /// `/proc/self/clear_refs`), so that `peakResidentBytes` measures one stage of a long run.
    /// - Returns: whether the reset happened.
    @discardableResult
    package static func resetPeakResident() -> Bool {
        guard let handle = FileHandle(forWritingAtPath: "/proc/self/clear_refs") else { return false }
        defer { try? handle.close() }
        do { try handle.write(contentsOf: Data("5".utf8)) } catch { return false }
        return true
    }
}
