import MessageDecoding
import PacketDecoding
import WebSocketProtocol

/// One WebSocket message (or control frame) as a peer sent it, decoded and unmasked.
public struct WebSocketMessage: Sendable {
    public var connection: Int
    /// The time of the packet that completed the message.
    public var timestamp: Timestamp
    public var direction: WebSocketDirection
    /// The opcode of the first frame: text, binary, a control opcode, or a reserved one.
    public var opcode: WebSocketOpcode
    /// The payload after unmasking (and, when it could be done, decompression), at most
    /// `maxMessageBytes` long.
    public var payload: [UInt8]
    /// The full payload length: larger than `payload.count` when the message was truncated.
    public var length: UInt64
    /// Bytes on the wire: the sum of the frames' payload lengths, before decompression.
    public var wireLength: UInt64
    /// Frames the message was sent in.
    public var frames: Int
    /// For a fragmented message, the wire payload length of each frame in order (what replay needs
    /// to fragment it the same way); empty for a message sent in one frame.
    public var fragmentLengths: [UInt64]
    /// RSV1 was set on the first frame of a connection that negotiated permessage-deflate.
    public var compressed: Bool
    /// For a compressed message: whether `payload` holds the inflated bytes (false: raw deflate bytes).
    public var decompressed: Bool
    /// True when `payload` is shorter than `length` because of the size cap.
    public var truncated: Bool
    /// Payload bytes known to be lost in the capture (a gap inside a frame whose length is known).
    public var missingBytes: UInt64
    /// Some of the message was not captured: bytes lost inside it, or it was cut short by lost
    /// framing or the end of the capture (then its full length is unknown).
    public var isIncomplete: Bool
    /// The close code and reason of a close frame with a body.
    public var closeCode: UInt16?
    public var closeReason: String?
    /// What the connection's application-protocol decoder said about this message (seam 2,
    /// `MessageDecoder`); nil when no decoder was chosen or it had nothing to say. Never a change to
    /// the fields above.
    public var annotation: MessageAnnotation?

    public init(
        connection: Int, timestamp: Timestamp, direction: WebSocketDirection, opcode: WebSocketOpcode,
        payload: [UInt8], length: UInt64, wireLength: UInt64, frames: Int, fragmentLengths: [UInt64] = [],
        compressed: Bool = false,
        decompressed: Bool = false, truncated: Bool = false, missingBytes: UInt64 = 0, incomplete: Bool? = nil,
        closeCode: UInt16? = nil, closeReason: String? = nil
    ) {
        self.connection = connection
        self.timestamp = timestamp
        self.direction = direction
        self.opcode = opcode
        self.payload = payload
        self.length = length
        self.wireLength = wireLength
        self.frames = frames
        self.fragmentLengths = fragmentLengths
        self.compressed = compressed
        self.decompressed = decompressed
        self.truncated = truncated
        self.missingBytes = missingBytes
        self.isIncomplete = incomplete ?? (missingBytes > 0)
        self.closeCode = closeCode
        self.closeReason = closeReason
    }
}
