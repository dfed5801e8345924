import Foundation
import PacketDecoding
import Testing
import TestSupport

/// Property: whatever the network did to the segments — re-cut, overlapped, duplicated, reordered
/// (`SegmentMangling`, the mutations of CaptureResegmentationTests) — `read --format jsonl` prints
/// the same bytes with 2, 3 and 8 decoding threads as with 1. Stream events then arrive in many
/// small pieces interleaved across connections, so chunks cut connections at arbitrary points.
@Suite struct ThreadsResegmentationTests {
    /// Real captures merged into one with many concurrent connections: plain, deflate (with and
    /// without context takeover), fragmented, midstream, IPv6, application protocols, and TLS
    /// (decrypted with the key logs, merged into one file) — every kind of per-connection state a
    /// worker keeps.
    static let sources = [
        "concurrent.pcap", "plain.pcap", "binary.pcap", "fragmented.pcap", "deflate-default.pcap", "deflate-no-context.pcap",
        "deflate-fragmented.pcap", "midstream.pcap", "ipv6.pcap", "reordered-duplicated.pcap", "keepalive-then-upgrade.pcap",
        "app/mqtt.pcap", "app/socketio.pcap", "tls/tls13-chacha20.pcap", "tls/tls12-aes128gcm.pcap", "large.pcap",
        "implementations/gorilla.pcap",
    ]
    static let seeds: [UInt64] = [1, 2, 3]

    /// Each capture's segments moved to start at the same moment (so that their connections run at
    /// once and their segments interleave) and to its own addresses (127.N.0.1 for the Nth, so no
    /// two connections share a 4-tuple), merged in time order.
    static func mergedSegments() throws -> [TCPSegment] {
        var merged: [(time: Timestamp, order: Int, segment: TCPSegment)] = []
        for (index, name) in sources.enumerated() {
            let segments = try SegmentCapture.segments(ofFile: WSTapRunner.capturesFolder.appendingPathComponent(name).path)
            guard let start = segments.first?.timestamp else { continue }
            for segment in segments {
                var moved = segment
                // Same start, a millisecond apart per capture: the merge order is decided by time.
                let offset = segment.timestamp.nanosecondsSince(start) + Int64(index) * 1_000_000
                moved.timestamp = Timestamp(seconds: 1_700_000_000 + offset / 1_000_000_000, nanoseconds: UInt32(offset % 1_000_000_000))
                moved.source.address = renumbered(segment.source.address, index)
                moved.destination.address = renumbered(segment.destination.address, index)
                merged.append((moved.timestamp, merged.count, moved))
            }
        }
        return merged.sorted { ($0.time, $0.order) < ($1.time, $1.order) }.map(\.segment)
    }

    static func renumbered(_ address: IPAddress, _ index: Int) -> IPAddress {
        switch address {
        case .v4(let value): .v4(value ^ UInt32(index + 1) << 16)
        case .v6(let high, let low): .v6(high: high, low: low ^ UInt64(index + 1) << 32)
        }
    }

    /// All the sources' key logs in one file (lines are looked up by client random).
    static func mergedKeyLog(in folder: URL) throws -> URL {
        var text = ""
        for name in sources {
            let keyLog = WSTapRunner.capturesFolder.appendingPathComponent(name).deletingPathExtension().appendingPathExtension("keylog")
            if let lines = try? String(contentsOf: keyLog, encoding: .utf8) { text += lines.hasSuffix("\n") ? lines : lines + "\n" }
        }
        let url = folder.appendingPathComponent("merged.keylog")
        try Data(text.utf8).write(to: url)
        return url
    }

    @Test(.timeLimit(.minutes(5)))
    func mangledMultiConnectionCaptureReadsTheSameForAnyThreadCount() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("wstap-threads-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let keyLog = try Self.mergedKeyLog(in: folder)
        let original = try Self.mergedSegments()
        for seed in Self.seeds {
            var generator = SplitMix64(seed: seed)
            let mangled = SegmentMangling.mangle(original, using: &generator)
            #expect(mangled.count > original.count)
            let file = folder.appendingPathComponent("mangled-\(seed).pcap")
            try Data(SegmentCapture.pcap(mangled)).write(to: file)
            let single = try ThreadsTests.expectSameOutputForAnyThreadCount(["read", "--format", "jsonl", "--keylog", keyLog.path, file.path])
            #expect(single.status == 0, "seed \(seed): \(single.stderr)")
            // Not vacuous: the merged capture decodes to many connections, TLS ones included.
            let lines = try single.jsonLines()
            let opens = lines.filter { $0["event"] as? String == "open" }
            #expect(opens.count >= 20, "seed \(seed): \(opens.count) connections opened")
            #expect(opens.contains { $0["tls"] != nil }, "seed \(seed): no TLS connection was decrypted")
            #expect(lines.filter { $0["event"] as? String == "message" }.count > 500, "seed \(seed)")
            // The commands that take events rather than printed lines (`CaptureReader.read(_:emit:)`).
            let sessions = try ThreadsTests.expectSameOutputForAnyThreadCount(["sessions", "--format", "jsonl", "--keylog", keyLog.path, file.path])
            #expect(sessions.status == 0 && !sessions.stdout.isEmpty, "seed \(seed): \(sessions.stderr)")
            let har = try ThreadsTests.expectSameOutputForAnyThreadCount(["export", "--format", "har", "--keylog", keyLog.path, file.path])
            #expect(har.status == 0 && !har.stdout.isEmpty, "seed \(seed): \(har.stderr)")
        }
    }
}

extension Timestamp {
    /// Nanoseconds from `earlier` to this time.
    func nanosecondsSince(_ earlier: Timestamp) -> Int64 {
        (seconds - earlier.seconds) * 1_000_000_000 + Int64(nanoseconds) - Int64(earlier.nanoseconds)
    }
}
