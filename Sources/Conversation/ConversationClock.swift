import Foundation
import NIOCore
import PacketDecoding

/// The engine's only conversions from seconds (a `Double` from a file or a flag) to the integer
/// counts that sleeps, timeouts and timestamps take. `UInt64(x * 1e9)` traps when `x` is negative,
/// NaN or beyond about 584 years; every wait goes through here instead and is clamped to
/// `0...maxWaitSeconds`, so no value can crash or hang a replay.
public enum ConversationClock {
    /// The longest single wait the engine ever performs: one day. Flags are validated against
    /// `ReplayConfiguration.maxTimeoutSeconds` (the same value) and recorded gaps are cut to
    /// `--max-recorded-gap` before they get here; this clamp is the last guard.
    public static let maxWaitSeconds: Double = 86_400

    /// Whole nanoseconds in `seconds`, clamped to `0...maxWaitSeconds` (NaN counts as 0).
    public static func nanoseconds(_ seconds: Double) -> Int64 {
        guard seconds > 0 else { return 0 }
        return Int64((min(seconds, maxWaitSeconds) * 1e9).rounded(.down))
    }

    /// Sleeps `seconds` (clamped as `nanoseconds` does); throws only when the task is cancelled.
    public static func sleep(seconds: Double) async throws {
        let nanoseconds = nanoseconds(seconds)
        if nanoseconds > 0 { try await Task.sleep(nanoseconds: UInt64(nanoseconds)) }
    }

    /// A NIO time amount for `seconds`, clamped the same way.
    public static func timeAmount(_ seconds: Double) -> TimeAmount { .nanoseconds(nanoseconds(seconds)) }

    /// The current wall-clock time as a capture timestamp (what received messages are stamped with).
    public static func now() -> Timestamp {
        let seconds = Date().timeIntervalSince1970
        guard seconds > 0, seconds < 1e15 else { return .zero }
        let whole = seconds.rounded(.down)
        return Timestamp(seconds: Int64(whole), nanoseconds: UInt32(min((seconds - whole) * 1e9, 999_999_999)))
    }
}
