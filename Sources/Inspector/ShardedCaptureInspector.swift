import PacketCapture
import PacketDecoding
import TCPReassembly
import WebSocketInspection

/// The pipeline spread over worker threads by connection, with the output of a single thread.
///
/// The calling thread reads packets and reassembles them (`PacketFront`), numbers each stream event,
/// and hands it to the worker that owns its connection (connection number modulo the worker count,
/// so both directions of a connection, and all of its life, stay on one worker). Workers run the
/// connections' stream layers, analyzers, inflaters and message decoders, and render their events
/// (`EventRendering`). Events are gathered in chunks of `maxChunkEvents` stream events or
/// `maxChunkBytes` payload bytes; the calling thread merges each chunk's results back into stream
/// event order and hands them to `emit`, so what comes out — events, order, connection numbers — is
/// the same for any number of workers.
///
/// Memory stays bounded: at most `maxChunksInFlight` chunks are between the reader and the merger;
/// when that many are, the reader waits for the oldest (back-pressure, not growth).
public final class ShardedCaptureInspector: PacketInspecting {
    /// The most stream events in one chunk: large enough that handing a chunk over (a lock and a
    /// wake-up per worker) costs nothing next to decoding it.
    public static var maxChunkEvents: Int { 1024 }
    /// The most payload bytes in one chunk (128 KiB), which bounds what one chunk keeps alive.
    public static var maxChunkBytes: Int { 128 << 10 }
    /// Chunks handed out and not merged yet (2 MiB of payload with `maxChunkBytes`): enough slack
    /// that a worker busy with a large message does not stall the others, few enough that what is
    /// queued stays a few MiB. On the bench capture, 16 chunks of 128 KiB gave read --threads 2
    /// 1.13 s at 56 MB; 2 of 256 KiB gave 1.30 s.
    public static var maxChunksInFlight: Int { 16 }
    /// How often the reading thread emits what the workers have finished (a lock per worker): often
    /// enough that a worker rarely waits with its output parts full.
    static var packetsBetweenMerges: Int { 64 }

    private var front: PacketFront
    private let workers: [InspectionWorker]
    private var tasks: [ShardTask]
    private var chunkEvents = 0
    private var chunkBytes = 0
    private var pollWanted = false
    private var inFlight = 0
    private var nextSequence: UInt64 = 0
    private var finished = false
    private let emit: (RenderedEvent) -> Void
    private var merger: ShardMerger
    private var packetsSinceMerge = 0
    public var statistics: InspectorStatistics { front.statistics }
    /// Events the pipeline reported so far (before the renderer filtered any).
    public var eventCount: Int { merger.eventCount }

    /// Fails (returns nil) for a link type the decoder does not know. `workers` is at least 1.
    public init?(
        linkType: LinkType, configuration: InspectorConfiguration = .init(), workers count: Int,
        rendering: EventRendering, emit: @escaping (RenderedEvent) -> Void
    ) {
        guard let front = PacketFront(linkType: linkType, configuration: configuration.reassembly) else { return nil }
        self.front = front
        self.emit = emit
        let count = max(count, 1)
        workers = (0..<count).map { _ in InspectionWorker(configuration: configuration, rendering: rendering) }
        tasks = Array(repeating: ShardTask(), count: count)
        merger = ShardMerger(workers: count)
        for (index, worker) in workers.enumerated() { worker.start(name: "wstap-worker-\(index + 1)") }
    }

    deinit {
        for worker in workers { worker.inbox.close() }
    }

    public func process(_ packet: CapturedPacket) {
        front.process(packet) { route($0) }
        if chunkEvents >= Self.maxChunkEvents || chunkBytes >= Self.maxChunkBytes {
            dispatch()
        } else {
            packetsSinceMerge += 1
            if packetsSinceMerge >= Self.packetsBetweenMerges { mergeAvailable() }
        }
    }

    /// The connections' layers look again with the next chunk.
    public func poll() {
        pollWanted = true
    }

    /// Everything processed so far is decoded by the workers and emitted (a live capture is idle,
    /// or its output is due).
    public func flush() {
        dispatch()
        while inFlight > 0 { mergeOldest() }
    }

    public func finish() {
        guard !finished else { return }
        finished = true
        front.finish { route($0) }
        let base = nextSequence
        for index in tasks.indices { tasks[index].finishFrom = base }
        dispatch(force: true)
        while inFlight > 0 { mergeOldest() }
        for worker in workers { worker.inbox.close() }
        for worker in workers { worker.join() }
    }

    private func route(_ event: TCPStreamEvent) {
        let connection: Int?
        switch event {
        case .opened(let info): connection = info.id
        case .data(let id, _, let bytes, _):
            connection = id
            chunkBytes += bytes.count
        case .gap(let id, _, _, _): connection = id
        case .closed(let id, _, _): connection = id
        case .anomaly(let id, _, _, _): connection = id
        }
        // Anomalies of the capture as a whole go to the first worker, whose limiter counts them.
        let worker = connection.map { Int(UInt(bitPattern: $0) % UInt(workers.count)) } ?? 0
        tasks[worker].events.append(SequencedStreamEvent(sequence: nextSequence, event: event))
        nextSequence += 1
        chunkEvents += 1
    }

    /// Hands the chunk gathered so far to the workers (every worker gets a task, empty or not, so
    /// that each result the merger takes belongs to the same chunk).
    private func dispatch(force: Bool = false) {
        guard force || chunkEvents > 0 || pollWanted else { return }
        if inFlight >= Self.maxChunksInFlight { mergeOldest() }
        if pollWanted {
            let sequence = nextSequence
            nextSequence += 1
            for index in tasks.indices { tasks[index].poll = sequence }
            pollWanted = false
        }
        for (index, worker) in workers.enumerated() {
            worker.inbox.put(tasks[index])
            tasks[index] = ShardTask()
            tasks[index].events.reserveCapacity(Self.maxChunkEvents / workers.count + 16)
        }
        inFlight += 1
        chunkEvents = 0
        chunkBytes = 0
        // What is already decoded is written now, not when the window is full: less memory held,
        // and output keeps flowing.
        mergeAvailable()
    }

    /// Emits what the workers have finished, without waiting.
    private func mergeAvailable() {
        packetsSinceMerge = 0
        while inFlight > 0, merger.advance(workers, waiting: false, emit: emit) { inFlight -= 1 }
    }

    /// Waits for the oldest chunk in flight and emits the rest of it.
    private func mergeOldest() {
        guard inFlight > 0 else { return }
        _ = merger.advance(workers, waiting: true, emit: emit)
        inFlight -= 1
    }
}
