import Foundation

/// The one queue between threads: first in, first out; `pop` waits until an element or the
/// end comes. The reading thread of `TokenizingReader`, the inflating thread of
/// `ReadAheadSource` and the workers of `ScoringPool` all take their work from one.
///
/// Invariants: `items[head...]` are the elements pushed and not yet popped, oldest first;
/// after `close` nothing more is pushed, and once `items` is drained `pop` returns nil; after
/// `close(discarding: true)` it returns nil at once. `condition` guards everything.
final class BlockingQueue<Element>: @unchecked Sendable {
    private let condition = NSCondition()
    private var items: [Element] = []
    private var head = 0
    private var closed = false

    init() {}

    /// Appends an element and wakes a waiting `pop`; ignored once the queue is closed.
    func push(_ element: Element) {
        condition.lock()
        defer { condition.unlock() }
        guard !closed else { return }
        items.append(element)
        condition.signal()
    }

    /// The oldest element, waiting for one; nil once the queue is closed and drained.
    func pop() -> Element? {
        condition.lock()
        defer { condition.unlock() }
        while head == items.count && !closed { condition.wait() }
        guard head < items.count else { return nil }
        let element = items[head]
        head += 1
        if head == items.count {
            items.removeAll(keepingCapacity: true)
            head = 0
        }
        return element
    }

    /// Ends the queue: nothing more is pushed; `pop` drains what is there, then returns nil
    /// (at once with `discarding`, which drops what is there).
    func close(discarding: Bool = false) {
        condition.lock()
        defer { condition.unlock() }
        closed = true
        if discarding {
            items.removeAll()
            head = 0
        }
        condition.broadcast()
    }
}

/// A one-time event between threads: `wait` returns once `signal` has been called.
final class Completion: @unchecked Sendable {
    private let condition = NSCondition()
    private var done = false

    func signal() {
        condition.lock()
        done = true
        condition.broadcast()
        condition.unlock()
    }

    func wait() {
        condition.lock()
        while !done { condition.wait() }
        condition.unlock()
    }

    /// Whether `signal` has been called, without waiting.
    var isDone: Bool {
        condition.lock()
        defer { condition.unlock() }
        return done
    }
}
