import Foundation
import Inspector
import PacketDecoding
@testable import Sessions
import Testing
import WebSocketInspection
import WebSocketProtocol

/// The recorder and the browser view on real captures, read through the front end.
struct SessionRecorderTests {
    static let captures = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("captures")

    static func record(_ capture: String, keepsMessages: Bool = true) throws -> SessionRecorder {
        let recorder = SessionRecorder(keepsMessages: keepsMessages)
        _ = try CaptureReader().read(captures.appendingPathComponent(capture).path, emit: recorder.record)
        recorder.finish()
        return recorder
    }

    /// The truth file lists what each peer sent; the recorder's totals must add up to it.
    @Test(arguments: ["plain.pcap", "binary.pcap", "fragmented.pcap", "concurrent.pcap", "deflate-default.pcap"])
    func totalsMatchThePeersLogs(capture: String) throws {
        let recorder = try Self.record(capture, keepsMessages: false)
        let truth = try String(contentsOf: Self.captures.appendingPathComponent(capture.replacingOccurrences(of: ".pcap", with: ".truth.jsonl")), encoding: .utf8)
        let sent = truth.split(separator: "\n").compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
        let total = recorder.connections.map { $0.fromClient.messages + $0.fromServer.messages }.reduce(0, +)
        #expect(total == sent.count)
        #expect(recorder.connections.allSatisfy { $0.messages.isEmpty })
    }

    @Test func aCleanCloseIsWhatABrowserWouldReport() throws {
        let connection = try #require(try Self.record("plain.pcap").connections.first)
        #expect(connection.browserCloseCode == WebSocketCloseCode.normalClosure.rawValue)
        #expect(connection.closedCleanly)
        #expect(connection.closedFirstBy == .clientToServer)
        #expect(connection.browserError == nil)
        #expect(connection.browserTimeline.map(\.state) == [.connecting, .open, .closing, .closed])
        #expect(connection.roundTrips.count == 1)
        #expect(connection.messages.count == 24)
    }

    @Test func roundTripsPairPongsWithThePingsTheyEcho() {
        var statistics = RoundTripStatistics()
        let start = Timestamp(seconds: 100, nanoseconds: 0)
        func message(_ opcode: WebSocketOpcode, _ direction: WebSocketDirection, _ payload: [UInt8], after milliseconds: UInt32) -> WebSocketMessage {
            WebSocketMessage(
                connection: 1, timestamp: Timestamp(seconds: start.seconds, nanoseconds: milliseconds * 1_000_000), direction: direction,
                opcode: opcode, payload: payload, length: UInt64(payload.count), wireLength: UInt64(payload.count), frames: 1)
        }
        statistics.record(message(.ping, .clientToServer, [1], after: 0))
        statistics.record(message(.ping, .clientToServer, [2], after: 10))
        statistics.record(message(.pong, .serverToClient, [9], after: 15))  // unsolicited: measures nothing
        statistics.record(message(.pong, .serverToClient, [2], after: 30))  // answers the second; the first is overtaken
        statistics.finish()
        #expect(statistics.count == 1)
        #expect(abs((statistics.average ?? 0) - 0.020) < 1e-9)
        #expect(statistics.unanswered == 1)
    }
}
