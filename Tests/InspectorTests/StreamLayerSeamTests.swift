import PacketDecoding
import TCPReassembly
import Testing
import WebSocketInspection
import Inspector

/// Seam 1: a stream layer between TCP reassembly and the connection analyzer.
struct StreamLayerSeamTests {
    /// Hands every byte on alone, and gaps as they come: a layer that changes nothing but the
    /// chunking, as a decryption layer does (records rarely line up with segments).
    final class OneByteAtATime: StreamLayer {
        func receive(_ bytes: ArraySlice<UInt8>, from side: StreamSide, at timestamp: Timestamp, _ output: (StreamLayerOutput) -> Void) {
            for index in bytes.indices { output(.data(side: side, bytes: bytes[index...index], timestamp: timestamp)) }
        }
        func receiveGap(_ count: UInt64, from side: StreamSide, at timestamp: Timestamp, _ output: (StreamLayerOutput) -> Void) {
            output(.gap(side: side, byteCount: count, timestamp: timestamp))
        }
        func finish(at timestamp: Timestamp, _ output: (StreamLayerOutput) -> Void) {}
    }

    /// Passes bytes through until `cutAfter` bytes of the responder's stream, then reports the
    /// responder's next `lost` bytes as a gap instead (as a decryption layer does for a record
    /// it cannot open), with an anomaly saying so.
    final class LosesResponderBytes: StreamLayer {
        let cutAfter: Int
        let lost: Int
        var seen = 0
        init(cutAfter: Int, lost: Int) {
            self.cutAfter = cutAfter
            self.lost = lost
        }
        func receive(_ bytes: ArraySlice<UInt8>, from side: StreamSide, at timestamp: Timestamp, _ output: (StreamLayerOutput) -> Void) {
            guard side == .responder else { return output(.data(side: side, bytes: bytes, timestamp: timestamp)) }
            var rest = bytes
            while !rest.isEmpty {
                if seen < cutAfter {
                    let take = min(rest.count, cutAfter - seen)
                    output(.data(side: side, bytes: rest.prefix(take), timestamp: timestamp))
                    rest = rest.dropFirst(take)
                    seen += take
                } else if seen < cutAfter + lost {
                    let take = min(rest.count, cutAfter + lost - seen)
                    if seen == cutAfter { output(.anomaly(kind: .truncatedFrame, detail: "layer lost \(lost) bytes", timestamp: timestamp)) }
                    output(.gap(side: side, byteCount: UInt64(take), timestamp: timestamp))
                    rest = rest.dropFirst(take)
                    seen += take
                } else {
                    output(.data(side: side, bytes: rest, timestamp: timestamp))
                    rest = []
                }
            }
        }
        func receiveGap(_ count: UInt64, from side: StreamSide, at timestamp: Timestamp, _ output: (StreamLayerOutput) -> Void) {
            output(.gap(side: side, byteCount: count, timestamp: timestamp))
        }
        func finish(at timestamp: Timestamp, _ output: (StreamLayerOutput) -> Void) {}
    }

    @Test(arguments: ["plain.pcap", "deflate-fragmented.pcap", "concurrent.pcap", "lost-packets.pcap", "midstream-deflate-nocontext.pcap"])
    func aLayerThatOnlyRechunksChangesNoEvent(capture: String) throws {
        let plain = try events(of: capture)
        var configuration = InspectorConfiguration()
        configuration.streamLayers = StreamLayerFactory { _ in OneByteAtATime() }
        let layered = try events(of: capture, configuration: configuration)
        #expect(!plain.messages.isEmpty)
        #expect(summaries(layered) == summaries(plain))
    }

    @Test func bytesALayerCannotRecoverArriveAsGapsAndNothingIsInvented() throws {
        let plain = try events(of: "plain.pcap")
        // The server's first message starts after its 101 head; cut inside its messages.
        var configuration = InspectorConfiguration()
        configuration.streamLayers = StreamLayerFactory { _ in LosesResponderBytes(cutAfter: 400, lost: 50) }
        let layered = try events(of: "plain.pcap", configuration: configuration)
        let gaps = layered.compactMap { event -> UInt64? in if case .gap(_, _, let direction, let bytes) = event, direction == .serverToClient { return bytes } else { return nil } }
        #expect(gaps.reduce(0, +) == 50)
        #expect(layered.anomalies.contains { $0.kind == .truncatedFrame && $0.detail == "layer lost 50 bytes" && $0.connection == 1 })
        // Every complete server message of the layered run was sent: it is one of the original ones.
        let sent = Set(plain.messages.filter { $0.direction == .serverToClient }.map(\.payload))
        for message in layered.messages where message.direction == .serverToClient && !message.isIncomplete {
            #expect(sent.contains(message.payload))
        }
        // The client's messages are untouched.
        #expect(layered.messages.filter { $0.direction == .clientToServer }.map(\.payload)
            == plain.messages.filter { $0.direction == .clientToServer }.map(\.payload))
    }
}
