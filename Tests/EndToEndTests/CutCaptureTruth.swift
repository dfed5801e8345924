import Foundation

/// The messages the peers of a recorded capture sent (its `.truth.jsonl`), and the check of what
/// `wstap read --format jsonl` printed for a cut of that capture against them.
///
/// Both truth formats are read: captures/*.truth.jsonl (Python `websockets`, `data_b64` always)
/// and captures/implementations/*.truth.jsonl (scripts/capture/implementations.py: `data_b64` up to
/// 4 KiB, else `length` and `fnv1a64`).
struct CutCaptureTruth {
    struct Message {
        var key: String
        var opcode: String
        var data: [UInt8]?
        var fnv: String?
        var length: Int
        var timestamp: Double
        /// Decodable without the bytes before any cut: uncompressed, or compressed without context
        /// takeover by its sender.
        var independent: Bool
    }

    /// Truth messages per "client|server|from", in send order.
    var messages: [String: [Message]] = [:]
    /// "client|server" of every connection.
    var connections: Set<String> = []

    init(file: URL) throws {
        let text = try String(contentsOf: file, encoding: .utf8)
        for line in text.split(separator: "\n") {
            guard let object = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
                  let client = object["client"] as? String, let server = object["server"] as? String,
                  let from = object["from"] as? String, let opcode = object["opcode"] as? String
            else { continue }
            let data = (object["data_b64"] as? String).flatMap { Data(base64Encoded: $0) }.map { [UInt8]($0) }
            let compressed = object["compressed"] as? Bool ?? false
            let extensions = object["extensions"] as? String ?? ""
            let noTakeover = (object["context_takeover"] as? Bool) == false || extensions.contains("\(from)_no_context_takeover")
            let message = Message(
                key: "\(client)|\(server)|\(from)", opcode: opcode, data: data, fnv: object["fnv1a64"] as? String,
                length: data?.count ?? (object["length"] as? Int ?? 0), timestamp: object["ts"] as? Double ?? 0,
                independent: !compressed || noTakeover)
            messages[message.key, default: []].append(message)
            connections.insert("\(client)|\(server)")
        }
    }

    static func fnv1a64(_ bytes: [UInt8]) -> String {
        var value: UInt64 = 0xCBF2_9CE4_8422_2325
        for byte in bytes { value = (value ^ UInt64(byte)) &* 0x0000_0100_0000_01B3 }
        let hex = String(value, radix: 16)
        return String(repeating: "0", count: 16 - hex.count) + hex
    }

    /// What one cut gave.
    struct Verdict {
        var decoded = 0
        /// Messages printed that no peer sent (or not on that connection and direction, or out of order).
        var invented: [String] = []
        /// Messages printed with a label (incomplete, truncated, undecodable compressed) that were
        /// matched to a sent message of the same opcode, not by content.
        var labelled = 0
        var recoverable = 0
        var recovered = 0
        /// Connections with payload after the cut and no `open` event.
        var missingConnections: [String] = []
    }

    /// Checks `events` (the JSON Lines of `wstap read` on a cut that starts at `cutTime`, with
    /// payload after the cut on `connectionsWithTraffic`).
    func verdict(events: [[String: Any]], cutTime: Double, connectionsWithTraffic: Set<String>) -> Verdict {
        var verdict = Verdict()
        var next: [String: Int] = [:]
        var matched: [String: Set<Int>] = [:]
        var opened: Set<String> = []
        for event in events {
            guard let kind = event["event"] as? String else { continue }
            let client = event["client"] as? String ?? "", server = event["server"] as? String ?? ""
            if kind == "open" {
                opened.insert("\(client)|\(server)")
                opened.insert("\(server)|\(client)")
            }
            guard kind == "message", let from = event["from"] as? String, let opcode = event["opcode"] as? String else { continue }
            verdict.decoded += 1
            let key = "\(client)|\(server)|\(from)"
            var bytes: [UInt8] = []
            if let text = event["text"] as? String { bytes = Array(text.utf8) }
            if let data = event["data"] as? String, let decoded = Data(base64Encoded: data) { bytes = [UInt8](decoded) }
            let labelled = event["incomplete"] as? Bool == true || event["truncated"] as? Bool == true
                || (event["compressed"] as? Bool == true && event["decompressed"] as? Bool == false)
            let candidates = messages[key] ?? []
            var found: Int?
            for index in (next[key] ?? 0)..<candidates.count where candidates[index].opcode == opcode {
                let truth = candidates[index]
                if labelled || truth.data == bytes || (truth.data == nil && truth.length == bytes.count && truth.fnv == Self.fnv1a64(bytes)) {
                    found = index
                    break
                }
            }
            guard let found else {
                verdict.invented.append("\(key) \(opcode) \(bytes.count) bytes: \(String(decoding: bytes.prefix(40), as: UTF8.self).debugDescription)")
                continue
            }
            next[key] = found + 1
            if labelled { verdict.labelled += 1 } else { matched[key, default: []].insert(found) }
        }
        for (key, list) in messages {
            for (index, message) in list.enumerated() where message.independent && message.timestamp > cutTime {
                verdict.recoverable += 1
                if matched[key]?.contains(index) == true { verdict.recovered += 1 }
            }
        }
        verdict.missingConnections = connectionsWithTraffic.subtracting(opened).sorted()
        return verdict
    }
}
