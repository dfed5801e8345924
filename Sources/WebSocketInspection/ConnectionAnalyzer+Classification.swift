import PacketDecoding
import TCPReassembly
import WebSocketProtocol

/// Deciding what a connection is from its first bytes: HTTP (a request line from one side or a
/// status line from the other), WebSocket frames without a handshake, or something else to ignore.
extension ConnectionAnalyzer {
    /// Bytes looked at per side before a connection that is neither HTTP nor WebSocket is ignored.
    static let maxClassificationBytes = 64 << 10

    private static let requestMethods: [[UInt8]] = [
        "GET ", "POST ", "PUT ", "HEAD ", "DELETE ", "OPTIONS ", "PATCH ", "CONNECT ", "TRACE ",
    ].map { Array($0.utf8) }
    private static let statusLinePrefix = Array("HTTP/1.".utf8)

    enum PrefixMatch { case yes, no, maybe }

    static func match(_ bytes: [UInt8], _ prefix: [UInt8]) -> PrefixMatch {
        let count = min(bytes.count, prefix.count)
        for index in 0..<count where bytes[index] != prefix[index] { return .no }
        return count == prefix.count ? .yes : .maybe
    }

    func classify(isFinal: Bool, at timestamp: Timestamp, _ emit: (InspectorEvent) -> Void) {
        var undecidedPrefix = false
        for side in [StreamSide.initiator, .responder] {
            let bytes = pending[Int(side.rawValue)].bytes
            guard !bytes.isEmpty else { continue }
            let requestMatches = Self.requestMethods.map { Self.match(bytes, $0) }
            if requestMatches.contains(.yes) {
                clientSide = side
                mode = .http
                processHTTP(at: timestamp, emit)
                return
            }
            let statusMatch = Self.match(bytes, Self.statusLinePrefix)
            if statusMatch == .yes {
                clientSide = Self.other(side)
                mode = .http
                processHTTP(at: timestamp, emit)
                return
            }
            if requestMatches.contains(.maybe) || statusMatch == .maybe { undecidedPrefix = true }
        }
        if undecidedPrefix && !isFinal { return }
        // A connection whose start was captured (its SYN) and that began with something other than
        // HTTP is not WebSocket: every WebSocket connection starts with the Upgrade request. Only a
        // connection picked up mid-stream, or one that lost data, is searched for bare frames.
        let startCaptured = info.sawSYN && !lostData
        if configuration.detectMidstream && !startCaptured && detectFrames(isFinal: isFinal, emit) { return }
        let held = pending.map(\.count).max() ?? 0
        if isFinal || held > Self.maxClassificationBytes { giveUp() }
    }

    /// Looks for WebSocket frames in either side's held bytes; true when it switched to WebSocket.
    private func detectFrames(isFinal: Bool, _ emit: (InspectorEvent) -> Void) -> Bool {
        let scanner = FrameBoundaryScanner(
            expectMasked: nil, allowCompression: true,
            maxPlausibleFrameLength: UInt64(max(configuration.maxMessageBytes, 1 << 24)))
        for side in [StreamSide.initiator, .responder] {
            let bytes = pending[Int(side.rawValue)].bytes
            guard !bytes.isEmpty else { continue }
            let result = bytes.withUnsafeBytes { scanner.scan($0, isFinal: isFinal) }
            guard case .boundary(_, let chained, let masked) = result else { continue }
            // Clients must mask and servers must not (RFC 6455 §5.1): masking names the sender.
            clientSide = masked ? side : Self.other(side)
            guard let clientSide else { return false }
            let confidence = MidstreamConfidence(chainedHeaders: chained)
            let firstSeen = pending.compactMap(\.firstTimestamp).min() ?? lastTimestamp
            let connectionInfo = WebSocketConnectionInfo(
                connection: info.id, timestamp: firstSeen, client: endpoint(of: clientSide),
                server: endpoint(of: Self.other(clientSide)), handshake: false, confidence: confidence)
            // The extensions are unknown: allow permessage-deflate; the decoders inflate what the
            // captured part of the window allows and report the rest (never wrong bytes).
            startWebSocket(connectionInfo, compression: .assumedWithoutHandshake, atFrameBoundary: false, emit)
            return true
        }
        return false
    }
}

extension PerMessageDeflateParameters {
    /// What to assume when the handshake was not seen: permessage-deflate may be on, with context
    /// takeover (the default), so that the loss of a message's window is taken into account.
    static let assumedWithoutHandshake = PerMessageDeflateParameters()
}
