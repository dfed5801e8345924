import ApplicationProtocols
import Foundation
import MessageDecoding
import Testing
import WebSocketInspection
import WebSocketProtocol

/// End to end on real-peer captures (scripts/capture/app/): every message the peers logged is
/// found in the capture, decodes to the fields the peers' own parsers logged, and every answer's
/// latency agrees with the peers' timestamps.
struct AppCaptureTests {
    /// Every truth line has its message, and `check` holds for each pair.
    func compare(_ capture: String, _ truthName: String, check: (TruthLine, MessageAnnotation?) -> Void) throws -> (DecodedCapture, [TruthLine]) {
        let decoded = try DecodedCapture(capture)
        let truth = try TruthLine.load(truthName)
        #expect(truth.count > 20)
        for line in truth {
            guard let message = decoded.byKey[line.key]?.first else {
                Issue.record("no message in the capture for truth line \(line.object)")
                continue
            }
            check(line, message.annotation)
        }
        return (decoded, truth)
    }

    /// Each answer's latency against the peers' clocks: the request's and the answer's truth lines
    /// (the sender's `sent` line when logged, else the receiver's; among identical payloads such
    /// as PINGREQ the line nearest in time), within 1 ms on loopback. A pair is only comparable
    /// when both peer timestamps are within 1 ms of the packets' capture times: paho's `sent` time
    /// is taken when it hands the packet to its socket, and Nagle's algorithm sometimes holds a
    /// small packet ~40 ms on the wire side; those pairs are counted, not compared.
    func checkLatencies(_ decoded: DecodedCapture, _ truth: [TruthLine]) -> (checked: Int, skipped: Int) {
        var byKey: [String: [TruthLine]] = [:]
        for line in truth { byKey[line.key, default: []].append(line) }
        func line(for message: WebSocketMessage) -> TruthLine? {
            let port = decoded.clientPort[message.connection] ?? 0
            let lines = byKey[DecodedCapture.key(port: port, from: message.direction.senderName, sha256: DecodedCapture.sha256(message.payload))] ?? []
            let preferred = lines.contains(where: \.isSent) ? lines.filter(\.isSent) : lines
            let captured = message.timestamp.secondsValue
            return preferred.min { abs(Double($0.nanoseconds) / 1e9 - captured) < abs(Double($1.nanoseconds) / 1e9 - captured) }
        }
        var checked = 0
        var skipped = 0
        for answer in decoded.messages {
            guard let annotation = answer.annotation, let latency = annotation.latencyMilliseconds, let requestTime = annotation.requestSeconds else { continue }
            #expect(latency >= 0)
            guard let request = decoded.messages.first(where: {
                $0.connection == answer.connection && $0.direction != answer.direction && abs($0.timestamp.secondsValue - requestTime) < 2e-6
            }) else {
                Issue.record("answer \(annotation.summary) names a request at \(requestTime) that is not in the capture")
                continue
            }
            guard let requestLine = line(for: request), let answerLine = line(for: answer) else {
                Issue.record("no truth lines for \(annotation.summary)")
                continue
            }
            let offsets = [(requestLine, request), (answerLine, answer)].map { abs(Double($0.nanoseconds) / 1e9 - $1.timestamp.secondsValue) * 1000 }
            guard offsets.allSatisfy({ $0 < 1.0 }) else {
                skipped += 1
                continue
            }
            let peers = Double(answerLine.nanoseconds - requestLine.nanoseconds) / 1e6
            #expect(abs(peers - latency) < 1.0, "\(annotation.summary): wstap \(latency) ms, peers \(peers) ms")
            checked += 1
        }
        return (checked, skipped)
    }

    @Test func socketIOMessagesDecodeToWhatThePeersLogged() throws {
        let (decoded, truth) = try compare("socketio.pcap", "socketio.truth.jsonl") { line, annotation in
            guard let annotation else { Issue.record("not decoded: \(line.object)"); return }
            if let type = line["sio_type"] as? String {
                #expect(annotation.protocolName == "socket.io")
                #expect(annotation[field: "type"] == type)
                #expect(annotation[field: "namespace"] == line["namespace"] as? String)
                #expect(annotation[field: "event"] == line["event"] as? String)
                #expect(sameJSON(annotation.json("ack_id"), line["ack_id"]), "\(annotation.summary)")
                if let args = line["args"] { #expect(sameJSON(annotation.json("args"), args), "\(annotation.summary)") }
                if let data = line["data"] { #expect(sameJSON(annotation.json("data"), data), "\(annotation.summary)") }
                #expect(sameJSON(annotation.json("attachments"), line["attachments"]))
            } else if line["eio_binary"] as? Bool == true {
                #expect(annotation[field: "type"] == "ATTACHMENT")
                #expect(sameJSON(annotation.json("attachment"), line["sio_attachment_index"]))
            } else if let type = line["eio_type"] as? String {
                #expect(annotation.protocolName == "engine.io")
                #expect(annotation[field: "type"] == type)
                if line["eio_data"] as? String == "probe" { #expect(annotation[field: "probe"] == "true") }
                if let open = line["eio_open"] as? [String: Any] {
                    #expect(annotation[field: "sid"] == open["sid"] as? String)
                    #expect(sameJSON(annotation.json("ping_interval"), open["pingInterval"]))
                }
            } else {
                Issue.record("truth line of no known kind: \(line.object)")
            }
        }
        #expect(decoded.anomalies.isEmpty, "\(decoded.anomalies.map(\.detail))")
        // Every ack the peers sent pairs with its event.
        let acks = decoded.messages.filter { ["ACK", "BINARY_ACK"].contains($0.annotation?[field: "type"]) }
        #expect(!acks.isEmpty && acks.allSatisfy { $0.annotation?.latencyMilliseconds != nil })
        let latencies = checkLatencies(decoded, truth)
        #expect(latencies.checked == acks.count)
    }

    @Test func mqttPacketsDecodeToWhatThePeersLogged() throws {
        let (decoded, truth) = try compare("mqtt.pcap", "mqtt.truth.jsonl") { line, annotation in
            guard let annotation else { Issue.record("not decoded: \(line.object)"); return }
            #expect(annotation.protocolName == "mqtt")
            #expect(annotation[field: "type"] == line["mqtt_type"] as? String)
            for name in ["topic", "qos", "retain", "dup", "packet_id", "client_id", "keep_alive", "clean_start", "session_present"] {
                guard let expected = line[name] else { continue }
                #expect(sameJSON(annotation.json(name), expected), "\(annotation.summary): \(name)")
            }
            if let code = line["reason_code"] {
                #expect(sameJSON(annotation.json("reason_code") ?? annotation.json("return_code"), code), "\(annotation.summary)")
            }
            if let codes = line["reason_codes"] as? [Any], !codes.isEmpty {
                #expect(sameJSON(annotation.json("reason_codes"), codes), "\(annotation.summary)")
            }
            if let topics = line["topics"] as? [[String: Any]] {
                let ours = (annotation.json("subscriptions") as? [[String: Any]])?.compactMap { $0["topic"] as? String }
                    ?? annotation.json("topics") as? [String]
                #expect(ours == topics.compactMap { $0["topic"] as? String })
            }
            if annotation[field: "payload_omitted"] == "true" {
                #expect(sameJSON(annotation.json("payload_bytes"), line["payload_len"]))
            } else if let sha = line["payload_sha256"] as? String {
                let text = annotation[field: "payload"] ?? ""
                let bytes = annotation[field: "payload_encoding"] == "base64" ? [UInt8](Data(base64Encoded: text) ?? Data()) : Array(text.utf8)
                #expect(DecodedCapture.sha256(bytes) == sha, "\(annotation.summary)")
            }
            if let will = line["will"] as? [String: Any] {
                let ours = annotation.json("will") as? [String: Any]
                #expect(ours?["topic"] as? String == will["topic"] as? String)
            }
        }
        #expect(decoded.anomalies.allSatisfy { $0.kind == .unansweredRequests }, "\(decoded.anomalies.map(\.detail))")
        let answers = decoded.messages.filter { $0.annotation?.latencyMilliseconds != nil }
        #expect(answers.count >= 20)
        let latencies = checkLatencies(decoded, truth)
        #expect(latencies.checked + latencies.skipped == answers.count)
        #expect(latencies.checked >= answers.count * 3 / 4, "only \(latencies.checked) of \(answers.count) answers comparable")
    }
}
