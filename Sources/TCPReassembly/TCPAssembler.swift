import PacketDecoding

/// Reassembles the TCP connections in a capture into ordered byte streams per side, with every loss
/// and every limit reported as an event.
///
/// A value driven by one thread: feed segments in capture order with `process`, then call `finish`.
/// Time is packet time only, so reading the same file always gives the same events.
///
/// Which segments open a connection: one carrying a SYN or payload. Bare ACK, FIN or RST segments
/// for an unknown 4-tuple carry nothing to deliver and are ignored. A connection closed by FIN or RST
/// is remembered for `closedConnectionMemory` seconds (bounded by `maxRememberedClosedConnections`):
/// late retransmissions for it are dropped rather than opening a spurious new connection, while a new
/// SYN (without ACK) on the same 4-tuple starts a new connection with a new id at once. So does a
/// SYN on the 4-tuple of a connection still tracked, when it cannot be that connection's (its FIN
/// or FINs were lost): see `TCPConnection.reasonToCloseForNewSYN`.
///
/// Idle expiry runs on packet time, through a `PacketClock` that does not let one record stamped far
/// ahead count as elapsed time.
public struct TCPAssembler {
    public let configuration: TCPAssemblerConfiguration
    private var table = ConnectionTable()
    private var nextConnectionID = 1
    /// Recently closed 4-tuples and when they closed.
    private var closedConnections: [ConnectionKey: Timestamp] = [:]
    private var totalBufferedCost = 0
    /// The latest believable packet time: idle expiry, and the time of the closes `finish` reports.
    private var clock = PacketClock()
    private var hasReportedClockJump = false
    private var lastIdleCheck = Timestamp.zero
    private var packetsSinceIdleCheck = 0

    /// Packets between idle checks; packet time moving on by `idleCheckInterval` also triggers one.
    static let packetsBetweenIdleChecks = 1000
    static let idleCheckInterval: Double = 1

    public init(configuration: TCPAssemblerConfiguration = .init()) {
        self.configuration = configuration
    }

    /// Connections currently tracked.
    public var openConnectionCount: Int { table.count }

    /// Feeds one segment, in capture order; `emit` receives the events it makes available.
    public mutating func process(_ segment: TCPSegment, _ emit: (TCPStreamEvent) -> Void) {
        let timestamp = segment.timestamp
        let key = ConnectionKey(segment.source, segment.destination)
        let activityTime = advanceClock(to: timestamp, key: key, emit)

        let configuration = configuration
        var slot: Int
        if let existing = table.slot(for: key) {
            slot = existing
            table.touch(slot)
            if segment.flags.contains(.syn) && !segment.flags.contains(.ack),
               let reason = table.slots[slot]?.reasonToCloseForNewSYN(segment, at: activityTime, configuration: configuration) {
                close(slot: slot, reason: reason, timestamp: timestamp, emit)
                slot = openConnection(segment, key: key, activityTime: activityTime)
            }
        } else {
            guard shouldOpenConnection(for: segment, key: key) else { return }
            if table.count >= configuration.maxConnections { evictLeastRecentlyActive(timestamp: timestamp, emit) }
            slot = openConnection(segment, key: key, activityTime: activityTime)
        }

        let result = table.withConnection(at: slot) { connection in
            let before = connection.bufferedCost
            let outcome = connection.process(segment, activityTime: activityTime, configuration: configuration, emit)
            return (outcome, connection.bufferedCost - before)
        }
        guard let (outcome, costChange) = result else { return }
        totalBufferedCost += costChange
        if case .closed = outcome {
            forget(slot: slot, timestamp: timestamp)
            rememberClosed(key, at: timestamp)
        }
        if totalBufferedCost > configuration.maxBufferedBytesTotal { enforceTotalBufferLimit(timestamp: timestamp, emit) }
    }

    /// End of capture: delivers what is buffered (gaps first where bytes are missing), then closes every
    /// open connection with reason `endOfCapture`, in connection-id order.
    public mutating func finish(_ emit: (TCPStreamEvent) -> Void) {
        let timestamp = clock.now ?? .zero
        for slot in table.slotsByConnectionID() {
            _ = table.withConnection(at: slot) { connection in
                connection.close(reason: .endOfCapture, timestamp: timestamp, emit)
            }
        }
        table.removeAll()
        closedConnections.removeAll()
        totalBufferedCost = 0
    }

    // MARK: - Opening and forgetting

    private mutating func openConnection(_ segment: TCPSegment, key: ConnectionKey, activityTime: Timestamp) -> Int {
        let slot = table.insert(TCPConnection(id: nextConnectionID, first: segment, key: key, activityTime: activityTime))
        nextConnectionID += 1
        return slot
    }

    private mutating func shouldOpenConnection(for segment: TCPSegment, key: ConnectionKey) -> Bool {
        let flags = segment.flags
        let isSYN = flags.contains(.syn)
        guard isSYN || !segment.payload.isEmpty || segment.missingPayloadBytes > 0 else { return false }
        guard let closedAt = closedConnections[key] else { return true }
        let isNewSYN = isSYN && !flags.contains(.ack)
        if isNewSYN || segment.timestamp.elapsed(since: closedAt) > configuration.closedConnectionMemory {
            closedConnections[key] = nil
            return true
        }
        return false
    }

    private mutating func rememberClosed(_ key: ConnectionKey, at timestamp: Timestamp) {
        guard configuration.maxRememberedClosedConnections > 0 else { return }
        if closedConnections.count >= configuration.maxRememberedClosedConnections {
            let memory = configuration.closedConnectionMemory
            closedConnections = closedConnections.filter { timestamp.elapsed(since: $0.value) <= memory }
            // Still full of recent closes (a flood): start over rather than grow.
            if closedConnections.count >= configuration.maxRememberedClosedConnections { closedConnections.removeAll() }
        }
        closedConnections[key] = timestamp
    }

    private mutating func forget(slot: Int, timestamp: Timestamp) {
        if let connection = table.remove(slot) { totalBufferedCost -= connection.bufferedCost }
    }

    /// Flushes and closes the connection in `slot`, forgetting it.
    private mutating func close(slot: Int, reason: TCPCloseReason, timestamp: Timestamp, _ emit: (TCPStreamEvent) -> Void) {
        totalBufferedCost -= table.slots[slot]?.bufferedCost ?? 0
        _ = table.withConnection(at: slot) { connection in
            connection.close(reason: reason, timestamp: timestamp, emit)
        }
        table.remove(slot)
    }

    private mutating func evictLeastRecentlyActive(timestamp: Timestamp, _ emit: (TCPStreamEvent) -> Void) {
        let slot = table.leastRecent
        let detail = "tracking \(configuration.maxConnections) connections: evicting the least recently active"
        _ = table.withConnection(at: slot) { victim in
            victim.reportAnomaly(kind: .connectionLimit, detail: detail, timestamp: timestamp, emit)
        }
        close(slot: slot, reason: .evicted, timestamp: timestamp, emit)
    }

    // MARK: - Packet time

    /// Moves packet time on for one packet of connection `key` and flushes idle connections when due;
    /// returns the time the packet's activity counts at (its own, unless it is a jump).
    private mutating func advanceClock(to timestamp: Timestamp, key: ConnectionKey, _ emit: (TCPStreamEvent) -> Void) -> Timestamp {
        let isFirstPacket = clock.now == nil
        let reading = clock.read(timestamp, key: key, maxClockJump: configuration.maxClockJump, connectionsOpen: table.count > 0)
        let time = reading.activityTime
        if isFirstPacket {
            lastIdleCheck = time
            return time
        }
        if let jump = reading.unconfirmedJump, !hasReportedClockJump, let current = clock.now {
            hasReportedClockJump = true
            emit(.anomaly(
                connection: nil, kind: .clockJump,
                detail: "a packet of \(key.lower) ↔ \(key.higher) is stamped \(Self.describe(seconds: jump)) s after the latest packet "
                    + "(\(current)), more than maxClockJump \(Self.describe(seconds: configuration.maxClockJump)) s: not counted as elapsed "
                    + "time until another connection's packets agree; further jumps are not reported",
                timestamp: timestamp))
        }
        if let confirmed = reading.confirmedJump, let slot = table.slot(for: confirmed.key) {
            // Its packet was counted at the old time: it was in fact active at the new one.
            _ = table.withConnection(at: slot) { $0.noteActivity(at: confirmed.time) }
        }
        packetsSinceIdleCheck += 1
        // Idle checks measure from this packet's activity time, not the latest ever seen: packet
        // times a little out of order close nothing early.
        if packetsSinceIdleCheck >= Self.packetsBetweenIdleChecks || time.elapsed(since: lastIdleCheck) > Self.idleCheckInterval {
            packetsSinceIdleCheck = 0
            lastIdleCheck = time
            flushIdleConnections(now: time, emit)
        }
        return time
    }

    /// Whole seconds for the usual sizes of a jump; any `Double` (a hostile record) without trapping.
    static func describe(seconds: Double) -> String {
        abs(seconds) < 1e15 ? String(Int(seconds)) : String(seconds)
    }

    /// Closes connections without a packet for `idleTimeout`, starting from the least recently active.
    private mutating func flushIdleConnections(now: Timestamp, _ emit: (TCPStreamEvent) -> Void) {
        while table.leastRecent >= 0, let connection = table.slots[table.leastRecent],
              now.elapsed(since: connection.lastSeen) > configuration.idleTimeout {
            close(slot: table.leastRecent, reason: .idle, timestamp: now, emit)
        }
    }

    // MARK: - Buffer limits

    /// Over the total limit: the connection holding the most gives up on all its holes.
    private mutating func enforceTotalBufferLimit(timestamp: Timestamp, _ emit: (TCPStreamEvent) -> Void) {
        let limit = configuration.maxBufferedBytesTotal
        while totalBufferedCost > limit {
            var largestSlot = -1
            var largestCost = 0
            for (slot, connection) in table.slots.enumerated() {
                if let cost = connection?.bufferedCost, cost > largestCost {
                    largestSlot = slot
                    largestCost = cost
                }
            }
            guard largestSlot >= 0 else {
                totalBufferedCost = 0
                return
            }
            let total = totalBufferedCost
            _ = table.withConnection(at: largestSlot) { connection in
                connection.reportAnomaly(
                    kind: .reassemblyBufferLimit,
                    detail: "\(total) bytes buffered out of order across connections (limit \(limit)): skipping missing bytes",
                    timestamp: timestamp, emit
                )
                connection.flushBuffers(timestamp: timestamp, emit)
            }
            totalBufferedCost -= largestCost
        }
    }
}
