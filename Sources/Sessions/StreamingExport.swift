import Foundation
import PacketDecoding
import WebSocketInspection

/// Writes a HAR or session export while the capture is read, instead of keeping every message.
///
/// Connections are listed in the order they opened, as `SessionRecorder` lists them. The oldest
/// connection not yet written is written as its messages arrive; the others wait in an
/// `ExportSpool` (memory, then a temporary file) until every connection before them has ended.
/// Memory is bounded by one message (`--max-message-bytes`), the spool's budget and a small record
/// per connection, whatever the size of the capture. The bytes are exactly those of encoding the
/// whole document at once (`HARWriter.encode`, `SessionFile.encoded`).
public final class StreamingExport {
    private let layout: any ExportLayout
    private let sink: (UnsafeRawBufferPointer) -> Void
    private var spool: ExportSpool
    private let document: PrettyJSONArraySplice
    /// Per connection: what was seen so far (no messages kept) and how its entry is being written.
    private var entries: [Int: Entry] = [:]
    /// Serial numbers of the entries not yet fully written, in the order the connections opened.
    private var queue: [Int] = []
    private var queueStart = 0
    /// Connection number → serial of its current entry (a number seen again starts a new entry).
    private var serialOfConnection: [Int: Int] = [:]
    private var nextSerial = 0
    private var wroteDocumentHead = false
    private var writtenEntries = 0

    /// An open connection: its last time, and what its entry's messages are spliced into.
    private struct Entry {
        var connection: RecordedConnection
        /// The entry's bytes before its messages, checked again when it ends.
        var head: [UInt8]
        var messageIndent: Int
        var messagesWritten = 0
    }
    /// Connections that ended but wait for an earlier one (their bytes are all in the spool).
    private var ended: Set<Int> = []
    /// The entry being written straight out (its separator is written).
    private var started: Int?

    public init(layout: any ExportLayout, configuration: ExportConfiguration = .init(), sink: @escaping (UnsafeRawBufferPointer) -> Void) throws(ExportError) {
        self.layout = layout
        self.sink = sink
        self.spool = ExportSpool(maxMemoryBytes: configuration.maxHeldBytes, temporaryDirectory: configuration.temporaryDirectory)
        let empty: Data
        do {
            empty = try layout.emptyDocument()
        } catch {
            throw ExportError("cannot encode the export: \(error)")
        }
        guard let document = PrettyJSONArraySplice(document: [UInt8](empty), emptyArrayKey: layout.connectionsKey) else {
            throw ExportError("internal error: no '\(layout.connectionsKey)' list in the export document")
        }
        self.document = document
    }

    /// Bytes moved to the temporary file so far (0 when everything fitted in memory).
    public var spilledBytes: Int64 { spool.fileBytes }

    public func record(_ event: InspectorEvent) throws(ExportError) {
        switch event {
        case .open(let info):
            if let previous = serialOfConnection[info.connection] { try end(previous) }
            let serial = nextSerial
            nextSerial += 1
            serialOfConnection[info.connection] = serial
            let connection = RecordedConnection(info: info)
            let encoded = try encode { try layout.entry(connection) }
            guard let splice = PrettyJSONArraySplice(document: [UInt8](encoded), emptyArrayKey: layout.messagesKey) else {
                throw ExportError("internal error: no '\(layout.messagesKey)' list in connection \(info.connection)'s entry")
            }
            entries[serial] = Entry(connection: connection, head: splice.head, messageIndent: splice.elementIndent)
            queue.append(serial)
            var head: [UInt8] = []
            PrettyJSONArraySplice.appendIndented(splice.head, indent: document.elementIndent, indentFirstLine: true, to: &head)
            try write(head, for: serial)
            try advance()
        case .message(let message):
            guard let serial = touch(message.connection, message.timestamp) else { return }
            guard let element = try encode({ try layout.message(message) }) else { return }
            guard var entry = entries[serial] else { return }
            var bytes = PrettyJSONArraySplice.separator(first: entry.messagesWritten == 0)
            element.withUnsafeBytes {
                PrettyJSONArraySplice.appendIndented($0, indent: document.elementIndent + entry.messageIndent, indentFirstLine: true, to: &bytes)
            }
            entry.messagesWritten += 1
            entries[serial] = entry
            try write(bytes, for: serial)
        case .gap(let connection, let timestamp, _, _):
            _ = touch(connection, timestamp)
        case .anomaly(let anomaly):
            if let connection = anomaly.connection { _ = touch(connection, anomaly.timestamp) }
        case .close(let close):
            guard let serial = touch(close.connection, close.timestamp) else { return }
            try end(serial)
        case .refused, .undecrypted:
            break
        }
    }

    /// The capture ended: ends the connections still open and writes everything left, in order.
    public func finish() throws(ExportError) {
        for serial in queue[queueStart...] where entries[serial] != nil { try end(serial) }
        try advance()
        if !wroteDocumentHead { writeDocumentHead() }
        let tail = writtenEntries == 0 ? document.emptyTail : document.tail
        tail.withUnsafeBytes { sink($0) }
    }

    /// Updates a connection's last time as `SessionRecorder` does; its serial, or nil when it is
    /// not an open connection (then the event changes nothing in the export, as before).
    private func touch(_ connection: Int, _ timestamp: Timestamp) -> Int? {
        guard let serial = serialOfConnection[connection], var entry = entries[serial] else { return nil }
        if entry.connection.lastTimestamp < timestamp {
            entry.connection.lastTimestamp = timestamp
            entries[serial] = entry
        }
        return serial
    }

    /// The connection ended: its entry is completed (duration and the rest) and written or held.
    private func end(_ serial: Int) throws(ExportError) {
        guard let entry = entries.removeValue(forKey: serial) else { return }
        ended.insert(serial)
        let connection = entry.connection
        if serialOfConnection[connection.info.connection] == serial { serialOfConnection[connection.info.connection] = nil }
        let encoded = try encode { try layout.entry(connection) }
        guard let final = PrettyJSONArraySplice(document: [UInt8](encoded), emptyArrayKey: layout.messagesKey),
              final.head == entry.head, final.elementIndent == entry.messageIndent else {
            throw ExportError("internal error: connection \(connection.info.connection)'s entry changed before its messages")
        }
        var bytes: [UInt8] = []
        PrettyJSONArraySplice.appendIndented(
            entry.messagesWritten == 0 ? final.emptyTail : final.tail, indent: document.elementIndent, indentFirstLine: false, to: &bytes)
        try write(bytes, for: serial)
        try advance()
    }

    /// Bytes of one entry: straight out when it is the oldest unwritten one, else held.
    private func write(_ bytes: [UInt8], for serial: Int) throws(ExportError) {
        if started == serial {
            bytes.withUnsafeBytes { sink($0) }
        } else {
            try spool.append(bytes, to: serial)
        }
    }

    /// Writes out the oldest entries that have ended, and starts the next one: what it held so far
    /// is written, and from then on its bytes go straight out.
    private func advance() throws(ExportError) {
        while queueStart < queue.count {
            let serial = queue[queueStart]
            if started != serial {
                if !wroteDocumentHead { writeDocumentHead() }
                PrettyJSONArraySplice.separator(first: writtenEntries == 0).withUnsafeBytes { sink($0) }
                writtenEntries += 1
                started = serial
            }
            try spool.drain(serial, into: sink)
            guard ended.remove(serial) != nil else { return }
            started = nil
            queueStart += 1
            if queueStart > 4096 && queueStart * 2 > queue.count {
                queue.removeFirst(queueStart)
                queueStart = 0
            }
        }
    }

    private func writeDocumentHead() {
        wroteDocumentHead = true
        document.head.withUnsafeBytes { sink($0) }
    }

    private func encode<Result>(_ body: () throws -> Result) throws(ExportError) -> Result {
        do {
            return try body()
        } catch {
            throw ExportError("cannot encode the export: \(error)")
        }
    }
}
