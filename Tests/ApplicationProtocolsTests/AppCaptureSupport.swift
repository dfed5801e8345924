import ApplicationProtocols
import Crypto
import Foundation
import Inspector
import MessageDecoding
import WebSocketInspection
import WebSocketProtocol

/// The repository's captures/app/ folder (real-peer recordings of scripts/capture/app/).
let appCapturesDirectory = URL(fileURLWithPath: #filePath)
    .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    .appendingPathComponent("captures/app")

/// A capture read with the automatic protocol choice: its messages keyed by (client port, sender,
/// payload SHA-256), the key the truth logs use, and its anomalies.
struct DecodedCapture {
    var messages: [WebSocketMessage] = []
    var anomalies: [InspectorAnomaly] = []
    var clientPort: [Int: UInt16] = [:]
    var byKey: [String: [WebSocketMessage]] = [:]

    init(_ name: String, mode: ApplicationProtocol.DecodeMode = .auto) throws {
        var configuration = InspectorConfiguration()
        configuration.messageDecoders = ApplicationProtocol.factory(mode: mode)
        var events: [InspectorEvent] = []
        _ = try CaptureReader(configuration: configuration).read(appCapturesDirectory.appendingPathComponent(name).path) { events.append($0) }
        for event in events {
            switch event {
            case .open(let info): clientPort[info.connection] = info.client.port
            case .message(let message) where message.opcode == .text || message.opcode == .binary:
                messages.append(message)
                let key = Self.key(port: clientPort[message.connection] ?? 0, from: message.direction.senderName, sha256: Self.sha256(message.payload))
                byKey[key, default: []].append(message)
            case .anomaly(let anomaly): anomalies.append(anomaly)
            default: break
            }
        }
    }

    static func key(port: UInt16, from: String, sha256: String) -> String { "\(port) \(from) \(sha256)" }

    static func sha256(_ bytes: some DataProtocol) -> String {
        SHA256.hash(data: bytes).map { String(format: "%02x", $0) }.joined()
    }
}

/// One line of a peer's truth log (scripts/capture/app/, docs/captures.md).
struct TruthLine {
    var object: [String: Any]
    var sender: String
    var key: String
    var nanoseconds: Int64

    /// Every WebSocket line of a truth log (polling bodies and app notes are skipped).
    static func load(_ name: String) throws -> [TruthLine] {
        let text = try String(contentsOf: appCapturesDirectory.appendingPathComponent(name), encoding: .utf8)
        return text.split(separator: "\n").compactMap { line in
            guard let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
                  let port = object["client_port"] as? Int, let sha = object["sha256"] as? String,
                  let loggedBy = object["logged_by"] as? String, let direction = object["dir"] as? String,
                  (object["transport"] as? String ?? "websocket") == "websocket"
            else { return nil }
            let loggerSide = loggedBy == "server" || loggedBy == "broker" ? "server" : "client"
            let sender = direction == "sent" ? loggerSide : (loggerSide == "server" ? "client" : "server")
            let nanoseconds = (object["ts_ns"] as? NSNumber)?.int64Value ?? 0
            return TruthLine(object: object, sender: sender, key: DecodedCapture.key(port: UInt16(port), from: sender, sha256: sha), nanoseconds: nanoseconds)
        }
    }

    subscript(_ name: String) -> Any? { object[name] }
    var isSent: Bool { object["dir"] as? String == "sent" }
}

extension MessageAnnotation {
    /// A field's value as Foundation sees JSON (numbers, booleans, arrays, objects), for comparing
    /// with a truth log.
    func json(_ name: String) -> Any? {
        guard let field = fields.first(where: { $0.name == name }) else { return nil }
        switch field.kind {
        case .string: return field.value
        case .json: return try? JSONSerialization.jsonObject(with: Data(field.value.utf8), options: [.fragmentsAllowed])
        }
    }

    var latencyMilliseconds: Double? { (json("answers") as? [String: Any])?["latency_ms"] as? Double }
    var requestSeconds: Double? { ((json("answers") as? [String: Any])?["ts"] as? NSNumber)?.doubleValue }
}

/// JSON equality as Foundation writes it back with sorted keys (key order ignored).
func sameJSON(_ left: Any?, _ right: Any?) -> Bool {
    canonical(left) == canonical(right)
}

func canonical(_ value: Any?) -> String {
    guard let value else { return "<absent>" }
    guard let data = try? JSONSerialization.data(withJSONObject: value, options: [.sortedKeys, .fragmentsAllowed]) else { return "<not JSON>" }
    return String(decoding: data, as: UTF8.self)
}
