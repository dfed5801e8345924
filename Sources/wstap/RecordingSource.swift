import ArgumentParser
import Inspector
import Sessions

/// Loads what `replay` and `serve` play: the recording's connections, chosen by `--conn`, through
/// the one front end, with the same errors (exit status 2) for both commands. A capture source is
/// read with `--filter`, `--max-message-bytes` and `--keylog` (a wss:// recording plays decrypted).
enum RecordingSource {
    static func connections(
        of source: String, filter: String?, keylog: String?, maxMessageBytes: Int, connections: [Int], maxRecordingBytes: Int,
        purpose: String
    ) throws -> [SessionConnection] {
        var reader = CaptureReader(filter: filter)
        reader.configuration.inspection.maxMessageBytes = maxMessageBytes
        reader.configuration.streamLayers = KeyLogOption.streamLayers(flag: keylog)
        let loaded: RecordingLoader.Loaded
        do {
            let selection = RecordingLoader.Selection(
                connections: connections.isEmpty ? nil : Set(connections), maxRecordingBytes: maxRecordingBytes)
            loaded = try RecordingLoader.load(source, reader: reader, selection: selection)
        } catch {
            Diagnostics.error(error.description)
            throw ExitCode(2)
        }
        loaded.warnings.forEach(Diagnostics.warning)
        let known = Set(loaded.availableConnections)
        for id in connections where !known.contains(id) {
            Diagnostics.error("'\(source)' has no WebSocket connection \(id) (it has: \(known.sorted().map(String.init).joined(separator: ", ")))")
            throw ExitCode(2)
        }
        guard !loaded.session.connections.isEmpty else {
            Diagnostics.error("'\(source)' holds no WebSocket connection to \(purpose)")
            throw ExitCode(2)
        }
        return loaded.session.connections
    }
}
