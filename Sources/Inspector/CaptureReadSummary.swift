/// What reading a capture came to: the pipeline's counts and the warnings a user must hear about.
public struct CaptureReadSummary: Sendable {
    public var statistics: InspectorStatistics
    /// The capture's snapshot length (bytes kept per packet), for the warning about cut packets.
    public var snapshotLength: Int
    /// Events reported (before any filtering by the caller).
    public var events: Int
    /// How the read ended, when it did not end at the end of the file.
    public var endingWarnings: [CaptureWarning] = []
    /// What was wrong with the secrets embedded in the file (pcapng Decryption Secrets Blocks).
    public var secretsWarnings: [CaptureWarning] = []
    /// Said on standard error when the file's embedded TLS secrets were used.
    public var secretsNote: String?

    public init(statistics: InspectorStatistics, snapshotLength: Int, events: Int) {
        self.statistics = statistics
        self.snapshotLength = snapshotLength
        self.events = events
    }

    /// What the counts imply: cut packets, IP fragments, undecodable packets.
    public var statisticsWarnings: [CaptureWarning] {
        var result: [CaptureWarning] = []
        if statistics.cutBySnapshotLength > 0 {
            result.append(.cutBySnapshotLength(
                packets: statistics.cutBySnapshotLength, missingBytes: statistics.bytesCutBySnapshotLength, snapshotLength: snapshotLength))
        }
        if statistics.fragments > 0 { result.append(.ipFragments(statistics.fragments)) }
        if statistics.malformed > 0 { result.append(.malformedPackets(statistics.malformed, first: statistics.firstMalformedReason ?? "?")) }
        return result
    }

    /// Every warning: the embedded secrets, what the counts imply, then how the read ended.
    public var warnings: [CaptureWarning] { secretsWarnings + statisticsWarnings + endingWarnings }
}

/// A warning about a capture as a whole (not about one connection: those are anomalies).
public enum CaptureWarning: Sendable, Equatable, CustomStringConvertible {
    case cutBySnapshotLength(packets: Int, missingBytes: Int, snapshotLength: Int)
    case ipFragments(Int)
    case malformedPackets(Int, first: String)
    /// The file ends in the middle of a packet record (a capture copied while being written).
    case truncatedFile(path: String, message: String)
    /// A read error after some packets were decoded.
    case stoppedReading(path: String, packets: Int, reason: String)
    /// A pcapng Decryption Secrets Block that could not be (fully) used.
    case embeddedSecrets(String)

    public var description: String {
        switch self {
        case .cutBySnapshotLength(let packets, let missingBytes, let snapshotLength):
            return "\(packets) packets were cut by the capture's snapshot length (\(snapshotLength) bytes): \(missingBytes) payload bytes are missing and reported as gaps"
        case .ipFragments(let count):
            return "\(count) IP fragments were skipped (IP reassembly is not supported)"
        case .malformedPackets(let count, let first):
            return "\(count) packets could not be decoded (first: \(first))"
        case .truncatedFile(let path, let message):
            return "'\(path)' ends in the middle of a packet record (\(message)); everything before it was decoded"
        case .stoppedReading(let path, let packets, let reason):
            return "stopped reading '\(path)' after \(packets) packets: \(reason)"
        case .embeddedSecrets(let message):
            return message
        }
    }
}
