import Testing

@testable import WebSocketInspection
import WebSocketProtocol

/// Reserving a frame's payload up front must never let a header's claimed length allocate memory.
@Suite struct PayloadReservationTests {
    @Test func reservesAnHonestFrameAtOnce() {
        var payload: [UInt8] = []
        WebSocketMessageAssembler.reserveForFrame(WebSocketFrameHeader(fin: true, opcode: .binary, payloadLength: 100_000), in: &payload, limit: 16 << 20)
        #expect(payload.capacity >= 100_000)
    }

    @Test func aHugeClaimedLengthReservesOnlyTheBoundAhead() {
        var payload: [UInt8] = []
        let hostile = WebSocketFrameHeader(fin: true, opcode: .binary, payloadLength: 1 << 62)
        WebSocketMessageAssembler.reserveForFrame(hostile, in: &payload, limit: 16 << 20)
        #expect(payload.capacity >= WebSocketMessageAssembler.maxBytesReservedAhead)
        #expect(payload.capacity < 2 * WebSocketMessageAssembler.maxBytesReservedAhead)
    }

    @Test func neverReservesPastTheMessageLimit() {
        var payload: [UInt8] = []
        WebSocketMessageAssembler.reserveForFrame(WebSocketFrameHeader(fin: true, opcode: .text, payloadLength: 200_000), in: &payload, limit: 1000)
        #expect(payload.capacity < 4096)
    }

    @Test func manySmallFragmentsStillGrowGeometrically() {
        var payload: [UInt8] = []
        var reallocations = 0
        for _ in 0..<10_000 {
            let before = payload.capacity
            WebSocketMessageAssembler.reserveForFrame(WebSocketFrameHeader(fin: false, opcode: .continuation, payloadLength: 10), in: &payload, limit: 16 << 20)
            if payload.capacity != before { reallocations += 1 }
            payload.append(contentsOf: repeatElement(0x61, count: 10))
        }
        #expect(reallocations < 20)
    }
}
