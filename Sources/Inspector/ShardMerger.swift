/// Puts the workers' output for the oldest chunk in flight back into stream-event order, as far as
/// what the workers have handed over allows.
///
/// Each worker's parts for a chunk arrive in order, and within them its records are in sequence
/// order, so the next event to emit is the lowest-numbered record at the head of any worker —
/// known only once every worker has either a record waiting or has said its part was its last.
/// The merger keeps its place between calls, so the reading thread can emit whatever is ready
/// every few packets without waiting (and workers are not held up by a full hand-over), and wait
/// only when the window of chunks in flight is full.
struct ShardMerger {
    /// Each worker's current part of the chunk being merged (nil: none taken yet).
    private var parts: [ShardResult?]
    private var cursors: [Int]
    private var starts: [Int]
    /// Events the workers reported in the parts merged so far.
    private(set) var eventCount = 0

    init(workers: Int) {
        parts = Array(repeating: nil, count: workers)
        cursors = Array(repeating: 0, count: workers)
        starts = Array(repeating: 0, count: workers)
    }

    /// Emits what can be emitted of the oldest chunk; true once all of it has been. With `waiting`,
    /// it waits for the workers and always finishes the chunk.
    mutating func advance(
        _ workers: [InspectionWorker], waiting: Bool, emit: (RenderedEvent) -> Void
    ) -> Bool {
        while true {
            // The lowest sequence number next; on a tie (a poll, the capture's summary) the lower worker.
            var best = -1
            var bestSequence = UInt64.max
            for index in parts.indices {
                while needsPart(index) {
                    let next = waiting ? workers[index].outbox.take() : workers[index].outbox.tryTake()
                    guard let next else {
                        if !waiting { return false }
                        // Closed: the worker is gone; nothing more comes from it.
                        replacePart(index, with: ShardResult(isLast: true))
                        break
                    }
                    replacePart(index, with: next)
                }
                guard let part = parts[index], cursors[index] < part.records.count else { continue }
                let sequence = part.records[cursors[index]].sequence
                if best < 0 || sequence < bestSequence {
                    best = index
                    bestSequence = sequence
                }
            }
            guard best >= 0, let part = parts[best] else { break }
            let record = part.records[cursors[best]]
            if part.events.isEmpty {
                emit(RenderedEvent(bytes: part.bytes[starts[best]..<record.end], event: nil, isMessage: record.isMessage))
            } else {
                emit(RenderedEvent(bytes: [], event: part.events[record.end - 1], isMessage: record.isMessage))
            }
            starts[best] = record.end
            cursors[best] += 1
        }
        // Every worker's last part is used up: the chunk is done.
        for index in parts.indices { replacePart(index, with: nil) }
        return true
    }

    /// True when the worker's head record is unknown: no part yet, or its part is used up and more follow.
    private func needsPart(_ index: Int) -> Bool {
        guard let part = parts[index] else { return true }
        return cursors[index] == part.records.count && !part.isLast
    }

    private mutating func replacePart(_ index: Int, with part: ShardResult?) {
        if let old = parts[index] { eventCount += old.eventCount }
        parts[index] = part
        cursors[index] = 0
        starts[index] = 0
    }
}
