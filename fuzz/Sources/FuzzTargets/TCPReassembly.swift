import PacketDecoding
import TCPReassembly
import WebSocketInspection

/// Four hosts, so segments fall into a handful of connections that can collide, close and be evicted.
let reassemblyEndpoints = (0..<4).map { Endpoint(address: IPAddress(v4: 10, 0, 0, UInt8($0 + 1)), port: UInt16(8000 + $0)) }

/// Segments derived from the input, fed through the assembler and, as `CaptureInspector` does, into
/// one `ConnectionAnalyzer` per connection so the reassembled streams reach the WebSocket decoders.
func fuzzTCPReassembly(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    var input = FuzzInput(data, size)
    // Small limits so every limit path (buffer caps, eviction, held-before-start) is reachable.
    let reassembly = TCPAssemblerConfiguration(
        maxBufferedBytesPerConnection: 1024, maxBufferedBytesTotal: 1536, maxConnections: 3, idleTimeout: 60,
        maxSegmentsHeldBeforeStart: 4, maxBytesHeldBeforeStart: 1024, maxHoldBeforeStart: 1,
        maxSegmentsWaitingBehindAcknowledgedHole: 3, maxRememberedClosedConnections: 4, closedConnectionMemory: 5)
    let inspection = InspectionConfiguration(
        maxMessageBytes: 1024, maxInflatedBytes: 1 << 16, maxHeadBytes: 1024,
        maxResynchronizationBytes: 1024, maxPendingBytes: 1024)
    var assembler = TCPAssembler(configuration: reassembly)
    var analyzers: [Int: ConnectionAnalyzer] = [:]
    func handle(_ event: TCPStreamEvent) {
        switch event {
        case .opened(let info):
            analyzers[info.id] = ConnectionAnalyzer(info: info, configuration: inspection)
        case .data(let connection, let side, let bytes, let timestamp):
            analyzers[connection]?.receive(bytes, from: side, at: timestamp) { _ in }
            if analyzers[connection]?.isIgnored == true { analyzers[connection] = nil }
        case .gap(let connection, let side, let byteCount, let timestamp):
            analyzers[connection]?.receiveGap(byteCount, from: side, at: timestamp) { _ in }
        case .closed(let connection, let reason, let timestamp):
            analyzers[connection]?.finish(reason: reason, at: timestamp) { _ in }
            analyzers[connection] = nil
        case .anomaly:
            break
        }
    }
    // Per segment: reassemblyEndpoints byte, flags byte, time step byte, sequence (2 bytes, relative to a base
    // near the wrap point), acknowledgment (2 bytes), payload length byte, payload.
    let base = input.uint32()
    var time = Timestamp(seconds: 1_700_000_000, nanoseconds: 0)
    while !input.isAtEnd {
        let pair = input.byte()
        let source = reassemblyEndpoints[Int(pair & 0x03)]
        let destination = reassemblyEndpoints[Int(pair >> 2 & 0x03)]
        let flags = TCPFlags(rawValue: input.byte() & 0x3F)
        time.seconds += Int64(input.byte() >> 4)
        let sequence = base &+ UInt32(input.uint16())
        let acknowledgment = base &+ UInt32(input.uint16())
        let payload = Array(input.take(Int(input.byte())))
        let missing = pair & 0x80 != 0 ? Int(pair & 0x70) : 0
        let segment = TCPSegment(
            timestamp: time, source: source, destination: destination, sequenceNumber: sequence,
            acknowledgmentNumber: acknowledgment, flags: flags, payload: payload, missingPayloadBytes: missing)
        assembler.process(segment, handle)
    }
    assembler.finish(handle)
    for id in analyzers.keys.sorted() { analyzers[id]?.finish(reason: .endOfCapture, at: time) { _ in } }
    return 0
}
