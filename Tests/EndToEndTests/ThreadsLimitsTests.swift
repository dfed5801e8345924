import Foundation
import Testing

/// The limits that concern the whole capture (`--max-connections`, `--max-buffered-bytes`) stay
/// global with `--threads N`: reassembly runs once, on the reading thread, so which connection is
/// pushed out and which hole is skipped — and the anomalies that say so — cannot depend on how
/// many workers decode the connections.
@Suite struct ThreadsLimitsTests {
    static let threadCounts = ["2", "3", "8"]

    /// Runs `arguments` with `--threads 1` and each other count; every run must print the same.
    static func expectSameOutput(_ arguments: [String], timeout: TimeInterval = 120) throws -> WSTapRunner.Result {
        let single = try WSTapRunner.run(arguments + ["--threads", "1"], timeout: timeout)
        for count in threadCounts {
            let sharded = try WSTapRunner.run(arguments + ["--threads", count], timeout: timeout)
            #expect(sharded.status == single.status, "--threads \(count)")
            #expect(sharded.stdout == single.stdout, "--threads \(count): stdout differs")
            #expect(sharded.stderr == single.stderr, "--threads \(count): stderr differs")
        }
        return single
    }

    @Test func aConnectionLimitPushesOutTheSameConnectionsWhateverTheThreads() throws {
        // Five WebSocket connections at once (a real Python client), two tracked at a time.
        let capture = WSTapRunner.capturesFolder.appendingPathComponent("concurrent.pcap").path
        let result = try Self.expectSameOutput(["read", "--format", "jsonl", "--max-connections", "2", capture])
        #expect(result.status == 0)
        let limited = result.stdoutText.split(separator: "\n").filter { $0.contains("\"kind\":\"connection_limit\"") }
        #expect(limited.count > 10, "the limit must be hit for the comparison to mean anything")
        let sessions = try Self.expectSameOutput(["sessions", "--format", "jsonl", "--max-connections", "2", capture])
        #expect(sessions.status == 0)
    }

    @Test func theOutOfOrderBudgetIsSpentTheSameWayWhateverTheThreads() throws {
        // Real traffic with packets the capture lost: holes wait for data until the budget runs out.
        let capture = WSTapRunner.capturesFolder.appendingPathComponent("lost-packets.pcap").path
        let result = try Self.expectSameOutput(["read", "--format", "jsonl", "--max-buffered-bytes", "1000", capture])
        #expect(result.stdoutText.contains("\"kind\":\"reassembly_buffer_limit\""))
    }

    @Test(.timeLimit(.minutes(3))) func twentyThousandHalfOpenConnectionsGiveTheSameEvictions() throws {
        let file = try HostileInputTests.write("threads-half-open.pcap", HostileInputTests.halfOpenConnections(20_000))
        defer { try? FileManager.default.removeItem(at: file) }
        let single = try WSTapRunner.run(["read", "--format", "jsonl", "--max-connections", "500", file.path, "--threads", "1"], timeout: 110)
        let sharded = try WSTapRunner.run(["read", "--format", "jsonl", "--max-connections", "500", file.path, "--threads", "3"], timeout: 110)
        #expect(single.status == 0 && sharded.status == 0)
        #expect(single.stdout.count > 0)
        #expect(sharded.stdout == single.stdout)
    }
}
