import Foundation
import Inspector
import PacketCapture
import SessionFormats
import WebSocketInspection

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

    /// Decodes every WebSocket connection of a capture file with messages kept.
    ///
    /// - Parameter maxMessageBytes: largest message kept; a longer one is marked incomplete and
    ///   cannot be replayed (default 16 MiB, like `read`).
    public static func loadCapture(_ path: String, maxMessageBytes: Int = 16 << 20) throws(LoadError) -> Loaded {
        let source: PacketSource
        do {
            source = try PacketSource.openFile(path)
        } catch {
            throw LoadError(description: error.description)
        }
        var configuration = InspectorConfiguration()
        configuration.inspection.maxMessageBytes = maxMessageBytes
        let recorder = SessionRecorder(keepsMessages: true)
        guard let inspector = CaptureInspector(linkType: source.linkType, configuration: configuration, emit: recorder.record) else {
            throw LoadError(description: "'\(path)': unsupported link type \(source.linkType)")
        }
        var warnings: [String] = []
        while true {
            do {
                guard let packet = try source.nextPacket() else { break }
                inspector.process(packet)
            } catch {
                if inspector.statistics.packets == 0 { throw LoadError(description: error.description) }
                warnings.append("stopped reading '\(path)' after \(inspector.statistics.packets) packets: \(error.description)")
                break
            }
        }
        inspector.finish()
        return Loaded(session: SessionFile(recorder: recorder), warnings: warnings)
    }

    /// A session file or a HAR file when the content is JSON (first non-space byte `{`), a capture
    /// otherwise.
    public static func load(_ path: String, maxMessageBytes: Int = 16 << 20) throws(LoadError) -> Loaded {
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
        return try loadCapture(path, maxMessageBytes: maxMessageBytes)
    }
}
