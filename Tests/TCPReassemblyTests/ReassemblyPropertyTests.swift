import TestSupport
import PacketDecoding
import Testing
@testable import TCPReassembly

/// Randomised but seeded checks of the contracts every table test relies on.
struct ReassemblyPropertyTests {
    /// One stream cut into segments, then reordered, duplicated and (optionally) thinned out.
    static func scrambledSegments(seed: UInt64, lossy: Bool) -> (original: [UInt8], segments: [TCPSegment]) {
        var generator = SplitMix64(seed: seed)
        let original = (0..<(2000 + Int(generator.next() % 3000))).map { _ in UInt8(truncatingIfNeeded: generator.next()) }
        // Every fourth seed starts just below 2^32 so the stream wraps.
        let initial: UInt32 = seed % 4 == 0 ? UInt32.max - UInt32(generator.next() % 3000) : UInt32(truncatingIfNeeded: generator.next())
        let client = clientEndpoint()
        func segment(_ range: Range<Int>, flags: TCPFlags = [.ack], time: Int) -> TCPSegment {
            TCPSegment(
                timestamp: Timestamp(seconds: 1000, nanoseconds: UInt32(time) * 1000), source: client, destination: serverEndpoint,
                sequenceNumber: initial &+ 1 &+ UInt32(range.lowerBound), acknowledgmentNumber: 0, flags: flags,
                payload: Array(original[range])
            )
        }
        var pieces: [TCPSegment] = []
        var offset = 0
        var time = 1
        while offset < original.count {
            let length = min(1 + Int(generator.next() % 200), original.count - offset)
            pieces.append(segment(offset..<offset + length, time: time))
            // Retransmission of an overlapping range, same bytes.
            if generator.next() % 5 == 0 {
                let start = max(0, offset - Int(generator.next() % 50))
                pieces.append(segment(start..<min(original.count, offset + length + Int(generator.next() % 50)), time: time))
            }
            offset += length
            time += 1
        }
        // Local reordering: swap neighbours within a small window.
        for index in pieces.indices.dropLast() where generator.next() % 3 == 0 {
            let other = min(pieces.count - 1, index + 1 + Int(generator.next() % 4))
            pieces.swapAt(index, other)
        }
        if lossy { pieces = pieces.filter { _ in generator.next() % 10 != 0 } }
        let syn = TCPSegment(
            timestamp: Timestamp(seconds: 1000, nanoseconds: 0), source: client, destination: serverEndpoint,
            sequenceNumber: initial, acknowledgmentNumber: 0, flags: [.syn], payload: []
        )
        return (original, [syn] + pieces)
    }

    @Test(arguments: 0..<24)
    func scrambledStreamIsDeliveredExactlyWithoutLoss(seed: Int) {
        let (original, segments) = Self.scrambledSegments(seed: UInt64(seed), lossy: false)
        var assembler = TCPAssembler()
        var delivered: [UInt8] = []
        var gaps: UInt64 = 0
        let collect: (TCPStreamEvent) -> Void = { event in
            if case .data(_, _, let bytes, _) = event { delivered.append(contentsOf: bytes) }
            if case .gap(_, _, let count, _) = event { gaps += count }
        }
        for segment in segments { assembler.process(segment, collect) }
        assembler.finish(collect)
        #expect(gaps == 0)
        #expect(delivered == original)
    }

    @Test(arguments: 0..<24)
    func lossyStreamWithTightLimitsStaysConsistentWithTheOriginal(seed: Int) {
        let (original, segments) = Self.scrambledSegments(seed: UInt64(seed) &+ 1000, lossy: true)
        let configuration = TCPAssemblerConfiguration(
            maxBufferedBytesPerConnection: seed % 2 == 0 ? 600 : 4 << 20, maxBufferedBytesTotal: seed % 3 == 0 ? 900 : 64 << 20
        )
        var assembler = TCPAssembler(configuration: configuration)
        var position = 0
        var consistent = true
        var closedCount = 0
        let check: (TCPStreamEvent) -> Void = { event in
            switch event {
            case .data(_, _, let bytes, _):
                let end = position + bytes.count
                if end > original.count || !original[position..<end].elementsEqual(bytes) { consistent = false }
                position = min(end, original.count)
            case .gap(_, _, let count, _):
                position += Int(count)
            case .closed:
                closedCount += 1
            default:
                break
            }
        }
        for segment in segments { assembler.process(segment, check) }
        assembler.finish(check)
        #expect(consistent)
        #expect(position <= original.count)
        #expect(closedCount == 1)
    }

    @Test(arguments: 0..<8)
    func hostileSegmentsNeverBreakTheEventContract(seed: Int) {
        var generator = SplitMix64(seed: UInt64(seed) &* 7919)
        var assembler = TCPAssembler(configuration: TCPAssemblerConfiguration(
            maxBufferedBytesPerConnection: 2000, maxBufferedBytesTotal: 5000, maxConnections: 5, idleTimeout: 10,
            maxRememberedClosedConnections: 3
        ))
        enum State { case opened, closed }
        var states: [Int: State] = [:]
        var violations: [String] = []
        let check: (TCPStreamEvent) -> Void = { event in
            switch event {
            case .opened(let info):
                if states[info.id] != nil { violations.append("opened twice \(info.id)") }
                states[info.id] = .opened
            case .data(let id, _, let bytes, _):
                if states[id] != .opened { violations.append("data outside \(id)") }
                if bytes.isEmpty { violations.append("empty data \(id)") }
            case .gap(let id, _, let count, _):
                if states[id] != .opened || count == 0 { violations.append("bad gap \(id)") }
            case .closed(let id, _, _):
                if states[id] != .opened { violations.append("closed outside \(id)") }
                states[id] = .closed
            case .anomaly(let id, _, _, _):
                if let id, states[id] != .opened { violations.append("anomaly outside \(id)") }
            }
        }
        let hostileTimes: [Int64] = [0, 1, 5, 100, Int64.max, Int64.min, -3]
        for _ in 0..<4000 {
            let port = UInt16(1 + generator.next() % 8)
            let fromClient = generator.next() % 2 == 0
            let client = clientEndpoint(port: port)
            let seconds = generator.next() % 50 == 0
                ? hostileTimes[Int(generator.next() % UInt64(hostileTimes.count))] : Int64(generator.next() % 30)
            let segment = TCPSegment(
                timestamp: Timestamp(seconds: seconds, nanoseconds: UInt32(generator.next() % 1_000_000_000)),
                source: fromClient ? client : serverEndpoint, destination: fromClient ? serverEndpoint : client,
                sequenceNumber: generator.next() % 3 == 0 ? UInt32(truncatingIfNeeded: generator.next()) : UInt32(generator.next() % 3000),
                acknowledgmentNumber: UInt32(generator.next() % 3000),
                flags: TCPFlags(rawValue: UInt8(truncatingIfNeeded: generator.next()) & 0x3F),
                payload: (0..<Int(generator.next() % 300)).map { _ in UInt8(truncatingIfNeeded: generator.next()) },
                missingPayloadBytes: generator.next() % 20 == 0 ? [Int.max, Int.min, -1, 70_000][Int(generator.next() % 4)] : 0
            )
            assembler.process(segment, check)
        }
        assembler.finish(check)
        #expect(violations.isEmpty, "\(violations.prefix(5))")
        #expect(states.values.allSatisfy { $0 == .closed })
        #expect(assembler.openConnectionCount == 0)
    }
}

/// A small deterministic generator so that randomised rounds are reproducible.
