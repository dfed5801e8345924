import Foundation

/// WebSocket traffic whose every wire string tries to act on the terminal that shows it: the
/// request path, Host, subprotocol, extensions, Sec-WebSocket-Accept (quoted by an anomaly), status
/// reasons, close reasons and message payloads carry `ESC [2J` (clear screen), `ESC ]0;… BEL`
/// (set the window title), a carriage return, C1 CSI (U+009B), every bidi control, DEL and NUL.
/// Defined once as byte conversations so that the same bytes go into a pcap file (`read`,
/// `sessions`, `replay`) and onto loopback (`sniff`, via Tests/Peers/scripted_tcp.py).
enum HostileTraffic {
    /// The string every hostile field carries. Also holds what must still print as itself (accents,
    /// CJK, emoji) and a literal backslash-x that must not pass for an escape.
    static let payload =
        "\u{1b}[2J\u{1b}]0;pwned\u{07}\r\u{9b}31m\u{202e}evil\u{202a}\u{202b}\u{202c}\u{202d}\u{2066}\u{2067}\u{2068}\u{2069}"
        + "\u{200e}\u{200f}\u{61c}\u{2028}\u{7f}\u{0}\"\\x1b é中🎉"

    /// What must appear in the views instead (the visible escapes) — proof that the text is shown,
    /// not dropped.
    static let escapedMarkers = ["\\x1b[2J", "\\x1b]0;pwned\\x07", "\\r", "\\u{9b}31m", "\\u{202e}evil", "\\u{2069}", "\\x7f", "\\x00", "\\\\x1b", "é中🎉"]

    /// One side's bytes in a conversation, in the order they are sent.
    struct Step {
        var fromServer: Bool
        var bytes: [UInt8]
    }

    static let key = "dGhlIHNhbXBsZSBub25jZQ=="

    /// An upgrade with hostile path, Host, wrong Accept, unoffered subprotocol and extension, then
    /// hostile text messages, a JSON message with raw C1/bidi/DEL (for `--pretty`), a binary
    /// message and close frames with hostile reasons.
    static var upgraded: [Step] {
        let request = "GET /chat\(payload) HTTP/1.1\r\nHost: evil\(payload)\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            + "Sec-WebSocket-Key: \(key)\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: chat\r\n\r\n"
        let response = "HTTP/1.1 101 Switching\(payload)\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            + "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\(payload)\r\nSec-WebSocket-Protocol: chat\(payload)\r\n"
            + "Sec-WebSocket-Extensions: x-evil\(payload)\r\n\r\n"
        let json = "{\"k\":\"\u{9b}2J\u{202e}\u{7f}é中🎉\",\"\\u001b[2J\":1}"
        return [
            Step(fromServer: false, bytes: Array(request.utf8)),
            Step(fromServer: true, bytes: Array(response.utf8)),
            Step(fromServer: false, bytes: frame(opcode: 0x1, Array("hi\(payload)".utf8), masked: true)),
            Step(fromServer: true, bytes: frame(opcode: 0x1, Array("answer\(payload)".utf8), masked: false)
                + frame(opcode: 0x1, Array(json.utf8), masked: false)
                + frame(opcode: 0x2, [0x1b, 0x5b, 0x32, 0x4a, 0x9b], masked: false)),
            Step(fromServer: false, bytes: frame(opcode: 0x8, [0x03, 0xe8] + Array("bye\(payload)".utf8), masked: true)),
            Step(fromServer: true, bytes: frame(opcode: 0x8, [0x03, 0xe8] + Array("ok\(payload)".utf8), masked: false)),
        ]
    }

    /// An upgrade the server refuses with a hostile reason; the Host has a raw 0x9b byte (not
    /// UTF-8, so decoded as Latin-1: a C1 CSI).
    static var refused: [Step] {
        let request = Array("GET /refused\(payload) HTTP/1.1\r\nHost: h".utf8) + [0x9b] + Array("2J\r\nUpgrade: websocket\r\n".utf8)
            + Array("Connection: Upgrade\r\nSec-WebSocket-Key: \(key)\r\nSec-WebSocket-Version: 13\r\n\r\n".utf8)
        let response = "HTTP/1.1 403 Forbidden\(payload)\r\nContent-Length: 0\r\n\r\n"
        return [Step(fromServer: false, bytes: request), Step(fromServer: true, bytes: Array(response.utf8))]
    }

    /// A plain upgrade whose path holds only C1 and bidi controls: no C0 byte, so it passes replay's
    /// origin-form check and is written into the replay report's first line.
    static let printablePath = "/c1\u{9b}31m\u{202e}evil\u{2066}"
    static var upgradedWithoutControlBytes: [Step] {
        let request = "GET \(printablePath) HTTP/1.1\r\nHost: h\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            + "Sec-WebSocket-Key: \(key)\r\nSec-WebSocket-Version: 13\r\n\r\n"
        let response = "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            + "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n"
        return [
            Step(fromServer: false, bytes: Array(request.utf8)),
            Step(fromServer: true, bytes: Array(response.utf8)),
            Step(fromServer: false, bytes: frame(opcode: 0x1, Array("x".utf8), masked: true)),
            Step(fromServer: true, bytes: frame(opcode: 0x1, Array("y".utf8), masked: false)),
        ]
    }

    static var conversations: [[Step]] { [upgraded, refused, upgradedWithoutControlBytes] }

    /// A single-frame WebSocket message; client frames are masked as RFC 6455 requires.
    static func frame(opcode: UInt8, _ payload: [UInt8], masked: Bool) -> [UInt8] {
        var bytes: [UInt8] = [0x80 | opcode]
        let maskBit: UInt8 = masked ? 0x80 : 0
        if payload.count < 126 {
            bytes.append(maskBit | UInt8(payload.count))
        } else {
            bytes += [maskBit | 126, UInt8(payload.count >> 8), UInt8(payload.count & 0xff)]
        }
        guard masked else { return bytes + payload }
        let mask: [UInt8] = [0x37, 0xfa, 0x21, 0x3d]
        return bytes + mask + payload.enumerated().map { $0.element ^ mask[$0.offset % 4] }
    }

    /// The conversations as a pcap file: handshake, one segment per step, FIN both ways.
    static func pcap() -> PcapWriter {
        var writer = PcapWriter()
        for (index, steps) in conversations.enumerated() {
            let client: (UInt8, UInt8) = (0, UInt8(index + 1))
            let port = UInt16(40_000 + index)
            var clientSequence: UInt32 = 1000
            var serverSequence: UInt32 = 9000
            writer.tcp(client: client, clientPort: port, sequence: clientSequence, flags: PcapWriter.syn)
            writer.tcp(client: client, clientPort: port, fromServer: true, sequence: serverSequence, acknowledgment: clientSequence + 1, flags: PcapWriter.synAck)
            clientSequence += 1
            serverSequence += 1
            writer.tcp(client: client, clientPort: port, sequence: clientSequence, acknowledgment: serverSequence, flags: PcapWriter.ack)
            for step in steps {
                if step.fromServer {
                    writer.tcp(client: client, clientPort: port, fromServer: true, sequence: serverSequence, acknowledgment: clientSequence, flags: PcapWriter.pshAck, payload: step.bytes)
                    serverSequence += UInt32(step.bytes.count)
                } else {
                    writer.tcp(client: client, clientPort: port, sequence: clientSequence, acknowledgment: serverSequence, flags: PcapWriter.pshAck, payload: step.bytes)
                    clientSequence += UInt32(step.bytes.count)
                }
            }
            let finAck: UInt8 = 0x11
            writer.tcp(client: client, clientPort: port, sequence: clientSequence, acknowledgment: serverSequence, flags: finAck)
            writer.tcp(client: client, clientPort: port, fromServer: true, sequence: serverSequence, acknowledgment: clientSequence + 1, flags: finAck)
            writer.tcp(client: client, clientPort: port, sequence: clientSequence + 1, acknowledgment: serverSequence + 1, flags: PcapWriter.ack)
        }
        return writer
    }

    /// The conversations as the JSON script Tests/Peers/scripted_tcp.py plays on loopback.
    static func script() throws -> Data {
        let object = conversations.map { steps in
            steps.map { ["from": $0.fromServer ? "server" : "client", "data_b64": Data($0.bytes).base64EncodedString()] }
        }
        return try JSONSerialization.data(withJSONObject: object)
    }

    /// The raw control characters of the wire that a human view must never print, as UTF-8 byte
    /// offsets into `output` with a description: C0 controls except the newline that ends a line,
    /// DEL, C1 controls (UTF-8 C2 80–9F), bidi controls and the line/paragraph separators. wstap's
    /// own colours (`ESC [` digits `;` `m`) are removed first when `allowingColours`.
    static func rawControls(in output: Data, allowingColours: Bool = false) -> [String] {
        var bytes = [UInt8](output)
        if allowingColours { bytes = removingColourCodes(bytes) }
        var found: [String] = []
        var index = 0
        while index < bytes.count {
            let byte = bytes[index]
            let next = index + 1 < bytes.count ? bytes[index + 1] : 0
            let third = index + 2 < bytes.count ? bytes[index + 2] : 0
            if (byte < 0x20 && byte != 0x0a) || byte == 0x7f {
                found.append("byte 0x\(String(byte, radix: 16)) at \(index)")
            } else if byte == 0xc2, (0x80...0x9f).contains(next) {
                found.append("C1 U+00\(String(next, radix: 16)) at \(index)")
            } else if byte == 0xd8, next == 0x9c {
                found.append("U+061C at \(index)")
            } else if byte == 0xe2, next == 0x80, [0x8e, 0x8f, 0xa8, 0xa9, 0xaa, 0xab, 0xac, 0xad, 0xae].contains(third) {
                found.append(String(format: "U+20%02X (bidi control or separator) at %d", Int(third) - 0x80, index))
            } else if byte == 0xe2, next == 0x81, (0xa6...0xa9).contains(third) {
                found.append("bidi isolate at \(index)")
            }
            index += 1
        }
        return found
    }

    /// `bytes` without SGR sequences (`ESC [` digits and `;` then `m`), the only escapes wstap
    /// writes itself.
    static func removingColourCodes(_ bytes: [UInt8]) -> [UInt8] {
        var result: [UInt8] = []
        var index = 0
        while index < bytes.count {
            if bytes[index] == 0x1b, index + 1 < bytes.count, bytes[index + 1] == UInt8(ascii: "[") {
                var end = index + 2
                while end < bytes.count, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(bytes[end]) || bytes[end] == UInt8(ascii: ";") { end += 1 }
                if end < bytes.count, bytes[end] == UInt8(ascii: "m") {
                    index = end + 1
                    continue
                }
            }
            result.append(bytes[index])
            index += 1
        }
        return result
    }
}
