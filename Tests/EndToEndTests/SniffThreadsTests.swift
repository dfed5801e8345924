import Foundation
import Testing

/// Capturing on lo needs root; read once, outside the suite (its trait cannot refer to the suite).
private let runningAsRoot = geteuid() == 0

/// `wstap sniff --threads 2` against real Python `websockets` peers (Tests/Peers/peers.py, the
/// scenarios of SniffTests): two sniffs capture the same exchange at once on lo, one decoding on
/// its reading thread and one on two workers; both must print every message live, and the same
/// lines. Needs root (CAP_NET_RAW); otherwise the suite is skipped.
@Suite(.serialized, .enabled(if: runningAsRoot, "wstap sniff tests need root (CAP_NET_RAW) to capture on lo: skipped"))
struct SniffThreadsTests {
    /// Standard output without the live `stats` events (counters and the wall clock), and without
    /// `"ts"`: two capture handles on lo get the same packets, but the kernel stamps each copy on
    /// its own, a microsecond apart at times.
    static func decodedLines(_ output: String) -> [String] {
        output.split(separator: "\n").filter { !$0.hasPrefix(#"{"event":"stats""#) }.map { line in
            line.replacingOccurrences(of: #","ts":[0-9.]+,"#, with: ",", options: .regularExpression)
        }
    }

    @Test func twoThreadsPrintWhatOneThreadPrints() throws {
        let folder = try SniffTests.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: folder) }
        let port = try SniffTests.freePort()
        let arguments = ["-i", "lo", "--filter", "tcp port \(port)", "--format", "jsonl"]
        let single = try SniffTests.startSniff(arguments + ["--threads", "1"])
        let sharded = try SniffTests.startSniff(arguments + ["--threads", "2"])
        let truth = folder.appendingPathComponent("truth.jsonl")
        try Data().write(to: truth)
        for scenario in SniffTests.scenarios {
            try SniffTests.drivePeers(scenario: scenario, port: port, folder: folder, truth: truth)
        }
        let expected = try RecordedCaptureTests.truth(of: RecordedCaptureTests.Capture(name: "live", file: truth, truth: truth))
        let expectedCount = expected.values.reduce(0) { $0 + $1.count }
        #expect(expectedCount > 60, "the peers should have logged their messages")

        // Both print live: every message is out before the capture is stopped.
        for (name, sniff) in [("--threads 1", single), ("--threads 2", sharded)] {
            let allPrinted = sniff.wait(timeout: 15) { SniffTests.messageLines(sniff.stdoutText) >= expectedCount }
            #expect(allPrinted, "\(name): only \(SniffTests.messageLines(sniff.stdoutText)) of \(expectedCount) messages printed before stopping")
        }
        for sniff in [single, sharded] { sniff.send(SIGINT) }
        for (name, sniff) in [("--threads 1", single), ("--threads 2", sharded)] {
            #expect(sniff.waitForExit(timeout: 15), "\(name) did not stop on SIGINT")
            #expect(sniff.status == 0, "\(name) stderr: \(sniff.stderr)")
            #expect(sniff.stderr.contains(" 0 dropped by kernel, 0 dropped by queue"), "\(name) lost packets: \(sniff.stderr)")
        }

        // The messages are those the peers sent, byte for byte.
        let lines = try WSTapRunner.Result(status: sharded.status, stdout: sharded.stdout, stderr: sharded.stderr).jsonLines()
        let (actual, incomplete) = RecordedCaptureTests.decoded(lines)
        #expect(incomplete == 0)
        #expect(actual.keys.count == expected.keys.count, "connections × directions: got \(actual.keys), expected \(expected.keys)")
        for (key, sent) in expected where actual[key] ?? [] != sent {
            Issue.record("--threads 2, \(key): \(actual[key]?.count ?? 0) messages printed, \(sent.count) sent, or they differ")
        }
        // And what two workers printed is what one thread printed, line for line.
        let one = Self.decodedLines(single.stdoutText), two = Self.decodedLines(sharded.stdoutText)
        #expect(one.count == two.count, "\(one.count) lines with one thread, \(two.count) with two")
        #expect(one.allSatisfy { !$0.contains(#""ts":"#) }, "every time stamp is left out of the comparison")
        let same = one == two
        #expect(same, "\(ThreadsTests.firstDifference(one.joined(separator: "\n"), two.joined(separator: "\n")))")
    }
}
