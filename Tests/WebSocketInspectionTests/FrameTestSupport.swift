import PacketDecoding
import WebSocketInspection
import WebSocketProtocol

/// Builds the wire bytes of one frame, masking the payload when a key is given.
func frameBytes(
    _ opcode: WebSocketOpcode, _ payload: [UInt8], fin: Bool = true, reservedBits: UInt8 = 0, maskKey: UInt32? = nil
) -> [UInt8] {
    let header = WebSocketFrameHeader(fin: fin, reservedBits: reservedBits, opcode: opcode, maskKey: maskKey, payloadLength: UInt64(payload.count))
    var bytes = header.bytes
    if let maskKey {
        bytes += WebSocketMasking.unmasked(payload, maskKey: maskKey)  // masking is its own inverse
    } else {
        bytes += payload
    }
    return bytes
}

/// Runs bytes through a decoder in the given chunk sizes and collects its events.
func decode(
    _ chunks: [[UInt8]], direction: WebSocketDirection = .clientToServer,
    configuration: InspectionConfiguration = .init(), compression: PerMessageDeflateParameters? = nil,
    gapsBefore: [Int: UInt64] = [:]
) -> [InspectorEvent] {
    var events: [InspectorEvent] = []
    var decoder = WebSocketStreamDecoder(connection: 1, direction: direction, configuration: configuration, compression: compression)
    let time = Timestamp(seconds: 1_700_000_000, nanoseconds: 0)
    for (index, chunk) in chunks.enumerated() {
        if let gap = gapsBefore[index] { decoder.receiveGap(gap, at: time) { events.append($0) } }
        decoder.receive(chunk[...], at: time) { events.append($0) }
    }
    decoder.finish(at: time) { events.append($0) }
    return events
}

extension [InspectorEvent] {
    var messages: [WebSocketMessage] {
        compactMap { if case .message(let message) = $0 { return message } else { return nil } }
    }
    var anomalyKinds: [String] {
        compactMap { if case .anomaly(let anomaly) = $0 { return anomaly.kind.name } else { return nil } }
    }
}

/// Splits bytes into chunks at the given offsets.
func split(_ bytes: [UInt8], at offsets: [Int]) -> [[UInt8]] {
    var chunks: [[UInt8]] = []
    var start = 0
    for offset in offsets.sorted() where offset > start && offset < bytes.count {
        chunks.append(Array(bytes[start..<offset]))
        start = offset
    }
    chunks.append(Array(bytes[start...]))
    return chunks
}
