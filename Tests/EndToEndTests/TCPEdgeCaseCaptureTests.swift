import Foundation
import Testing

/// Real captures edited into TCP edge cases: a 4-tuple reused after its FINs were lost, and one
/// record of an unrelated flow stamped a year ahead. Whatever the edit, each connection must give
/// the messages it gives on its own.
@Suite struct TCPEdgeCaseCaptureTests {
    static let fin: UInt8 = 0x01

    /// deflate-default's connection (ports 40130 ↔ 9113) with `dropFINs` lost, then replay-echo's
    /// connection moved onto the same ports one second later: the 4-tuple is reused.
    static func reusedFourTuple(droppingFINsFromServerOnly: Bool) throws -> [EditablePacket] {
        let first = try CaptureEditing.packets(of: "deflate-default.pcap").filter { packet in
            guard packet.tcpFlags & fin != 0 else { return true }
            return droppingFINsFromServerOnly && packet.sourcePort == 40130
        }
        var second = try CaptureEditing.packets(of: "replay-echo.pcap")
        let delta = first.last!.nanosecondsSinceEpoch + 1_000_000_000 - second[0].nanosecondsSinceEpoch
        for index in second.indices {
            second[index].renamePort(41801, to: 40130)
            second[index].renamePort(9201, to: 9113)
            second[index].shift(byNanoseconds: delta)
        }
        return first + second
    }

    static func read(_ file: URL) throws -> [[String: Any]] {
        let result = try WSTapRunner.run(["read", "--format", "jsonl", file.path])
        #expect(result.status == 0, "\(result.stderr)")
        return try result.jsonLines()
    }

    static func alone(_ name: String) throws -> [String] {
        CaptureEditing.messages(try read(WSTapRunner.capturesFolder.appendingPathComponent(name)), connection: 1)
    }

    @Test(arguments: [false, true])
    func aFourTupleReusedAfterLostFINsGivesTwoConnections(clientFINKept: Bool) throws {
        let file = try CaptureEditing.write("reused-\(clientFINKept).pcap", Self.reusedFourTuple(droppingFINsFromServerOnly: clientFINKept))
        defer { try? FileManager.default.removeItem(at: file) }
        let events = try Self.read(file)
        #expect(events.filter { $0["event"] as? String == "open" }.compactMap { $0["conn"] as? Int } == [1, 2])
        #expect(CaptureEditing.messages(events, connection: 1) == (try Self.alone("deflate-default.pcap")))
        #expect(CaptureEditing.messages(events, connection: 2) == (try Self.alone("replay-echo.pcap")))
        #expect(!events.contains { $0["event"] as? String == "gap" })
        let closes = events.filter { $0["event"] as? String == "close" }.map { "\($0["conn"] ?? "?") \($0["reason"] ?? "?")" }
        #expect(closes == ["1 \(clientFINKept ? "fin" : "reused")", "2 fin"])
    }

    /// deflate-default with one packet of replay-echo's connection (another 4-tuple) stamped a year
    /// ahead in the middle: nothing is closed as idle, every compressed message still inflates.
    @Test func oneRecordOfAnUnrelatedFlowAYearAheadChangesNoMessage() throws {
        var packets = try CaptureEditing.packets(of: "deflate-default.pcap")
        var stray = try CaptureEditing.packets(of: "replay-echo.pcap")[3]
        stray.seconds = packets[20].seconds + 365 * 86_400
        packets.insert(stray, at: 21)
        let file = try CaptureEditing.write("year-ahead.pcap", packets)
        defer { try? FileManager.default.removeItem(at: file) }
        let events = try Self.read(file)
        let messages = CaptureEditing.messages(events, connection: 1)
        #expect(messages == (try Self.alone("deflate-default.pcap")))
        #expect(messages.count == 50)
        #expect(events.filter { $0["event"] as? String == "message" }.allSatisfy { $0["text"] != nil || $0["data"] != nil })
        let anomalies = events.filter { $0["event"] as? String == "anomaly" }
        #expect(anomalies.count == 1)
        #expect(anomalies.first?["kind"] as? String == "clock_jump")
        #expect(anomalies.first?["conn"] is NSNull)
        #expect(events.filter { $0["event"] as? String == "close" }.map { $0["reason"] as? String } == ["fin"])
    }
}
