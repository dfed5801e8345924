import Testing

/// The limits that concern the whole capture (`--max-connections`, `--max-buffered-bytes`) stay
/// global with `--threads N`: reassembly runs once, on the reading thread, so which connection is
/// pushed out and which hole is skipped — and the anomalies that say so — cannot depend on how
/// many workers decode the connections. (20,000 evicted half-open connections: ThreadsTests.)
@Suite struct ThreadsLimitsTests {
    @Test func aConnectionLimitPushesOutTheSameConnectionsWhateverTheThreads() throws {
        // Five WebSocket connections at once (a real Python client), two tracked at a time.
        let capture = WSTapRunner.capturesFolder.appendingPathComponent("concurrent.pcap").path
        let result = try ThreadsTests.expectSameOutputForAnyThreadCount(["read", "--format", "jsonl", "--max-connections", "2", capture])
        #expect(result.status == 0)
        let limited = result.stdoutText.split(separator: "\n").filter { $0.contains("\"kind\":\"connection_limit\"") }
        #expect(limited.count > 10, "the limit must be hit for the comparison to mean anything")
        let sessions = try ThreadsTests.expectSameOutputForAnyThreadCount(["sessions", "--format", "jsonl", "--max-connections", "2", capture])
        #expect(sessions.status == 0)
    }

    @Test func theOutOfOrderBudgetIsSpentTheSameWayWhateverTheThreads() throws {
        // Real traffic with packets the capture lost: holes wait for data until the budget runs out.
        let capture = WSTapRunner.capturesFolder.appendingPathComponent("lost-packets.pcap").path
        let result = try ThreadsTests.expectSameOutputForAnyThreadCount(["read", "--format", "jsonl", "--max-buffered-bytes", "1000", capture])
        #expect(result.stdoutText.contains("\"kind\":\"reassembly_buffer_limit\""))
    }
}
