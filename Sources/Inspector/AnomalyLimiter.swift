import PacketDecoding
import WebSocketInspection

/// Keeps what one connection can make wstap print about anomalies bounded: at most
/// `maxAnomaliesPerKind` of each kind per connection (the rest counted and summed up in one line
/// when the connection ends), each detail at most `maxAnomalyDetailBytes`.
///
/// Without it, output grows with hostile input faster than the input: one 114 KB handshake with
/// 4,000 offered subprotocols gave 109 MB of JSON Lines (an anomaly per item, each quoting every
/// offer).
struct AnomalyLimiter {
    let maxPerKind: Int
    let maxDetailBytes: Int
    /// Anomalies reported so far, by connection (nil: the capture as a whole) and kind.
    private var counts: [Int?: [AnomalyKind: Int]] = [:]

    init(configuration: InspectionConfiguration) {
        maxPerKind = configuration.maxAnomaliesPerKind
        maxDetailBytes = configuration.maxAnomalyDetailBytes
    }

    /// The anomaly as it may be reported, or nil when its kind is over the limit on its connection.
    mutating func admit(_ anomaly: InspectorAnomaly) -> InspectorAnomaly? {
        let count = counts[anomaly.connection, default: [:]][anomaly.kind, default: 0] + 1
        counts[anomaly.connection, default: [:]][anomaly.kind] = count
        guard count <= maxPerKind else { return nil }
        var admitted = anomaly
        admitted.detail = Self.shortened(anomaly.detail, maxBytes: maxDetailBytes)
        return admitted
    }

    /// The connection ended: one summary anomaly per kind that went over the limit, and its
    /// counts are forgotten.
    mutating func finish(connection: Int?, at timestamp: Timestamp) -> [InspectorAnomaly] {
        guard let kinds = counts.removeValue(forKey: connection) else { return [] }
        return kinds.filter { $0.value > maxPerKind }.sorted { $0.key < $1.key }.map { kind, count in
            InspectorAnomaly(
                connection: connection, timestamp: timestamp, direction: nil, kind: kind,
                detail: "\(count - maxPerKind) more \(kind.name) anomalies on this connection were not shown (at most \(maxPerKind) of a kind)")
        }
    }

    /// `text` cut to at most `maxBytes` UTF-8 bytes at a character boundary, saying what was cut.
    static func shortened(_ text: String, maxBytes: Int) -> String {
        let utf8 = text.utf8
        guard utf8.count > maxBytes else { return text }
        var end = utf8.index(utf8.startIndex, offsetBy: maxBytes)
        while end > utf8.startIndex && end.samePosition(in: text.unicodeScalars) == nil { end = utf8.index(before: end) }
        let kept = String(text[..<end])
        return kept + "… (\(utf8.count - kept.utf8.count) more bytes)"
    }
}
