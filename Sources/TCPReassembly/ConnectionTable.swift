/// The tracked connections, with O(1) lookup by 4-tuple and O(1) least-recently-active order.
///
/// Connections live in a slot array and form a doubly linked list through slot indices, most recently
/// active first: touching a connection on every packet costs a few array writes and no allocation, and
/// both idle flushing and eviction start from the least recently active end.
struct ConnectionTable {
    private(set) var slots: [TCPConnection?] = []
    private var slotByKey: [ConnectionKey: Int] = [:]
    private var newer: [Int] = []
    private var older: [Int] = []
    private var freeSlots: [Int] = []
    private(set) var mostRecent = -1
    private(set) var leastRecent = -1

    var count: Int { slotByKey.count }

    func slot(for key: ConnectionKey) -> Int? {
        slotByKey[key]
    }

    /// Runs `body` on the connection in `slot`, in place.
    mutating func withConnection<Result>(at slot: Int, _ body: (inout TCPConnection) -> Result) -> Result? {
        guard slot >= 0, slot < slots.count else { return nil }
        return slots[slot].modifyInPlace(body)
    }

    mutating func insert(_ connection: TCPConnection) -> Int {
        let slot: Int
        if let free = freeSlots.popLast() {
            slot = free
            slots[slot] = connection
        } else {
            slot = slots.count
            slots.append(connection)
            newer.append(-1)
            older.append(-1)
        }
        slotByKey[connection.key] = slot
        linkAsMostRecent(slot)
        return slot
    }

    /// Marks the connection in `slot` as the most recently active.
    mutating func touch(_ slot: Int) {
        guard slot != mostRecent else { return }
        unlink(slot)
        linkAsMostRecent(slot)
    }

    @discardableResult
    mutating func remove(_ slot: Int) -> TCPConnection? {
        guard slot >= 0, slot < slots.count, let connection = slots[slot] else { return nil }
        unlink(slot)
        slots[slot] = nil
        slotByKey[connection.key] = nil
        freeSlots.append(slot)
        return connection
    }

    /// Every occupied slot, ordered by connection id (the order `finish` reports in).
    func slotsByConnectionID() -> [Int] {
        slots.indices
            .compactMap { index in slots[index].map { (index, $0.info.id) } }
            .sorted { $0.1 < $1.1 }
            .map(\.0)
    }

    mutating func removeAll() {
        self = ConnectionTable()
    }

    private mutating func linkAsMostRecent(_ slot: Int) {
        newer[slot] = -1
        older[slot] = mostRecent
        if mostRecent >= 0 { newer[mostRecent] = slot }
        mostRecent = slot
        if leastRecent < 0 { leastRecent = slot }
    }

    private mutating func unlink(_ slot: Int) {
        let newerSlot = newer[slot]
        let olderSlot = older[slot]
        if newerSlot >= 0 { older[newerSlot] = olderSlot } else { mostRecent = olderSlot }
        if olderSlot >= 0 { newer[olderSlot] = newerSlot } else { leastRecent = newerSlot }
        newer[slot] = -1
        older[slot] = -1
    }
}

extension Optional {
    /// Mutates the wrapped value without copying it: the optional is emptied during `body` so that
    /// the wrapped value's buffers stay uniquely referenced (no copy-on-write), and refilled after.
    mutating func modifyInPlace<Result>(_ body: (inout Wrapped) -> Result) -> Result? {
        guard case .some(var wrapped) = self else { return nil }
        self = nil
        defer { self = wrapped }
        return body(&wrapped)
    }
}
