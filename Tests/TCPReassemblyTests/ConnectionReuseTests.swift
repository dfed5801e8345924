import PacketDecoding
import Testing
@testable import TCPReassembly

/// A new connection on the 4-tuple of one still tracked (its end was not captured): a SYN without
/// ACK that cannot belong to the old connection closes it and opens a new one, as Zeek's connection
/// reuse check does. Client ISN 1000 / server ISN 5000 as in `handshake`.
struct ConnectionReuseTests {
    /// The second connection: ISNs far from the first one's (1.7 GB ahead, as in the bug report).
    static let secondHandshake: [SegmentSpecification] = [
        .client(1_700_001_000, flags: [.syn], at: 2),
        .server(900_000, flags: [.syn, .ack], acknowledgment: 1_700_001_001, at: 2),
        .client(1_700_001_001, acknowledgment: 900_001, at: 2),
        .client(1_700_001_001, "two", acknowledgment: 900_001, at: 2),
        .server(900_001, "yes", acknowledgment: 1_700_001_004, at: 2),
    ]

    @Test func newSYNAfterBothFINsWereLostOpensANewConnection() {
        let run = ReassemblyRun(handshake + [
            .client(1001, "one", acknowledgment: 5001, at: 1), .server(5001, "ok", acknowledgment: 1004, at: 1),
        ] + Self.secondHandshake)
        #expect(run.summary == [
            "opened 1 initiator=client:50000 syn", "closed 1 reused",
            "opened 2 initiator=client:50000 syn", "closed 2 endOfCapture",
        ])
        #expect(run.stream(1, .initiator) == "one")
        #expect(run.stream(1, .responder) == "ok")
        #expect(run.stream(2, .initiator) == "two")
        #expect(run.stream(2, .responder) == "yes")
    }

    @Test func newSYNAfterOnlyTheClientFINOpensANewConnectionWithTheClientData() {
        let run = ReassemblyRun(handshake + [
            .client(1001, "one", flags: [.ack, .fin], acknowledgment: 5001, at: 1),
            .server(5001, "ok", acknowledgment: 1005, at: 1),
        ] + Self.secondHandshake)
        #expect(run.summary == [
            "opened 1 initiator=client:50000 syn", "closed 1 fin",
            "opened 2 initiator=client:50000 syn", "closed 2 endOfCapture",
        ])
        #expect(run.stream(1, .initiator) == "one")
        #expect(run.stream(2, .initiator) == "two")
        #expect(run.stream(2, .responder) == "yes")
    }

    @Test func newSYNAfterOnlyTheServerFINOpensANewConnection() {
        // The new ISN is close to the old stream position: only the FIN tells the connections apart.
        let run = ReassemblyRun(handshake + [
            .client(1001, "one", acknowledgment: 5001, at: 1),
            .server(5001, "ok", flags: [.ack, .fin], acknowledgment: 1004, at: 1),
            .client(1100, flags: [.syn], at: 2), .server(8000, flags: [.syn, .ack], acknowledgment: 1101, at: 2),
            .client(1101, "two", acknowledgment: 8001, at: 2),
        ])
        #expect(run.summary == [
            "opened 1 initiator=client:50000 syn", "closed 1 fin",
            "opened 2 initiator=client:50000 syn", "closed 2 endOfCapture",
        ])
        #expect(run.stream(2, .initiator) == "two")
    }

    @Test func newSYNAfterTheOldConnectionWentIdleOpensANewConnection() {
        // The new ISN lies in the old stream's window: only the idle time tells the connections apart.
        let run = ReassemblyRun(handshake + [
            .client(1001, "one", at: 1),
            .client(1004, flags: [.syn], at: 500), .server(5004, flags: [.syn, .ack], acknowledgment: 1005, at: 500),
            .client(1005, "two", at: 500),
        ], configuration: TCPAssemblerConfiguration(idleTimeout: 300))
        #expect(run.summary.filter { $0.hasPrefix("closed 1") } == ["closed 1 idle"])
        #expect(run.summary.contains("opened 2 initiator=client:50000 syn"))
        #expect(run.stream(2, .initiator) == "two")
    }

    @Test func retransmittedSYNStaysInItsConnection() {
        let run = ReassemblyRun(handshake + [
            .client(1001, "one"), .client(1000, flags: [.syn]), .client(1004, "more"),
        ])
        #expect(run.summary == ["opened 1 initiator=client:50000 syn", "closed 1 endOfCapture"])
        #expect(run.stream(1, .initiator) == "onemore")
    }

    @Test func retransmittedSYNAfterMuchDataStaysInItsConnection() {
        let bulk = String(repeating: "x", count: 100_000)
        let run = ReassemblyRun(handshake + [
            .client(1001, bulk), .client(1000, flags: [.syn]), .client(101_001, "end"),
        ])
        #expect(run.summary == ["opened 1 initiator=client:50000 syn", "closed 1 endOfCapture"])
        #expect(run.stream(1, .initiator) == bulk + "end")
    }

    @Test func duplicateOfTheSYNCapturedAfterAFINStaysInItsConnection() {
        let run = ReassemblyRun(handshake + [
            .client(1001, "one", flags: [.ack, .fin], acknowledgment: 5001), .client(1000, flags: [.syn]),
            .server(5001, "ok", acknowledgment: 1005),
        ])
        #expect(run.summary == ["opened 1 initiator=client:50000 syn", "closed 1 endOfCapture"])
        #expect(run.stream(1, .responder) == "ok")
    }

    @Test func synInsideTheStreamWindowStaysInItsConnection() {
        // RFC 5961 territory: an in-window SYN draws a challenge ACK; the connection goes on.
        let run = ReassemblyRun(handshake + [
            .client(1001, "one"), .client(1500, flags: [.syn]), .client(1004, "more"),
        ])
        #expect(run.summary == ["opened 1 initiator=client:50000 syn", "closed 1 endOfCapture"])
        #expect(run.stream(1, .initiator) == "onemore")
    }

    @Test func newSYNOnAConnectionPickedUpMidStreamOpensANewConnection() {
        let run = ReassemblyRun([
            .client(77_000, "old", acknowledgment: 5001), .server(5001, "reply", acknowledgment: 77_003),
            .client(3_000_000_000, flags: [.syn], at: 1),
            .server(9000, flags: [.syn, .ack], acknowledgment: 3_000_000_001, at: 1),
            .client(3_000_000_001, "new", acknowledgment: 9001, at: 1),
        ])
        #expect(run.summary == [
            "opened 1 initiator=client:50000", "closed 1 reused",
            "opened 2 initiator=client:50000 syn", "closed 2 endOfCapture",
        ])
        #expect(run.stream(1, .initiator) == "old")
        #expect(run.stream(2, .initiator) == "new")
    }

    @Test func newSYNFromTheOldServerSideOpensAConnectionItInitiates() {
        let run = ReassemblyRun(handshake + [
            .client(1001, "one", acknowledgment: 5001),
            .server(2_000_000_000, flags: [.syn], at: 1),
            .client(40_000, flags: [.syn, .ack], acknowledgment: 2_000_000_001, at: 1),
            .server(2_000_000_001, "hi", acknowledgment: 40_001, at: 1),
        ])
        #expect(run.summary == [
            "opened 1 initiator=client:50000 syn", "closed 1 reused",
            "opened 2 initiator=server syn", "closed 2 endOfCapture",
        ])
        #expect(run.stream(2, .initiator) == "hi")
    }

    @Test func synWhoseSideSentNothingYetStaysInItsConnection() {
        // SYN-ACK captured before the SYN: the SYN matches the acknowledgment the server sent.
        let run = ReassemblyRun([
            .server(5000, flags: [.syn, .ack], acknowledgment: 1001), .client(1000, flags: [.syn]),
            .client(1001, "hello", acknowledgment: 5001),
        ])
        #expect(run.summary == ["opened 1 initiator=client:50000 syn", "closed 1 endOfCapture"])
        #expect(run.stream(1, .initiator) == "hello")
    }

    @Test func reusedConnectionsBufferedDataIsDeliveredBeforeItCloses() {
        let run = ReassemblyRun(handshake + [
            .client(1001, "a"), .client(1005, "late"),
            .client(1_700_001_000, flags: [.syn], at: 1), .client(1_700_001_001, "two", at: 1),
        ])
        #expect(run.summary == [
            "opened 1 initiator=client:50000 syn", "gap 1 initiator 3", "closed 1 reused",
            "opened 2 initiator=client:50000 syn", "closed 2 endOfCapture",
        ])
        #expect(run.stream(1, .initiator) == "a<gap 3>late")
        #expect(run.stream(2, .initiator) == "two")
    }
}
