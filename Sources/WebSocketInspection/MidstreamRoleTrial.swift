import PacketDecoding
import TCPReassembly
import WebSocketProtocol

/// Which side of a connection picked up mid-stream is the client, decided by proven frames.
///
/// Clients mask their frames and servers do not, so the roles decide how every frame is checked.
/// Deciding them from the first plausible header named the wrong side in cut tests of real
/// captures (a chance "header" at the start of a compressed payload, or a cut inside a 64-bit
/// length whose zero bytes read as empty unmasked frames): then nothing could be decoded. So both
/// assignments of the roles are decoded side by side, each with the proving decoders of
/// WebSocketStreamDecoder+Probation.swift, from the first byte on and without holding the bytes
/// (each decoder bounds its own buffers, so a connection that opens inside a 1 MiB frame is not
/// given up at `maxPendingBytes`). The first assignment to prove more frame chains than the other
/// wins; its decoders carry on and the other's are dropped.
struct MidstreamRoleTrial {
    struct Assignment {
        let clientSide: StreamSide
        /// Indexed by `WebSocketDirection.rawValue`.
        var decoders: [WebSocketStreamDecoder]
        /// What the decoders reported before the roles were decided (gaps, limits), shown after
        /// the `open` when this assignment wins.
        var events: [InspectorEvent] = []
        var droppedEvents = 0

        var provenChains: Int { decoders.reduce(0) { $0 + $1.provenChains } }
        var provenDirections: Int { decoders.filter(\.hasProvenFrames).count }

        func direction(of side: StreamSide) -> WebSocketDirection {
            side == clientSide ? .clientToServer : .serverToClient
        }

        mutating func hold(_ event: InspectorEvent) {
            if events.count < MidstreamRoleTrial.maxHeldEvents { events.append(event) } else { droppedEvents += 1 }
        }
    }

    /// Events held per assignment until the roles are decided. Before a chain is proven a decoder
    /// reports little (gaps, one limit anomaly per kind); a lossy capture could report more, and
    /// those past this many are counted and dropped.
    static let maxHeldEvents = 256

    var assignments: [Assignment]
    /// When the connection's first byte was captured (the `open` event's time).
    var firstTimestamp: Timestamp?
    /// A side's first captured bytes start with a plausible frame header: the connection looks
    /// like WebSocket even if no chain is ever proven, and is then reported, never dropped.
    var looksLikeWebSocket = false
    private var sideSeen = [false, false]

    init(connection: Int, configuration: InspectionConfiguration) {
        assignments = [StreamSide.initiator, .responder].map { client in
            Assignment(clientSide: client, decoders: WebSocketDirection.allCases.map {
                WebSocketStreamDecoder(
                    connection: connection, direction: $0, configuration: configuration,
                    compression: .assumedWithoutHandshake, startsAtFrameBoundary: false)
            })
        }
    }

    mutating func receive(_ bytes: ArraySlice<UInt8>, from side: StreamSide, at timestamp: Timestamp) {
        guard !bytes.isEmpty else { return }
        if firstTimestamp == nil { firstTimestamp = timestamp }
        if !sideSeen[Int(side.rawValue)] {
            sideSeen[Int(side.rawValue)] = true
            if Self.startsWithPlausibleHeader(bytes) { looksLikeWebSocket = true }
        }
        for index in assignments.indices {
            let direction = assignments[index].direction(of: side)
            var held: [InspectorEvent] = []
            assignments[index].decoders[Int(direction.rawValue)].receive(bytes, at: timestamp) { held.append($0) }
            for event in held { assignments[index].hold(event) }
        }
    }

    mutating func receiveGap(_ count: UInt64, from side: StreamSide, at timestamp: Timestamp) {
        for index in assignments.indices {
            let direction = assignments[index].direction(of: side)
            var held: [InspectorEvent] = []
            assignments[index].decoders[Int(direction.rawValue)].receiveGap(count, at: timestamp) { held.append($0) }
            for event in held { assignments[index].hold(event) }
        }
    }

    /// The end of the connection: chains that end exactly at the end of a stream are proven now.
    mutating func finish(at timestamp: Timestamp) {
        for index in assignments.indices {
            for direction in WebSocketDirection.allCases {
                var held: [InspectorEvent] = []
                assignments[index].decoders[Int(direction.rawValue)].finish(at: timestamp) { held.append($0) }
                for event in held { assignments[index].hold(event) }
            }
        }
    }

    /// The index of the assignment that proved more chains than the other, if one did.
    var winner: Int? {
        let proven = assignments.map(\.provenChains)
        guard proven[0] != proven[1] else { return nil }
        return proven[0] > proven[1] ? 0 : 1
    }

    /// Whether `bytes` (a side's first captured bytes, where a TCP segment and so usually a frame
    /// starts) begin with a header a sender could write: a plausible frame that fits, or one whose
    /// header announces a longer frame.
    static func startsWithPlausibleHeader(_ bytes: ArraySlice<UInt8>) -> Bool {
        let scanner = FrameBoundaryScanner(expectMasked: nil, allowCompression: true, maxPlausibleFrameLength: 1 << 40)
        if case .boundary(0, _, _) = Array(bytes.prefix(16 << 10)).withUnsafeBytes({ scanner.scan($0, isFinal: true) }) { return true }
        guard case .header(let header) = Array(bytes.prefix(14)).withUnsafeBytes({ WebSocketFrameHeader.parse($0) }) else { return false }
        return header.opcode.isKnown && header.reservedBits & 0b011 == 0 && !header.usesNonMinimalLength
            && (!header.opcode.isControl || (header.fin && header.payloadLength <= 125))
    }
}
