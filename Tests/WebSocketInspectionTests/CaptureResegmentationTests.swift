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
        let source = try PacketSource.openFile(capturesFolder.appendingPathComponent(name).path)
        let decoder = try #require(PacketDecoder(linkType: source.linkType))
        var segments: [TCPSegment] = []
        while let packet = try source.nextPacket() {
            if case .tcp(let segment) = decoder.decode(packet.bytes, originalLength: packet.originalLength, timestamp: packet.timestamp) {
                segments.append(segment)
            }
        }
        return segments
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

    /// Re-cuts each payload at random points (sometimes overlapping the previous piece), duplicates
    /// some pieces, and shuffles data-only pieces within a window of four.
    static func mangle(_ segments: [TCPSegment], using generator: inout SplitMix64, overlap: Bool = true, duplicate: Bool = true, reorder: Bool = true) -> [TCPSegment] {
        var pieces: [TCPSegment] = []
        for segment in segments {
            let payload = segment.payload
            guard payload.count >= 2, segment.flags.isDisjoint(with: [.syn, .fin, .rst]) else {
                pieces.append(segment)
                continue
            }
            var start = 0
            while start < payload.count {
                let end = min(payload.count, start + Int.random(in: 1...max(1, payload.count / 2), using: &generator))
                // Overlap: sometimes begin a few bytes before where the previous piece ended.
                let from = overlap && start > 0 && Bool.random(using: &generator) ? max(0, start - Int.random(in: 1...8, using: &generator)) : start
                var piece = segment
                piece.payload = Array(payload[from..<end])
                piece.sequenceNumber = segment.sequenceNumber &+ UInt32(from)
                pieces.append(piece)
                if duplicate && Int.random(in: 0..<10, using: &generator) == 0 { pieces.append(piece) }
                start = end
            }
        }
        // Shuffle within fixed windows of four pieces (no piece moves more than three places),
        // leaving connection-control segments where they are.
        let movable = { (segment: TCPSegment) in segment.flags.isDisjoint(with: [.syn, .fin, .rst]) && !segment.payload.isEmpty }
        var windowStart = 0
        while reorder && windowStart < pieces.count {
            let window = windowStart..<min(pieces.count, windowStart + 4)
            let indices = window.filter { movable(pieces[$0]) }
            let shuffled = indices.map { pieces[$0] }.shuffled(using: &generator)
            for (index, piece) in zip(indices, shuffled) { pieces[index] = piece }
            windowStart += 4
        }
        return pieces
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
            let mangled = Self.mangle(original, using: &generator)
            #expect(mangled.count > original.count)
            let actual = Self.messages(mangled)
            #expect(actual == expected, "seed \(seed): \(Self.summary(actual)) instead of \(Self.summary(expected))")
        }
    }
}
