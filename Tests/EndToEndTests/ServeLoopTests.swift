import Foundation
import Testing

/// When `wstap serve` stops: without --loop each recorded connection is played once and serving
/// ends by itself; with --loop they are played again until --max-clients. Real Python clients.
@Suite(.serialized) struct ServeLoopTests {
    /// replay-echo.pcap exported as a session file, with a copy of its connection at `/other`.
    static func twoConnectionSession() throws -> URL {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("wstap-loop-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let exported = folder.appendingPathComponent("one.json")
        let export = try WSTapRunner.run(["export", WSTapRunner.capturesFolder.appendingPathComponent("replay-echo.pcap").path, "--format", "session", "-o", exported.path])
        #expect(export.status == 0, "\(export.stderr)")
        var file = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: exported)) as? [String: Any])
        var connections = try #require(file["connections"] as? [[String: Any]])
        var copy = connections[0]
        copy["id"] = 2
        var request = try #require(copy["request"] as? [String: Any])
        request["target"] = "/other"
        copy["request"] = request
        connections.append(copy)
        file["connections"] = connections
        let two = folder.appendingPathComponent("two.json")
        try JSONSerialization.data(withJSONObject: file).write(to: two)
        return two
    }

    @Test func withoutLoopServingEndsWhenTheRecordingWasPlayed() throws {
        let server = try ServeCommandTests.Server("replay-echo.pcap")
        let run = try ServeCommandTests.client(server.url + (server.paths.first ?? "/"), truth: "replay-echo.truth.jsonl")
        #expect(run.status == 0, "\(run.log)")
        #expect(server.process.waitForExit(timeout: 30), "no --max-clients, no SIGINT: the one recorded connection was played")
        #expect(server.process.status == 0, "\(server.process.stdoutText)")
        #expect(server.process.stdoutText.contains("served 1 client(s)"))
    }

    @Test func withoutLoopAPlayedConnectionIsRefusedAndTheRestStillServed() throws {
        let session = try Self.twoConnectionSession()
        defer { try? FileManager.default.removeItem(at: session.deletingLastPathComponent()) }
        let server = try ServeCommandTests.Server(session.path)
        let path = try #require(server.paths.first)
        let first = try ServeCommandTests.client(server.url + path, truth: "replay-echo.truth.jsonl")
        #expect(first.status == 0)
        let again = try ServeCommandTests.client(server.url + path, truth: "replay-echo.truth.jsonl")
        #expect(again.status != 0, "the only connection at \(path) was played")
        #expect(server.process.isRunning, "/other is still to be played")
        let other = try ServeCommandTests.client(server.url + "/other", truth: "replay-echo.truth.jsonl")
        #expect(other.status == 0)
        #expect(server.process.waitForExit(timeout: 30))
        #expect(server.process.status == 1, "a client was refused")
        #expect(server.process.stdoutText.contains("refused (404): the recorded connection(s) for the path \(path) were already played (--loop plays them again)"), "\(server.process.stdoutText)")
        #expect(server.process.stdoutText.contains("served 2 client(s)"))
    }

    @Test func withLoopTheRecordingIsPlayedAgainUntilMaxClients() throws {
        let server = try ServeCommandTests.Server("replay-echo.pcap", ["--loop", "--max-clients", "3"])
        let expected = try ServeCommandTests.serverTruth("replay-echo.truth.jsonl").map(\.payload)
        for _ in 0..<3 {
            let run = try ServeCommandTests.client(server.url + (server.paths.first ?? "/"), truth: "replay-echo.truth.jsonl")
            #expect(run.received.map(\.payload) == expected)
        }
        #expect(server.process.waitForExit(timeout: 30))
        #expect(server.process.status == 0, "\(server.process.stdoutText)")
        #expect(server.process.stdoutText.contains("served 3 client(s)"))
    }
}
