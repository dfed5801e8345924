import Foundation
import Testing

/// Headless Chromium's WebSocket API (`new WebSocket`, `onopen`, `send`, `onmessage`, `onclose`)
/// against `wstap serve` of a capture recorded from Chromium itself (Tests/Peers/serve_browser.py
/// drives the browser). Skipped, and listed as skipped, where the Debian `chromium` package is
/// not installed.
@Suite(.serialized) struct ServeBrowserTests {
    static let chromiumInstalled = ["/usr/bin/chromium", "/usr/bin/chromium-browser"].contains { FileManager.default.isExecutableFile(atPath: $0) }

    @Test(.enabled(if: chromiumInstalled, "needs headless Chromium (apt-get install chromium)"),
          arguments: [("browser-chromium.pcap", "browser-chromium.truth.jsonl"), ("browser-chromium-deflate.pcap", "browser-chromium-deflate.truth.jsonl")])
    func aBrowserGetsTheRecordedMessagesAndCloseCode(_ capture: String, _ truth: String) throws {
        let server = try ServeCommandTests.Server(capture, ["--max-clients", "1"])
        let log = FileManager.default.temporaryDirectory.appendingPathComponent("wstap-browser-\(UUID().uuidString).json")
        defer { try? FileManager.default.removeItem(at: log) }
        let driver = try BackgroundProcess(
            executable: URL(fileURLWithPath: "/usr/bin/env"),
            arguments: ["python3", WSTapRunner.repositoryRoot.appendingPathComponent("Tests/Peers/serve_browser.py").path,
                        "--ws", server.url + (server.paths.first ?? "/"), "--truth", WSTapRunner.capturesFolder.appendingPathComponent(truth).path,
                        "--log", log.path, "--timeout", "60"])
        #expect(driver.waitForExit(timeout: 90))
        #expect(driver.status == 0, "the page reported back: \(driver.stderr)")
        let report = try JSONSerialization.jsonObject(with: Data(contentsOf: log)) as? [String: Any] ?? [:]
        let received = (report["received"] as? [[String: Any]] ?? []).map { ($0["opcode"] as? String ?? "", $0["data_b64"] as? String ?? "") }
        let expected = try ServeCommandTests.serverTruth(truth).map { ($0.opcode, Data($0.payload).base64EncodedString()) }
        #expect(received.map(\.0) == expected.map(\.0))
        #expect(received.map(\.1) == expected.map(\.1), "byte for byte")
        let close = report["close_event"] as? [String: Any] ?? [:]
        #expect(close["code"] as? Int == (try ServeCommandTests.serverCloseCode(truth)), "the recorded close code: \(close)")
        #expect(close["wasClean"] as? Bool == true)
        if capture.contains("deflate") { #expect((report["extensions"] as? String)?.contains("permessage-deflate") == true) }
        #expect(server.process.waitForExit(timeout: 30))
        #expect(server.process.status == 0, "\(server.process.stdoutText)")
    }
}
