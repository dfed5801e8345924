import MessageDecoding
import TCPReassembly
import WebSocketProtocol

/// What kind of anomaly was seen: one typed value per kind, in the manner of NIO's
/// `WebSocketErrorCode` (a struct with static members, so a new kind breaks no `switch`).
///
/// `name` is the stable snake_case spelling that JSON Lines, the sessions overview and the docs
/// use (docs/anomalies.md lists exactly `AnomalyKind.all`, which a test checks). Consumers compare
/// typed values (`kind == .wrongAccept`), never strings, so renaming a kind cannot silently change
/// a verdict such as the browser view's.
public struct AnomalyKind: Hashable, Comparable, Sendable, CustomStringConvertible {
    public let name: String

    private init(_ name: String) { self.name = name }

    public var description: String { name }

    public static func < (lhs: AnomalyKind, rhs: AnomalyKind) -> Bool { lhs.name < rhs.name }

    // Handshake problems (the connection is still decoded); spelled by the protocol core.
    public static let wrongAccept = AnomalyKind(handshake: .wrongAccept)
    public static let missingKey = AnomalyKind(handshake: .missingKey)
    public static let missingAccept = AnomalyKind(handshake: .missingAccept)
    public static let unofferedExtension = AnomalyKind(handshake: .unofferedExtension)
    public static let unofferedSubprotocol = AnomalyKind(handshake: .unofferedSubprotocol)
    public static let unsupportedVersion = AnomalyKind(handshake: .unsupportedVersion)
    public static let malformedExtension = AnomalyKind(handshake: .malformedExtension)

    // Frames and messages (RFC 6455, RFC 7692).
    public static let unmaskedClientFrame = AnomalyKind("unmasked_client_frame")
    public static let maskedServerFrame = AnomalyKind("masked_server_frame")
    public static let unnegotiatedRSV = AnomalyKind("unnegotiated_rsv")
    public static let rsv1OnContinuation = AnomalyKind("rsv1_on_continuation")
    public static let reservedOpcode = AnomalyKind("reserved_opcode")
    public static let controlFrameTooLong = AnomalyKind("control_frame_too_long")
    public static let fragmentedControlFrame = AnomalyKind("fragmented_control_frame")
    public static let unexpectedContinuation = AnomalyKind("unexpected_continuation")
    public static let unfinishedFragmentedMessage = AnomalyKind("unfinished_fragmented_message")
    public static let invalidUTF8 = AnomalyKind("invalid_utf8")
    public static let invalidCloseCode = AnomalyKind("invalid_close_code")
    public static let invalidClosePayload = AnomalyKind("invalid_close_payload")
    public static let dataAfterClose = AnomalyKind("data_after_close")
    public static let invalidFrameHeader = AnomalyKind("invalid_frame_header")
    public static let messageTooLarge = AnomalyKind("message_too_large")
    public static let incompleteMessage = AnomalyKind("incomplete_message")
    public static let truncatedFrame = AnomalyKind("truncated_frame")

    // Lost framing.
    public static let resynchronized = AnomalyKind("resynchronized")
    public static let resynchronizationLimit = AnomalyKind("resynchronization_limit")
    public static let unparsedBytes = AnomalyKind("unparsed_bytes")
    /// A connection picked up without its handshake in which no direction ever proved a frame
    /// chain: reported with the bytes each way so that it is never dropped silently.
    public static let undecodedConnection = AnomalyKind("undecoded_connection")

    // Compression.
    public static let undecodableCompressedMessage = AnomalyKind("undecodable_compressed_message")
    public static let compressionContextLost = AnomalyKind("compression_context_lost")

    // Limits; the reassembly ones are spelled by the TCP layer.
    public static let pendingLimit = AnomalyKind("pending_limit")
    public static let reassemblyBufferLimit = AnomalyKind(tcp: .reassemblyBufferLimit)
    public static let connectionLimit = AnomalyKind(tcp: .connectionLimit)
    public static let clockJump = AnomalyKind(tcp: .clockJump)
    public static let headTooLarge = AnomalyKind("head_too_large")

    // TLS decryption (the TLSDecryption stream layer).
    public static let noKey = AnomalyKind("no_key")
    public static let tlsUnsupported = AnomalyKind("tls_unsupported")
    public static let tlsAuthenticationFailed = AnomalyKind("tls_authentication_failed")
    public static let tlsRecordTooLarge = AnomalyKind("tls_record_too_large")
    public static let tlsMalformed = AnomalyKind("tls_malformed")
    public static let tlsRecordLost = AnomalyKind("tls_record_lost")
    public static let http2NotDecoded = AnomalyKind("http2_not_decoded")

    // Application protocols inside WebSocket (the message decoders, seam 2).
    /// A message that does not parse as the connection's application protocol: shown raw.
    public static let undecodableAppMessage = AnomalyKind("undecodable_app_message")
    /// A named limit of an application-protocol decoder was reached (pending attachments,
    /// outstanding requests, buffered partial packets).
    public static let appDecoderLimit = AnomalyKind("app_decoder_limit")
    /// Requests never answered before the connection closed (one summary per connection).
    public static let unansweredRequests = AnomalyKind("unanswered_requests")

    /// Every kind, in the order of the documentation's table.
    public static let all: [AnomalyKind] = [
        .wrongAccept, .missingKey, .missingAccept, .unofferedExtension, .unofferedSubprotocol, .unsupportedVersion,
        .malformedExtension,
        .unmaskedClientFrame, .maskedServerFrame, .unnegotiatedRSV, .rsv1OnContinuation, .reservedOpcode,
        .controlFrameTooLong, .fragmentedControlFrame, .unexpectedContinuation, .unfinishedFragmentedMessage,
        .invalidUTF8, .invalidCloseCode, .invalidClosePayload, .dataAfterClose, .invalidFrameHeader,
        .messageTooLarge, .incompleteMessage, .truncatedFrame, .resynchronized, .resynchronizationLimit,
        .unparsedBytes, .undecodedConnection, .undecodableCompressedMessage, .compressionContextLost, .pendingLimit,
        .reassemblyBufferLimit, .connectionLimit, .headTooLarge,
        .clockJump,
        .noKey, .tlsUnsupported, .tlsAuthenticationFailed, .tlsRecordTooLarge, .tlsMalformed, .tlsRecordLost,
        .http2NotDecoded,
        .undecodableAppMessage, .appDecoderLimit, .unansweredRequests,
    ]

    /// The kind with this name, nil for a name no kind has.
    public init?(name: String) {
        guard let kind = Self.all.first(where: { $0.name == name }) else { return nil }
        self = kind
    }

    /// The kind of a handshake problem found by the protocol core.
    public init(handshake: WebSocketHandshakeProblem.Kind) { self.init(handshake.rawValue) }

    /// The kind of a problem an application-protocol decoder reported.
    public init(decoder kind: MessageAnnotation.Problem.Kind) {
        switch kind {
        case .undecodable: self = .undecodableAppMessage
        case .limit: self = .appDecoderLimit
        case .unanswered: self = .unansweredRequests
        }
    }

    /// The kind of a limit hit by the TCP reassembler.
    public init(tcp: TCPAnomalyKind) { self.init(tcp.rawValue) }
}
