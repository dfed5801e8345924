import Foundation
import Inspector
import Sessions
import Testing

/// Root and tcpdump record on lo; `-o /dev/null` is safe only with this build's wstap.
private let canRecordOnLoopback = geteuid() == 0 && FileManager.default.isExecutableFile(atPath: "/usr/bin/tcpdump") && testsThisBuild

/// `export` streams (issue #17, class 4): each connection is written as its messages arrive, so
/// memory no longer grows with the capture, and the files are byte for byte what encoding the
/// whole document at once gives.
@Suite struct ExportStreamingTests {
    /// The document as export built it before streaming: every message kept, encoded at once.
    static func wholeDocument(_ capture: String, format: String) throws -> Data {
        let recorder = SessionRecorder(keepsMessages: true)
        _ = try CaptureReader().read(capture, emit: recorder.record)
        recorder.finish()
        return format == "har" ? try HARWriter().encode(recorder.connections) : try SessionFile(recorder: recorder).encoded()
    }

    static let captures: [String] = {
        let folder = WSTapRunner.capturesFolder
        let names = (try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []
        return names.filter { $0.hasSuffix(".pcap") || $0.hasSuffix(".pcapng") }.sorted()
    }()

    /// Every bundled capture, both formats; `--max-held-bytes 0` sends every connection that waits
    /// for an earlier one through the temporary file.
    @Test(arguments: captures)
    func streamedExportIsTheWholeDocumentByteForByte(_ name: String) throws {
        let capture = WSTapRunner.capturesFolder.appendingPathComponent(name).path
        for format in ["har", "session"] {
            var expected = try Self.wholeDocument(capture, format: format)
            expected.append(UInt8(ascii: "\n"))
            for held in [[], ["--max-held-bytes", "0"]] {
                let result = try WSTapRunner.run(["export", capture, "--format", format] + held)
                #expect(result.status == 0, "stderr: \(result.stderr)")
                #expect(result.stdout == expected, "\(name) --format \(format) \(held): streamed bytes differ")
            }
        }
    }

    @Test func concurrentConnectionsKeepTheirOpeningOrder() throws {
        let capture = WSTapRunner.capturesFolder.appendingPathComponent("concurrent.pcap").path
        let result = try WSTapRunner.run(["export", capture, "--format", "har", "--max-held-bytes", "0"])
        #expect(result.status == 0, "stderr: \(result.stderr)")
        let har = try #require(try JSONSerialization.jsonObject(with: result.stdout) as? [String: Any])
        let entries = (har["log"] as? [String: Any])?["entries"] as? [[String: Any]] ?? []
        let numbers = entries.compactMap { $0["_wstapConnection"] as? Int }
        #expect(numbers.count == 5)
        #expect(numbers == numbers.sorted(), "entries in opening order: \(numbers)")
    }

    /// The temporary file for waiting connections cannot be created: one error line, status 1,
    /// and the `-o` target is not created.
    @Test func anUnwritableSpoolDirectoryIsAnError() throws {
        let folder = try OutputSafetyTests.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: folder) }
        let capture = WSTapRunner.capturesFolder.appendingPathComponent("concurrent.pcap").path
        let target = folder.appendingPathComponent("out.har")
        let process = Process()
        process.executableURL = try WSTapRunner.binary()
        process.arguments = ["export", capture, "--max-held-bytes", "0", "-o", target.path]
        process.environment = ["TMPDIR": folder.appendingPathComponent("missing").path]
        let errors = Pipe()
        process.standardError = errors
        try process.run()
        let text = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        #expect(process.terminationStatus == 1)
        #expect(text.hasPrefix("wstap: error: cannot create the temporary file in '\(folder.path)/missing'"), "stderr: \(text)")
        #expect(text.hasSuffix(": No such file or directory\n"), "stderr: \(text)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder.path).isEmpty)
    }

    static func peakKiB(fromTimeVerbose stderr: String) -> Int? {
        guard let range = stderr.range(of: "Maximum resident set size (kbytes): ") else { return nil }
        return Int(stderr[range.upperBound...].prefix { $0.isNumber })
    }

    /// A real peer (python `websockets`, permessage-deflate) sends 1,000 messages of 1 MiB of zeros,
    /// recorded with tcpdump on lo: about 1 MB of capture that inflates to 1 GiB. Before streaming,
    /// export held every payload (4 GB). Now the peak stays under 200 MB with the default limits.
    @Test(.enabled(if: canRecordOnLoopback, "needs root and tcpdump to record on lo: skipped"), .timeLimit(.minutes(15)))
    func aThousandMessagesThatInflateAThousandfoldStayBounded() async throws {
        // Minutes of waiting on processes run on a thread of their own, not on the test pool
        // (two threads on two cores): blocking it would stall the other suites' time limits.
        let outcome = try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<FloodOutcome, any Error>) in
            Thread.detachNewThread { continuation.resume(with: Result { try Self.recordAndExportFlood() }) }
        }
        #expect(outcome.problems.isEmpty, "\(outcome.problems.joined(separator: "\n"))")
        #expect(outcome.peaks.count == 2)
        for (format, peak) in outcome.peaks.sorted(by: { $0.key < $1.key }) {
            print("export --format \(format) of 1,000 × 1 MiB inflated messages: peak RSS \(peak) KiB")
            #expect(peak < 200 * 1024, "--format \(format): peak \(peak) KiB")
        }
    }

    struct FloodOutcome: Sendable {
        var problems: [String] = []
        /// Peak resident KiB of `export -o /dev/null` per format.
        var peaks: [String: Int] = [:]
    }

    /// Records the flood with tcpdump and exports it; blocking, so run off the test pool.
    static func recordAndExportFlood() throws -> FloodOutcome {
        var outcome = FloodOutcome()
        func check(_ condition: Bool, _ problem: @autoclosure () -> String) {
            if !condition { outcome.problems.append(problem()) }
        }
        let folder = try OutputSafetyTests.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: folder) }
        chmod(folder.path, 0o777)  // tcpdump drops to its own user before writing
        let pcap = folder.appendingPathComponent("flood.pcap")
        let port = try SniffTests.freePort()
        // Processes started from the test runner's threads inherit a mask that blocks SIGINT and
        // SIGTERM: a python exec wrapper clears it so tcpdump can be stopped cleanly.
        let tcpdump = try BackgroundProcess(
            executable: URL(fileURLWithPath: "/usr/bin/env"),
            arguments: ["python3", "-c", "import os, signal, sys; signal.pthread_sigmask(signal.SIG_SETMASK, []); os.execv(sys.argv[1], sys.argv[1:])",
                        "/usr/bin/tcpdump", "-i", "lo", "-U", "--immediate-mode", "-w", pcap.path, "tcp port \(port)"])
        check(tcpdump.wait(timeout: 30) { tcpdump.stderr.contains("listening on") }, "tcpdump did not start: \(tcpdump.stderr)")
        let script = WSTapRunner.repositoryRoot.appendingPathComponent("scripts/capture/deflate_flood.py").path
        let flood = try BackgroundProcess(
            executable: URL(fileURLWithPath: "/usr/bin/env"),
            arguments: ["python3", script, "--port", String(port), "--count", "1000", "--size", String(1 << 20)])
        check(flood.waitForExit(timeout: 600), "the peers did not finish")
        check(flood.status == 0, "peers: \(flood.stderr)")
        // Immediate mode hands each packet over at once; the pause lets tcpdump read the last ones.
        Thread.sleep(forTimeInterval: 1.5)
        tcpdump.send(SIGINT)
        check(tcpdump.waitForExit(timeout: 20), "tcpdump did not stop: \(tcpdump.stderr)")
        let size = (try? FileManager.default.attributesOfItem(atPath: pcap.path)[.size] as? Int) ?? 0
        check(size > 0 && size < 2 << 20, "capture of \(size) bytes")

        for format in ["har", "session"] {
            let result = try WSTapRunner.runTimed(["export", pcap.path, "--format", format, "-o", "/dev/null"])
            check(result.status == 0, "--format \(format): stderr: \(result.stderr)")
            if let peak = peakKiB(fromTimeVerbose: result.stderr) { outcome.peaks[format] = peak }
        }

        // What was exported is right: 1,000 messages, each inflated and cut at --max-message-bytes
        // (4096: above the 1 KB on the wire, which must fit for a compressed message to be inflated).
        let small = folder.appendingPathComponent("small.har")
        let result = try WSTapRunner.run(["export", pcap.path, "--format", "har", "--max-message-bytes", "4096", "-o", small.path])
        check(result.status == 0, "small export: stderr: \(result.stderr)")
        let har = try JSONSerialization.jsonObject(with: Data(contentsOf: small)) as? [String: Any] ?? [:]
        let entries = (har["log"] as? [String: Any])?["entries"] as? [[String: Any]] ?? []
        check(entries.count == 1, "\(entries.count) entries")
        let messages = entries.first?["_webSocketMessages"] as? [[String: Any]] ?? []
        if messages.count != 1000 {
            let events = try WSTapRunner.run(["read", pcap.path, "--format", "jsonl", "--max-message-bytes", "4096"]).stdoutText
            let anomalies = events.split(separator: "\n").filter { $0.contains("\"anomaly\"") || $0.contains("\"gap\"") }.prefix(5)
            outcome.problems.append("\(messages.count) messages; tcpdump: \(tcpdump.stderr); first anomalies: \(anomalies.joined(separator: "\n"))")
        }
        let zeros = Data(count: 4096).base64EncodedString()
        let unexpected = messages.filter { !($0["data"] as? String == zeros && $0["opcode"] as? Int == 2 && $0["_wstapIncomplete"] as? Bool == true) }
        check(unexpected.isEmpty, "\(unexpected.count) unexpected messages, first: \(unexpected.first.map { "\($0["opcode"] ?? "?") \(($0["data"] as? String)?.prefix(40) ?? "?")" } ?? "")")
        return outcome
    }
}

extension WSTapRunner {
    /// Runs wstap under `/usr/bin/time -v`, whose report (maximum resident set size) ends stderr.
    static func runTimed(_ arguments: [String]) throws -> Result {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/time")
        process.arguments = ["-v", try binary().path] + arguments
        let errors = Pipe()
        process.standardError = errors
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        let text = errors.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return Result(status: process.terminationStatus, stdout: Data(), stderr: String(decoding: text, as: UTF8.self))
    }
}
