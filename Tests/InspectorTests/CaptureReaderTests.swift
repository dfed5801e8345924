import Foundation
import Inspector
import Testing
import WebSocketInspection

/// The front end every command reads captures through.
struct CaptureReaderTests {
    static let captures = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("captures")

    @Test func readsARealCaptureAndCountsItsEvents() throws {
        var messages = 0
        var events = 0
        let summary = try CaptureReader().read(Self.captures.appendingPathComponent("plain.pcap").path) { event in
            events += 1
            if case .message = event { messages += 1 }
        }
        #expect(messages > 0)
        #expect(summary.events == events)
        #expect(summary.warnings.isEmpty)
    }

    @Test func aFilterThatMatchesNothingGivesNoEvents() throws {
        var events = 0
        let reader = CaptureReader(filter: "tcp port 1")
        let summary = try reader.read(Self.captures.appendingPathComponent("plain.pcap").path) { _ in events += 1 }
        #expect(events == 0)
        #expect(summary.statistics.packets == 0)
    }

    @Test func aBadFilterIsAFailureThatNamesIt() {
        let reader = CaptureReader(filter: "tcp port")
        #expect {
            _ = try reader.read(Self.captures.appendingPathComponent("plain.pcap").path) { _ in }
        } throws: { error in
            (error as? CaptureReader.Failure)?.description.contains("tcp port") == true
        }
    }

    @Test func aMissingFileIsAFailure() {
        #expect(throws: CaptureReader.Failure.self) {
            _ = try CaptureReader().read("/nonexistent/capture.pcap") { _ in }
        }
    }
}
