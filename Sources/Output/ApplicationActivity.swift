import MessageDecoding
import WebSocketInspection

/// The application view of one connection for `sessions --details`: decoded messages by type, the
/// most frequent events/topics/methods with their bytes and answer latencies, and the requests
/// never answered. Fed with the connection's decoded messages and decoder anomalies.
///
/// Bounded: at most `maxNames` distinct names are counted (the rest go under `(other)`), and at
/// most `maxLatencySamples` latencies are kept for the percentiles (later ones still count in
/// `answered` and the maximum).
public struct ApplicationActivity: Sendable {
    public static let maxNames = 1_000
    public static let maxLatencySamples = 100_000

    public private(set) var protocols: [String] = []
    public private(set) var types: [String: Int] = [:]
    public private(set) var names: [String: NameTally] = [:]
    public private(set) var latencies = LatencyTally()
    public private(set) var unanswered = 0
    public private(set) var undecodable = 0

    public struct NameTally: Sendable {
        public var messages = 0
        public var bytes: UInt64 = 0
        public var latencies = LatencyTally()
    }

    public struct LatencyTally: Sendable {
        public private(set) var samples: [Double] = []
        public private(set) var count = 0
        public private(set) var maximum = 0.0

        mutating func add(_ milliseconds: Double) {
            count += 1
            maximum = max(maximum, milliseconds)
            if samples.count < ApplicationActivity.maxLatencySamples { samples.append(milliseconds) }
        }

        /// The `fraction` percentile (nearest rank) of the kept samples, in milliseconds.
        public func percentile(_ fraction: Double) -> Double? {
            guard !samples.isEmpty else { return nil }
            let sorted = samples.sorted()
            let rank = Int((fraction * Double(sorted.count)).rounded(.up)) - 1
            return sorted[min(max(rank, 0), sorted.count - 1)]
        }
    }

    public init() {}

    public var isEmpty: Bool { types.isEmpty && unanswered == 0 && undecodable == 0 }

    /// What the names of this connection are: events, topics, methods…
    public var nameKind: String {
        switch protocols.first {
        case "socket.io", "engine.io": return "events"
        case "mqtt": return "topics"
        case "stomp": return "destinations"
        case "graphql-ws": return "operations"
        case "json-rpc": return "methods"
        default: return "names"
        }
    }

    public mutating func record(_ message: WebSocketMessage) {
        guard let annotation = message.annotation else { return }
        if !protocols.contains(annotation.protocolName) { protocols.append(annotation.protocolName) }
        types[annotation.protocolName + " " + (annotation[field: "type"] ?? annotation[field: "kind"] ?? "?"), default: 0] += 1
        if let name = Self.name(annotation) {
            let key = names[name] != nil || names.count < Self.maxNames ? name : "(other)"
            names[key, default: NameTally()].messages += 1
            names[key, default: NameTally()].bytes += message.length
        }
        if let answers = annotation[field: "answers"], let latency = Self.number(after: "\"latency_ms\":", in: answers) {
            latencies.add(latency)
            if let request = Self.string(after: "\"request\":", in: answers) {
                let key = names[request] != nil || names.count < Self.maxNames ? request : "(other)"
                names[key, default: NameTally()].latencies.add(latency)
            }
        }
    }

    public mutating func record(_ anomaly: InspectorAnomaly) {
        switch anomaly.kind {
        case .unansweredRequests: unanswered += Int(anomaly.detail.prefix { $0.isNumber }) ?? 0
        case .undecodableAppMessage: undecodable += 1
        default: break
        }
    }

    /// The names by message count, most first (ties by name).
    public func topNames(_ count: Int) -> [(name: String, tally: NameTally)] {
        names.sorted { $0.value.messages != $1.value.messages ? $0.value.messages > $1.value.messages : $0.key < $1.key }
            .prefix(count).map { ($0.key, $0.value) }
    }

    /// A message's application-level name: Socket.IO event, MQTT topic, STOMP destination,
    /// JSON-RPC method, GraphQL operation.
    static func name(_ annotation: MessageAnnotation) -> String? {
        for field in ["event", "topic", "destination", "method", "operation_name"] {
            if let value = annotation[field: field] { return value }
        }
        return nil
    }

    /// The text after the first `key` in `text`, searched as bytes (this runs per decoded message,
    /// and generic substring search was a sixth of the `sessions` time on application traffic).
    static func tail(after key: String, in text: String) -> Substring? {
        let utf8 = text.utf8
        let needle = Array(key.utf8)
        guard let first = needle.first, utf8.count >= needle.count else { return nil }
        var index = utf8.startIndex
        while let found = utf8[index...].firstIndex(of: first) {
            var candidate = found
            var matched = true
            for byte in needle {
                guard candidate < utf8.endIndex, utf8[candidate] == byte else { matched = false; break }
                candidate = utf8.index(after: candidate)
            }
            if matched { return Substring(utf8[candidate...]) }
            index = utf8.index(after: found)
        }
        return nil
    }

    /// A JSON number after `key` in the compact JSON `text` the decoders write.
    static func number(after key: String, in text: String) -> Double? {
        guard let rest = tail(after: key, in: text) else { return nil }
        return Double(String(rest.prefix { $0 == "-" || $0 == "." || $0.isNumber }))
    }

    /// A JSON string after `key` (escapes kept as written; names rarely have any).
    static func string(after key: String, in text: String) -> String? {
        guard let rest = tail(after: key, in: text), rest.first == "\"" else { return nil }
        var result = ""
        var escaped = false
        for character in rest.dropFirst() {
            if escaped { result.append(character); escaped = false; continue }
            if character == "\\" { escaped = true; continue }
            if character == "\"" { return result }
            result.append(character)
        }
        return nil
    }
}
