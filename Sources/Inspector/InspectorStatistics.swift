/// Counts of what the pipeline saw, for warnings and summaries.
public struct InspectorStatistics: Sendable {
    public var packets = 0
    public var tcpSegments = 0
    public var notTCP = 0
    public var fragments = 0
    public var malformed = 0
    /// Packets whose payload the capture cut short (snapshot length).
    public var cutBySnapshotLength = 0
    public var bytesCutBySnapshotLength = 0
    public var firstMalformedReason: String?
}
