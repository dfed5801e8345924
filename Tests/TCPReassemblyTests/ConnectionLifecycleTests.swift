import PacketDecoding
import Testing
@testable import TCPReassembly

struct ConnectionLifecycleTests {
    @Test func finFromBothSidesClosesAfterTheLastData() {
        let run = ReassemblyRun(handshake + [
            .client(1001, "bye", flags: [.ack, .fin], acknowledgment: 5001),
            .server(5001, "ok", flags: [.ack, .fin], acknowledgment: 1005),
        ])
        #expect(run.summary(of: run.events.prefix(run.eventsBeforeFinish)) == ["opened 1 initiator=client:50000 syn", "closed 1 fin"])
        #expect(run.openConnectionsBeforeFinish == 0)
        #expect(run.stream(1, .initiator) == "bye")
        #expect(run.stream(1, .responder) == "ok")
        guard case .closed = run.events[run.eventsBeforeFinish - 1] else {
            Issue.record("closed is not the last event")
            return
        }
    }

    @Test func finWaitsForDataBeforeIt() {
        let run = ReassemblyRun(handshake + [
            .client(1004, "def", flags: [.ack, .fin]), .server(5001, flags: [.ack, .fin], acknowledgment: 1008),
            .client(1001, "abc"),
        ])
        #expect(run.summary(of: run.events.prefix(run.eventsBeforeFinish)) == ["opened 1 initiator=client:50000 syn", "closed 1 fin"])
        #expect(run.stream(1, .initiator) == "abcdef")
    }

    @Test func resetClosesAndPortReuseGetsANewIdentifier() {
        let run = ReassemblyRun(handshake + [
            .client(1001, "one"), .server(5001, flags: [.rst]),
            // Late retransmission for the closed connection: no new connection.
            .client(1001, "one"),
            .client(9000, flags: [.syn], at: 1), .server(7000, flags: [.syn, .ack], acknowledgment: 9001, at: 1),
            .client(9001, "two", at: 1),
        ])
        #expect(run.summary == [
            "opened 1 initiator=client:50000 syn", "closed 1 reset",
            "opened 2 initiator=client:50000 syn", "closed 2 endOfCapture",
        ])
        #expect(run.stream(1, .initiator) == "one")
        #expect(run.stream(2, .initiator) == "two")
    }

    @Test func lateFinAcknowledgmentAfterCloseDoesNotOpenAConnection() {
        let run = ReassemblyRun(handshake + [
            .client(1001, flags: [.ack, .fin], acknowledgment: 5001),
            .server(5001, flags: [.ack, .fin], acknowledgment: 1002),
            .client(1002, acknowledgment: 5002),
            .server(5001, flags: [.ack, .fin], acknowledgment: 1002, at: 1),
            .client(1001, "x", acknowledgment: 5002, at: 2),
        ])
        #expect(run.summary == ["opened 1 initiator=client:50000 syn", "closed 1 fin"])
    }

    @Test func idleConnectionIsFlushedInPacketTime() {
        let run = ReassemblyRun([
            .client(1001, "hello", at: 0), .client(2001, "later", at: 400, port: 50_001),
        ], configuration: TCPAssemblerConfiguration(idleTimeout: 300))
        #expect(run.summary(of: run.events.prefix(run.eventsBeforeFinish)) == [
            "opened 1 initiator=client:50000", "closed 1 idle",
        ])
        #expect(run.openConnectionsBeforeFinish == 1)
        #expect(run.stream(1, .initiator) == "hello")
        #expect(run.stream(2, .initiator) == "later")
    }

    @Test func activeConnectionIsNotFlushedAsIdle() {
        let run = ReassemblyRun([
            .client(1001, "a", at: 0), .client(1002, "b", at: 200), .client(1003, "c", at: 400),
        ], configuration: TCPAssemblerConfiguration(idleTimeout: 300))
        #expect(run.summary == ["opened 1 initiator=client:50000", "closed 1 endOfCapture"])
        #expect(run.stream(1, .initiator) == "abc")
    }

    @Test func oneFarFutureTimestampDoesNotKeepClosingLaterConnectionsAsIdle() {
        var segments: [SegmentSpecification] = [.client(1001, "a", at: 0), .client(1, "b", at: 1e9, port: 2)]
        for index in 0..<2500 { segments.append(.client(5001 + UInt32(index), "c", at: 1 + Double(index) / 1000, port: 3)) }
        let run = ReassemblyRun(segments, configuration: TCPAssemblerConfiguration(idleTimeout: 300))
        // Not even one round of idle closes: the far-future record is a clock jump (PacketClockTests).
        #expect(run.summary(of: run.events.prefix(run.eventsBeforeFinish)).filter { $0.hasPrefix("closed") } == [])
        #expect(run.stream(3, .initiator) == String(repeating: "c", count: 2500))
    }

    @Test func connectionLimitEvictsTheLeastRecentlyActive() {
        let run = ReassemblyRun([
            .client(1000, flags: [.syn], port: 1), .client(1000, flags: [.syn], port: 2),
            .client(1001, "one", port: 1),
            .client(1000, flags: [.syn], port: 3),
        ], configuration: TCPAssemblerConfiguration(maxConnections: 2))
        #expect(run.summary == [
            "opened 1 initiator=client:1 syn",
            "opened 2 initiator=client:2 syn", "anomaly 2 connection_limit", "closed 2 evicted",
            "closed 1 endOfCapture", "opened 3 initiator=client:3 syn", "closed 3 endOfCapture",
        ])
        #expect(run.openConnectionsBeforeFinish == 2)
    }

    @Test func finishClosesInConnectionIdentifierOrderAfterDeliveringBufferedData() {
        let run = ReassemblyRun([
            .client(1000, flags: [.syn], port: 1), .client(1000, flags: [.syn], port: 2),
            .client(1005, "tail", port: 2), .client(1001, "x", port: 1),
        ])
        #expect(run.summary == [
            "opened 1 initiator=client:1 syn", "closed 1 endOfCapture",
            "opened 2 initiator=client:2 syn", "gap 2 initiator 4", "closed 2 endOfCapture",
        ])
        #expect(run.stream(2, .initiator) == "<gap 4>tail")
    }

    @Test func bareAcknowledgmentForAnUnknownConnectionOpensNothing() {
        let run = ReassemblyRun([.client(1001, acknowledgment: 5001), .server(5001, flags: [.rst])])
        #expect(run.events.isEmpty)
    }

    @Test func totalBufferLimitFlushesTheConnectionHoldingMost() {
        let run = ReassemblyRun(handshake + [
            .client(1001, "a"), .client(1010, String(repeating: "b", count: 100)),
        ], configuration: TCPAssemblerConfiguration(maxBufferedBytesTotal: 150))
        #expect(run.summary(of: run.events.prefix(run.eventsBeforeFinish)) == [
            "opened 1 initiator=client:50000 syn", "anomaly 1 reassembly_buffer_limit", "gap 1 initiator 8",
        ])
    }
}
