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
        // connection picked up mid-stream, or one that lost data, is searched for bare frames:
        // under both assignments of the roles at once, until one proves a frame chain.
        let startCaptured = info.sawSYN && !lostData
        if configuration.detectMidstream && !startCaptured {
            startRoleTrial(emit)
            return
        }
        let held = pending.map(\.count).max() ?? 0
        if isFinal || held > Self.maxClassificationBytes { giveUp() }
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

    /// Starts decoding a connection picked up mid-stream under both assignments of the roles
    /// (MidstreamRoleTrial.swift), with the bytes held so far.
    private func startRoleTrial(_ emit: (InspectorEvent) -> Void) {
        var trial = MidstreamRoleTrial(connection: info.id, configuration: configuration)
        let firstSeen = pending.compactMap(\.firstTimestamp).min()
        for side in [StreamSide.initiator, .responder] {
            pending[Int(side.rawValue)].forEachPart { part, timestamp in trial.receive(part, from: side, at: timestamp) }
        }
        trial.firstTimestamp = firstSeen ?? trial.firstTimestamp
        dropHeldBytes()
        roleTrial = trial
        mode = .midstreamTrial
        concludeRoleTrialIfDecided(emit)
    }

    /// Switches to WebSocket with the assignment of the roles that proved more frame chains, once
    /// one did: the `open` comes as soon as a frame chain is proven.
    func concludeRoleTrialIfDecided(_ emit: (InspectorEvent) -> Void) {
        guard let winner = roleTrial?.winner else { return }
        concludeRoleTrial(winner, emit)
    }

    /// The connection ended during the trial: chains that end with the stream are proven now. With
    /// no winner, a connection that looked like WebSocket is still opened (roles guessed from the
    /// ports, confidence `low`) so that `undecoded_connection` reports it; anything else is ignored.
    func finishRoleTrial(at timestamp: Timestamp, _ emit: (InspectorEvent) -> Void) {
        guard var trial = roleTrial else { return }
        trial.finish(at: timestamp)
        roleTrial = trial
        if let winner = trial.winner {
            concludeRoleTrial(winner, emit)
            return
        }
        guard trial.looksLikeWebSocket || trial.assignments.contains(where: { $0.provenChains > 0 }) else {
            roleTrial = nil
            mode = .ignored
            return
        }
        let guess = guessedClientSide()
        concludeRoleTrial(trial.assignments.firstIndex { $0.clientSide == guess } ?? 0, emit)
    }

    private func concludeRoleTrial(_ index: Int, _ emit: (InspectorEvent) -> Void) {
        guard let trial = roleTrial else { return }
        let chosen = trial.assignments[index]
        roleTrial = nil
        clientSide = chosen.clientSide
        decoders = chosen.decoders
        mode = .websocket
        let connectionInfo = WebSocketConnectionInfo(
            connection: info.id, timestamp: trial.firstTimestamp ?? lastTimestamp, client: endpoint(of: chosen.clientSide),
            server: endpoint(of: Self.other(chosen.clientSide)), handshake: false,
            confidence: MidstreamConfidence(provenDirections: chosen.provenDirections))
        websocketInfo = connectionInfo
        emit(.open(connectionInfo))
        for event in chosen.events { emit(event) }
        if chosen.droppedEvents > 0 {
            emit(.anomaly(InspectorAnomaly(
                connection: info.id, timestamp: lastTimestamp, direction: nil, kind: .pendingLimit,
                detail: "\(chosen.droppedEvents) events reported before the roles were known were dropped (at most \(MidstreamRoleTrial.maxHeldEvents) are held)")))
        }
    }

    /// The client when no frames tell: the side whose port is ephemeral (32768 and up, where Linux
    /// and IANA put them) when the other's is not, else the side that sent first.
    private func guessedClientSide() -> StreamSide {
        let initiatorEphemeral = info.initiator.port >= 32768, responderEphemeral = info.responder.port >= 32768
        if initiatorEphemeral != responderEphemeral { return initiatorEphemeral ? .initiator : .responder }
        return .initiator
    }
}

extension PerMessageDeflateParameters {
    /// What to assume when the handshake was not seen: permessage-deflate may be on, with context
    /// takeover (the default), so that the loss of a message's window is taken into account.
    static let assumedWithoutHandshake = PerMessageDeflateParameters()
}
