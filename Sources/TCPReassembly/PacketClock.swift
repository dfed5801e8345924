import PacketDecoding

/// The assembler's sense of "now" for idle expiry: packet time, made robust to records stamped far
/// ahead.
///
/// The rule: a packet stamped at most `maxClockJump` seconds after the latest believable time moves
/// the clock on as usual. A packet stamped further ahead is a *jump*: it does not count as elapsed
/// time (its connection is treated as active at the current time instead), because one corrupt record,
/// or one interface with a wrong clock in a merged capture, would otherwise close every open
/// connection as idle and lose the compression context of each. The jump becomes the new time only
/// when the very next packet beyond the limit comes from *another* connection and agrees with it
/// (within `maxClockJump`): a capture that was really paused, or files concatenated, show that at
/// once; a stray record does not. A packet at a believable time in between discards the jump. When
/// no connection is open, a jump closes nothing and is taken as elapsed time at once: two captures
/// merged end to end (`mergecap`) whose first part's connections all ended are not an anomaly.
struct PacketClock {
    /// The latest believable packet time; nil before the first packet.
    private(set) var now: Timestamp?
    /// A jump waiting for another connection to confirm it.
    private var pendingJump: (time: Timestamp, key: ConnectionKey)?

    /// What one packet does to the clock.
    struct Reading {
        /// The time to count the packet's activity at: its own time, or the current time for a jump.
        var activityTime: Timestamp
        /// Seconds the packet lies beyond the clock when it is an unconfirmed jump.
        var unconfirmedJump: Double?
        /// The earlier packet whose jump this packet confirmed: its connection was active at that time.
        var confirmedJump: (time: Timestamp, key: ConnectionKey)?
    }

    /// Reads the clock at one packet's `timestamp`, for the connection `key`; `connectionsOpen`
    /// says whether any connection is tracked that a jump could wrongly close as idle.
    mutating func read(_ timestamp: Timestamp, key: ConnectionKey, maxClockJump: Double, connectionsOpen: Bool) -> Reading {
        guard let current = now else {
            now = timestamp
            return Reading(activityTime: timestamp)
        }
        let ahead = timestamp.elapsed(since: current)
        if ahead <= maxClockJump || !connectionsOpen {
            if ahead > 0 { now = timestamp }
            pendingJump = nil
            return Reading(activityTime: timestamp)
        }
        if let pending = pendingJump, pending.key != key, abs(timestamp.elapsed(since: pending.time)) <= maxClockJump {
            pendingJump = nil
            now = max(timestamp, pending.time)
            return Reading(activityTime: timestamp, confirmedJump: pending)
        }
        pendingJump = (timestamp, key)
        return Reading(activityTime: current, unconfirmedJump: ahead)
    }
}
