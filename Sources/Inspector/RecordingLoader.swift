import Foundation
import Sessions
import WebSocketInspection
import WebSocketProtocol

/// Reads what replay works from: a pcap/pcapng file decoded into whole connections, a session file
/// written by `wstap export --format session`, or a HAR file.
///
/// Replay holds every message of the connections it replays (it sends one side and compares the
/// other), so the loader keeps only the connections asked for and at most `maxRecordingBytes` of
/// their payloads, and refuses a recording whose requests cannot be written again safely.
public enum RecordingLoader {
    /// Payload bytes kept from a recording, over the connections replayed (default 128 MiB): a
    /// capture of 1 MB can inflate to gigabytes (1,000 compressed messages of 1 MiB of zeros), and
    /// everything kept is held until the replay ends — as base64 (4/3 of it) plus, for the
    /// connection being replayed, its decoded script — so the default keeps a replay's recording
    /// near 300 MiB of memory at most. A session or HAR file may be at most twice this size
    /// (base64 makes payloads 4/3 their size and JSON adds its fields).
    public static let defaultMaxRecordingBytes = 128 << 20

    /// Why a recording could not be read or replayed (exit status 2 for replay).
    public struct LoadError: Error, Sendable, CustomStringConvertible {
        public var description: String
    }

    /// The loaded connections plus the warnings the pipeline raised while reading them.
    public struct Loaded: Sendable {
        /// The selected connections (all of them without a selection), with their messages.
        public var session: SessionFile
        public var warnings: [String]
        /// The number of every WebSocket connection in the recording, selected or not.
        public var availableConnections: [Int]
    }

    /// Which connections to keep and how much of them.
    public struct Selection: Sendable {
        /// Connection numbers to keep (nil: all).
        public var connections: Set<Int>?
        public var maxRecordingBytes: Int

        public init(connections: Set<Int>? = nil, maxRecordingBytes: Int = RecordingLoader.defaultMaxRecordingBytes) {
            self.connections = connections
            self.maxRecordingBytes = maxRecordingBytes
        }

        func includes(_ connection: Int) -> Bool { connections?.contains(connection) ?? true }
    }

    /// Decodes the WebSocket connections of a capture file through the same front end as `read`
    /// (`CaptureReader`): the same filter, limits and warnings. Messages are kept only for the
    /// selected connections, each converted to its session form as it is decoded.
    ///
    /// `reader.configuration.inspection.maxMessageBytes` bounds each message kept; a longer one is
    /// marked incomplete and cannot be replayed.
    public static func loadCapture(_ path: String, reader: CaptureReader = CaptureReader(), selection: Selection = .init()) throws(LoadError) -> Loaded {
        let recorder = SessionRecorder(keepsMessages: false)
        var messages: [Int: [SessionMessage]] = [:]
        var keptBytes = 0
        var overBudget = false
        let summary: CaptureReadSummary
        do {
            summary = try reader.read(path) { event in
                recorder.record(event)
                guard case .message(let message) = event, !overBudget, selection.includes(message.connection) else { return }
                keptBytes += message.payload.count
                if keptBytes > selection.maxRecordingBytes {
                    overBudget = true
                    messages = [:]
                } else {
                    messages[message.connection, default: []].append(SessionMessage(message))
                }
            }
        } catch {
            throw LoadError(description: error.description)
        }
        if overBudget { throw overBudgetError(path, selection) }
        recorder.finish()
        let connections = recorder.connections.filter { selection.includes($0.info.connection) }.map { recorded in
            var connection = SessionConnection(recorded: recorded)
            connection.messages = messages[recorded.info.connection] ?? []
            return connection
        }
        let loaded = Loaded(
            session: SessionFile(connections: connections), warnings: summary.warnings.map(\.description),
            availableConnections: recorder.connections.map(\.info.connection))
        try check(loaded, path)
        return loaded
    }

    /// A session file or a HAR file when the content is JSON (first non-space byte `{`), a capture
    /// otherwise.
    public static func load(_ path: String, reader: CaptureReader = CaptureReader(), selection: Selection = .init()) throws(LoadError) -> Loaded {
        guard path != "-", let handle = FileHandle(forReadingAtPath: path) else {
            return try loadCapture(path, reader: reader, selection: selection)
        }
        let head = (try? handle.read(upToCount: 64)) ?? Data()
        try? handle.close()
        guard head.first(where: { !($0 == 0x20 || $0 == 0x0a || $0 == 0x0d || $0 == 0x09) }) == UInt8(ascii: "{") else {
            return try loadCapture(path, reader: reader, selection: selection)
        }
        let maxFileBytes = selection.maxRecordingBytes.multipliedReportingOverflow(by: 2).partialValue
        if let size = CaptureReader.regularFileSize(path), size > maxFileBytes {
            throw LoadError(description: "'\(path)' is \(size) bytes, more than twice --max-recording-bytes (\(selection.maxRecordingBytes)): replay holds a whole session or HAR file in memory")
        }
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: path))
        } catch {
            throw LoadError(description: "'\(path)': \(error.localizedDescription)")
        }
        var loaded: Loaded
        do {
            let file = try SessionFile.decode(data)
            loaded = Loaded(session: file, warnings: [], availableConnections: file.connections.map(\.id))
        } catch {
            // Not a session file: perhaps a HAR (from `wstap export --format har`, or a browser's
            // DevTools).
            guard let connections = try? HARReader(maxFileBytes: maxFileBytes).read(data), !connections.isEmpty else {
                throw LoadError(description: "'\(path)': \(error.description)")
            }
            loaded = Loaded(
                session: SessionFile(connections: connections.map(SessionConnection.init(recorded:))),
                warnings: ["'\(path)' is a HAR file: it lists text and binary messages only, so pings, close frames and fragmentation are not replayed"],
                availableConnections: connections.map(\.info.connection))
        }
        loaded.session.connections.removeAll { !selection.includes($0.id) }
        let payloadBytes = loaded.session.connections.reduce(0) { total, connection in
            connection.messages.reduce(total) { $0 + $1.decodedPayloadLength }
        }
        if payloadBytes > selection.maxRecordingBytes { throw overBudgetError(path, selection) }
        try check(loaded, path)
        return loaded
    }

    /// Refuses a recording whose request target or headers cannot be written on a new connection.
    static func check(_ loaded: Loaded, _ path: String) throws(LoadError) {
        for connection in loaded.session.connections {
            if let problem = connection.requestProblem { throw LoadError(description: "'\(path)': \(problem)") }
        }
    }

    static func overBudgetError(_ path: String, _ selection: Selection) -> LoadError {
        let which = selection.connections == nil ? "its connections" : "the selected connections"
        return LoadError(description: "'\(path)': the messages of \(which) hold more than \(selection.maxRecordingBytes) bytes (--max-recording-bytes), all of which replay would keep in memory; pick connections with --conn or raise the limit")
    }
}
