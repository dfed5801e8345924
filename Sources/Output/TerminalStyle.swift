import WebSocketProtocol

/// ANSI colours for text output, by direction and by kind of line. `plain` adds nothing: it is what
/// pipes, files and `NO_COLOR` get, so that output stays greppable and diffable.
public struct TerminalStyle: Sendable, Equatable {
    public var enabled: Bool

    public init(enabled: Bool) {
        self.enabled = enabled
    }

    public static let plain = TerminalStyle(enabled: false)
    public static let colored = TerminalStyle(enabled: true)

    /// Client → server lines are cyan, server → client magenta: the two sides of a conversation
    /// stay apart at a glance.
    public func direction(_ text: String, _ direction: WebSocketDirection) -> String {
        wrap(text, direction == .clientToServer ? "36" : "35")
    }

    /// Problems: anomalies, gaps, refused upgrades, abnormal closes.
    public func problem(_ text: String) -> String { wrap(text, "1;31") }
    /// Connection life: open.
    public func open(_ text: String) -> String { wrap(text, "1;32") }
    /// Connection life: close frames and the end of a connection.
    public func closing(_ text: String) -> String { wrap(text, "33") }
    /// Secondary information: times, headers of tables.
    public func dim(_ text: String) -> String { wrap(text, "2") }
    public func bold(_ text: String) -> String { wrap(text, "1") }

    private func wrap(_ text: String, _ code: String) -> String {
        enabled ? "\u{1b}[\(code)m\(text)\u{1b}[0m" : text
    }
}

/// Sizes and durations as people read them.
public enum HumanReadable {
    /// `512 B`, `1.5 KiB`, `3.2 MiB`.
    public static func size(_ bytes: UInt64) -> String { TextFormatter.size(bytes) }

    /// `850 µs`, `12.3 ms`, `4.56 s`, `3m07s`, `2h05m`.
    public static func duration(_ seconds: Double) -> String {
        guard seconds.isFinite else { return "?" }
        let value = max(0, seconds)
        if value < 0.001 { return "\(Int((value * 1_000_000).rounded())) µs" }
        if value < 1 { return oneDecimal(value * 1000) + " ms" }
        if value < 60 { return twoDecimals(value) + " s" }
        let whole = Int(value.rounded())
        if whole < 3600 { return "\(whole / 60)m" + two(whole % 60) + "s" }
        return "\(whole / 3600)h" + two((whole % 3600) / 60) + "m"
    }

    private static func two(_ value: Int) -> String { value < 10 ? "0\(value)" : "\(value)" }

    private static func oneDecimal(_ value: Double) -> String {
        let tenths = Int((value * 10).rounded())
        return "\(tenths / 10).\(tenths % 10)"
    }

    private static func twoDecimals(_ value: Double) -> String {
        let hundredths = Int((value * 100).rounded())
        return "\(hundredths / 100)." + two(hundredths % 100)
    }
}
