import PacketDecoding

/// Rewrites a capture's TCP segments the way a network may deliver them: re-cut, overlapping,
/// duplicated and reordered. Reassembly must give the same streams from the result, so decoding
/// must give the same messages (and, sharded over threads, the same output).
public enum SegmentMangling {
    /// Re-cuts each payload at random points (sometimes overlapping the previous piece), duplicates
    /// some pieces, and shuffles data-only pieces within a window of four. Segments carrying SYN,
    /// FIN or RST stay where they are, so connection numbers (given in SYN order) do not change.
    public static func mangle(
        _ segments: [TCPSegment], using generator: inout SplitMix64, overlap: Bool = true, duplicate: Bool = true, reorder: Bool = true
    ) -> [TCPSegment] {
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
}
