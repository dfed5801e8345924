/// How far a search for the end of an HTTP head got in a buffer that grows at its end, so that the
/// next parse of the longer buffer resumes there instead of starting over.
///
/// Why: a head that arrives in many small segments (one byte each, from a hostile or odd peer) used
/// to be re-parsed from its first byte for every segment, which is quadratic: 20 heads of 64 KB in
/// 1-byte segments took 83 s. With a scan, each byte is examined about once before the end of the
/// head is found, and the whole head is parsed once after that.
///
/// Use one value per buffer: pass it to every `HTTPHeadParser.parseRequest(_:maxHeadBytes:resuming:)`
/// (or `parseResponse`) call on that buffer while it only grows, and start a fresh one whenever bytes
/// are removed from the buffer's front (a head or body consumed, a gap). A buffer shorter than the
/// scanned part is noticed and scanned from the start.
public struct HTTPHeadScan: Sendable, Equatable {
    enum Phase: Sendable, Equatable {
        /// Skipping empty lines before the start line (RFC 9112 §2.2).
        case leadingLineEnds
        /// In the start line, which begins at `start`.
        case startLine(start: Int)
        /// In the header lines; the current line begins at `lineStart`.
        case headerLines(lineStart: Int)
    }

    var phase = Phase.leadingLineEnds
    /// Bytes before this offset were examined and hold no end of the head.
    var scanned = 0
    /// Bytes examined over all calls with this scan, for the tests that check the cost stays linear.
    var bytesExamined = 0

    public init() {}
}
