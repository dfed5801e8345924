import ApplicationProtocols
import Foundation
import MessageDecoding
import Testing
import WebSocketInspection
import WebSocketProtocol

/// End to end on the GraphQL, STOMP, JSON-RPC and MQTT.js captures (scripts/capture/app/): the
/// fields each message decodes to against what the peers' own parsers logged.
struct AppCaptureMoreTests {
    let base = AppCaptureTests()

    @Test func graphqlBothProtocols() throws {
        let (decoded, truth) = try base.compare("graphql.pcap", "graphql.truth.jsonl") { line, annotation in
            guard let annotation else { Issue.record("not decoded: \(line.object)"); return }
            #expect(annotation[field: "subprotocol"] == line["gql_protocol"] as? String)
            #expect(annotation[field: "type"] == line["gql_type"] as? String)
            #expect(annotation[field: "id"] == line["id"] as? String)
            if let name = line["operation_name"] as? String { #expect(annotation[field: "operation_name"] == name, "\(annotation.summary)") }
            if let type = line["operation_type"] as? String { #expect(annotation[field: "operation_type"] == type, "\(annotation.summary)") }
            if let variables = line["variables"] { #expect(sameJSON(annotation.json("variables"), variables)) }
            if let hasErrors = line["has_errors"] as? Bool { #expect(annotation[field: "has_errors"] == String(hasErrors), "\(annotation.summary)") }
        }
        #expect(decoded.anomalies.allSatisfy { $0.kind == .unansweredRequests }, "\(decoded.anomalies.map(\.detail))")
        let latencies = base.checkLatencies(decoded, truth)
        #expect(latencies.checked > 10 && latencies.skipped * 4 <= latencies.checked)
    }

    @Test func stompFramesIncludingAClientWithoutTheSubprotocol() throws {
        let (decoded, truth) = try base.compare("stomp.pcap", "stomp.truth.jsonl") { line, annotation in
            guard let annotation else { Issue.record("not decoded: \(line.object)"); return }
            #expect(annotation[field: "command"] == line["stomp_command"] as? String)
            if let headers = line["headers"] as? [String: Any] { #expect(sameJSON(annotation.json("headers"), headers), "\(annotation.summary)") }
            if let sha = line["body_sha256"] as? String {
                let body = annotation[field: "body"] ?? ""
                let bytes = annotation[field: "body_encoding"] == "base64" ? [UInt8](Data(base64Encoded: body) ?? Data()) : Array(body.utf8)
                #expect(DecodedCapture.sha256(bytes) == sha, "\(annotation.summary)")
            }
        }
        // RabbitMQ closes instead of answering DISCONNECT's receipt: reported, not invented.
        let unanswered = decoded.anomalies.filter { $0.kind == .unansweredRequests }
        #expect(unanswered.count >= 1 && unanswered.allSatisfy { $0.detail.contains("DISCONNECT") })
        #expect(decoded.anomalies.allSatisfy { $0.kind == .unansweredRequests })
        #expect(base.checkLatencies(decoded, truth).checked > 0)
    }

    /// JSON-RPC from Chromium's DevTools endpoint and from a jsonrpcserver with batches.
    @Test(arguments: ["jsonrpc-cdp", "jsonrpc2"])
    func jsonRPC(_ name: String) throws {
        let (decoded, truth) = try base.compare("\(name).pcap", "\(name).truth.jsonl") { line, annotation in
            let kind = line["rpc_kind"] as? String
            // An empty batch is an invalid request (JSON-RPC 2.0 §6): shown raw with an anomaly.
            guard kind != "invalid-json", kind != "invalid", line["batch_size"] as? Int != 0 else {
                #expect(annotation == nil, "a message the peers call \(kind ?? "") is shown raw")
                return
            }
            guard let annotation else { Issue.record("not decoded: \(line.object)"); return }
            #expect(annotation[field: "kind"] == kind)
            #expect(annotation[field: "method"] == line["method"] as? String)
            // Chromium leaves the id out of a parse error's answer; its client logs that as null.
            #expect(sameJSON(annotation.json("id") ?? NSNull(), line["id"] ?? NSNull()), "\(annotation.summary)")
            #expect(sameJSON(annotation.json("error_code"), line["error_code"]), "\(annotation.summary)")
            if let items = line["items"] as? [[String: Any]] {
                let ours = annotation.json("batch") as? [[String: Any]] ?? []
                #expect(ours.map { $0["kind"] as? String } == items.map { $0["rpc_kind"] as? String })
                #expect(ours.map { canonical($0["id"]) } == items.map { canonical($0["id"]) })
            }
        }
        let invalid = truth.filter { (["invalid-json", "invalid"].contains($0["rpc_kind"] as? String) || $0["batch_size"] as? Int == 0) && $0.isSent }.count
        #expect(decoded.anomalies.filter { $0.kind == .undecodableAppMessage }.count == invalid)
        let latencies = base.checkLatencies(decoded, truth)
        #expect(latencies.checked > 5)
    }

    /// MQTT.js splits packets across WebSocket messages: each packet is decoded on the message that
    /// completes it, with the fields mqtt-packet logged.
    @Test func mqttPacketsSplitAcrossMessages() throws {
        let decoded = try DecodedCapture("mqtt-mqttjs.pcap")
        let text = try String(contentsOf: appCapturesDirectory.appendingPathComponent("mqtt-mqttjs.truth.jsonl"), encoding: .utf8)
        var byDirection: [String: [WebSocketMessage]] = [:]
        for message in decoded.messages {
            byDirection["\(decoded.clientPort[message.connection] ?? 0) \(message.direction.senderName)", default: []].append(message)
        }
        var checked = 0
        var partial = 0
        for line in text.split(separator: "\n") {
            guard let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
                  object["unit"] as? String == "mqtt-packet", let port = object["client_port"] as? Int,
                  let seq = object["ws_seq"] as? [Int], seq.count == 2, let loggedBy = object["logged_by"] as? String
            else { continue }
            let sender = object["dir"] as? String == "sent" ? "client" : "server"
            _ = loggedBy
            guard let messages = byDirection["\(port) \(sender)"], seq[1] < messages.count else {
                Issue.record("no message \(seq) from the \(sender) of port \(port)")
                continue
            }
            let annotation = messages[seq[1]].annotation
            #expect(annotation?[field: "type"] == object["mqtt_type"] as? String, "\(object)")
            if let topic = object["topic"] as? String { #expect(annotation?[field: "topic"] == topic) }
            if let id = object["packet_id"] as? Int { #expect(annotation?[field: "packet_id"] == String(id)) }
            if let sha = object["payload_sha256"] as? String, let text = annotation?[field: "payload"] {
                let bytes = annotation?[field: "payload_encoding"] == "base64" ? [UInt8](Data(base64Encoded: text) ?? Data()) : Array(text.utf8)
                #expect(DecodedCapture.sha256(bytes) == sha)
            }
            partial += messages[seq[0]..<seq[1]].filter { $0.annotation?[field: "type"] == "PARTIAL" }.count
            checked += 1
        }
        #expect(checked >= 30)
        #expect(partial > 20)
        #expect(decoded.anomalies.allSatisfy { $0.kind == .unansweredRequests }, "\(decoded.anomalies.map(\.detail))")
    }
}
