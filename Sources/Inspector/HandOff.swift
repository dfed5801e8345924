import Foundation

/// A first-in first-out hand-over between two threads: `take` waits for an item or for `close`;
/// `put` waits while the items waiting weigh `maxWeight` or more (back-pressure: a worker's output
/// parts are weighed by the payload bytes they hold), and never while none waits, so one heavy
/// item always passes.
///
/// Without `maxWeight` its user bounds it (`ShardedCaptureInspector` puts at most
/// `maxChunksInFlight` tasks into a worker's inbox before it takes that worker's results).
/// `@unchecked Sendable`: every field is guarded by the condition's lock.
final class HandOff<Item: Sendable>: @unchecked Sendable {
    private let condition = NSCondition()
    /// Taken items are cleared at once (nil), not when the array empties: a consumer that never
    /// quite catches up would otherwise keep every item it took alive.
    private var items: [(item: Item?, weight: Int)] = []
    private var head = 0
    private var closed = false
    private let maxWeight: Int
    private var weight = 0

    init(maxWeight: Int = .max) {
        self.maxWeight = max(maxWeight, 1)
    }

    func put(_ item: Item, weight itemWeight: Int = 1) {
        condition.lock()
        while head < items.count, weight >= maxWeight, !closed { condition.wait() }
        items.append((item, itemWeight))
        weight += itemWeight
        condition.broadcast()
        condition.unlock()
    }

    /// The oldest item, waiting for one; nil once the hand-over is closed and empty.
    func take() -> Item? {
        condition.lock()
        defer { condition.unlock() }
        while head == items.count, !closed { condition.wait() }
        guard head < items.count else { return nil }
        return removeFirst()
    }

    /// The oldest item if there is one, without waiting.
    func tryTake() -> Item? {
        condition.lock()
        defer { condition.unlock() }
        guard head < items.count else { return nil }
        return removeFirst()
    }

    /// Takes the oldest item; called with the lock held and an item waiting.
    private func removeFirst() -> Item {
        let (taken, itemWeight) = items[head]
        items[head].item = nil
        head += 1
        weight -= itemWeight
        if head == items.count {
            items.removeAll(keepingCapacity: true)
            head = 0
        } else if head >= 32 {
            items.removeFirst(head)
            head = 0
        }
        guard let item = taken else { preconditionFailure("a hand-over item is taken once") }
        // A `put` may be waiting for room.
        if maxWeight != .max { condition.broadcast() }
        return item
    }

    /// No more items will come: waiting `take`s return nil once the items left are taken.
    func close() {
        condition.lock()
        closed = true
        condition.broadcast()
        condition.unlock()
    }
}
