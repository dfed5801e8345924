import PacketDecoding
import Testing
@testable import TCPReassembly

/// One table row: segments in capture order and the byte streams they must produce.
struct StreamCase: Sendable, CustomTestStringConvertible {
    var name: String
    var segments: [SegmentSpecification]
    var initiatorStream: String
    var responderStream: String = ""
    var sawSYN = true
    var configuration = TCPAssemblerConfiguration()

    var testDescription: String { name }
}

/// A handshake with client ISN 1000 and server ISN 5000: client data starts at 1001, server's at 5001.
let handshake: [SegmentSpecification] = [
    .client(1000, flags: [.syn]),
    .server(5000, flags: [.syn, .ack], acknowledgment: 1001),
    .client(1001, acknowledgment: 5001),
]

let wrapInitialSequence: UInt32 = 0xFFFF_FFFD

let streamCases: [StreamCase] = [
    StreamCase(
        name: "in order",
        segments: handshake + [.client(1001, "hello "), .client(1007, "world"), .server(5001, "ok", acknowledgment: 1012)],
        initiatorStream: "hello world", responderStream: "ok"
    ),
    StreamCase(
        name: "reversed order",
        segments: handshake + [.client(1012, "!"), .client(1007, "world"), .client(1001, "hello ")],
        initiatorStream: "hello world!"
    ),
    StreamCase(
        name: "duplicate segment delivered once",
        segments: handshake + [.client(1001, "hello "), .client(1001, "hello "), .client(1007, "world"), .client(1007, "world")],
        initiatorStream: "hello world"
    ),
    StreamCase(
        name: "in-order overlapping retransmission with different bytes: first seen wins",
        segments: handshake + [.client(1001, "hello "), .client(1004, "XXXXworld")],
        initiatorStream: "hello Xworld"
    ),
    StreamCase(
        name: "buffered overlap with different bytes: first seen wins",
        segments: handshake + [.client(1007, "world"), .client(1001, "hello XX"), .client(1009, "YYY!")],
        initiatorStream: "hello world!"
    ),
    StreamCase(
        name: "segment wholly before the next expected byte is ignored",
        segments: handshake + [.client(1001, "hello "), .client(1007, "world"), .client(1003, "zzz")],
        initiatorStream: "hello world"
    ),
    StreamCase(
        name: "data captured before the SYN",
        segments: [
            .client(1001, "hello "), .client(1000, flags: [.syn]),
            .server(5000, flags: [.syn, .ack], acknowledgment: 1001), .client(1007, "world"),
        ],
        initiatorStream: "hello world"
    ),
    StreamCase(
        name: "mid-stream capture with the first two segments swapped",
        segments: [.client(1007, "world", acknowledgment: 5001), .client(1001, "hello ", acknowledgment: 5001), .client(1012, "!")],
        initiatorStream: "hello world!", sawSYN: false
    ),
    StreamCase(
        name: "mid-stream capture released by the peer's acknowledgment",
        segments: [
            .client(1007, "world", acknowledgment: 5001), .client(1001, "hello ", acknowledgment: 5001),
            .server(5001, "ok", acknowledgment: 1012), .client(1012, "!", acknowledgment: 5003),
        ],
        initiatorStream: "hello world!", responderStream: "ok", sawSYN: false
    ),
    StreamCase(
        name: "sequence numbers wrap around 2^32",
        segments: [
            .client(wrapInitialSequence, flags: [.syn]),
            .server(5000, flags: [.syn, .ack], acknowledgment: wrapInitialSequence &+ 1),
            .client(wrapInitialSequence &+ 7, "world"),
            .client(wrapInitialSequence &+ 1, "hello "),
            .client(wrapInitialSequence &+ 12, "!"),
        ],
        initiatorStream: "hello world!"
    ),
    StreamCase(
        name: "a hole that never fills is reported at finish with its size",
        segments: handshake + [.client(1001, "hello "), .client(1012, "again")],
        initiatorStream: "hello <gap 5>again"
    ),
    StreamCase(
        name: "buffer limit skips the hole and continues",
        segments: handshake + [.client(1001, "aaaa"), .client(1010, String(repeating: "b", count: 40)), .client(1050, "cc")],
        initiatorStream: "aaaa<gap 5>" + String(repeating: "b", count: 40) + "cc",
        configuration: TCPAssemblerConfiguration(maxBufferedBytesPerConnection: 100)
    ),
    StreamCase(
        name: "bytes cut by the snapshot length become a gap after the captured part",
        segments: handshake + [.client(1001, "hello", missing: 10), .client(1016, "next")],
        initiatorStream: "hello<gap 10>next"
    ),
    StreamCase(
        name: "snapshot-length cut of an out-of-order segment",
        segments: handshake + [.client(1016, "next"), .client(1001, "hello", missing: 10)],
        initiatorStream: "hello<gap 10>next"
    ),
    StreamCase(
        name: "data in the SYN-ACK and a FIN do not shift the stream",
        segments: [
            .client(1000, flags: [.syn]), .server(5000, "hi", flags: [.syn, .ack], acknowledgment: 1001),
            .client(1001, "bye", flags: [.ack, .fin], acknowledgment: 5003), .client(1005, "late"),
        ],
        initiatorStream: "bye", responderStream: "hi"
    ),
]

struct ReassemblyOrderingTests {
    @Test(arguments: streamCases)
    func deliversEachByteOnceInOrder(_ testCase: StreamCase) {
        let run = ReassemblyRun(testCase.segments, configuration: testCase.configuration)
        #expect(run.stream(1, .initiator) == testCase.initiatorStream)
        #expect(run.stream(1, .responder) == testCase.responderStream)
        guard case .opened(let info) = run.events.first else {
            Issue.record("first event is not opened: \(run.summary)")
            return
        }
        #expect(info.id == 1)
        #expect(info.initiator == clientEndpoint())
        #expect(info.responder == serverEndpoint)
        #expect(info.sawSYN == testCase.sawSYN)
        #expect(run.summary.last == "closed 1 endOfCapture")
    }

    @Test func inOrderDataIsDeliveredImmediatelyWithoutWaitingForFinish() {
        let run = ReassemblyRun(handshake + [.client(1001, "hello ")])
        #expect(run.summary(of: run.events.prefix(run.eventsBeforeFinish)) == ["opened 1 initiator=client:50000 syn"])
        #expect(run.eventsBeforeFinish == 2)
    }

    @Test func bufferLimitReportsAnAnomalyBeforeTheGap() {
        let run = ReassemblyRun(
            handshake + [.client(1001, "aaaa"), .client(1010, String(repeating: "b", count: 40))],
            configuration: TCPAssemblerConfiguration(maxBufferedBytesPerConnection: 100)
        )
        #expect(run.summary(of: run.events.prefix(run.eventsBeforeFinish)) == [
            "opened 1 initiator=client:50000 syn", "anomaly 1 reassembly_buffer_limit", "gap 1 initiator 5",
        ])
    }

    @Test func holeAcknowledgedByThePeerIsSkippedOnceEnoughDataWaitsBehindIt() {
        var segments = handshake + [.client(1001, "a")]
        // Byte 1002 is never captured; 1003...1011 arrive, then the server acknowledges everything.
        for offset in 0..<9 { segments.append(.client(1003 + UInt32(offset), "b")) }
        segments.append(.server(5001, acknowledgment: 1012))
        let run = ReassemblyRun(segments)
        #expect(run.summary(of: run.events.prefix(run.eventsBeforeFinish)).contains("gap 1 initiator 1"))
        #expect(run.stream(1, .initiator) == "a<gap 1>bbbbbbbbb")
    }

    @Test func synAcknowledgmentSeenFirstMakesItsReceiverTheInitiator() {
        let run = ReassemblyRun([
            .server(5000, flags: [.syn, .ack], acknowledgment: 1001), .client(1001, "hello", acknowledgment: 5001),
        ])
        #expect(run.summary.first == "opened 1 initiator=client:50000 syn")
        #expect(run.stream(1, .initiator) == "hello")
    }

    @Test func sourceOfFirstPacketIsInitiatorWhenNoSYNIsSeen() {
        let run = ReassemblyRun([.server(5001, "pong", acknowledgment: 1001), .client(1001, "ping", acknowledgment: 5005)])
        #expect(run.summary.first == "opened 1 initiator=server")
        #expect(run.stream(1, .initiator) == "pong")
        #expect(run.stream(1, .responder) == "ping")
    }
}
