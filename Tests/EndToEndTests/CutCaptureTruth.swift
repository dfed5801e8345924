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
        /// "src>dst" of the direction that carried it.
        var flow: String
        /// Where its first frame starts in that flow's stream (`locate(in:)`), if known.
        var wireStart: Int?
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
                independent: !compressed || noTakeover, flow: from == "client" ? "\(client)>\(server)" : "\(server)>\(client)")
            messages[message.key, default: []].append(message)
            connections.insert("\(client)|\(server)")
        }
    }

    /// Finds where each message's first frame starts on the wire, from the uncut streams: after
    /// the HTTP head, the n-th message of a direction starts at the n-th frame that starts a
    /// message (a data frame after a FIN, or a control frame). Directions whose frame count does
    /// not match the truth keep `wireStart` nil (then the send time decides, as before).
    mutating func locate(in streams: [String: [UInt8]]) {
        for (key, list) in messages {
            guard let flow = list.first?.flow, let bytes = streams[flow] else { continue }
            let starts = Self.messageStarts(bytes)
            guard starts.count == list.count else { continue }
            for index in list.indices { messages[key]![index].wireStart = starts[index] }
        }
    }

    static func messageStarts(_ bytes: [UInt8]) -> [Int] {
        let end = Array("\r\n\r\n".utf8)
        guard bytes.count >= 4, let head = (0...(bytes.count - 4)).first(where: { bytes[$0..<$0 + 4].elementsEqual(end) }) else { return [] }
        var position = head + 4, starts: [Int] = [], inMessage = false
        while position + 2 <= bytes.count {
            let first = bytes[position], second = bytes[position + 1]
            var length = Int(second & 0x7F), header = 2
            if length == 126, position + 4 <= bytes.count {
                length = Int(bytes[position + 2]) << 8 | Int(bytes[position + 3])
                header = 4
            } else if length == 127, position + 10 <= bytes.count {
                length = (2..<10).reduce(0) { $0 << 8 | Int(bytes[position + $1]) }
                header = 10
            }
            if second & 0x80 != 0 { header += 4 }
            let opcode = first & 0x0F
            if opcode >= 8 || !inMessage { starts.append(position) }
            if opcode < 8 { inMessage = first & 0x80 == 0 }
            position += header + length
        }
        return starts
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

    /// Checks `events` (the JSON Lines of `wstap read` on a cut that starts at `cutTime` and at
    /// `cutOffsets` of each flow's stream, with payload after the cut on `connectionsWithTraffic`).
    func verdict(events: [[String: Any]], cutTime: Double, cutOffsets: [String: Int], connectionsWithTraffic: Set<String>) -> Verdict {
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
            for (index, message) in list.enumerated() where message.independent && message.isAfterCut(cutTime: cutTime, cutOffsets: cutOffsets) {
                verdict.recoverable += 1
                if matched[key]?.contains(index) == true { verdict.recovered += 1 }
            }
        }
        verdict.missingConnections = connectionsWithTraffic.subtracting(opened).sorted()
        return verdict
    }
}

extension CutCaptureTruth.Message {
    /// Whether its first frame starts after the cut: by wire position when known (a truth's send
    /// time can be later than the frame, e.g. the browser captures log receipt times), else by time.
    func isAfterCut(cutTime: Double, cutOffsets: [String: Int]) -> Bool {
        guard let wireStart else { return timestamp > cutTime }
        guard let cut = cutOffsets[flow] else { return false }
        return wireStart >= cut
    }
}
