import PacketDecoding

/// Bytes held for later, with the packet time at which each part arrived.
///
/// When a connection's kind is decided only after several segments (a capture that starts
/// mid-stream, a client frame sent before the 101 was seen), the frames in the held bytes must
/// still carry the time of the packet that brought them, not the time of the decision.
struct TimedByteBuffer {
    private(set) var bytes: [UInt8] = []
    /// End offset (exclusive) in `bytes` of each appended part, and its time; in order.
    private var marks: [(end: Int, timestamp: Timestamp)] = []

    var count: Int { bytes.count }
    /// When the oldest held byte arrived.
    var firstTimestamp: Timestamp? { marks.first?.timestamp }
    var isEmpty: Bool { bytes.isEmpty }

    mutating func append(_ chunk: ArraySlice<UInt8>, at timestamp: Timestamp) {
        guard !chunk.isEmpty else { return }
        bytes.append(contentsOf: chunk)
        if let last = marks.last, last.timestamp == timestamp {
            marks[marks.count - 1].end = bytes.count
        } else {
            marks.append((bytes.count, timestamp))
        }
    }

    mutating func removeFirst(_ count: Int) {
        let count = min(count, bytes.count)
        guard count > 0 else { return }
        bytes.removeFirst(count)
        var firstKept = 0
        while firstKept < marks.count && marks[firstKept].end <= count { firstKept += 1 }
        marks.removeFirst(firstKept)
        for index in marks.indices { marks[index].end -= count }
    }

    mutating func removeAll() {
        bytes.removeAll(keepingCapacity: false)
        marks.removeAll()
    }

    /// Calls `body` with each part from `offset` on, with the time it arrived.
    func forEachPart(from offset: Int = 0, _ body: (ArraySlice<UInt8>, Timestamp) -> Void) {
        var start = 0
        for mark in marks {
            defer { start = mark.end }
            guard mark.end > offset else { continue }
            body(bytes[max(start, offset)..<mark.end], mark.timestamp)
        }
    }
}
