import PacketDecoding
@testable import TCPReassembly

/// The two ends used by most tests: a client on 10.0.0.1 and a server on 10.0.0.2:80.
let serverEndpoint = Endpoint(address: IPAddress(v4: 10, 0, 0, 2), port: 80)

func clientEndpoint(port: UInt16 = 50_000) -> Endpoint {
    Endpoint(address: IPAddress(v4: 10, 0, 0, 1), port: port)
}

/// One segment of a test table, written the way one reads a capture.
struct SegmentSpecification: Sendable, CustomStringConvertible {
    var fromClient: Bool
    var sequence: UInt32
    var acknowledgment: UInt32
    var flags: TCPFlags
    var payload: String
    var missingBytes: Int
    var time: Double
    var clientPort: UInt16

    static func client(
        _ sequence: UInt32, _ payload: String = "", flags: TCPFlags = [.ack], acknowledgment: UInt32 = 0,
        missing: Int = 0, at time: Double = 0, port: UInt16 = 50_000
    ) -> SegmentSpecification {
        SegmentSpecification(
            fromClient: true, sequence: sequence, acknowledgment: acknowledgment, flags: flags, payload: payload,
            missingBytes: missing, time: time, clientPort: port
        )
    }

    static func server(
        _ sequence: UInt32, _ payload: String = "", flags: TCPFlags = [.ack], acknowledgment: UInt32 = 0,
        missing: Int = 0, at time: Double = 0, port: UInt16 = 50_000
    ) -> SegmentSpecification {
        SegmentSpecification(
            fromClient: false, sequence: sequence, acknowledgment: acknowledgment, flags: flags, payload: payload,
            missingBytes: missing, time: time, clientPort: port
        )
    }

    var segment: TCPSegment {
        let client = clientEndpoint(port: clientPort)
        let seconds = time.rounded(.down)
        return TCPSegment(
            timestamp: Timestamp(seconds: Int64(seconds), nanoseconds: UInt32((time - seconds) * 1e9)),
            source: fromClient ? client : serverEndpoint,
            destination: fromClient ? serverEndpoint : client,
            sequenceNumber: sequence, acknowledgmentNumber: acknowledgment, flags: flags,
            payload: Array(payload.utf8), missingPayloadBytes: missingBytes
        )
    }

    var description: String { "\(fromClient ? "C" : "S")\(sequence)+\(payload.count)" }
}

/// Runs segments through an assembler and keeps every event for inspection.
struct ReassemblyRun {
    var events: [TCPStreamEvent] = []
    /// How many events had been emitted before `finish` was called.
    var eventsBeforeFinish = 0
    var openConnectionsBeforeFinish = 0

    init(_ segments: [SegmentSpecification], configuration: TCPAssemblerConfiguration = .init()) {
        var assembler = TCPAssembler(configuration: configuration)
        var collected: [TCPStreamEvent] = []
        for specification in segments {
            assembler.process(specification.segment) { collected.append($0) }
        }
        eventsBeforeFinish = collected.count
        openConnectionsBeforeFinish = assembler.openConnectionCount
        assembler.finish { collected.append($0) }
        events = collected
    }

    /// One side's bytes as text, with skipped bytes shown as `<gap N>`.
    func stream(_ connection: Int = 1, _ side: StreamSide) -> String {
        var text = ""
        for event in events {
            switch event {
            case .data(connection, side, let bytes, _):
                text += String(decoding: bytes, as: UTF8.self)
            case .gap(connection, side, let count, _):
                text += "<gap \(count)>"
            default:
                continue
            }
        }
        return text
    }

    /// Everything but the bytes, one short line per event, for checking order and structure.
    var summary: [String] { summary(of: events) }

    func summary(of slice: some Collection<TCPStreamEvent>) -> [String] {
        slice.compactMap { event in
            switch event {
            case .opened(let info):
                let initiator = info.initiator == serverEndpoint ? "server" : "client:\(info.initiator.port)"
                return "opened \(info.id) initiator=\(initiator)\(info.sawSYN ? " syn" : "")"
            case .data:
                return nil
            case .gap(let connection, let side, let count, _):
                return "gap \(connection) \(side) \(count)"
            case .closed(let connection, let reason, _):
                return "closed \(connection) \(reason.rawValue)"
            case .anomaly(let connection, let kind, _, _):
                return "anomaly \(connection.map(String.init) ?? "-") \(kind.rawValue)"
            }
        }
    }
}
