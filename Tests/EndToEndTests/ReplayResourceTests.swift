import Foundation
import Testing

/// Replay's memory against hostile peers and heavy recordings (issue #17, class 4): a server that
/// never stops sending tiny frames or pings, and a 1.2 MB capture whose 1,000 messages inflate to
/// 1 GiB (captures/replay-inflating.pcap, recorded by scripts/replay/record_inflating.sh). Each run
/// is measured: its peak resident set (VmHWM) must stay under a stated bound.
@Suite(.serialized) struct ReplayResourceTests {
    /// A server of Tests/Peers/flood_server.py in one of its modes.
    final class FloodServer {
        let process = Process()
        let port: Int
        private let ready: URL

        init(_ arguments: [String]) throws {
            try TestPeers.require()
            ready = FileManager.default.temporaryDirectory.appendingPathComponent("wstap-flood-\(UUID().uuidString)")
            process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            process.arguments = ["python3", WSTapRunner.repositoryRoot.appendingPathComponent("Tests/Peers/flood_server.py").path,
                                 "--port", "0", "--ready", ready.path] + arguments
            try process.run()
            var port: Int?
            for _ in 0..<100 {
                if let text = try? String(contentsOf: ready, encoding: .utf8), let value = Int(text) { port = value; break }
                Thread.sleep(forTimeInterval: 0.1)
            }
            guard let port else {
                ReplayCommandTests.EchoServer.stop(process)
                throw ReplayCommandTests.EchoServer.ServerError.didNotStart
            }
            self.port = port
        }

        func stop() {
            ReplayCommandTests.EchoServer.stop(process)
            try? FileManager.default.removeItem(at: ready)
        }
    }

    /// How a measured run of `wstap` went.
    struct Measured {
        var status: Int32
        var stdout: String
        var stderr: String
        /// The highest VmHWM read from /proc/PID/status while it ran, in bytes.
        var peakBytes: Int
        var seconds: Double
    }

    /// Runs `wstap` with its output in files, reading its VmHWM (the kernel's high-water mark of its
    /// resident set) every 10 ms until it exits; killed after `timeout` seconds.
    static func measure(_ arguments: [String], timeout: Double = 120) throws -> Measured {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("wstap-measure-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let outURL = folder.appendingPathComponent("out")
        let errURL = folder.appendingPathComponent("err")
        _ = FileManager.default.createFile(atPath: outURL.path, contents: nil)
        _ = FileManager.default.createFile(atPath: errURL.path, contents: nil)
        let process = Process()
        process.executableURL = try WSTapRunner.binary()
        process.arguments = arguments
        process.standardOutput = try FileHandle(forWritingTo: outURL)
        process.standardError = try FileHandle(forWritingTo: errURL)
        process.standardInput = FileHandle.nullDevice
        let started = Date()
        try process.run()
        var peak = 0
        while process.isRunning {
            if let status = try? String(contentsOfFile: "/proc/\(process.processIdentifier)/status", encoding: .utf8),
                let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmHWM:") }),
                let kilobytes = Int(line.split(separator: " ").dropFirst().first ?? "") {
                peak = max(peak, kilobytes * 1024)
            }
            if Date().timeIntervalSince(started) > timeout { kill(process.processIdentifier, SIGKILL) }
            Thread.sleep(forTimeInterval: 0.01)
        }
        process.waitUntilExit()
        return Measured(
            status: process.terminationStatus, stdout: (try? String(contentsOf: outURL, encoding: .utf8)) ?? "",
            stderr: (try? String(contentsOf: errURL, encoding: .utf8)) ?? "", peakBytes: peak, seconds: Date().timeIntervalSince(started))
    }

    static let echoCapture = ReplayCommandTests.capture("replay-echo.pcap")
    static let inflatingCapture = ReplayCommandTests.capture("replay-inflating.pcap")
    static let mebibyte = 1 << 20

    /// A server that sends one-byte text frames (or empty pings) without end: replay compares each
    /// with the recording and drops it, finishes within its timeouts, and stays small.
    @Test(arguments: ["frames", "pings"])
    func aFloodingServerCannotGrowReplay(_ mode: String) throws {
        let server = try FloodServer(["--mode", mode, "--seconds", "60"])
        defer { server.stop() }
        let run = try Self.measure(
            ["replay", Self.echoCapture, "--target", "ws://127.0.0.1:\(server.port)", "--answer-timeout", "2", "--close-timeout", "10",
             "--format", "jsonl"], timeout: 90)
        print("flood \(mode): status \(run.status), \(run.seconds) s, peak RSS \(run.peakBytes / Self.mebibyte) MiB")
        #expect(run.status == 1, "stderr: \(run.stderr)")
        #expect(run.seconds < 40, "replay must end within its timeouts (close-timeout 10 s), took \(run.seconds) s")
        #expect(run.peakBytes < 100 * Self.mebibyte, "peak RSS \(run.peakBytes / Self.mebibyte) MiB")
        let lines = run.stdout.split(separator: "\n").compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
        let done = try #require(lines.first { $0["event"] as? String == "connection_done" })
        let extra = done["extra"] as? Int ?? 0
        // Tens of thousands of frames at least arrive in 10 s; every one is counted, few are listed.
        #expect(extra > 10_000, "\(done)")
        #expect(lines.filter { $0["event"] as? String == "answer" }.count <= 2_000)
        let notes = done["notes"] as? [String] ?? []
        #expect(notes.contains { $0.contains("counted but not listed") }, "\(notes)")
    }

    /// 1,000 compressed messages of 1 MiB of zeros: more than the recording budget, refused with one
    /// line before anything is sent, without inflating them all into memory.
    @Test func aRecordingThatInflatesBeyondTheBudgetIsRefused() throws {
        let run = try Self.measure(["replay", Self.inflatingCapture, "--target", "ws://127.0.0.1:1"])
        print("inflating capture, default budget: status \(run.status), \(run.seconds) s, peak RSS \(run.peakBytes / Self.mebibyte) MiB")
        #expect(run.status == 2)
        #expect(run.stderr.contains("hold more than 134217728 bytes (--max-recording-bytes)"), "\(run.stderr)")
        #expect(run.peakBytes < 250 * Self.mebibyte, "peak RSS \(run.peakBytes / Self.mebibyte) MiB")
    }

    /// `--max-message-bytes` bounds what is kept of each recorded message, so the same capture
    /// replays in little memory against the real server that sent it (each answer is compared on
    /// its kept prefix, and the report says the comparison is approximate).
    @Test func maxMessageBytesBoundsWhatIsKeptFromTheRecording() throws {
        let server = try FloodServer(["--mode", "zeros"])
        defer { server.stop() }
        let run = try Self.measure(
            ["replay", Self.inflatingCapture, "--target", "ws://127.0.0.1:\(server.port)", "--max-message-bytes", "65536", "--answer-timeout", "60",
             "--format", "jsonl"])
        print("inflating capture, --max-message-bytes 65536: status \(run.status), \(run.seconds) s, peak RSS \(run.peakBytes / Self.mebibyte) MiB")
        #expect(run.status == 0 || run.status == 1, "stderr: \(run.stderr)")
        let lines = run.stdout.split(separator: "\n").compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
        let done = try #require(lines.first { $0["event"] as? String == "connection_done" })
        #expect(done["sent"] as? Int == 2, "\(done)")
        let notes = done["notes"] as? [String] ?? []
        #expect(notes.contains("990 more recorded server messages are compared approximately"), "\(notes)")
        #expect((done["matched"] as? Int ?? 0) + (done["differing"] as? Int ?? 0) == 1001, "\(done)")
        #expect(run.peakBytes < 300 * Self.mebibyte, "peak RSS \(run.peakBytes / Self.mebibyte) MiB")
    }

    /// A connection that is not replayed is not kept: asking for one the capture lacks loads nothing.
    @Test func onlyTheSelectedConnectionsAreLoaded() throws {
        let run = try Self.measure(["replay", Self.inflatingCapture, "--target", "ws://127.0.0.1:1", "--conn", "7"])
        #expect(run.status == 2)
        #expect(run.stderr.contains("has no WebSocket connection 7 (it has: 1)"), "\(run.stderr)")
        #expect(run.peakBytes < 150 * Self.mebibyte, "peak RSS \(run.peakBytes / Self.mebibyte) MiB")
    }
}
