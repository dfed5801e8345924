import Foundation
import Testing

/// Issue #17, class 3, for `wstap serve`: a client whose request target carries ESC, BEL, CR, C1
/// CSI and a bidi override (Tests/Peers/hostile_client.py) is refused, and the report line that
/// quotes its target must not act on the terminal.
@Suite(.serialized) struct ServeTerminalInjectionTests {
    @Test func refusedClientTargetIsEscapedInTheReport() throws {
        let server = try ServeCommandTests.Server("replay-echo.pcap", ["--max-clients", "1"])
        let path = "/chat\u{1b}[2J\u{1b}]0;pwned\u{07}\r\u{9b}31m\u{202e}evil\u{2066}é中🎉"
        let client = try ServeHostileClientTests.hostile("bad-frames", port: server.port, path: path)
        let outcome = ServeHostileClientTests.result(client)
        #expect((outcome["status"] as? String)?.hasPrefix("HTTP/1.1 404") == true, "\(outcome)")
        #expect(server.process.waitForExit(timeout: 30), "serve ends after its one client")
        TerminalInjectionTests.expectClean(server.process.stdout, server.process.stderr, "serve")
        let report = server.process.stdoutText
        #expect(report.contains("refused (404): "), "\(report)")
        #expect(report.contains(#"\u{9b}31m\u{202e}evil\u{2066}é中🎉"#), "\(report)")
    }
}
