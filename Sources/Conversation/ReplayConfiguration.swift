/// When the next client message is sent.
public enum ReplayPacing: String, Sendable, CaseIterable {
    /// Once the server has sent as many messages as it had at that point in the recording (or the
    /// answer timeout passed): follows the conversation, independent of the server's speed.
    case reactive
    /// With the recorded gaps between client messages, divided by the speed factor.
    case recorded
    /// As fast as possible, without waiting for answers.
    case asap
}

/// Everything `wstap replay` can set. Every wait is bounded by a named timeout so a replay never
/// hangs on a silent server, and every duration is checked against a named range so none can
/// overflow a nanosecond count.
public struct ReplayConfiguration: Sendable {
    /// The longest timeout a flag accepts, in seconds: one day. Longer waits are never what a
    /// replay wants, and the bound keeps every wait a finite nanosecond count.
    public static let maxTimeoutSeconds = ConversationClock.maxWaitSeconds
    /// `--speed` values accepted: a thousand times slower to a million times faster. Below, a
    /// one-second gap would become a wait of hours; above, every gap is already nothing.
    public static let speedRange: ClosedRange<Double> = 0.001...1_000_000
    /// Longest wait between two sent messages with `--pace recorded`, and between connection starts
    /// with `--concurrency` (default 60 s; `--max-recorded-gap`, at most `maxTimeoutSeconds`): a
    /// recording may hold a gap of hours (an idle connection, or a hand-edited time far in the
    /// future) that nobody wants to sit through; each longer gap is cut and the report says so.
    public static let defaultMaxRecordedGapSeconds: Double = 60

    public var target: ReplayTarget
    public var pacing: ReplayPacing
    /// Divides recorded gaps and start offsets (default 1: real time; 2: twice as fast).
    public var speed: Double
    /// `Name: value` headers that add to or replace recorded ones (an empty value removes the header).
    public var headers: [(name: String, value: String)]
    public var ignore: [JSONPathPattern]
    /// Connections replayed at the same time (default 1: one after another). Above 1, connections
    /// start at their recorded offsets (scaled by speed) as slots allow.
    public var concurrency: Int
    /// Accept any server certificate (self-signed test servers).
    public var insecure: Bool
    /// TCP connect, TLS and the WebSocket handshake together (default 5 s).
    public var connectTimeout: Double
    /// Longest wait for the server's recorded answers before sending on or finishing (default 5 s).
    public var answerTimeout: Double
    /// After the last client message and all answers, how long to wait for the server to close or
    /// send anything more (default 1 s); extra messages arriving then are reported.
    public var closeTimeout: Double
    /// Largest message taken from the recording or accepted from the server, after decompression
    /// (default 16 MiB).
    public var maxMessageBytes: Int
    /// See `defaultMaxRecordedGapSeconds`.
    public var maxRecordedGap: Double

    public init(
        target: ReplayTarget, pacing: ReplayPacing = .reactive, speed: Double = 1, headers: [(name: String, value: String)] = [],
        ignore: [JSONPathPattern] = [], concurrency: Int = 1, insecure: Bool = false, connectTimeout: Double = 5,
        answerTimeout: Double = 5, closeTimeout: Double = 1, maxMessageBytes: Int = 16 << 20,
        maxRecordedGap: Double = defaultMaxRecordedGapSeconds
    ) {
        self.target = target
        self.pacing = pacing
        self.speed = speed
        self.headers = headers
        self.ignore = ignore
        self.concurrency = concurrency
        self.insecure = insecure
        self.connectTimeout = connectTimeout
        self.answerTimeout = answerTimeout
        self.closeTimeout = closeTimeout
        self.maxMessageBytes = maxMessageBytes
        self.maxRecordedGap = maxRecordedGap
    }

    /// The role-independent part the conversation engine plays by.
    public var playback: ConversationPlayback {
        ConversationPlayback(
            pacing: pacing, speed: speed, maxRecordedGap: maxRecordedGap, answerTimeout: answerTimeout, closeTimeout: closeTimeout,
            maxMessageBytes: maxMessageBytes, ignore: ignore)
    }
}
