#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import CNGramKitSupport

/// Lines of one higher-order section, parsed and waiting to be looked up together: a batch lets
/// each lookup step prefetch the slots of the lines a few places ahead (every lookup is a likely
/// cache miss on a large model). Both readers fill batches the same way and resolve them with
/// `ARPAParser.resolve`; the line reader copies each line's words into the batch's own `arena`,
/// the parallel reader points into the mapped file.
///
/// Invariants: `count` ≤ `capacity` lines of `order` words each; line r's words are tokens
/// r·order ..< (r+1)·order, token t being `base[tokenStart[t] ..< tokenStart[t] + tokenLength[t]]`;
/// a 16-byte load from a token that starts below `paddedLimit` stays readable; `prefix[r]` is the
/// number of leading words line r shares with line r − 1 (0 for the first line), and `same[t]`
/// whether token t equals the token at its place in the line before.
final class ARPABatch {
    let capacity: Int
    private(set) var order = 0
    private(set) var count = 0
    /// Where token offsets point: the arena, or the mapped file.
    private(set) var base: UnsafePointer<UInt8>
    /// Offsets below this allow a 16-byte load (the arena pads its end; a file does not).
    private(set) var paddedLimit = 0
    let lineNumber: UnsafeMutablePointer<Int>
    let prob: UnsafeMutablePointer<Double>
    let backoff: UnsafeMutablePointer<Double>
    let prefix: UnsafeMutablePointer<Int>
    /// Each line's context slot one order down (filled by `resolve`).
    var contexts: UnsafeMutablePointer<UInt32>
    /// Scratch for `resolve`, swapped with `contexts` order by order.
    var scratch: UnsafeMutablePointer<UInt32>
    let tokenStart: UnsafeMutablePointer<Int>
    let tokenLength: UnsafeMutablePointer<Int>
    let same: UnsafeMutablePointer<Bool>
    let tags: UnsafeMutablePointer<Vocabulary.Tag>
    let ids: UnsafeMutablePointer<UInt32>
    private let maximumOrder: Int
    // The line reader's copy of the words (nil for a batch over a mapped file).
    private var arena: UnsafeMutablePointer<UInt8>?
    private var arenaCapacity = 0
    private var arenaUsed = 0
    /// Whether words are copied into the arena (the line reader) or point into a file.
    private var copies = false

    /// A batch of `capacity` lines of up to `maximumOrder` words.
    init(capacity: Int, maximumOrder: Int) {
        self.capacity = capacity
        self.maximumOrder = maximumOrder
        let tokens = capacity * maximumOrder
        lineNumber = .allocate(capacity: capacity)
        prob = .allocate(capacity: capacity)
        backoff = .allocate(capacity: capacity)
        prefix = .allocate(capacity: capacity)
        contexts = .allocate(capacity: capacity)
        scratch = .allocate(capacity: capacity)
        tokenStart = .allocate(capacity: tokens)
        tokenLength = .allocate(capacity: tokens)
        same = .allocate(capacity: tokens)
        tags = .allocate(capacity: tokens)
        ids = .allocate(capacity: tokens)
        base = UnsafePointer(bitPattern: 0x10)!   // no tokens until `start`
    }

    deinit {
        lineNumber.deallocate(); prob.deallocate(); backoff.deallocate(); prefix.deallocate()
        contexts.deallocate(); scratch.deallocate(); tokenStart.deallocate(); tokenLength.deallocate()
        same.deallocate(); tags.deallocate(); ids.deallocate()
        arena?.deallocate()
    }

    var isFull: Bool { count == capacity }

    /// Starts a batch of order-`n` lines whose words live in the mapped file at `file` (`bytes`
    /// long).
    func start(order n: Int, file: UnsafePointer<UInt8>, bytes: Int) {
        precondition(n >= 1 && n <= maximumOrder)
        order = n
        count = 0
        base = file
        paddedLimit = bytes - 16
        arenaUsed = 0
        copies = false
    }

    /// Starts a batch of order-`n` lines whose words are copied in.
    func start(order n: Int) {
        precondition(n >= 1 && n <= maximumOrder)
        order = n
        count = 0
        arenaUsed = 0
        if arena == nil { growArena(1 << 16) }
        base = UnsafePointer(arena!)
        paddedLimit = Int.max
        copies = true
    }

    /// Empties the batch, keeping its order and storage.
    func removeAll() {
        count = 0
        arenaUsed = 0
    }

    /// The bytes of token `t`.
    @inline(__always)
    func token(_ t: Int) -> UnsafeBufferPointer<UInt8> {
        UnsafeBufferPointer(start: base + tokenStart[t], count: tokenLength[t])
    }

    /// Adds a line whose `order` words are fields 1...order of `line` (`starts`/`ends` are
    /// offsets from `line`), with its values. A batch over a file takes `line` inside the file; a
    /// copying batch copies the words.
    @inline(__always)
    func append(line: UnsafePointer<UInt8>, starts: UnsafePointer<Int>, ends: UnsafePointer<Int>,
                number: Int, prob p: Double, backoff b: Double) {
        let n = order
        let row = count * n
        var sharing = 0
        for k in 1...n {
            let length = ends[k] - starts[k]
            let offset: Int
            if copies {
                if arenaUsed + length + 16 > arenaCapacity { growArena(arenaUsed + length + 16) }
                if length > 0 { (arena! + arenaUsed).update(from: line + starts[k], count: length) }
                offset = arenaUsed
                arenaUsed += length
            } else {
                offset = base.distance(to: line + starts[k])
            }
            let t = row + k - 1
            tokenStart[t] = offset
            tokenLength[t] = length
            var equal = false
            if count > 0 {
                let before = t - n
                equal = tokenLength[before] == length && memcmp(base + tokenStart[before], base + offset, length) == 0
            }
            same[t] = equal
            if equal && sharing == k - 1 { sharing = k }
        }
        lineNumber[count] = number
        prob[count] = p
        backoff[count] = b
        prefix[count] = sharing
        count += 1
    }

    /// Drops the lines from `first` on.
    func truncate(to first: Int) { count = min(count, first) }

    private func growArena(_ minimum: Int) {
        var capacity = max(arenaCapacity * 2, 1 << 16)
        while capacity < minimum { capacity *= 2 }
        let grown = UnsafeMutablePointer<UInt8>.allocate(capacity: capacity + 16)
        grown.initialize(repeating: 0, count: capacity + 16)
        if let arena {
            grown.update(from: arena, count: arenaUsed)
            arena.deallocate()
        }
        arena = grown
        arenaCapacity = capacity
        base = UnsafePointer(grown)
    }

    /// Computes the vocabulary tag of every token of lines `0..<count` that does not repeat the
    /// line before.
    func computeTags() {
        let tokens = count * order
        for t in 0..<tokens where !same[t] {
            tags[t] = Vocabulary.tag(token(t), paddedBytes: tokenStart[t] < paddedLimit)
        }
    }
}
