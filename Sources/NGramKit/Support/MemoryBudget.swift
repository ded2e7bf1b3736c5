/// How much memory a job whose data grows with its input may use (`--memory`), and where it
/// spills the rest (`--temp-dir`).
///
/// A job first estimates what it would need in memory; within the budget it runs in memory as
/// it always has, past it it cuts its data into partitions that fit and keeps the rest in
/// temporary files (`TemporarySpace`). The output is the same bytes either way.
public struct MemoryBudget: Sendable, Equatable, CustomStringConvertible {
    /// The budget in bytes.
    public let bytes: Int
    /// The folder for temporary files.
    public let temporaryDirectory: String

    /// The share of physical memory a job takes when no `--memory` is given.
    public static let defaultShare = 0.5
    /// The smallest budget accepted: below it the fixed costs of a job (buffers, vocabulary) leave nothing.
    public static let minimumBytes = 4 << 20

    /// A budget of `bytes`.
    /// - Throws: `NGramKitError.invalidOption` for fewer than `minimumBytes`.
    public init(bytes: Int, temporaryDirectory: String? = nil) throws {
        guard bytes >= MemoryBudget.minimumBytes else {
            throw NGramKitError.invalidOption(name: "--memory", value: ByteCount.text(bytes), expected: "at least \(ByteCount.text(MemoryBudget.minimumBytes))")
        }
        self.bytes = bytes
        self.temporaryDirectory = temporaryDirectory ?? Platform.temporaryDirectory
    }

    /// The default budget: `defaultShare` of physical memory (1 GiB where it is unknown).
    public static func standard(temporaryDirectory: String? = nil) -> MemoryBudget {
        let physical = Platform.physicalMemory
        let bytes = physical > 0 ? Int(Double(physical) * defaultShare) : 1 << 30
        return try! MemoryBudget(bytes: max(bytes, minimumBytes), temporaryDirectory: temporaryDirectory)
    }

    /// The buffer of each reader of a merge of `runs` runs whose buffers may take `share` bytes
    /// in all: 4 KiB to 1 MiB each, so that a merge of many runs stays within its share.
    package static func readerBufferBytes(runs: Int, share: Int) -> Int {
        max(1 << 12, min(1 << 20, share / max(runs, 1)))
    }

    /// Parses `800M`, `4G`, `1.5G`, `512K`, `123456` (bytes), `50%` (of physical memory).
    /// Suffixes are binary (K = 1024) and case-insensitive; a trailing `B` or `iB` is allowed.
    /// - Throws: `NGramKitError.invalidOption` naming `--memory` for anything else.
    public static func parse(_ text: String, temporaryDirectory: String? = nil) throws -> MemoryBudget {
        let expected = "a size such as 800M, 4G or 50% (of physical memory, \(ByteCount.text(Platform.physicalMemory)) here), at least \(ByteCount.text(minimumBytes))"
        func refuse() -> NGramKitError { .invalidOption(name: "--memory", value: text, expected: expected) }
        var body = text.trimmingCharacters(in: .whitespaces).lowercased()
        if body.hasSuffix("%") {
            guard let percent = Double(body.dropLast()), percent.isFinite, percent > 0, percent <= 100,
                  Platform.physicalMemory > 0 else { throw refuse() }
            return try MemoryBudget(bytes: Int(Double(Platform.physicalMemory) * percent / 100), temporaryDirectory: temporaryDirectory)
        }
        for suffix in ["ib", "b"] where body.hasSuffix(suffix) && body.count > suffix.count {
            body.removeLast(suffix.count)
            break
        }
        var scale = 1.0
        if let last = body.last, let power = ["k": 1, "m": 2, "g": 3, "t": 4][String(last)] {
            scale = Double(1 << (10 * power))
            body.removeLast()
        }
        guard let value = Double(body), value.isFinite, value > 0, value * scale < Double(Int.max / 2) else { throw refuse() }
        let bytes = Int(value * scale)
        guard bytes >= minimumBytes else { throw refuse() }
        return try MemoryBudget(bytes: bytes, temporaryDirectory: temporaryDirectory)
    }

    public var description: String { ByteCount.text(bytes) }
}

import Foundation
