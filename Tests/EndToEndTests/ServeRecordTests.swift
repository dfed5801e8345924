import Foundation
import Testing

/// `wstap serve --record OUT`: the live conversation is written as a session file that `serve`
/// loads again. A real Python client with a changed message is recorded; served from that file,
/// the same client now matches, and the recorded server stream is unchanged.
@Suite(.serialized) struct ServeRecordTests {
    @Test(arguments: [("replay-echo.pcap", "replay-echo.truth.jsonl"), ("deflate-fragmented.pcap", "deflate-fragmented.truth.jsonl")])
    func aRecordedClientIsServedAgainFromTheSessionFile(_ capture: String, _ truth: String) throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("wstap-record-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let recorded = folder.appendingPathComponent("live.json")
        let server = try ServeCommandTests.Server(capture, ["--record", recorded.path])
        let path = try #require(server.paths.first)
        let first = try ServeCommandTests.client(server.url + path, truth: truth, ["--change", "1"])
        #expect(server.process.waitForExit(timeout: 30))
        #expect(server.process.status == 1, "the changed message diverges from the capture")
        #expect(server.process.stderr.contains("recorded 1 client conversation(s) to \(recorded.path)"), "\(server.process.stderr)")

        // The session file holds what the client really sent: served from it, the same client matches.
        let again = try ServeCommandTests.Server(recorded.path)
        #expect(again.paths == [path], "the recorded request target")
        let second = try ServeCommandTests.client(again.url + path, truth: truth, ["--change", "1"])
        #expect(again.process.waitForExit(timeout: 30))
        #expect(again.process.status == 0, "\(again.process.stdoutText)")
        #expect(second.received.map(\.payload) == first.received.map(\.payload), "the same server stream")
        #expect(second.received.map(\.payload) == (try ServeCommandTests.serverTruth(truth)).map(\.payload))
        #expect(second.closeCode == first.closeCode)
        if capture.hasPrefix("deflate") {
            #expect((second.log.first?["extensions"] as? String)?.contains("permessage-deflate") == true, "the recorded extension")
        }
        // And the client of the original capture now differs from the recording, at message 1.
        let original = try ServeCommandTests.Server(recorded.path)
        _ = try ServeCommandTests.client(original.url + path, truth: truth)
        #expect(original.process.waitForExit(timeout: 30))
        #expect(original.process.status == 1 && original.process.stdoutText.contains("client message 1 differs"), "\(original.process.stdoutText)")
    }

    @Test func aRecordFileThatCannotBeCreatedStopsServingWithExitTwo() throws {
        let result = try WSTapRunner.run(["serve", WSTapRunner.capturesFolder.appendingPathComponent("replay-echo.pcap").path, "--record", "/nonexistent/dir/out.json"])
        #expect(result.status == 2)
        #expect(result.stderr.contains("--record /nonexistent/dir/out.json: cannot create the file"), "\(result.stderr)")
    }
}
