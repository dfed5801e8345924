import Foundation
import Sessions
import WebSocketInspection
import WebSocketProtocol

/// Reads what replay and exports work from: a pcap/pcapng file decoded into whole connections, or
/// a session file written by `wstap export --format session`.
public enum RecordingLoader {
    /// Why a recording could not be read (exit status 2 for replay).
    public struct LoadError: Error, Sendable, CustomStringConvertible {
        public var description: String
    }

    /// A decoded capture plus the warnings the pipeline raised while reading it.
    public struct Loaded: Sendable {
        public var session: SessionFile
        public var warnings: [String]
    }

    /// Decodes every WebSocket connection of a capture file with messages kept, through the same
    /// front end as `read` (`CaptureReader`): the same filter, limits and warnings.
    ///
    /// `reader.configuration.inspection.maxMessageBytes` bounds each message kept; a longer one is
    /// marked incomplete and cannot be replayed.
    public static func loadCapture(_ path: String, reader: CaptureReader = CaptureReader()) throws(LoadError) -> Loaded {
        let recorder = SessionRecorder(keepsMessages: true)
        let summary: CaptureReadSummary
        do {
            summary = try reader.read(path, emit: recorder.record)
        } catch {
            throw LoadError(description: error.description)
        }
        return Loaded(session: SessionFile(recorder: recorder), warnings: summary.warnings.map(\.description))
    }

    /// A session file or a HAR file when the content is JSON (first non-space byte `{`), a capture
    /// otherwise.
    public static func load(_ path: String, reader: CaptureReader = CaptureReader()) throws(LoadError) -> Loaded {
        if path != "-", let handle = FileHandle(forReadingAtPath: path) {
            let head = (try? handle.read(upToCount: 64)) ?? Data()
            try? handle.close()
            if head.first(where: { !($0 == 0x20 || $0 == 0x0a || $0 == 0x0d || $0 == 0x09) }) == UInt8(ascii: "{") {
                let data: Data
                do {
                    data = try Data(contentsOf: URL(fileURLWithPath: path))
                } catch {
                    throw LoadError(description: "'\(path)': \(error.localizedDescription)")
                }
                do {
                    return Loaded(session: try SessionFile.decode(data), warnings: [])
                } catch {
                    // Not a session file: perhaps a HAR (from `wstap export --format har`, or a
                    // browser's DevTools).
                    if let connections = try? HARReader().read(data), !connections.isEmpty {
                        return Loaded(
                            session: SessionFile(connections: connections.map(SessionConnection.init(recorded:))),
                            warnings: ["'\(path)' is a HAR file: it lists text and binary messages only, so pings, close frames and fragmentation are not replayed"])
                    }
                    throw LoadError(description: "'\(path)': \(error.description)")
                }
            }
        }
        return try loadCapture(path, reader: reader)
    }
}
