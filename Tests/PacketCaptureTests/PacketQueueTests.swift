import Foundation
import PacketCapture
import PacketDecoding
import Testing

/// The hand-over between sniff's capture and decoding threads, filled with the packets of a
/// committed capture of real peers (captures/binary.pcap).
struct PacketQueueTests {
    static let capture = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("captures/binary.pcap").path

    /// Every packet of the capture, one batch of `perBatch` packets at a time.
    static func batches(perBatch: Int) throws -> [PacketBatch] {
        let source = try PacketSource.openFile(capture)
        var batches: [PacketBatch] = []
        var batch = PacketBatch()
        while let packet = try source.nextPacket() {
            batch.append(packet)
            if batch.packetCount == perBatch {
                batches.append(batch)
                batch = PacketBatch()
            }
        }
        if !batch.isEmpty { batches.append(batch) }
        return batches
    }

    @Test func aBatchGivesBackEveryPacketByteForByte() throws {
        let source = try PacketSource.openFile(Self.capture)
        var original: [([UInt8], Timestamp, Int)] = []
        var batch = PacketBatch()
        while let packet = try source.nextPacket() {
            original.append((Array(packet.bytes), packet.timestamp, packet.originalLength))
            batch.append(packet)
        }
        #expect(original.count > 10)
        var index = 0
        batch.forEach { packet in
            #expect(Array(packet.bytes) == original[index].0)
            #expect(packet.timestamp == original[index].1)
            #expect(packet.originalLength == original[index].2)
            index += 1
        }
        #expect(index == original.count)
    }

    @Test func aFullQueueDropsAndCountsWholeBatchesAndKeepsOrder() throws {
        let batches = try Self.batches(perBatch: 4)
        #expect(batches.count >= 3)
        let bound = batches[0].byteCount + batches[1].byteCount
        let queue = PacketQueue(maxQueuedBytes: bound)
        #expect(queue.offer(batches[0]))
        #expect(queue.offer(batches[1]))
        #expect(!queue.offer(batches[2]), "the third batch exceeds the bound")
        var counters = queue.snapshot
        #expect(counters.droppedPackets == UInt64(batches[2].packetCount))
        #expect(counters.offeredPackets == UInt64(batches[0].packetCount + batches[1].packetCount + batches[2].packetCount))
        #expect(counters.highWaterBytes == bound)
        #expect(counters.highWaterPackets == batches[0].packetCount + batches[1].packetCount)

        guard case .batch(let first) = queue.take(timeoutMilliseconds: 0) else { Issue.record("no batch"); return }
        #expect(first.byteCount == batches[0].byteCount)
        #expect(queue.offer(batches[0]), "room again after a take (the same size as the one taken)")
        guard case .batch(let second) = queue.take(timeoutMilliseconds: 0) else { Issue.record("no batch"); return }
        #expect(second.byteCount == batches[1].byteCount)
        guard case .batch(let third) = queue.take(timeoutMilliseconds: 0) else { Issue.record("no batch"); return }
        #expect(third.byteCount == batches[0].byteCount)
        #expect(queue.isEmpty)
        counters = queue.snapshot
        #expect(counters.queuedBytes == 0 && counters.queuedPackets == 0)
        #expect(counters.highWaterBytes == bound, "the high-water mark stays")
    }

    @Test func anEmptyQueueWaitsThenReportsIdleThenClosed() throws {
        let queue = PacketQueue(maxQueuedBytes: 1 << 20)
        let started = ContinuousClock.now
        guard case .idle = queue.take(timeoutMilliseconds: 60) else { Issue.record("expected idle"); return }
        #expect(ContinuousClock.now - started >= .milliseconds(50))
        let batch = try Self.batches(perBatch: 2)[0]
        queue.offer(batch)
        queue.close()
        guard case .batch = queue.take(timeoutMilliseconds: 0) else { Issue.record("queued batch lost at close"); return }
        guard case .closed = queue.take(timeoutMilliseconds: 1000) else { Issue.record("expected closed"); return }
    }

    @Test func oneBatchLargerThanTheBoundStillPassesAnEmptyQueue() throws {
        let batch = try Self.batches(perBatch: 1000)[0]
        let queue = PacketQueue(maxQueuedBytes: 1)
        #expect(queue.offer(batch))
        #expect(queue.snapshot.droppedPackets == 0)
    }
}
