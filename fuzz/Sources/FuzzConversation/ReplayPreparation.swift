import NIOCore
import Sessions
import WebSocketProtocol

/// What `wstap replay` does with a loaded recording (a session file, or a HAR turned into one)
/// before and around its socket, minus the socket: the handshake request, every client message as
/// the frames it would send, and the comparison of the recorded answers. It lives in this module,
/// beside the Conversation files it exercises, because `FrameEncoder` is internal to them.
public enum ReplayPreparation {
    /// A target that is never contacted: nothing here opens a socket.
    static let target = ReplayTarget(secure: false, host: "127.0.0.1", port: 9)
    /// RFC 6455's sample nonce: a fixed key keeps runs deterministic.
    static let key = "dGhlIHNhbXBsZSBub25jZQ=="

    public static func exercise(_ file: SessionFile) {
        for connection in file.connections {
            _ = HandshakeRequest(recorded: connection, replayTarget: target, overrides: [], key: key).bytes
            // A server that accepts what the recording negotiated.
            let offers = WebSocketExtensionHeader.parse(connection.extensions)
                .filter { $0.isNamed(PerMessageDeflateParameters.extensionName) }
            let compression = offers.count == 1 ? PerMessageDeflateParameters(negotiated: offers) : nil
            if let encoder = try? FrameEncoder(compression: compression) {
                var batch = ByteBufferAllocator().buffer(capacity: 0)
                for message in connection.messages(from: .clientToServer) {
                    guard let converted = try? ReplayMessage(message), let frames = try? encoder.frames(for: converted) else { continue }
                    for frame in frames { FrameEncoder.encode(frame, into: &batch) }
                }
            }
            // The recorded answers compared with themselves: every one must match.
            let answers = connection.messages(from: .serverToClient).compactMap { try? ReplayMessage($0) }
            for result in AnswerComparator().compare(expected: answers, actual: answers) where result.outcome != .matched {
                fatalError("a recorded answer compared with itself is \(result.outcome): \(result.detail ?? "")")
            }
        }
    }
}
