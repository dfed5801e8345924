/// What one captured packet turned out to be, from the point of view of TCP reassembly.
///
/// Anomalies are values, not thrown errors: captured traffic is hostile or simply odd, and the caller
/// decides whether to count, report or ignore each kind.
public enum PacketDecodeOutcome: Sendable {
    /// A TCP segment, with its payload copied out of the capture buffer.
    case tcp(TCPSegment)
    /// ARP, UDP, ICMP, non-IP and so on: callers skip these silently.
    case notTCP
    /// A non-first IPv4 fragment, a first fragment with more to come, or an IPv6 fragment header:
    /// wstap does not reassemble IP fragments (WebSocket traffic almost never has them); callers count them.
    case fragment
    /// A header too short or inconsistent to decode; the text says which and why, for reports.
    case malformed(String)
}
