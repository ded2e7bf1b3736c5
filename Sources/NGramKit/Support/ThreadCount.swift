import Foundation

/// Thread counts: what a job uses for "all cores", and the most it will start.
///
/// Every job that takes a thread count clamps it with `usable`: more threads than that only
/// cost memory (per-thread buffers) and scheduling, and tens of thousands of them exhaust the
/// process (the command-line tool says so when it clamps).
public enum ThreadCount {
    /// The cores of this machine ("all cores", the default of every `--threads`).
    public static var all: Int { max(1, ProcessInfo.processInfo.activeProcessorCount) }

    /// The most threads a job starts: 64, or four per core on a machine with more than 16.
    public static var maximum: Int { max(64, 4 * all) }

    /// `requested` (nil: all cores) within 1...`maximum`.
    public static func usable(_ requested: Int?) -> Int {
        min(max(requested ?? all, 1), maximum)
    }
}
