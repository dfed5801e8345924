import NIOCore
import Sessions
import WebSocketProtocol

/// What `wstap replay` (client role) and `wstap serve` (server role) do with a loaded recording (a
/// session file, or a HAR turned into one) around their sockets, minus the sockets: the request
/// check and the handshake request, each role's script, every message it sends as frames, and the
/// comparison of the answers. It lives in this module, beside the Conversation files it exercises,
/// because `FrameEncoder` is internal to them.
public enum ReplayPreparation {
    /// A target that is never contacted: nothing here opens a socket.
    static let target = ReplayTarget(secure: false, host: "127.0.0.1", port: 9)
    /// RFC 6455's sample nonce: a fixed key keeps runs deterministic.
    static let key = "dGhlIHNhbXBsZSBub25jZQ=="

    public static func exercise(_ file: SessionFile) {
        for connection in file.connections {
            // Replay refuses a recorded request that `requestProblem` names; any other is sent.
            if connection.requestProblem == nil {
                checkOneHead(HandshakeRequest(recorded: connection, replayTarget: target, overrides: [], key: key))
            }
            // A peer that accepts what the recording negotiated.
            let offers = WebSocketExtensionHeader.parse(connection.extensions)
                .filter { $0.isNamed(PerMessageDeflateParameters.extensionName) }
            let compression = offers.count == 1 ? PerMessageDeflateParameters(negotiated: offers) : nil
            for role in ConversationRole.allCases {
                guard let script = try? ConversationScript(connection: connection, role: role, maxMessageBytes: 1 << 16) else { continue }
                if let encoder = try? FrameEncoder(compression: compression, role: role) {
                    var batch = ByteBufferAllocator().buffer(capacity: 0)
                    for step in script.steps {
                        guard let frames = try? encoder.frames(for: step.message) else { continue }
                        for frame in frames { FrameEncoder.encode(frame, masked: role.masksFrames, into: &batch) }
                    }
                }
                // The expected answers compared with themselves: every one must match.
                let results = AnswerComparator().compare(expected: script.expected, actual: script.expected)
                for result in results where result.outcome != .matched {
                    fatalError("a recorded answer compared with itself is \(result.outcome): \(result.detail ?? "")")
                }
            }
        }
    }

    /// The request replay writes must read back as one head with exactly its own header lines: a
    /// CR or LF that got through would end it early and smuggle headers or a second request.
    public static func checkOneHead(_ request: HandshakeRequest) {
        let bytes = request.bytes
        guard case .head(let head, let consumed) = HTTPHeadParser.parseRequest(bytes, maxHeadBytes: bytes.count + 1) else { return }
        guard consumed == bytes.count, head.headers.fields.count == request.headers.count else {
            fatalError("the handshake request reads back as \(head.headers.fields.count) headers and \(consumed) of \(bytes.count) bytes: \(String(decoding: bytes, as: UTF8.self).debugDescription)")
        }
    }
}
