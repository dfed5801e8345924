import WebSocketProtocol
import WebSocketInspection

/// Chooses which events `read` (and `sniff`) print: some connections, one direction, messages whose
/// payload matches a regular expression. Sits between `CaptureInspector` and `EventPrinter`.
///
/// The life of a selected connection (`open`, `close`, `gap`, `anomaly`) is always kept, whatever
/// `--grep` and `--from` say: a matching message means little without knowing how its connection
/// began and ended.
public struct MessageFilter {
    /// Connection numbers to keep; nil keeps all.
    public var connections: Set<Int>?
    /// Keep only messages sent by this side; nil keeps both.
    public var direction: WebSocketDirection?
    /// Keep only messages whose payload matches. Text payloads that are valid UTF-8 are matched as
    /// text; binary, control and other payloads as their bytes read as Latin-1 (one character per
    /// byte, U+0000–U+00FF), so that `--grep 'PK\x03\x04'`-style byte patterns and ASCII words inside
    /// binary frames both work.
    public var pattern: Regex<AnyRegexOutput>?

    /// Keep only decoded messages whose application-level name matches (`ApplicationNameFilter`):
    /// a Socket.IO event, an MQTT topic or STOMP destination, a JSON-RPC method or GraphQL operation.
    public var applicationNames: [ApplicationNameFilter]

    public init(
        connections: Set<Int>? = nil, direction: WebSocketDirection? = nil, pattern: Regex<AnyRegexOutput>? = nil,
        applicationNames: [ApplicationNameFilter] = []
    ) {
        self.connections = connections
        self.direction = direction
        self.pattern = pattern
        self.applicationNames = applicationNames
    }

    /// True when nothing is filtered (the printer can skip the filter).
    public var isEmpty: Bool { connections == nil && direction == nil && pattern == nil && applicationNames.isEmpty }

    public func accepts(_ event: InspectorEvent) -> Bool {
        switch event {
        case .open(let info): return selects(info.connection)
        case .refused(let refusal): return selects(refusal.connection) && direction == nil && pattern == nil && applicationNames.isEmpty
        case .undecrypted(let connection): return selects(connection.connection) && direction == nil && pattern == nil && applicationNames.isEmpty
        case .gap(let connection, _, _, _): return selects(connection)
        case .close(let close): return selects(close.connection)
        case .anomaly(let anomaly):
            guard let connection = anomaly.connection else { return connections == nil }
            return selects(connection)
        case .message(let message):
            guard selects(message.connection) else { return false }
            if let direction, message.direction != direction { return false }
            if !applicationNames.isEmpty {
                guard let annotation = message.annotation, applicationNames.allSatisfy({ $0.accepts(annotation) }) else { return false }
            }
            if let pattern { return Self.searchableText(message).contains(pattern) }
            return true
        }
    }

    private func selects(_ connection: Int) -> Bool {
        connections?.contains(connection) ?? true
    }

    /// The text `--grep` matches: UTF-8 text for valid text messages, Latin-1 otherwise.
    public static func searchableText(_ message: WebSocketMessage) -> String {
        let plain = !message.compressed || message.decompressed
        if plain && message.opcode == .text, let text = String(validating: message.payload, as: UTF8.self) {
            return text
        }
        var scalars = String.UnicodeScalarView()
        scalars.append(contentsOf: message.payload.map { Unicode.Scalar($0) })
        return String(scalars)
    }
}
