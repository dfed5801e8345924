/// A packet time as the capture recorded it: whole seconds since the Unix epoch plus nanoseconds.
///
/// Kept as integers rather than a `Double` so that nanosecond pcapng timestamps survive intact and
/// printing them is exact. All timing in wstap (idle flushing, round trips) is driven by these packet
/// times, never by the wall clock, so that reading a file gives the same answer every time.
public struct Timestamp: Sendable, Hashable, Comparable, CustomStringConvertible {
    /// Seconds since 1970-01-01T00:00:00Z.
    public var seconds: Int64
    /// Nanoseconds within the second, 0..<1_000_000_000.
    public var nanoseconds: UInt32

    public init(seconds: Int64, nanoseconds: UInt32) {
        self.seconds = seconds
        self.nanoseconds = nanoseconds
    }

    public static let zero = Timestamp(seconds: 0, nanoseconds: 0)

    public static func < (lhs: Timestamp, rhs: Timestamp) -> Bool {
        lhs.seconds != rhs.seconds ? lhs.seconds < rhs.seconds : lhs.nanoseconds < rhs.nanoseconds
    }

    /// Seconds as a floating-point value, for durations and rough arithmetic only.
    public var secondsValue: Double { Double(seconds) + Double(nanoseconds) / 1e9 }

    /// The time elapsed from `earlier` to `self`, in seconds (negative if `earlier` is later).
    public func seconds(since earlier: Timestamp) -> Double {
        // In floating point: hostile captures carry arbitrary seconds, and Int64 subtraction traps.
        (Double(seconds) - Double(earlier.seconds)) + (Double(nanoseconds) - Double(earlier.nanoseconds)) / 1e9
    }

    /// Epoch seconds with microsecond precision, e.g. `1700000000.123456`: the form JSON output uses.
    public var description: String {
        let micros = nanoseconds / 1000
        var fraction = String(micros)
        while fraction.count < 6 { fraction = "0" + fraction }
        return "\(seconds).\(fraction)"
    }
}
