import Foundation
import PacketDecoding
import WebSocketProtocol
import WebSocketInspection

/// A recorded WebSocket session as a documented JSON file (`wstap export --format session`), so a
/// recording can be kept, edited and replayed without the pcap it came from.
///
/// The file holds, per connection, the handshake heads exactly as captured, what they negotiated,
/// and every message with what replay needs to send it again the same way (opcode, payload,
/// fragmentation, compression). Payloads are base64 so binary messages survive; times are epoch
/// seconds as numbers so pacing can be reproduced. docs/formats.md documents each field.
public struct SessionFile: Codable, Sendable, Equatable {
    /// The value of `format`, checked on reading so a wrong JSON file is refused clearly.
    public static let formatName = "wstap-session"
    /// The version this code writes and reads.
    public static let currentVersion = 1

    public var format: String
    public var version: Int
    public var connections: [SessionConnection]

    public init(connections: [SessionConnection]) {
        self.format = Self.formatName
        self.version = Self.currentVersion
        self.connections = connections
    }

    /// Builds the file from what a `SessionRecorder(keepsMessages: true)` collected.
    public init(recorder: SessionRecorder) {
        self.init(connections: recorder.connections.map(SessionConnection.init(recorded:)))
    }
}

/// One WebSocket connection of a session file.
public struct SessionConnection: Codable, Sendable, Equatable {
    /// The connection number `wstap read` shows, so `--conn` means the same in both.
    public var id: Int
    public var client: String
    public var server: String
    /// When the connection was opened (the 101, or the first frame of a mid-stream pickup).
    public var start: Double
    public var request: SessionRequestHead?
    public var response: SessionResponseHead?
    public var subprotocol: String?
    /// The `Sec-WebSocket-Extensions` elements the server accepted, as sent.
    public var extensions: [String]
    public var messages: [SessionMessage]

    public init(
        id: Int, client: String, server: String, start: Double, request: SessionRequestHead?, response: SessionResponseHead?,
        subprotocol: String?, extensions: [String], messages: [SessionMessage]
    ) {
        self.id = id
        self.client = client
        self.server = server
        self.start = start
        self.request = request
        self.response = response
        self.subprotocol = subprotocol
        self.extensions = extensions
        self.messages = messages
    }

    public init(recorded: RecordedConnection) {
        let info = recorded.info
        self.init(
            id: info.connection, client: info.client.description, server: info.server.description,
            start: info.timestamp.secondsValue,
            request: info.requestHead.map(SessionRequestHead.init),
            response: info.responseHead.map(SessionResponseHead.init),
            subprotocol: info.subprotocol, extensions: info.extensions,
            messages: recorded.messages.map(SessionMessage.init))
    }

    /// The messages one peer sent, in order.
    public func messages(from direction: WebSocketDirection) -> [SessionMessage] {
        messages.filter { $0.direction == direction }
    }
}

/// One header line, kept in wire order with its original spelling (duplicates allowed).
public struct SessionHeader: Codable, Sendable, Equatable {
    public var name: String
    public var value: String

    public init(name: String, value: String) {
        self.name = name
        self.value = value
    }
}

public struct SessionRequestHead: Codable, Sendable, Equatable {
    public var method: String
    /// Path and query as sent, e.g. `/chat?room=1`.
    public var target: String
    public var version: String
    public var headers: [SessionHeader]

    public init(_ head: HTTPRequestHead) {
        method = head.method
        target = head.target
        version = head.version
        headers = head.headers.fields.map { SessionHeader(name: $0.name, value: $0.value) }
    }

    public var httpHead: HTTPRequestHead {
        HTTPRequestHead(method: method, target: target, version: version, headers: HTTPHeaders(headers.map { HTTPField(name: $0.name, value: $0.value) }))
    }
}

public struct SessionResponseHead: Codable, Sendable, Equatable {
    public var version: String
    public var status: Int
    public var reason: String
    public var headers: [SessionHeader]

    public init(_ head: HTTPResponseHead) {
        version = head.version
        status = head.status
        reason = head.reason
        headers = head.headers.fields.map { SessionHeader(name: $0.name, value: $0.value) }
    }

    public var httpHead: HTTPResponseHead {
        HTTPResponseHead(version: version, status: status, reason: reason, headers: HTTPHeaders(headers.map { HTTPField(name: $0.name, value: $0.value) }))
    }
}

/// One message (or control frame) of a session file.
public struct SessionMessage: Codable, Sendable, Equatable {
    /// `client` or `server`: who sent it.
    public var from: String
    /// `text`, `binary`, `close`, `ping`, `pong`, or `reserved-0xN`.
    public var opcode: String
    /// Epoch seconds of the packet that completed the message.
    public var time: Double
    /// The payload, base64: inflated for a compressed message when `decompressed` is true.
    public var payload: String
    /// Wire payload length of each frame of a fragmented message (empty: one frame).
    public var fragmentLengths: [UInt64]
    /// RSV1 was set: the sender compressed it with permessage-deflate.
    public var compressed: Bool
    /// For a compressed message: `payload` holds the inflated bytes (false: the raw deflate bytes).
    public var decompressed: Bool
    /// The payload is not the whole message (size cap or lost packets): it cannot be sent again as is.
    public var incomplete: Bool
    public var closeCode: UInt16?
    public var closeReason: String?

    public init(
        from: String, opcode: String, time: Double, payload: String, fragmentLengths: [UInt64] = [], compressed: Bool = false,
        decompressed: Bool = false, incomplete: Bool = false, closeCode: UInt16? = nil, closeReason: String? = nil
    ) {
        self.from = from
        self.opcode = opcode
        self.time = time
        self.payload = payload
        self.fragmentLengths = fragmentLengths
        self.compressed = compressed
        self.decompressed = decompressed
        self.incomplete = incomplete
        self.closeCode = closeCode
        self.closeReason = closeReason
    }

    public init(_ message: WebSocketMessage) {
        self.init(
            from: message.direction == .clientToServer ? "client" : "server", opcode: message.opcode.description,
            time: message.timestamp.secondsValue, payload: Base64.encode(message.payload),
            fragmentLengths: message.fragmentLengths, compressed: message.compressed, decompressed: message.decompressed,
            incomplete: message.isIncomplete || message.truncated, closeCode: message.closeCode, closeReason: message.closeReason)
    }

    public var direction: WebSocketDirection { from == "client" ? .clientToServer : .serverToClient }

    /// The opcode value, or nil for a name this version does not know.
    public var opcodeValue: WebSocketOpcode? { Self.opcode(named: opcode) }

    /// The payload bytes, or nil when `payload` is not valid base64.
    public var payloadBytes: [UInt8]? { Data(base64Encoded: payload).map { [UInt8]($0) } }

    /// The length `payloadBytes` has when `payload` is valid base64, computed without decoding it, so
    /// that a size limit can be applied before the bytes are allocated.
    public var decodedPayloadLength: Int {
        let characters = payload.utf8
        let padding = characters.reversed().prefix(2).prefix { $0 == UInt8(ascii: "=") }.count
        return characters.count / 4 * 3 - padding
    }

    static func opcode(named name: String) -> WebSocketOpcode? {
        switch name {
        case "continuation": return .continuation
        case "text": return .text
        case "binary": return .binary
        case "close": return .close
        case "ping": return .ping
        case "pong": return .pong
        default:
            guard name.hasPrefix("reserved-0x"), let value = UInt8(name.dropFirst("reserved-0x".count), radix: 16), value < 16 else { return nil }
            return WebSocketOpcode(rawValue: value)
        }
    }
}

/// Why a session file could not be read.
public enum SessionFileError: Error, Sendable, CustomStringConvertible {
    case notJSON(String)
    case wrongFormat(String)
    case unsupportedVersion(Int)
    case invalidMessage(connection: Int, index: Int, String)

    public var description: String {
        switch self {
        case .notJSON(let detail): return "not a wstap session file (\(detail))"
        case .wrongFormat(let format): return "not a wstap session file (format is \"\(format)\", expected \"\(SessionFile.formatName)\")"
        case .unsupportedVersion(let version): return "session file version \(version) is not supported (this wstap reads version \(SessionFile.currentVersion))"
        case .invalidMessage(let connection, let index, let detail): return "connection \(connection), message \(index): \(detail)"
        }
    }
}

extension SessionFile {
    /// Pretty-printed JSON with sorted keys, so that files diff well under version control.
    public func encoded() throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return try encoder.encode(self)
    }

    /// Reads and checks a session file: the format marker, the version, opcodes and payloads.
    public static func decode(_ data: Data) throws(SessionFileError) -> SessionFile {
        let file: SessionFile
        do {
            file = try JSONDecoder().decode(SessionFile.self, from: data)
        } catch let DecodingError.dataCorrupted(context) {
            throw .notJSON(context.debugDescription)
        } catch let DecodingError.keyNotFound(key, context) {
            if let marker = try? JSONDecoder().decode(FormatMarker.self, from: data), marker.format != formatName {
                throw .wrongFormat(marker.format)
            }
            throw .notJSON("missing field \(([key] + context.codingPath.reversed()).reversed().map(\.stringValue).joined(separator: "."))")
        } catch {
            throw .notJSON(String(describing: error))
        }
        guard file.format == formatName else { throw .wrongFormat(file.format) }
        guard file.version == currentVersion else { throw .unsupportedVersion(file.version) }
        for connection in file.connections {
            // JSON has no infinity, but a number such as 1e999 may decode as one; times must be
            // numbers a clock can hold (replay's pacing also caps every gap).
            guard connection.start.isFinite else {
                throw .invalidMessage(connection: connection.id, index: 0, "start is not a finite number of seconds")
            }
            for (index, message) in connection.messages.enumerated() {
                guard message.time.isFinite else {
                    throw .invalidMessage(connection: connection.id, index: index, "time is not a finite number of seconds")
                }
                guard message.from == "client" || message.from == "server" else {
                    throw .invalidMessage(connection: connection.id, index: index, "from must be \"client\" or \"server\", not \"\(message.from)\"")
                }
                guard message.opcodeValue != nil else {
                    throw .invalidMessage(connection: connection.id, index: index, "unknown opcode \"\(message.opcode)\"")
                }
                guard message.payloadBytes != nil else {
                    throw .invalidMessage(connection: connection.id, index: index, "payload is not valid base64")
                }
            }
        }
        return file
    }

    private struct FormatMarker: Decodable { var format: String }
}
