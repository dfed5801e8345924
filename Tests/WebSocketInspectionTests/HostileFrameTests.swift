import Testing
import PacketDecoding
@testable import WebSocketInspection
import WebSocketProtocol

/// Frames whose header claims more than any capture holds: the decoder must count, not allocate,
/// and report the true shortfall when the capture ends.
@Suite struct HostileFrameTests {
    /// A server frame header with a 64-bit length field.
    static func header(length: UInt64) -> [UInt8] {
        [0x82, 0x7F] + (0..<8).map { UInt8(truncatingIfNeeded: length >> (56 - 8 * $0)) }
    }

    /// Regression: at the end of the capture the shortfall of a data frame was computed from the
    /// frame buffer, which data frames do not use, so the whole frame was reported missing and the
    /// message length came out as the claimed length plus what arrived (beyond Int64 for 2^63 − 1).
    @Test(arguments: [UInt64(1000), UInt64(1) << 40, UInt64(Int64.max)])
    func truncatedFrameReportsTheTrueShortfall(claimed: UInt64) throws {
        let received = 300
        let events = decode([Self.header(length: claimed) + [UInt8](repeating: 0x41, count: received)], direction: .serverToClient)
        let message = try #require(events.messages.first)
        #expect(message.length == claimed)
        #expect(message.missingBytes == claimed - UInt64(received))
        #expect(message.payload.count == received)
        #expect(events.anomalyKinds == ["truncated_frame", "incomplete_message"])
        let detail = events.compactMap { if case .anomaly(let anomaly) = $0, anomaly.kind.name == "truncated_frame" { anomaly.detail } else { nil } }
        #expect(detail == ["the capture ends \(claimed - UInt64(received)) bytes before the end of a binary frame"])
    }

    /// 2^63 and above cannot be a payload length (RFC 6455 §5.2): reported, never waited for.
    @Test func lengthWithTheTopBitSetIsAnInvalidHeader() {
        let events = decode([Self.header(length: 1 << 63) + [UInt8](repeating: 0x41, count: 100)], direction: .serverToClient)
        #expect(events.messages.isEmpty)
        #expect(events.anomalyKinds.first == "invalid_frame_header")
    }

    /// A frame past the message cap keeps only the cap, however much arrives.
    @Test func oversizedFramePayloadIsNotKept() throws {
        var configuration = InspectionConfiguration()
        configuration.maxMessageBytes = 1024
        let events = decode(
            [Self.header(length: UInt64(Int64.max))] + Array(repeating: [UInt8](repeating: 0x42, count: 4096), count: 64),
            direction: .serverToClient, configuration: configuration)
        let message = try #require(events.messages.first)
        #expect(message.payload.count == 1024)
        #expect(message.length == UInt64(Int64.max))
    }
}
