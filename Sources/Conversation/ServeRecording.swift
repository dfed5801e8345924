import Foundation
import NIOConcurrencyHelpers
import Sessions
import WebSocketInspection
import WebSocketProtocol

/// `wstap serve --record OUT`: the live conversations — what each client really sent and what
/// serve sent it, with the handshake both sides exchanged — kept as session file connections
/// (`SessionFile`, the format `wstap export --format session` writes and `read`, `replay` and
/// `serve` load), so a client's new behaviour can itself be replayed or served later.
///
/// Shared by every client task (a lock, not an actor: the inbox records from inside its own
/// actor without awaiting). Bounded: at most `maxRecordBytes` of payload over all clients;
/// messages past it are counted, not kept, and `note` says so.
public final class ServeRecording: Sendable {
    /// Payload bytes kept over all recorded clients by default (128 MiB, `--max-record-bytes`).
    public static let defaultMaxRecordBytes = 128 << 20

    private struct State {
        var connections: [SessionConnection] = []
        var bytes = 0
        var droppedMessages = 0
    }

    public let maxRecordBytes: Int
    private let state = NIOLockedValueBox(State())

    public init(maxRecordBytes: Int = defaultMaxRecordBytes) {
        self.maxRecordBytes = maxRecordBytes
    }

    /// Starts a recorded connection for a client just upgraded; returns its transcript.
    func open(client: String, server: String, request: HTTPRequestHead, response: [UInt8], upgrade: NegotiatedUpgrade) -> ConversationTranscript {
        var head: SessionResponseHead?
        if case .head(let parsed, _) = HTTPHeadParser.parseResponse(response) { head = SessionResponseHead(parsed) }
        let index = state.withLockedValue { state in
            let connection = SessionConnection(
                id: state.connections.count + 1, client: client, server: server, start: Date().timeIntervalSince1970,
                request: SessionRequestHead(request), response: head, subprotocol: upgrade.subprotocol,
                extensions: upgrade.extensions, messages: [])
            state.connections.append(connection)
            return state.connections.count - 1
        }
        return ConversationTranscript(recording: self, index: index)
    }

    fileprivate func append(_ message: SessionMessage, to index: Int, payloadBytes: Int) {
        state.withLockedValue { state in
            guard state.bytes + payloadBytes <= maxRecordBytes else {
                state.droppedMessages += 1
                return
            }
            state.bytes += payloadBytes
            state.connections[index].messages.append(message)
        }
    }

    /// Everything recorded so far, as a session file.
    public var sessionFile: SessionFile { SessionFile(connections: state.withLockedValue { $0.connections }) }

    /// Why the file lacks messages (the byte limit was reached), nil when it holds them all.
    public var note: String? {
        let dropped = state.withLockedValue { $0.droppedMessages }
        guard dropped > 0 else { return nil }
        return "--record: \(dropped) message(s) not recorded: over \(maxRecordBytes) payload bytes (--max-record-bytes)"
    }
}

/// One recorded connection of a `ServeRecording`: the inbox records what the client sent, the
/// engine what it sent, each as it happens.
struct ConversationTranscript: Sendable {
    let recording: ServeRecording
    let index: Int

    /// A message the client sent, as the inbox decoded it.
    func record(received message: WebSocketMessage) {
        recording.append(SessionMessage(message), to: index, payloadBytes: message.payload.count)
    }

    /// A message this side sent now: its payload before compression, the frame lengths on the wire.
    func record(sent message: ReplayMessage, from role: ConversationRole, frames: [FrameEncoder.Frame]) {
        let compressed = frames.first?.rsv1 ?? false
        let entry = SessionMessage(
            from: role.name, opcode: message.opcode.description, time: Date().timeIntervalSince1970, payload: Base64.encode(message.payload),
            fragmentLengths: frames.count > 1 ? frames.map { UInt64($0.payload.count) } : [], compressed: compressed, decompressed: compressed,
            closeCode: message.opcode == .close && message.payload.count >= 2 ? UInt16(message.payload[0]) << 8 | UInt16(message.payload[1]) : nil,
            closeReason: message.opcode == .close && message.payload.count > 2 ? String(validating: message.payload[2...], as: UTF8.self) : nil)
        recording.append(entry, to: index, payloadBytes: message.payload.count)
    }
}
