import PacketDecoding
import TCPReassembly
import WebSocketProtocol

/// Follows one TCP connection from its first bytes to its end: HTTP/1.1 until an Upgrade is
/// answered with 101, WebSocket frames after that; or, when the handshake was not captured,
/// WebSocket frames found by their shape.
///
/// Which peer is the client is decided by who sent the HTTP request (or, mid-stream, who masks its
/// frames), not by who opened the TCP connection: a capture may miss the SYN or start late.
public final class ConnectionAnalyzer {
    public let info: TCPConnectionInfo
    let configuration: InspectionConfiguration

    enum Mode { case undecided, http, midstreamTrial, websocket, ignored }
    var mode = Mode.undecided

    /// The TCP side that sent the HTTP request (or masks its frames).
    var clientSide: StreamSide?
    /// Bytes of each side held before the connection's kind is known, or while one side waits for
    /// the other (indexed by `StreamSide.rawValue`).
    var pending: [TimedByteBuffer] = [TimedByteBuffer(), TimedByteBuffer()]
    /// How far each side's search for the end of an HTTP head got in its held bytes (indexed like
    /// `pending`): a head arriving in many small segments is then scanned once, not once per
    /// segment. Reset whenever bytes leave the front of that side's held bytes.
    var headScans: [HTTPHeadScan] = [HTTPHeadScan(), HTTPHeadScan()]
    var lastTimestamp = Timestamp.zero
    /// Set once bytes were lost before the connection's kind was known.
    var lostData = false
    /// Both assignments of the roles being decoded, for a connection picked up mid-stream
    /// (MidstreamRoleTrial.swift), until one proves a frame chain.
    var roleTrial: MidstreamRoleTrial?

    // HTTP state (see ConnectionAnalyzer+HTTP.swift).
    /// A message body being skipped: bytes left of a Content-Length body, or a chunked one.
    enum HTTPBodySkip { case length(UInt64), chunked(HTTPChunkedBodySkipper) }
    enum ClientHTTPState { case head, body(HTTPBodySkip), awaitingUpgradeAnswer }
    enum ServerHTTPState { case head, body(HTTPBodySkip) }
    var clientHTTP = ClientHTTPState.head
    var serverHTTP = ServerHTTPState.head
    /// Requests seen and not yet answered, with the time their first byte arrived.
    var requestsAwaitingResponse: [(head: HTTPRequestHead, timestamp: Timestamp)] = []

    // WebSocket state.
    var decoders: [WebSocketStreamDecoder] = []
    var websocketInfo: WebSocketConnectionInfo?

    public init(info: TCPConnectionInfo, configuration: InspectionConfiguration) {
        self.info = info
        self.configuration = configuration
    }

    /// True when this connection turned out not to be WebSocket (or HTTP leading to it): callers may
    /// stop giving it data.
    public var isIgnored: Bool { mode == .ignored }

    /// Bytes currently held by this analyzer outside message buffers, for memory accounting.
    public var pendingByteCount: Int { pending[0].count + pending[1].count }

    func endpoint(of side: StreamSide) -> Endpoint { side == .initiator ? info.initiator : info.responder }

    func direction(of side: StreamSide) -> WebSocketDirection {
        side == clientSide ? .clientToServer : .serverToClient
    }

    static func other(_ side: StreamSide) -> StreamSide { side == .initiator ? .responder : .initiator }

    /// In-order bytes from one side.
    public func receive(_ bytes: ArraySlice<UInt8>, from side: StreamSide, at timestamp: Timestamp, _ emit: (InspectorEvent) -> Void) {
        lastTimestamp = timestamp
        switch mode {
        case .ignored:
            return
        case .websocket:
            let index = Int(direction(of: side).rawValue)
            decoders[index].receive(bytes, at: timestamp, emit)
        case .midstreamTrial:
            roleTrial?.receive(bytes, from: side, at: timestamp)
            concludeRoleTrialIfDecided(emit)
        case .http:
            hold(bytes, from: side, at: timestamp, emit)
            processHTTP(at: timestamp, emit)
        case .undecided:
            hold(bytes, from: side, at: timestamp, emit)
            classify(isFinal: false, at: timestamp, emit)
        }
    }

    /// Bytes lost on one side.
    public func receiveGap(_ count: UInt64, from side: StreamSide, at timestamp: Timestamp, _ emit: (InspectorEvent) -> Void) {
        lastTimestamp = timestamp
        switch mode {
        case .ignored:
            return
        case .websocket:
            let index = Int(direction(of: side).rawValue)
            decoders[index].receiveGap(count, at: timestamp, emit)
        case .midstreamTrial:
            roleTrial?.receiveGap(count, from: side, at: timestamp)
            concludeRoleTrialIfDecided(emit)
        case .http, .undecided:
            // HTTP framing is lost: start over and let the frame heuristics find WebSocket traffic
            // if that is what follows.
            mode = .undecided
            lostData = true
            clientSide = nil
            dropHeldBytes()
            clientHTTP = .head
            serverHTTP = .head
            requestsAwaitingResponse = []
        }
    }

    /// The TCP connection ended (or the capture did).
    public func finish(reason: TCPCloseReason, at timestamp: Timestamp, _ emit: (InspectorEvent) -> Void) {
        if mode == .undecided { classify(isFinal: true, at: timestamp, emit) }
        var finished = false
        if mode == .midstreamTrial {
            finishRoleTrial(at: timestamp, emit)
            finished = true
        }
        guard mode == .websocket, let websocketInfo else { return }
        if !finished { for index in decoders.indices { decoders[index].finish(at: timestamp, emit) } }
        reportIfUndecoded(at: timestamp, emit)
        emit(.close(ConnectionClose(
            connection: websocketInfo.connection, timestamp: timestamp, reason: reason,
            messagesFromClient: decoders[0].messageCount, messagesFromServer: decoders[1].messageCount)))
        mode = .ignored
    }

    /// Appends to a side's held bytes, within `maxPendingBytes`.
    func hold(_ bytes: ArraySlice<UInt8>, from side: StreamSide, at timestamp: Timestamp, _ emit: (InspectorEvent) -> Void) {
        let index = Int(side.rawValue)
        if pending[index].count + bytes.count > configuration.maxPendingBytes {
            if mode == .http {
                emit(.anomaly(InspectorAnomaly(
                    connection: info.id, timestamp: timestamp, direction: clientSide.map(direction(of:)),
                    kind: .pendingLimit, detail: "more than \(configuration.maxPendingBytes) bytes held waiting for the other side; connection no longer followed")))
            }
            giveUp()
            return
        }
        pending[index].append(bytes, at: timestamp)
    }

    func giveUp() {
        mode = .ignored
        dropHeldBytes()
    }

    /// Forgets both sides' held bytes and what was learnt about them.
    func dropHeldBytes() {
        pending = [TimedByteBuffer(), TimedByteBuffer()]
        headScans = [HTTPHeadScan(), HTTPHeadScan()]
    }

    /// Removes `count` bytes from the front of one side's held bytes (indexed by `StreamSide.rawValue`).
    func removeHeld(_ count: Int, side index: Int) {
        guard count > 0 else { return }
        pending[index].removeFirst(count)
        headScans[index] = HTTPHeadScan()
    }

    /// Switches to WebSocket decoding and hands each side's held bytes to its decoder.
    func startWebSocket(
        _ connectionInfo: WebSocketConnectionInfo, compression: PerMessageDeflateParameters?,
        atFrameBoundary: Bool, _ emit: (InspectorEvent) -> Void
    ) {
        mode = .websocket
        websocketInfo = connectionInfo
        decoders = WebSocketDirection.allCases.map {
            WebSocketStreamDecoder(
                connection: info.id, direction: $0, configuration: configuration,
                compression: compression, startsAtFrameBoundary: atFrameBoundary)
        }
        emit(.open(connectionInfo))
        guard let clientSide else { return }
        for side in [clientSide, Self.other(clientSide)] {
            let held = pending[Int(side.rawValue)]
            pending[Int(side.rawValue)] = TimedByteBuffer()
            headScans[Int(side.rawValue)] = HTTPHeadScan()
            let index = Int(direction(of: side).rawValue)
            held.forEachPart { part, timestamp in decoders[index].receive(part, at: timestamp, emit) }
        }
    }
}
