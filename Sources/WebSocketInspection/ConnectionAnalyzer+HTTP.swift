import PacketDecoding
import TCPReassembly
import WebSocketProtocol

/// HTTP/1.1 up to the Upgrade: requests and responses are matched in order (keep-alive and
/// pipelining), bodies skipped by their framing, and the 101 to an Upgrade request switches both
/// directions to WebSocket. Bytes after the 101 head in the same segment are already WebSocket.
extension ConnectionAnalyzer {
    func processHTTP(at timestamp: Timestamp, _ emit: (InspectorEvent) -> Void) {
        var progress = true
        while progress && mode == .http {
            progress = processClientHTTP(at: timestamp, emit)
            if mode == .http && processServerHTTP(at: timestamp, emit) { progress = true }
        }
    }

    /// Advances through the client's held bytes; true if anything was consumed.
    private func processClientHTTP(at timestamp: Timestamp, _ emit: (InspectorEvent) -> Void) -> Bool {
        guard let clientSide else { return false }
        let index = Int(clientSide.rawValue)
        switch clientHTTP {
        case .awaitingUpgradeAnswer:
            return false
        case .head:
            guard !pending[index].isEmpty else { return false }
            let parsed = HTTPHeadParser.parseRequest(
                pending[index].bytes[...], maxHeadBytes: configuration.maxHeadBytes, resuming: &headScans[index])
            guard let (head, consumed) = complete(parsed, side: clientSide, at: timestamp, emit) else { return false }
            let requestTime = pending[index].firstTimestamp ?? timestamp
            removeHeld(consumed, side: index)
            requestsAwaitingResponse.append((head, requestTime))
            if WebSocketHandshake.isUpgradeRequest(head) {
                clientHTTP = .awaitingUpgradeAnswer
            } else {
                clientHTTP = Self.bodySkip(for: head.bodyFraming).map { .body($0) } ?? .head
            }
            return true
        case .body(let body):
            let (rest, progressed) = skip(body, side: index)
            clientHTTP = rest.map { .body($0) } ?? .head
            return progressed
        }
    }

    /// Advances through the server's held bytes; true if anything was consumed.
    private func processServerHTTP(at timestamp: Timestamp, _ emit: (InspectorEvent) -> Void) -> Bool {
        guard let clientSide else { return false }
        let serverSide = Self.other(clientSide)
        let index = Int(serverSide.rawValue)
        switch serverHTTP {
        case .head:
            // A response is read only once its request is known: the capture may show it first.
            guard !pending[index].isEmpty, let (request, requestTime) = requestsAwaitingResponse.first else { return false }
            let parsed = HTTPHeadParser.parseResponse(
                pending[index].bytes[...], maxHeadBytes: configuration.maxHeadBytes, resuming: &headScans[index])
            guard let (response, consumed) = complete(parsed, side: serverSide, at: timestamp, emit) else { return false }
            removeHeld(consumed, side: index)
            if response.status >= 100 && response.status < 200 && response.status != 101 {
                return true  // 100 Continue and other interim answers precede the real one
            }
            requestsAwaitingResponse.removeFirst()
            let upgradeRequested = WebSocketHandshake.isUpgradeRequest(request)
            if response.status == 101 {
                if upgradeRequested && WebSocketHandshake.isUpgradeResponse(response) {
                    upgrade(request: request, at: requestTime, response: response, emit)
                } else {
                    giveUp()  // switched to a protocol other than WebSocket
                }
                return true
            }
            if upgradeRequested {
                emit(.refused(RefusedUpgrade(
                    connection: info.id, timestamp: timestamp, client: endpoint(of: clientSide),
                    server: endpoint(of: serverSide), path: request.target, host: request.headers.first("Host"),
                    status: response.status, reason: response.reason)))
                clientHTTP = .head
            }
            let framing = response.bodyFraming(requestMethod: request.method)
            if framing == .untilClose {
                giveUp()  // the rest of the connection is this body
            } else {
                serverHTTP = Self.bodySkip(for: framing).map { .body($0) } ?? .head
            }
            return true
        case .body(let body):
            let (rest, progressed) = skip(body, side: index)
            serverHTTP = rest.map { .body($0) } ?? .head
            return progressed
        }
    }

    /// Consumes what it can of a body from a side's held bytes: what is left of it (nil when the
    /// body is done), and whether anything was consumed.
    private func skip(_ body: HTTPBodySkip, side index: Int) -> (rest: HTTPBodySkip?, progressed: Bool) {
        switch body {
        case .length(let remaining):
            let taken = min(remaining, UInt64(pending[index].count))
            removeHeld(Int(taken), side: index)
            return (remaining == taken ? nil : .length(remaining - taken), taken > 0)
        case .chunked(var skipper):
            let (consumed, finished) = skipper.consume(pending[index].bytes[...])
            removeHeld(consumed, side: index)
            return (finished ? nil : .chunked(skipper), consumed > 0 || finished)
        }
    }

    /// How to skip a body with this framing; nil when there is none to skip (or, for a request with
    /// broken framing, none that can be trusted).
    private static func bodySkip(for framing: HTTPBodyFraming) -> HTTPBodySkip? {
        switch framing {
        case .contentLength(let length) where length > 0: return .length(length)
        case .chunked: return .chunked(HTTPChunkedBodySkipper())
        default: return nil
        }
    }

    private func upgrade(request: HTTPRequestHead, at requestTime: Timestamp, response: HTTPResponseHead, _ emit: (InspectorEvent) -> Void) {
        guard let clientSide else { return }
        let offers = WebSocketExtensionHeader.parse(response.headers.all("Sec-WebSocket-Extensions"))
        let compression = PerMessageDeflateParameters(negotiated: offers)
        let extensions = response.headers.listElements("Sec-WebSocket-Extensions")
        var connectionInfo = WebSocketConnectionInfo(
            connection: info.id, timestamp: lastTimestamp, client: endpoint(of: clientSide),
            server: endpoint(of: Self.other(clientSide)), path: request.target, host: request.headers.first("Host"),
            subprotocol: response.headers.first("Sec-WebSocket-Protocol"), extensions: extensions,
            handshake: true, requestHead: request, responseHead: response)
        connectionInfo.requestTimestamp = requestTime
        let problems = WebSocketHandshake.problems(request: request, response: response)
        startWebSocket(connectionInfo, compression: compression, atFrameBoundary: true) { event in
            emit(event)
            // Handshake problems are reported right after the open they belong to.
            if case .open = event {
                for problem in problems {
                    emit(.anomaly(InspectorAnomaly(
                        connection: info.id, timestamp: lastTimestamp, direction: nil,
                        kind: AnomalyKind(handshake: problem.kind), detail: problem.detail)))
                }
            }
        }
    }

    /// An HTTP head that does not end within `maxHeadBytes`: reported (a hostile or broken peer, or
    /// a limit set too low), then the connection is no longer followed so nothing more is held.
    /// The head and the bytes it took, or nil: more bytes are needed, or the connection is given up
    /// (not HTTP, or a head past `maxHeadBytes`, which is reported).
    private func complete<Head>(
        _ result: HTTPHeadParseResult<Head>, side: StreamSide, at timestamp: Timestamp, _ emit: (InspectorEvent) -> Void
    ) -> (Head, Int)? {
        switch result {
        case .head(let head, let consumed):
            return (head, consumed)
        case .needMoreData:
            return nil
        case .invalid:
            giveUp()
            return nil
        case .tooLarge:
            emit(.anomaly(InspectorAnomaly(
                connection: info.id, timestamp: timestamp, direction: direction(of: side),
                kind: .headTooLarge, detail: "no end of the HTTP head within \(configuration.maxHeadBytes) bytes; connection no longer followed")))
            giveUp()
            return nil
        }
    }
}
