import PacketDecoding
import WebSocketInspection
import WebSocketProtocol

/// `WebSocketFrameParser` and `WebSocketStreamDecoder` on one direction's bytes, split into chunks
/// and lost-data gaps; the first byte picks the direction, compression and start.
func fuzzFrames(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    var input = FuzzInput(data, size)
    let settings = input.byte()
    let direction: WebSocketDirection = settings & 0x01 == 0 ? .clientToServer : .serverToClient
    let compression: PerMessageDeflateParameters? = settings & 0x02 == 0 ? nil : PerMessageDeflateParameters(
        clientNoContextTakeover: settings & 0x04 != 0, serverNoContextTakeover: settings & 0x08 != 0,
        clientMaxWindowBits: 8 + Int(settings >> 4 & 0x07), serverMaxWindowBits: 15)
    let startsAtFrameBoundary = settings & 0x80 == 0
    // Small caps so that inputs of a few KB reach the limit paths (message too large, inflation cut
    // short, resynchronisation limit); they also bound the rescans of a resynchronisation per chunk.
    let configuration = InspectionConfiguration(
        maxMessageBytes: 1024, maxInflatedBytes: 1 << 16, maxResynchronizationBytes: 1024, maxPendingBytes: 1024)
    var decoder = WebSocketStreamDecoder(
        connection: 1, direction: direction, configuration: configuration,
        compression: compression, startsAtFrameBoundary: startsAtFrameBoundary)
    var parser = WebSocketFrameParser()
    var time = Timestamp.zero
    // Chunks: a split byte says how long the next chunk is; 0xFF is a lost-data gap instead.
    while !input.isAtEnd {
        let split = input.byte()
        time.seconds += 1
        if split == 0xFF {
            let gap = UInt64(input.uint16())
            decoder.receiveGap(gap, at: time) { _ in }
            _ = parser.skip(gap)
            continue
        }
        let chunk = input.take(Int(split) + 1)
        parser.parse(chunk) { _ in }
        decoder.receive(chunk, at: time) { _ in }
    }
    decoder.finish(at: time) { _ in }
    return 0
}
