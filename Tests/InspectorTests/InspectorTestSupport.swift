import Foundation
import Inspector
import WebSocketInspection

/// The repository's captures/ folder, found from this file's path.
let capturesDirectory = URL(fileURLWithPath: #filePath)
    .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    .appendingPathComponent("captures")

/// Every event of a capture, read through the front end with `configuration`.
func events(of capture: String, configuration: InspectorConfiguration = .init()) throws -> [InspectorEvent] {
    var events: [InspectorEvent] = []
    _ = try CaptureReader(configuration: configuration).read(capturesDirectory.appendingPathComponent(capture).path) { events.append($0) }
    return events
}

/// One line per event with what matters for comparing runs: kind, connection, direction,
/// opcode, lengths, flags and the payload's bytes.
func summaries(_ events: [InspectorEvent]) -> [String] {
    events.map { event in
        switch event {
        case .open(let info): return "open \(info.connection) \(info.path ?? "-") \(info.handshake)"
        case .refused(let refusal): return "refused \(refusal.connection) \(refusal.status)"
        case .message(let message):
            return "message \(message.connection) \(message.direction.senderName) \(message.opcode) \(message.length) frames=\(message.frames) incomplete=\(message.isIncomplete) \(message.payload)"
        case .gap(let connection, _, let direction, let bytes): return "gap \(connection) \(direction.senderName) \(bytes)"
        case .anomaly(let anomaly): return "anomaly \(anomaly.connection.map(String.init) ?? "-") \(anomaly.kind)"
        case .close(let close): return "close \(close.connection) \(close.reason.name)"
        case .undecrypted(let connection): return "undecrypted \(connection.connection) \(connection.reason)"
        }
    }
}

extension [InspectorEvent] {
    var messages: [WebSocketMessage] {
        compactMap { if case .message(let message) = $0 { return message } else { return nil } }
    }
    var anomalies: [InspectorAnomaly] {
        compactMap { if case .anomaly(let anomaly) = $0 { return anomaly } else { return nil } }
    }
}
