import Foundation
import Testing

/// Capturing on lo needs root; read once, outside the suite (its trait cannot refer to the suite).
private let runningAsRoot = geteuid() == 0

/// `wstap sniff` on the loopback interface against real Python `websockets` peers
/// (Tests/Peers/peers.py), which log every message they send: each must be printed live, byte for
/// byte, before the capture is stopped. Needs root (CAP_NET_RAW); otherwise the suite is skipped.
@Suite(.serialized, .enabled(if: runningAsRoot, "wstap sniff tests need root (CAP_NET_RAW) to capture on lo: skipped"))
struct SniffTests {
    static let peersScript = WSTapRunner.repositoryRoot.appendingPathComponent("Tests/Peers/peers.py")
    static let python = URL(fileURLWithPath: "/usr/bin/env")

    /// Compressed + fragmented, then uncompressed fragmented with a ping between fragments and a
    /// UTF-8 character split across frames.
    static let scenarios = ["deflate-fragmented", "fragmented"]

    /// A port outside Linux's ephemeral range (32768–60999), so no unrelated connection uses it as its
    /// client port while the test captures; checked free by binding it.
    static func freePort() throws -> Int {
        for _ in 0..<200 {
            let port = Int.random(in: 20_000...29_999)
            let socketDescriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            guard socketDescriptor >= 0 else { continue }
            defer { close(socketDescriptor) }
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_port = in_port_t(UInt16(port).bigEndian)
            address.sin_addr.s_addr = inet_addr("127.0.0.1")
            let bound = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(socketDescriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
            }
            if bound == 0 { return port }
        }
        throw SniffTestError("no free port found")
    }

    struct SniffTestError: Error, CustomStringConvertible {
        var description: String
        init(_ description: String) { self.description = description }
    }

    static func temporaryDirectory() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("wstap-sniff-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    /// Starts `wstap sniff` and waits until it says it is capturing.
    static func startSniff(_ arguments: [String]) throws -> BackgroundProcess {
        let sniff = try BackgroundProcess(executable: try WSTapRunner.binary(), arguments: ["sniff"] + arguments)
        let listening = sniff.wait(timeout: 30) { sniff.stderr.contains("listening on") || !sniff.isRunning }
        guard listening, sniff.isRunning else {
            sniff.waitForExit(timeout: 5)
            throw SniffTestError("sniff did not start: \(sniff.stderr)")
        }
        return sniff
    }

    /// Runs one scenario's server and client on `port`; both append what they send to `truth`.
    static func drivePeers(scenario: String, port: Int, folder: URL, truth: URL) throws {
        try TestPeers.require()
        let ready = folder.appendingPathComponent("\(scenario).ready")
        let serverLog = folder.appendingPathComponent("\(scenario).server.jsonl")
        let clientLog = folder.appendingPathComponent("\(scenario).client.jsonl")
        let common = ["--host", "127.0.0.1", "--port", String(port)]
        let server = try BackgroundProcess(executable: python, arguments: [
            "python3", peersScript.path, "server", scenario, "--log", serverLog.path, "--ready", ready.path,
        ] + common)
        guard server.wait(timeout: 20, until: { FileManager.default.fileExists(atPath: ready.path) || !server.isRunning }), server.isRunning else {
            server.waitForExit(timeout: 5)
            throw SniffTestError("server did not start: \(server.stderr)")
        }
        let client = try BackgroundProcess(executable: python, arguments: [
            "python3", peersScript.path, "client", scenario, "--log", clientLog.path,
        ] + common)
        let clientDone = client.waitForExit(timeout: 60)
        let serverDone = server.waitForExit(timeout: 20)
        guard clientDone, client.status == 0, serverDone, server.status == 0 else {
            throw SniffTestError("peers failed: client \(client.status) \(client.stderr) server \(server.status) \(server.stderr)")
        }
        var merged = try Data(contentsOf: truth)
        merged.append(try Data(contentsOf: serverLog))
        merged.append(try Data(contentsOf: clientLog))
        try merged.write(to: truth)
    }

    static func messageLines(_ text: String) -> Int {
        text.split(separator: "\n").filter { $0.contains(#""event":"message""#) }.count
    }

    /// Real traffic, stopped with `signal`: every message printed live and identical to what the
    /// peers sent; with `-w`, `read` on the written file prints exactly what `sniff` printed.
    func captureAndCompare(writeFile: Bool, signal stopSignal: Int32) throws {
        let folder = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: folder) }
        let port = try Self.freePort()
        let pcap = folder.appendingPathComponent("live.pcap")
        var arguments = ["-i", "lo", "--filter", "tcp port \(port)", "--format", "jsonl"]
        if writeFile { arguments += ["-w", pcap.path] }
        let sniff = try Self.startSniff(arguments)
        let truth = folder.appendingPathComponent("truth.jsonl")
        try Data().write(to: truth)
        for scenario in Self.scenarios {
            try Self.drivePeers(scenario: scenario, port: port, folder: folder, truth: truth)
        }
        let capture = RecordedCaptureTests.Capture(name: "live", file: pcap, truth: truth)
        let expected = try RecordedCaptureTests.truth(of: capture)
        let expectedCount = expected.values.reduce(0) { $0 + $1.count }
        #expect(expectedCount > 60, "the peers should have logged their messages")

        // Printed as they happen: all messages are out before the capture is stopped.
        let allPrinted = sniff.wait(timeout: 15) { Self.messageLines(sniff.stdoutText) >= expectedCount }
        #expect(allPrinted, "only \(Self.messageLines(sniff.stdoutText)) of \(expectedCount) messages printed before stopping")

        sniff.send(stopSignal)
        let exited = sniff.waitForExit(timeout: 15)
        #expect(exited, "sniff did not stop on signal \(stopSignal)")
        #expect(sniff.status == 0, "stderr: \(sniff.stderr)")
        #expect(sniff.stderr.contains("packets captured"), "stderr: \(sniff.stderr)")
        #expect(sniff.stderr.contains("dropped by kernel"), "stderr: \(sniff.stderr)")
        #expect(!sniff.stderr.contains("error"), "stderr: \(sniff.stderr)")

        let lines = try WSTapRunner.Result(status: sniff.status, stdout: sniff.stdout, stderr: sniff.stderr).jsonLines()
        let (actual, incomplete) = RecordedCaptureTests.decoded(lines)
        #expect(incomplete == 0)
        #expect(actual.keys.count == expected.keys.count, "connections × directions: got \(actual.keys), expected \(expected.keys)")
        for (key, sent) in expected {
            let got = actual[key] ?? []
            #expect(got.count == sent.count, "\(key): \(got.count) messages printed, \(sent.count) sent")
            for (index, pair) in zip(got, sent).enumerated() where pair.0 != pair.1 {
                Issue.record("\(key) message \(index): printed \(pair.0), sent \(pair.1)")
                break
            }
        }
        #expect(lines.filter { $0["event"] as? String == "open" }.count == Self.scenarios.count)
        #expect(lines.filter { $0["event"] as? String == "close" && $0["reason"] as? String == "fin" }.count == Self.scenarios.count)

        if writeFile {
            let reread = try WSTapRunner.run(["read", "--format", "jsonl", pcap.path])
            #expect(reread.status == 0, "stderr: \(reread.stderr)")
            // Everything but the live capture's own `stats` events.
            let decoded = sniff.stdoutText.split(separator: "\n", omittingEmptySubsequences: false)
                .filter { !$0.hasPrefix(#"{"event":"stats""#) }.joined(separator: "\n")
            #expect(reread.stdoutText == decoded, "read on the -w file must print what sniff printed")
        }
    }

    @Test func printsEveryMessageLiveAndStopsCleanlyOnSIGINT() throws {
        try captureAndCompare(writeFile: false, signal: SIGINT)
    }

    @Test func writesAPcapThatReadDecodesIdentically() throws {
        try captureAndCompare(writeFile: true, signal: SIGINT)
    }

    @Test func sigtermStopsCleanlyWithStatistics() throws {
        let port = try Self.freePort()
        let sniff = try Self.startSniff(["-i", "lo", "--filter", "tcp port \(port)"])
        sniff.send(SIGTERM)
        #expect(sniff.waitForExit(timeout: 10), "sniff ignored SIGTERM")
        #expect(sniff.status == 0, "stderr: \(sniff.stderr)")
        #expect(sniff.stderr.contains("0 packets captured"), "stderr: \(sniff.stderr)")
    }

    @Test func countStopsAfterThatManyMessages() throws {
        let folder = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: folder) }
        let port = try Self.freePort()
        let sniff = try Self.startSniff(["-i", "lo", "--filter", "tcp port \(port)", "--format", "jsonl", "-c", "5"])
        let truth = folder.appendingPathComponent("truth.jsonl")
        try Data().write(to: truth)
        try Self.drivePeers(scenario: "deflate-fragmented", port: port, folder: folder, truth: truth)
        #expect(sniff.waitForExit(timeout: 10), "sniff -c 5 did not stop by itself")
        #expect(sniff.status == 0, "stderr: \(sniff.stderr)")
        #expect(Self.messageLines(sniff.stdoutText) == 5, "stdout: \(sniff.stdoutText)")
    }

    @Test func durationStopsByItself() throws {
        let started = Date()
        let result = try WSTapRunner.run(["sniff", "-i", "lo", "--filter", "tcp port 1", "--duration", "1"], timeout: 20)
        let elapsed = Date().timeIntervalSince(started)
        #expect(result.status == 0, "stderr: \(result.stderr)")
        #expect(elapsed >= 1 && elapsed < 10, "took \(elapsed) s")
        #expect(result.stderr.contains("packets captured"))
    }

    /// A duration that does not fit a millisecond count used to trap (SIGILL); every value out of
    /// range is a usage error now.
    @Test(arguments: ["1e300", "inf", "nan", "0", "-5", "2592001"])
    func durationOutOfRangeIsAUsageError(value: String) throws {
        let result = try WSTapRunner.run(["sniff", "-i", "lo", "--duration=\(value)"], timeout: 20)
        #expect(result.status == 64, "status \(result.status), stderr: \(result.stderr)")
        #expect(result.stderr.contains("--duration must be a number of seconds"), "stderr: \(result.stderr)")
    }

    @Test func badFilterNamesTheProblem() throws {
        let result = try WSTapRunner.run(["sniff", "-i", "lo", "--filter", "tcp portt 80"], timeout: 20)
        #expect(result.status == 1)
        #expect(result.stderr.hasPrefix("wstap: error: bad capture filter 'tcp portt 80': "), "stderr: \(result.stderr)")
        #expect(result.stderr.contains("syntax error"), "stderr: \(result.stderr)")
    }

    @Test func unknownInterfaceListsTheAvailableOnes() throws {
        let result = try WSTapRunner.run(["sniff", "-i", "wstap-no-such0", "--duration", "1"], timeout: 20)
        #expect(result.status == 1)
        #expect(result.stderr.hasPrefix("wstap: error: no interface named 'wstap-no-such0'; available interfaces: "), "stderr: \(result.stderr)")
        #expect(result.stderr.contains("lo"), "stderr: \(result.stderr)")
    }

    /// The same binary run as `nobody` without capabilities (via util-linux `setpriv`).
    @Test(.enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/setpriv")))
    func noPermissionSaysHowToFixIt() throws {
        let binary = try WSTapRunner.binary()
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/setpriv")
        process.arguments = ["--reuid=65534", "--regid=65534", "--clear-groups", "--inh-caps=-all", "--bounding-set=-all",
                             binary.path, "sniff", "-i", "lo", "--duration", "1"]
        let errors = Pipe()
        process.standardError = errors
        process.standardOutput = FileHandle.nullDevice
        let stopped = DispatchSemaphore(value: 0)
        process.terminationHandler = { _ in stopped.signal() }
        try process.run()
        if stopped.wait(timeout: .now() + 20) == .timedOut { process.terminate() }
        process.waitUntilExit()
        let message = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        if message.contains("Permission denied"), !message.contains("capture") {
            // The build directory is not readable by nobody on this machine: nothing to check.
            print("note: skipping the permission check: \(binary.path) is not executable by nobody")
            return
        }
        #expect(process.terminationStatus == 1, "stderr: \(message)")
        #expect(message.hasPrefix("wstap: error: no permission to capture on 'lo'"), "stderr: \(message)")
        #expect(message.contains("setcap cap_net_raw,cap_net_admin=eip"), "stderr: \(message)")
    }
}
