import ApplicationProtocols
import MessageDecoding
import WebSocketProtocol

/// The application protocol decoders (`--decode`): one connection's messages, both directions,
/// through the decoder the first byte picks (Socket.IO over Engine.IO 3 or 4, MQTT, STOMP, GraphQL
/// over WebSocket in both dialects, JSON-RPC, or the automatic choice by shape), with small limits
/// so that inputs of a few KB reach them (pending attachments, outstanding requests, MQTT buffers).
/// The seeds (make-seeds.py) are the messages the real peers of captures/app/ logged.
func fuzzAppDecoders(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    var input = FuzzInput(data, size)
    let choice = input.byte()
    var decoder: any MessageDecoder
    switch choice % 8 {
    case 0: decoder = SocketIODecoder(engineVersion: 4, maxPendingAttachments: 4, maxOutstandingRequests: 8)
    case 1: decoder = SocketIODecoder(engineVersion: 3, maxPendingAttachments: 4, maxOutstandingRequests: 8)
    case 2: decoder = MQTTDecoder(maxBufferedBytes: 2048, maxTopicAliases: 4, maxOutstandingRequests: 8)
    case 3: decoder = STOMPDecoder(maxOutstandingRequests: 8)
    case 4: decoder = GraphQLWebSocketDecoder(dialect: .transport, maxOutstandingRequests: 8)
    case 5: decoder = GraphQLWebSocketDecoder(dialect: .legacy, maxOutstandingRequests: 8)
    case 6: decoder = JSONRPCDecoder(maxOutstandingRequests: 8)
    default: decoder = ShapeSniffer(maxOutstandingRequests: 8)
    }
    var time = 1_700_000_000.0
    // Per message: a control byte (bit 0 the direction, bit 1 binary, bit 2 cut short), a 12-bit
    // length, the payload.
    while !input.isAtEnd {
        let control = input.byte()
        time += Double(control >> 3) / 1000
        let payload = Array(input.take(Int(input.uint16() & 0x0FFF)))
        let message = DecodableMessage(
            direction: control & 0x01 == 0 ? .clientToServer : .serverToClient, opcode: control & 0x02 == 0 ? .text : .binary,
            payload: payload, isComplete: control & 0x04 == 0, time: time)
        if let annotation = decoder.annotate(message) {
            guard !annotation.protocolName.isEmpty else { fatalError("an annotation without a protocol name") }
        }
    }
    // At most one problem per outstanding request the limits allow, plus a few of other kinds.
    let problems = decoder.finish()
    guard problems.count <= 64 else { fatalError("\(problems.count) problems reported at close with 8 outstanding requests allowed") }
    return 0
}
