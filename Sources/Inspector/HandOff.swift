import Foundation

/// A first-in first-out hand-over between two threads: `take` waits for an item or for `close`;
/// `put` waits while `maxItems` items wait (back-pressure), and never without a bound.
///
/// Without `maxItems` its user bounds it (`ShardedCaptureInspector` puts at most
/// `maxChunksInFlight` tasks into a worker's inbox before it takes that worker's results).
/// `@unchecked Sendable`: every field is guarded by the condition's lock.
final class HandOff<Item: Sendable>: @unchecked Sendable {
    private let condition = NSCondition()
    private var items: [Item] = []
    private var head = 0
    private var closed = false
    private let maxItems: Int

    init(maxItems: Int = .max) {
        self.maxItems = max(maxItems, 1)
    }

    func put(_ item: Item) {
        condition.lock()
        while items.count - head >= maxItems, !closed { condition.wait() }
        items.append(item)
        condition.broadcast()
        condition.unlock()
    }

    /// The oldest item, waiting for one; nil once the hand-over is closed and empty.
    func take() -> Item? {
        condition.lock()
        defer { condition.unlock() }
        while head == items.count, !closed { condition.wait() }
        guard head < items.count else { return nil }
        let item = items[head]
        head += 1
        if head == items.count {
            items.removeAll(keepingCapacity: true)
            head = 0
        }
        // A `put` may be waiting for room.
        if maxItems != .max { condition.broadcast() }
        return item
    }

    /// The oldest item if there is one, without waiting.
    func tryTake() -> Item? {
        condition.lock()
        defer { condition.unlock() }
        guard head < items.count else { return nil }
        let item = items[head]
        head += 1
        if head == items.count {
            items.removeAll(keepingCapacity: true)
            head = 0
        }
        if maxItems != .max { condition.broadcast() }
        return item
    }

    /// True when `take` would return at once with an item.
    var hasItem: Bool {
        condition.lock()
        defer { condition.unlock() }
        return head < items.count
    }

    /// No more items will come: waiting `take`s return nil once the items left are taken.
    func close() {
        condition.lock()
        closed = true
        condition.broadcast()
        condition.unlock()
    }
}
