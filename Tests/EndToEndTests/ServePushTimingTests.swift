import Foundation
import Testing

/// Server pushes that are not answers keep their recorded offsets from the client message they
/// followed. server-push.pcap (Tests/Peers/peers.py, scenario server-push): a subscription answered
/// at once, then four pushes 0.25 s apart; a real Python client must receive them with that rhythm
/// (scaled by --speed), not all at once.
@Suite(.serialized) struct ServePushTimingTests {
    /// Recorded offsets of the server's data messages from the first client message, in seconds.
    static func recordedOffsets() throws -> [Double] {
        let text = try String(contentsOf: WSTapRunner.capturesFolder.appendingPathComponent("server-push.truth.jsonl"), encoding: .utf8)
        let lines = try text.split(separator: "\n").map { try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] ?? [:] }
        let start = try #require(lines.first { $0["from"] as? String == "client" }?["ts"] as? Double)
        return lines.filter { $0["from"] as? String == "server" && $0["opcode"] as? String == "text" }.compactMap { ($0["ts"] as? Double).map { $0 - start } }
    }

    @Test(arguments: [1.0, 2.0])
    func pushesKeepTheirRecordedRhythm(_ speed: Double) throws {
        let server = try ServeCommandTests.Server("server-push.pcap", ["--speed", String(speed)])
        let run = try ServeCommandTests.client(server.url + (server.paths.first ?? "/"), truth: "server-push.truth.jsonl")
        #expect(server.process.waitForExit(timeout: 30))
        #expect(run.status == 0 && server.process.status == 0, "\(run.log)\n\(server.process.stdoutText)")
        #expect(run.received.map(\.payload) == (try ServeCommandTests.serverTruth("server-push.truth.jsonl")).map(\.payload))
        let recorded = try Self.recordedOffsets()
        let arrived = run.log.compactMap { $0["t"] as? Double }
        try #require(arrived.count == recorded.count && recorded.count == 6, "\(arrived) \(recorded)")
        // Ticks 1–4 (messages 1…4) relative to the ack (message 0), which answered the subscription.
        for index in 1...4 {
            let expected = (recorded[index] - recorded[0]) / speed
            let actual = arrived[index] - arrived[0]
            #expect(actual >= expected - 0.05, "push \(index) came \(actual) s after the ack, recorded \(expected) s")
            #expect(actual <= expected + 0.75, "push \(index) came \(actual) s after the ack, recorded \(expected) s")
        }
    }
}
