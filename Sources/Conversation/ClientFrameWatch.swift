import WebSocketProtocol

/// Watches the frame headers a live client sends, ahead of the decoder, for the one limit the
/// decoder can only report once a message ends: its size. A client that announces a frame of
/// 2^63−1 bytes (or fragments past the limit) would otherwise keep the connection busy for as long
/// as it cares to send; the server cuts it off at the header instead. The decoder keeps no more
/// than `maxMessageBytes` either way, so this bounds time, not memory.
struct ClientFrameWatch {
    private var parser = WebSocketFrameParser()
    private var messageBytes: UInt64 = 0
    /// The largest data message, on the wire, a client may send (`--max-message-bytes`): a
    /// compressed message that large inflates to at least about as much.
    let maxMessageBytes: UInt64

    init(maxMessageBytes: Int) {
        self.maxMessageBytes = UInt64(max(maxMessageBytes, 0))
    }

    /// Why the client must be cut off, or nil while its frames stay within the limit. Malformed
    /// headers are left to the decoder, which reports them as anomalies.
    mutating func check(_ bytes: ArraySlice<UInt8>) -> String? {
        var rest = bytes
        while let event = parser.next(&rest) {
            guard case .frameStart(let header) = event, !header.opcode.isControl else {
                if case .invalid = event { return nil }
                continue
            }
            if header.opcode != .continuation { messageBytes = 0 }
            let (sum, overflow) = messageBytes.addingReportingOverflow(header.payloadLength)
            messageBytes = overflow ? .max : sum
            if messageBytes > maxMessageBytes {
                return "a \(header.opcode) frame of \(header.payloadLength) bytes makes its message larger than \(maxMessageBytes) bytes (--max-message-bytes)"
            }
        }
        return nil
    }
}
