/// When recorded events are due again: each recorded gap divided by the speed factor, and no wait
/// longer than `maxGap` seconds.
///
/// Times come from files (captures, session files, HAR) and may be anything a double can hold: a
/// message stamped 1e300, a gap of 1e9 s, a connection start in the year 9999. Gaps are taken
/// between consecutive recorded times (a time earlier than the latest one adds no wait, as in the
/// recording), divided by the speed, and each one is cut to `maxGap`; the cuts are counted so the
/// report can say so. The offsets are therefore finite and bounded by `count × maxGap`.
public struct RecordedSchedule: Sendable {
    public let speed: Double
    public let maxGap: Double
    private var latestRecorded: Double
    /// Seconds from the start of the replay at which the last event asked for is due.
    public private(set) var offset: Double = 0
    /// Gaps that were longer than `maxGap` after dividing by the speed.
    public private(set) var cappedGaps = 0
    /// The longest such gap, in recorded seconds (before dividing by the speed).
    public private(set) var longestCappedGap: Double = 0

    /// `start`: the recorded time the replay starts at (the connection's opening, or the first
    /// connection's).
    public init(start: Double, speed: Double, maxGap: Double) {
        self.speed = speed
        self.maxGap = maxGap
        latestRecorded = start.isFinite ? start : 0
    }

    /// The offset (seconds since the start of the replay) at which the event recorded at `time` is due.
    public mutating func offset(forRecorded time: Double) -> Double {
        guard time.isFinite, time > latestRecorded else { return offset }
        let gap = time - latestRecorded
        latestRecorded = time
        var wait = gap / speed
        if !(wait <= maxGap) {
            cappedGaps += 1
            longestCappedGap = max(longestCappedGap, gap)
            wait = maxGap
        }
        offset += wait
        return offset
    }

    /// The report's note when gaps were cut, nil otherwise.
    public var note: String? {
        guard cappedGaps > 0 else { return nil }
        let speedText = speed == 1 ? "" : " (÷ speed \(speed))"
        return "\(cappedGaps) recorded gap(s)\(speedText) longer than \(maxGap) s were cut to \(maxGap) s (--max-recorded-gap); the longest was \(longestCappedGap) s"
    }
}
