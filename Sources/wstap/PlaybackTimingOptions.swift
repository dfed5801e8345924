import ArgumentParser
import Conversation

/// The timing flags replay and serve share (`--speed` and the durations in seconds), checked one
/// way for both: a value outside its range is a usage error that names the flag and the range,
/// since an unchecked `1e300` or `nan` once trapped converting to nanoseconds.
enum PlaybackTimingOptions {
    static func validate(speed: Double, durations: [(flag: String, seconds: Double)]) throws {
        let speeds = ReplayConfiguration.speedRange
        guard speeds.contains(speed) else {
            throw ValidationError("--speed must be between \(speeds.lowerBound) and \(Int(speeds.upperBound)), not \(speed)")
        }
        let maxSeconds = ReplayConfiguration.maxTimeoutSeconds
        for (flag, value) in durations where !(value >= 0 && value <= maxSeconds) {
            throw ValidationError("\(flag) must be between 0 and \(Int(maxSeconds)) seconds (maxTimeoutSeconds), not \(value)")
        }
    }
}
