import Foundation
import Testing

/// Hostile clients against `wstap serve` (Tests/Peers/hostile_client.py, raw sockets): each is
/// refused or cut off with one line, within its named limit, while a real client served at the
/// same time still gets the whole recording.
@Suite(.serialized) struct ServeHostileClientTests {
    struct Hostile {
        var result: [String: Any]
        var process: BackgroundProcess
    }

    static func hostile(_ mode: String, port: Int, path: String, _ extra: [String] = []) throws -> BackgroundProcess {
        try BackgroundProcess(
            executable: URL(fileURLWithPath: "/usr/bin/env"),
            arguments: ["python3", WSTapRunner.repositoryRoot.appendingPathComponent("Tests/Peers/hostile_client.py").path, mode,
                        "--port", String(port), "--path", path] + extra)
    }

    static func result(_ process: BackgroundProcess) -> [String: Any] {
        process.waitForExit(timeout: 60)
        let line = process.stdoutText.split(separator: "\n").last.map(String.init) ?? "{}"
        return (try? JSONSerialization.jsonObject(with: Data(line.utf8))) as? [String: Any] ?? [:]
    }

    /// Serves `capture` to one hostile client and one real one; returns the hostile client's
    /// result and the server's report.
    static func serveAlongside(
        _ mode: String, capture: String = "replay-echo.pcap", truth: String = "replay-echo.truth.jsonl", serveFlags: [String] = [],
        hostileFlags: [String] = []
    ) throws -> (hostile: [String: Any], report: String, errors: String, status: Int32) {
        let server = try ServeCommandTests.Server(capture, ["--max-clients", "2", "--loop"] + serveFlags)
        let path = server.paths.first ?? "/"
        let attacker = try hostile(mode, port: server.port, path: path, hostileFlags)
        Thread.sleep(forTimeInterval: 0.3)
        let run = try ServeCommandTests.client(server.url + path, truth: truth)
        #expect(run.status == 0, "the real client is not disturbed: \(run.log)")
        #expect(run.received.map(\.payload) == (try ServeCommandTests.serverTruth(truth)).map(\.payload))
        let outcome = result(attacker)
        #expect(server.process.waitForExit(timeout: 60), "serve ends after the two clients")
        return (outcome, server.process.stdoutText, server.process.stderr, server.process.status)
    }

    @Test func garbageInsteadOfARequestGets400() throws {
        let (hostile, report, _, status) = try Self.serveAlongside("garbage")
        #expect((hostile["status"] as? String)?.hasPrefix("HTTP/1.1 400") == true, "\(hostile)")
        #expect(report.contains("refused (400): not an HTTP request"), "\(report)")
        #expect(status == 1)
    }

    @Test func aSilentClientIsDroppedAfterTheHandshakeTimeout() throws {
        let (hostile, report, _, _) = try Self.serveAlongside("silent", serveFlags: ["--handshake-timeout", "1"])
        #expect(hostile["closed"] as? Bool == true && (hostile["elapsed"] as? Double ?? 99) < 5, "\(hostile)")
        #expect(report.contains("sent no complete upgrade request within 1.0 s (--handshake-timeout)"), "\(report)")
    }

    @Test func framesThatAreNotWebSocketAreCutOffWith1002() throws {
        let (hostile, report, errors, status) = try Self.serveAlongside("bad-frames")
        #expect(hostile["close_code"] as? Int == 1002 && hostile["closed"] as? Bool == true, "\(hostile)")
        #expect(report.contains("error: cut off: "), "\(report)")
        #expect(errors.split(separator: "\n").filter { $0.contains("cut off") }.count == 1, "one line: \(errors)")
        #expect(status == 1)
    }

    @Test func aFrameClaimingTwoToTheSixtyThreeBytesIsCutOffAtItsHeader() throws {
        let (hostile, report, _, _) = try Self.serveAlongside("huge-frame")
        #expect(hostile["close_code"] as? Int == 1009 && hostile["closed"] as? Bool == true, "\(hostile)")
        #expect(report.contains("cut off: a binary frame of 9223372036854775807 bytes makes its message larger than"), "\(report)")
    }

    @Test func aDeflateBombIsCutOffAtTheMessageLimit() throws {
        let (hostile, report, _, _) = try Self.serveAlongside(
            "deflate-bomb", capture: "deflate-fragmented.pcap", truth: "deflate-fragmented.truth.jsonl",
            serveFlags: ["--max-message-bytes", "1048576"], hostileFlags: ["--bomb-bytes", String(256 << 20)])
        #expect(hostile["close_code"] as? Int == 1009 && hostile["closed"] as? Bool == true, "\(hostile)")
        #expect(report.contains("cut off: message_too_large"), "\(report)")
    }

    /// A recording whose server pushes 16 MiB at once (a session file written here): a client
    /// that never reads fills its socket buffers, the write stalls, and after `--max-write-stall`
    /// the client is cut off — while a real client on the same server is served in full.
    @Test func aClientThatNeverReadsIsCutOffAfterTheWriteStall() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("wstap-serve-stall-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let payload = Data(repeating: 0x5a, count: 1 << 20).base64EncodedString()
        let pushes = (0..<16).map { _ in #"{"from":"server","opcode":"binary","time":1000,"payload":"\#(payload)","fragmentLengths":[],"compressed":false,"decompressed":false,"incomplete":false}"# }
        let session = #"{"format":"wstap-session","version":1,"connections":[{"id":1,"client":"127.0.0.1:1","server":"127.0.0.1:2","start":1000,"#
            + #""request":{"method":"GET","target":"/big","version":"HTTP/1.1","headers":[]},"extensions":[],"messages":["#
            + pushes.joined(separator: ",") + "]}]}"
        let file = folder.appendingPathComponent("big.json")
        try Data(session.utf8).write(to: file)
        try TestPeers.require()
        let server = try BackgroundProcess(
            executable: try WSTapRunner.binary(), arguments: ["serve", file.path, "--max-clients", "2", "--loop", "--max-write-stall", "1", "--close-timeout", "0.2"])
        #expect(server.wait(timeout: 30) { server.stderr.contains("serving ") || !server.isRunning }, "\(server.stderr)")
        let line = server.stderr.split(separator: "\n").first { $0.contains("serving ") } ?? ""
        let url = line.split(separator: " ").first { $0.hasPrefix("ws://") } ?? ""
        let port = Int(url.split(separator: ":").last ?? "") ?? 0
        #expect(port > 0, "\(line)")
        let attacker = try Self.hostile("never-read", port: port, path: "/big", ["--seconds", "6"])
        // A real reader on the same server gets all 16 MiB meanwhile.
        let reader = try BackgroundProcess(
            executable: URL(fileURLWithPath: "/usr/bin/env"),
            arguments: ["python3", "-c", """
                import asyncio, sys
                from websockets.asyncio.client import connect
                async def main():
                    async with connect(sys.argv[1], max_size=None, compression=None) as ws:
                        total = 0
                        for _ in range(16):
                            total += len(await asyncio.wait_for(ws.recv(), 30))
                        print(total)
                asyncio.run(main())
                """, "ws://127.0.0.1:\(port)/big"])
        #expect(reader.waitForExit(timeout: 60))
        #expect(reader.stdoutText.trimmingCharacters(in: .whitespacesAndNewlines) == String(16 << 20), "\(reader.stderr)")
        #expect(server.waitForExit(timeout: 30), "the stalled client is cut off, so serve ends")
        #expect(server.stdoutText.contains("error: cut off: the client did not read for 1.0 s (--max-write-stall)"), "\(server.stdoutText)")
        #expect(server.status == 1)
        _ = Self.result(attacker)
    }
}
