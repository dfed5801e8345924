import Sessions
import Output
import WebSocketInspection
import WebSocketProtocol

/// A message as replay works with it: decoded payload and the sending details replay reproduces.
public struct ReplayMessage: Sendable, Equatable {
    public var opcode: WebSocketOpcode
    /// The message bytes (inflated when the recording was compressed).
    public var payload: [UInt8]
    /// Wire payload length of each recorded frame (empty: sent in one frame).
    public var fragmentLengths: [UInt64]
    /// The recording sent it compressed (RSV1).
    public var compressed: Bool
    /// Epoch seconds in the recording, or when it was received during replay.
    public var time: Double

    public init(opcode: WebSocketOpcode, payload: [UInt8], fragmentLengths: [UInt64] = [], compressed: Bool = false, time: Double = 0) {
        self.opcode = opcode
        self.payload = payload
        self.fragmentLengths = fragmentLengths
        self.compressed = compressed
        self.time = time
    }

    /// Why a recorded message cannot be sent again as it was.
    public enum Problem: Error, Sendable, CustomStringConvertible {
        case incomplete
        case notDecompressed
        /// Larger than `--max-message-bytes` (the limit, in bytes).
        case tooLarge(Int)
        case invalid(String)

        public var description: String {
            switch self {
            case .incomplete: return "it is incomplete in the recording (lost packets or cut at the size cap)"
            case .notDecompressed: return "it is compressed and could not be decompressed from the recording"
            case .tooLarge(let limit): return "it is larger than --max-message-bytes (\(limit) bytes)"
            case .invalid(let detail): return detail
            }
        }
    }

    /// Converts a session message; fails when the recording does not hold its exact bytes, or when
    /// they are more than `maxPayloadBytes` (checked before decoding, so an oversized payload of a
    /// session or HAR file is never held twice).
    public init(_ message: SessionMessage, maxPayloadBytes: Int = .max) throws(Problem) {
        guard let opcode = message.opcodeValue else { throw .invalid("unknown opcode \(message.opcode)") }
        guard message.decodedPayloadLength <= maxPayloadBytes else { throw .tooLarge(maxPayloadBytes) }
        guard let payload = message.payloadBytes else { throw .invalid("payload is not base64") }
        guard !message.incomplete else { throw .incomplete }
        guard !message.compressed || message.decompressed else { throw .notDecompressed }
        self.init(opcode: opcode, payload: payload, fragmentLengths: message.fragmentLengths, compressed: message.compressed, time: message.time)
    }

    public init(received message: WebSocketMessage) {
        self.init(
            opcode: message.opcode, payload: message.payload, fragmentLengths: message.fragmentLengths,
            compressed: message.compressed, time: message.timestamp.secondsValue)
    }
}
