import Foundation
import Testing

/// Capturing on lo needs root; read once, outside the suite (its trait cannot refer to the suite).
private let latencyTestsRunAsRoot = geteuid() == 0

/// `wstap sniff` captures in kernel blocks and buffers its output, yet on a quiet link each event must
/// still reach a reader of its pipe (`| jq`) within 100 ms: a real Python `websockets` client
/// (Tests/Peers/paced_client.py) sends a message every 0.4 s stamped with its send time, and the test
/// notes when sniff's line for it arrives. The same run checks the `stats` events.
@Suite(.serialized, .enabled(if: latencyTestsRunAsRoot, "wstap sniff tests need root (CAP_NET_RAW) to capture on lo: skipped"))
struct SniffLatencyTests {
    static let peers = WSTapRunner.repositoryRoot.appendingPathComponent("Tests/Peers")
    /// The issue's bound: capture latency (`PacketSource.maxCaptureLatencyMilliseconds`, 50 ms) plus
    /// output delay (`Sniff.maxOutputDelayMilliseconds`, 50 ms).
    static let maxLatency = 0.100
    static let maxLatencyUnderLoad = 0.250

    /// The probe's send time, from a printed message line (`probe <i> sent-at <time>`).
    static func probe(in line: Substring) -> (index: Int, sentAt: Double)? {
        guard line.contains(#""event":"message""#), line.contains(#""from":"client""#),
              let start = line.range(of: "probe ") else { return nil }
        let words = line[start.upperBound...].prefix { $0 != "\"" }.split(separator: " ")
        guard words.count == 3, let index = Int(words[0]), let sentAt = Double(words[2]) else { return nil }
        return (index, sentAt)
    }

    @Test func eachEventReachesThePipeWithin100MillisecondsAndStatsAreReported() throws {
        try TestPeers.require()
        let folder = try SniffTests.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: folder) }
        let port = try SniffTests.freePort()
        let sniff = try SniffTests.startSniff(["-i", "lo", "--filter", "tcp port \(port)", "--format", "jsonl", "--stats-interval", "1"])
        let ready = folder.appendingPathComponent("ready")
        let server = try BackgroundProcess(executable: SniffTests.python, arguments: [
            "python3", Self.peers.appendingPathComponent("echo_server.py").path,
            "--host", "127.0.0.1", "--port", String(port), "--ready", ready.path,
        ])
        defer {
            server.send(SIGTERM)
            server.waitForExit(timeout: 5)
        }
        guard server.wait(timeout: 20, until: { FileManager.default.fileExists(atPath: ready.path) || !server.isRunning }), server.isRunning else {
            throw SniffTests.SniffTestError("server did not start: \(server.stderr)")
        }
        let probes = 8
        let client = try BackgroundProcess(executable: SniffTests.python, arguments: [
            "python3", Self.peers.appendingPathComponent("paced_client.py").path,
            "--port", String(port), "--count", String(probes), "--interval", "0.4",
        ])
        var latencies: [Int: Double] = [:]
        let deadline = Date().addingTimeInterval(30)
        while latencies.count < probes, Date() < deadline, sniff.isRunning {
            let now = Date().timeIntervalSince1970
            for line in sniff.stdoutText.split(separator: "\n") {
                if let probe = Self.probe(in: line), latencies[probe.index] == nil {
                    latencies[probe.index] = now - probe.sentAt
                }
            }
            Thread.sleep(forTimeInterval: 0.002)
        }
        #expect(client.waitForExit(timeout: 20) && client.status == 0, "client: \(client.stderr)")
        let sorted = latencies.values.sorted()
        print("sniff latency over \(sorted.count) probes (ms): \(sorted.map { Int(($0 * 1000).rounded()) })")
        #expect(latencies.count == probes, "only \(latencies.count) of \(probes) probes printed")
        // The bound holds for the typical event; a loaded test machine (other builds on both cores)
        // can delay a single wake-up of sniff or of this test, hence the looser bound on the worst.
        #expect(sorted.isEmpty || sorted[sorted.count / 2] <= Self.maxLatency, "median over 100 ms: \(sorted)")
        #expect((sorted.last ?? .infinity) <= Self.maxLatencyUnderLoad, "latencies (s): \(sorted)")

        sniff.send(SIGINT)
        #expect(sniff.waitForExit(timeout: 15), "sniff did not stop")
        #expect(sniff.status == 0, "stderr: \(sniff.stderr)")
        let stats = sniff.stdoutText.split(separator: "\n").filter { $0.hasPrefix(#"{"event":"stats""#) }
            .compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
        #expect(stats.filter { $0["final"] as? Bool == false }.count >= 2, "periodic stats events: \(stats)")
        let final = stats.last ?? [:]
        #expect(final["final"] as? Bool == true)
        #expect(final["kernel_drops"] as? Int == 0 && final["queue_drops"] as? Int == 0, "\(final)")
        let captured = final["captured"] as? Int ?? -1
        #expect(captured > 20 && final["decoded"] as? Int == captured, "\(final)")
        #expect((final["received"] as? Int ?? -1) >= captured, "\(final)")
        #expect((final["queue_high_water_packets"] as? Int ?? 0) >= 1, "\(final)")
        #expect(sniff.stderr.contains("wstap: stats: "), "stderr: \(sniff.stderr)")
        #expect(sniff.stderr.contains("wstap: final stats: "), "stderr: \(sniff.stderr)")
    }

    @Test(arguments: [["--buffer-size", "0"], ["--buffer-size", "1025"], ["--queue-size", "0"], ["--stats-interval", "0.01"], ["--stats-interval", "-1"]])
    func outOfRangeCaptureSizesAreUsageErrors(arguments: [String]) throws {
        let result = try WSTapRunner.run(["sniff", "-i", "lo"] + arguments, timeout: 20)
        #expect(result.status == 64, "status \(result.status), stderr: \(result.stderr)")
        #expect(result.stderr.contains(arguments[0]), "stderr: \(result.stderr)")
    }
}
