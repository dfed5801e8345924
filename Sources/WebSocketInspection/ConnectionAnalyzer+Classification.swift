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
        if !skipOrphanUpgradeResponse(isFinal: isFinal) { return }
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
        let held = pending.map(\.count).max() ?? 0
        let decideNow = isFinal || held > Self.maxClassificationBytes
        if configuration.detectMidstream && !startCaptured && detectFrames(isFinal: isFinal, decideNow: decideNow, emit) { return }
        // A connection picked up mid-stream may open inside a long frame (a 64-bit length): its
        // first boundary can be more than `maxClassificationBytes` in. Keep looking, within
        // `maxPendingBytes` per side, rather than drop the connection silently.
        let midstream = configuration.detectMidstream && !startCaptured
        if isFinal || (held > Self.maxClassificationBytes && !midstream) { giveUp() }
    }

    private static let upgradeStatusPrefix = Array("HTTP/1.1 101".utf8)
    private static let headEnd = Array("\r\n\r\n".utf8)

    /// A capture that starts between an Upgrade request and its 101 holds the 101 but not the
    /// request: HTTP would wait forever for the request and the connection would vanish. When one
    /// side starts with a 101 while the other has sent nothing captured (a response cannot come
    /// before its request), the head is dropped and the frames after it are searched like any
    /// mid-stream connection's. False while the head is not complete yet.
    private func skipOrphanUpgradeResponse(isFinal: Bool) -> Bool {
        guard configuration.detectMidstream, !info.sawSYN || lostData else { return true }
        for side in [StreamSide.initiator, .responder] {
            let bytes = pending[Int(side.rawValue)].bytes
            guard pending[Int(Self.other(side).rawValue)].isEmpty, Self.match(bytes, Self.upgradeStatusPrefix) == .yes else { continue }
            let window = bytes.prefix(configuration.maxHeadBytes)
            guard let end = Self.firstIndex(of: Self.headEnd, in: window) else { return isFinal || bytes.count > configuration.maxHeadBytes }
            pending[Int(side.rawValue)].removeFirst(end + Self.headEnd.count)
            return true
        }
        return true
    }

    private static func firstIndex(of needle: [UInt8], in haystack: ArraySlice<UInt8>) -> Int? {
        guard haystack.count >= needle.count else { return nil }
        for start in haystack.startIndex...(haystack.endIndex - needle.count)
        where haystack[start..<start + needle.count].elementsEqual(needle) {
            return start - haystack.startIndex
        }
        return nil
    }

    /// The side whose frames prove more chains when taken as the client's (masked) than the other
    /// way round, by decoding copies of the held bytes under both roles; nil on a tie.
    private func trialClientSide() -> StreamSide? {
        var proven: [Int] = []
        for candidate in [StreamSide.initiator, .responder] {
            var count = 0
            for side in [StreamSide.initiator, .responder] {
                var decoder = WebSocketStreamDecoder(
                    connection: info.id, direction: side == candidate ? .clientToServer : .serverToClient,
                    configuration: configuration, compression: .assumedWithoutHandshake, startsAtFrameBoundary: false)
                pending[Int(side.rawValue)].forEachPart { part, timestamp in decoder.receive(part, at: timestamp) { _ in } }
                count += decoder.provenChains
            }
            proven.append(count)
        }
        if proven[0] == proven[1] { return nil }
        return proven[0] > proven[1] ? .initiator : .responder
    }

    /// The header at the start of `bytes` when it is plausible and announces more than 125 bytes.
    private static func plausibleLongHeader(_ bytes: [UInt8]) -> WebSocketFrameHeader? {
        guard case .header(let header) = bytes.withUnsafeBytes({ WebSocketFrameHeader.parse($0) }) else { return nil }
        guard header.opcode.isKnown, !header.opcode.isControl, header.reservedBits & 0b011 == 0,
              !header.usesNonMinimalLength, header.payloadLength > 125, header.opcode != .continuation || !header.rsv1
        else { return nil }
        return header
    }

    /// Reports a connection picked up without its handshake in which no direction proved a frame
    /// chain, so that it is never dropped silently.
    func reportIfUndecoded(at timestamp: Timestamp, _ emit: (InspectorEvent) -> Void) {
        guard let websocketInfo, !websocketInfo.handshake, !decoders.contains(where: \.hasProvenFrames) else { return }
        let fromClient = decoders[Int(WebSocketDirection.clientToServer.rawValue)].receivedBytes
        let fromServer = decoders[Int(WebSocketDirection.serverToClient.rawValue)].receivedBytes
        emit(.anomaly(InspectorAnomaly(
            connection: info.id, timestamp: timestamp, direction: nil, kind: .undecodedConnection,
            detail: "no frame chain could be proven in \(fromClient) bytes from the client side and \(fromServer) bytes from the server side (as guessed); nothing of them is shown")))
    }

    /// Looks for WebSocket frames in either side's held bytes; true when it switched to WebSocket.
    ///
    /// A boundary at the first captured byte of a side (where a segment starts) decides at once;
    /// one found inside the held bytes only with `decideNow` (the end, or more than
    /// `maxClassificationBytes` held): chance chains of two or three headers turn up about once per
    /// 64 KB of binary or compressed payload, and deciding on one names the wrong side the client
    /// (then nothing can be decoded). Waiting lets the other side's first frame speak.
    private func detectFrames(isFinal: Bool, decideNow: Bool, _ emit: (InspectorEvent) -> Void) -> Bool {
        let scanner = FrameBoundaryScanner(
            expectMasked: nil, allowCompression: true,
            maxPlausibleFrameLength: UInt64(max(configuration.maxMessageBytes, 1 << 24)))
        // Evidence from both sides: a boundary at the start of the held bytes (where a TCP segment,
        // and so usually a frame, starts) and a longer chain weigh more than one found inside a
        // payload; the masking of the best one names the client.
        var best: (side: StreamSide, chained: Int, masked: Bool, score: Int, aligned: Bool)?
        for side in [StreamSide.initiator, .responder] {
            let bytes = pending[Int(side.rawValue)].bytes
            guard !bytes.isEmpty else { continue }
            var result = bytes.withUnsafeBytes { scanner.scan($0, isFinal: isFinal) }
            // A long frame (16- or 64-bit length) whose header is the side's first captured byte
            // is strong evidence before it is complete: a segment start, and a length encoding
            // that chance rarely makes.
            if case .needMoreBytes(0) = result, let header = Self.plausibleLongHeader(bytes) {
                // Counted as two chained headers (`medium`): stronger than a chance pair.
                result = .boundary(offset: 0, chained: 2, masked: header.maskKey != nil)
            }
            guard case .boundary(let offset, let chained, let masked) = result else { continue }
            let score = chained + (offset == 0 ? 3 : 0)
            if best == nil || score > best!.score { best = (side, chained, masked, score, offset == 0) }
        }
        if let best, best.aligned || decideNow {
            let side = best.side, chained = best.chained, masked = best.masked
            // Clients must mask and servers must not (RFC 6455 §5.1): masking names the sender.
            var chosen = masked ? side : Self.other(side)
            if !best.aligned {
                // Found inside a payload: the chance chain may name the wrong side. Decode the held
                // bytes under both roles and keep the one that proves chains; wait (or, at the end,
                // keep the scanner's guess) when neither does.
                let held = pending.map(\.count).max() ?? 0
                if !isFinal && held < nextRoleTrialBytes { return false }
                nextRoleTrialBytes = held * 2
                if let tried = trialClientSide() { chosen = tried } else if !isFinal { return false }
            }
            clientSide = chosen
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
