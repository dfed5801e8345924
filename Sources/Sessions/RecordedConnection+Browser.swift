import PacketDecoding
import WebSocketProtocol

/// The connection in the terms of the browser WebSocket API, for people who debug a web page:
/// `readyState` changes, the `CloseEvent` a page would get, and where `error` would fire.
extension RecordedConnection {
    /// CONNECTING → OPEN → CLOSING → CLOSED with the capture's times. CLOSING starts with the first
    /// close frame; CLOSED is the end of the TCP connection (or of the capture).
    public var browserTimeline: [BrowserStateChange] {
        var steps = [BrowserStateChange(state: .connecting, timestamp: info.requestTimestamp)]
        steps.append(BrowserStateChange(state: .open, timestamp: info.timestamp))
        if let first = closeFrames.first {
            steps.append(BrowserStateChange(state: .closing, timestamp: first.timestamp))
        }
        if let close {
            // A flush at the end of the capture is not a close: the connection may still be open.
            if close.reason != .endOfCapture {
                steps.append(BrowserStateChange(state: .closed, timestamp: close.timestamp))
            }
        }
        return steps
    }

    /// The `CloseEvent.code` a browser client would report: the code of the close frame the server
    /// sent, 1005 for a close frame without one, 1006 when the connection ended without the server's
    /// close frame. Nil while the connection is still open at the end of the capture.
    public var browserCloseCode: UInt16? {
        if let fromServer = closeFrames.first(where: { $0.direction == .serverToClient }) {
            return fromServer.code ?? WebSocketCloseCode.noStatusReceived.rawValue
        }
        guard let close, close.reason != .endOfCapture else { return nil }
        return WebSocketCloseCode.abnormalClosure.rawValue
    }

    /// `CloseEvent.wasClean`: both close frames were exchanged and the TCP connection ended with FIN.
    public var closedCleanly: Bool {
        closeFrames.count == 2 && closeFrames[0].direction != closeFrames[1].direction && close?.reason == .fin
    }

    /// The first close frame: who started the closing handshake.
    public var closedFirstBy: WebSocketDirection? { closeFrames.first?.direction }

    /// Duration from the handshake to the last event, in seconds.
    public var duration: Double { max(0, lastTimestamp.seconds(since: info.timestamp)) }

    /// Wire bytes ÷ decompressed bytes over both directions; nil when nothing was compressed.
    public var compressionRatio: Double? {
        guard fromClient.compressedMessages + fromServer.compressedMessages > 0 else { return nil }
        let payload = fromClient.payloadBytes + fromServer.payloadBytes
        guard payload > 0 else { return nil }
        return Double(fromClient.wireBytes + fromServer.wireBytes) / Double(payload)
    }

    /// A connection that ended (reset, FIN, idle, eviction) before the server's close frame is an
    /// abnormal closure (1006): a browser fires `error` before `close`.
    mutating func settleAbnormalClosure() {
        guard browserError == nil, let close, close.reason != .endOfCapture else { return }
        if !closeFrames.contains(where: { $0.direction == .serverToClient }) {
            browserError = BrowserErrorEvent(timestamp: close.timestamp, cause: .abnormalClosure)
        }
    }
}
