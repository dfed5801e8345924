import Foundation
import Testing
import TestSupport
import PacketCapture
import PacketDecoding
import TCPReassembly
import WebSocketInspection
import WebSocketProtocol

/// Property: however the real captures' TCP segments are re-cut, reordered within a window,
/// duplicated or overlapped, reassembly and WebSocket decoding give the same messages. Frames end up
/// split at arbitrary points across segments, so this also checks frame parsing across boundaries.
@Suite struct CaptureResegmentationTests {
    static let capturesFolder = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("captures")

    static func segments(of name: String) throws -> [TCPSegment] {
        try SegmentCapture.segments(ofFile: capturesFolder.appendingPathComponent(name).path)
    }

    /// Message payloads per connection and direction (ids are stable: SYNs are never moved), wired as `CaptureInspector` wires the pipeline.
    static func messages(_ segments: [TCPSegment]) -> [String: [[UInt8]]] {
        var assembler = TCPAssembler()
        var analyzers: [Int: ConnectionAnalyzer] = [:]
        var result: [String: [[UInt8]]] = [:]
        let collect: (InspectorEvent) -> Void = { event in
            if case .message(let message) = event {
                result["\(message.connection) \(message.direction)", default: []].append(message.payload)
            }
        }
        func handle(_ event: TCPStreamEvent) {
            switch event {
            case .opened(let info):
                analyzers[info.id] = ConnectionAnalyzer(info: info, configuration: InspectionConfiguration())
            case .data(let connection, let side, let bytes, let timestamp):
                analyzers[connection]?.receive(bytes, from: side, at: timestamp, collect)
            case .gap(let connection, let side, let count, let timestamp):
                analyzers[connection]?.receiveGap(count, from: side, at: timestamp, collect)
            case .closed(let connection, let reason, let timestamp):
                analyzers[connection]?.finish(reason: reason, at: timestamp, collect)
                analyzers[connection] = nil
            case .anomaly:
                break
            }
        }
        for segment in segments { assembler.process(segment, handle) }
        assembler.finish(handle)
        for id in analyzers.keys.sorted() { analyzers[id]?.finish(reason: .endOfCapture, at: .zero, collect) }
        return result
    }

    /// Message counts and total bytes per key: what a failure prints instead of the payloads.
    static func summary(_ messages: [String: [[UInt8]]]) -> String {
        messages.keys.sorted().map { "\($0): \(messages[$0]!.count) messages, \(messages[$0]!.reduce(0) { $0 + $1.count }) bytes" }.joined(separator: "; ")
    }

    @Test(.timeLimit(.minutes(1)), arguments: [
        "plain.pcap", "binary.pcap", "fragmented.pcap", "deflate-default.pcap", "deflate-fragmented.pcap",
        "deflate-no-context.pcap", "concurrent.pcap", "ipv6.pcap", "any-sll2.pcap", "browser-chromium-deflate.pcap",
    ])
    func resegmentedCaptureGivesTheSameMessages(capture: String) throws {
        let original = try Self.segments(of: capture)
        let expected = Self.messages(original)
        #expect(!expected.isEmpty)
        for seed in UInt64(1)...3 {
            var generator = SplitMix64(seed: seed)
            let mangled = SegmentMangling.mangle(original, using: &generator)
            #expect(mangled.count > original.count)
            let actual = Self.messages(mangled)
            #expect(actual == expected, "seed \(seed): \(Self.summary(actual)) instead of \(Self.summary(expected))")
        }
    }
}
