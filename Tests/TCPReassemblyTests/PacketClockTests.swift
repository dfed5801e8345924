import PacketDecoding
import Testing
@testable import TCPReassembly

/// Idle expiry runs on packet time; one packet stamped far ahead (a corrupt record, a bad clock on
/// one interface of a merged capture) must not count as elapsed time for every connection.
struct PacketClockTests {
    static let year: Double = 365 * 86_400
    static let configuration = TCPAssemblerConfiguration(idleTimeout: 300)

    static func time(of event: TCPStreamEvent) -> Double? {
        switch event {
        case .closed(_, _, let timestamp), .anomaly(_, _, _, let timestamp):
            return Double(timestamp.seconds) + Double(timestamp.nanoseconds) / 1e9
        default:
            return nil
        }
    }

    @Test func onePacketOfAnUnrelatedFlowAYearAheadClosesNothing() {
        let run = ReassemblyRun(handshake + [
            .client(1001, "one", at: 10),
            .client(70_000, "stray", at: 10 + Self.year, port: 2),
            .client(1004, "two", at: 20), .server(5001, "ok", at: 30), .client(1007, "three", at: 40),
        ], configuration: Self.configuration)
        // (Connection 2, seen mid-stream, is reported once its held segment is released at the end.)
        #expect(run.summary(of: run.events.prefix(run.eventsBeforeFinish)) == [
            "opened 1 initiator=client:50000 syn", "anomaly - clock_jump",
        ])
        #expect(run.summary.filter { $0.hasPrefix("opened") || $0.hasPrefix("closed") } == [
            "opened 1 initiator=client:50000 syn", "closed 1 endOfCapture", "opened 2 initiator=client:2", "closed 2 endOfCapture",
        ])
        #expect(run.stream(1, .initiator) == "onetwothree")
        #expect(run.stream(1, .responder) == "ok")
        #expect(run.stream(2, .initiator) == "stray")
        // The closes at the end of the capture carry the last believable time, not the outlier's.
        let closeTimes = run.events.filter { if case .closed = $0 { true } else { false } }.compactMap(Self.time(of:))
        #expect(closeTimes == [40, 40])
    }

    @Test func theJumpIsReportedOnceWithItsSize() {
        var segments = handshake
        for index in 0..<50 {
            segments.append(.client(1001 + UInt32(index), "x", at: Double(index)))
            // A stray far-future packet from a new flow every other second, never agreeing with each other.
            segments.append(.client(9000, "?", at: Double(index + 1) * Self.year, port: UInt16(100 + index)))
        }
        let run = ReassemblyRun(segments, configuration: Self.configuration)
        let anomalies = run.events.compactMap { event -> String? in
            if case .anomaly(nil, .clockJump, let detail, _) = event { return detail }
            return nil
        }
        #expect(anomalies.count == 1)
        #expect(anomalies.first?.contains("31536000") == true)
        #expect(!run.summary(of: run.events.prefix(run.eventsBeforeFinish)).contains { $0.hasPrefix("closed") })
        #expect(run.stream(1, .initiator) == String(repeating: "x", count: 50))
    }

    @Test func aJumpConfirmedByAnotherConnectionIsElapsedTime() {
        // A capture paused for ten days (or two files concatenated): two connections agree on the new time.
        let later = 10 * 86_400.0
        let run = ReassemblyRun([
            .client(1001, "old", at: 0),
            .client(2001, "new", at: later, port: 2),
            .client(3001, "newer", at: later + 1, port: 3),
            .client(2004, "more", at: later + 2, port: 2),
        ], configuration: Self.configuration)
        // Mid-stream connections are reported when their held segments are released.
        #expect(run.summary(of: run.events.prefix(run.eventsBeforeFinish)) == [
            "anomaly - clock_jump", "opened 1 initiator=client:50000", "closed 1 idle", "opened 2 initiator=client:2",
        ])
        #expect(run.stream(2, .initiator) == "newmore")
        #expect(run.stream(3, .initiator) == "newer")
        let idleClose = run.events.first { if case .closed(1, .idle, _) = $0 { true } else { false } }
        #expect(idleClose.flatMap(Self.time(of:)) == later + 1)
    }

    @Test func aJumpWhileNoConnectionIsOpenIsElapsedTimeWithoutAnAnomaly() {
        // Two captures merged end to end, days apart: the first one's connection had ended.
        let later = 4 * 86_400.0
        let run = ReassemblyRun(handshake + [
            .client(1001, "one", flags: [.ack, .fin], acknowledgment: 5001), .server(5001, flags: [.ack, .fin], acknowledgment: 1005),
            .client(7000, flags: [.syn], at: later, port: 2), .server(9000, flags: [.syn, .ack], acknowledgment: 7001, at: later, port: 2),
            .client(7001, "two", acknowledgment: 9001, at: later, port: 2),
            .client(8000, "three", at: later + 400, port: 3),
        ], configuration: Self.configuration)
        #expect(run.summary(of: run.events.prefix(run.eventsBeforeFinish)) == [
            "opened 1 initiator=client:50000 syn", "closed 1 fin", "opened 2 initiator=client:2 syn", "closed 2 idle",
        ])
    }

    @Test func aJumpWithinMaxClockJumpIsElapsedTimeAtOnce() {
        let run = ReassemblyRun([
            .client(1001, "old", at: 0), .client(2001, "new", at: 3000, port: 2),
        ], configuration: TCPAssemblerConfiguration(idleTimeout: 300, maxClockJump: 3600))
        #expect(run.summary(of: run.events.prefix(run.eventsBeforeFinish)) == ["opened 1 initiator=client:50000", "closed 1 idle"])
    }

    @Test func repeatedOutliersOfOneFlowDoNotConfirmTheirOwnClock() {
        var segments: [SegmentSpecification] = [.client(1001, "a", at: 0)]
        for index in 0..<5 { segments.append(.client(9000 + UInt32(index), "?", at: Self.year + Double(index), port: 2)) }
        segments.append(.client(1002, "b", at: 1))
        let run = ReassemblyRun(segments, configuration: Self.configuration)
        #expect(!run.summary(of: run.events.prefix(run.eventsBeforeFinish)).contains { $0.hasPrefix("closed") })
        #expect(run.stream(1, .initiator) == "ab")
        #expect(run.stream(2, .initiator) == "?????")
    }

    @Test func theOutlierFlowStillExpiresOnTheBelievableClock() {
        let run = ReassemblyRun([
            .client(1001, "a", at: 0),
            .client(9000, "?", at: Self.year, port: 2),
            .client(1002, "b", at: 200), .client(1003, "c", at: 400), .client(1004, "d", at: 600),
        ], configuration: Self.configuration)
        #expect(run.summary(of: run.events.prefix(run.eventsBeforeFinish)).filter { $0.hasPrefix("closed") } == ["closed 2 idle"])
        #expect(run.stream(1, .initiator) == "abcd")
    }
}
