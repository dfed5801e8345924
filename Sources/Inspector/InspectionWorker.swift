import Foundation
import TCPReassembly
import WebSocketInspection

/// A stream event numbered in the order reassembly gave it: the merger puts the workers' events
/// back in this order.
struct SequencedStreamEvent: Sendable {
    var sequence: UInt64
    var event: TCPStreamEvent
}

/// One worker's share of one chunk of the capture.
struct ShardTask: Sendable {
    var events: [SequencedStreamEvent] = []
    /// Set for a live capture gone idle: the connections' layers look again (numbered like an event).
    var poll: UInt64?
    /// Set when the capture ended: the connections still open are flushed, each numbered
    /// `finishFrom + its connection number` so that they come out in connection order.
    var finishFrom: UInt64?
}

/// Where one rendered event ends in a worker's output, and the stream event it came from.
struct ShardRecord: Sendable {
    var sequence: UInt64
    var end: Int
    var isMessage: Bool
}

/// What a worker made of one task, or of part of it: the events' output one after the other, and
/// where each ends. A task whose output grows past `maxPartBytes` is handed over in several parts,
/// so that one chunk that inflates to gigabytes is written as it is decoded, not held.
struct ShardResult: Sendable {
    /// With `EventRendering.bytes`: the events' bytes, one after the other.
    var bytes: [UInt8] = []
    /// With `EventRendering.events`: the events, one per record.
    var events: [InspectorEvent] = []
    var records: [ShardRecord] = []
    /// Events the pipeline reported (filtered out by the renderer or not).
    var eventCount = 0
    /// The last part of its task.
    var isLast = false
    /// Roughly the bytes the output holds (payloads and a line's worth per event).
    var weight = 0

    init(isLast: Bool = false) {
        self.isLast = isLast
    }

    /// An empty part with room for as much as the previous one held, so that the next part is not
    /// grown by doubling (each doubling copies everything rendered so far).
    init(reserving size: (bytes: Int, events: Int, records: Int)) {
        bytes.reserveCapacity(size.bytes)
        events.reserveCapacity(size.events)
        records.reserveCapacity(size.records)
    }

    var size: (bytes: Int, events: Int, records: Int) { (bytes.count, events.count, records.count) }
}

/// One worker thread of a `ShardedCaptureInspector`: a `ConnectionPipeline` of its own for the
/// connections it is given, and a renderer of its own.
///
/// `@unchecked Sendable`: the pipeline and renderer are made and used only on the worker's thread;
/// the inspector talks to it only through the two hand-overs.
final class InspectionWorker: @unchecked Sendable {
    /// Sequence number of the summary of anomalies without a connection: after everything else.
    static var captureFinishSequence: UInt64 { .max }
    /// The stack of each worker thread: the size of a main thread's (8 MiB), so a pipeline never
    /// has less room than it has with `--threads 1`.
    static var stackBytes: Int { 8 << 20 }

    /// A part is handed over once its events hold this many bytes (256 KiB of payload; rendered,
    /// at most a few times that: JSON escaping and base64 grow it by a bounded factor).
    static var maxPartBytes: Int { 256 << 10 }
    /// Parts waiting for the merger before the worker waits: with `maxPartBytes`, what one worker
    /// holds for the merger stays within a few MiB however much a chunk inflates.
    static var maxQueuedParts: Int { 2 }

    let inbox = HandOff<ShardTask>()
    let outbox = HandOff<ShardResult>(maxItems: InspectionWorker.maxQueuedParts)
    private let configuration: InspectorConfiguration
    private let rendering: EventRendering
    private let ended = DispatchSemaphore(value: 0)

    init(configuration: InspectorConfiguration, rendering: EventRendering) {
        self.configuration = configuration
        self.rendering = rendering
    }

    func start(name: String) {
        let thread = Thread { [self] in
            run()
            ended.signal()
        }
        thread.name = name
        thread.stackSize = Self.stackBytes
        thread.start()
    }

    /// Waits for the thread to end (after `inbox.close()`).
    func join() { ended.wait() }

    private func run() {
        let outbox = self.outbox
        var result = ShardResult()
        var sequence: UInt64 = 0
        let render: ((InspectorEvent, inout ShardResult) -> Int)
        switch rendering.kind {
        case .bytes(let makeRenderer):
            let renderer = makeRenderer()
            render = { event, result in
                renderer(event, &result.bytes)
                return result.bytes.count
            }
        case .events:
            render = { event, result in
                result.events.append(event)
                return result.events.count
            }
        }
        let pipeline = ConnectionPipeline(configuration: configuration) { event in
            result.eventCount += 1
            result.weight += 128
            let start = result.records.last.map { $0.end } ?? 0
            let end = render(event, &result)
            guard end > start else { return }
            if case .message(let message) = event { result.weight += message.payload.count }
            result.records.append(ShardRecord(sequence: sequence, end: end, isMessage: event.isMessage))
            // One packet can complete many large messages (a compressed burst): what is made is
            // handed over as it grows, never held for the whole task.
            if result.weight >= Self.maxPartBytes {
                let size = result.size
                outbox.put(result)
                result = ShardResult(reserving: size)
            }
        }
        while let task = inbox.take() {
            for item in task.events {
                sequence = item.sequence
                pipeline.handle(item.event)
            }
            if let poll = task.poll {
                sequence = poll
                pipeline.poll()
            }
            if let base = task.finishFrom {
                for connection in pipeline.openConnections {
                    sequence = base &+ UInt64(clamping: connection)
                    pipeline.finish(connection: connection)
                }
                sequence = Self.captureFinishSequence
                pipeline.finishCapture()
            }
            result.isLast = true
            let size = result.size
            outbox.put(result)
            result = ShardResult(reserving: size)
        }
    }
}
