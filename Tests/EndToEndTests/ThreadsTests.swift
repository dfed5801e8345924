import Foundation
import Inspector
import PacketDecoding
import Testing
import TestSupport

/// `--threads N` (issue #15): connections are decoded on N worker threads, and what wstap prints must
/// not show it. For every bundled capture, `read` (JSON Lines and text), `sessions` and a HAR
/// `export` print byte for byte the same standard output and standard error, and exit with the same
/// status, with 2, 3 and 8 threads as with 1 (the single-threaded path).
@Suite struct ThreadsTests {
    /// A bundled capture and the key log beside it, if any.
    struct Capture: Sendable, CustomTestStringConvertible {
        /// Path under captures/, which names the test case.
        var name: String
        var file: URL
        var keyLog: URL?
        var testDescription: String { name }

        /// `--keylog X.keylog` when `X.pcap` has one beside it, as the TLS tests pass it.
        var keyLogArguments: [String] { keyLog.map { ["--keylog", $0.path] } ?? [] }
    }

    /// Thread counts compared with 1: two and three put several connections on one worker and
    /// route them differently (connection modulo workers); eight is more workers than any bundled
    /// capture has connections, so some workers get nothing at all.
    static let threadCounts = [2, 3, 8]

    /// Every *.pcap and *.pcapng under captures/, at any depth, but replay-inflating.pcap: it
    /// inflates to 1.4 GB of output, too much to hold four times in a test (its memory with
    /// threads is checked by `inflatingCaptureKeepsMemoryBoundedWithThreads` instead).
    static let captures: [Capture] = {
        let root = WSTapRunner.capturesFolder.standardizedFileURL
        guard let walker = FileManager.default.enumerator(at: root, includingPropertiesForKeys: nil) else { return [] }
        var found: [Capture] = []
        for case let file as URL in walker where ["pcap", "pcapng"].contains(file.pathExtension) {
            let name = String(file.standardizedFileURL.path.dropFirst(root.path.count + 1))
            guard name != "replay-inflating.pcap" else { continue }
            let keyLog = file.deletingPathExtension().appendingPathExtension("keylog")
            found.append(Capture(name: name, file: file, keyLog: FileManager.default.fileExists(atPath: keyLog.path) ? keyLog : nil))
        }
        return found.sorted { $0.name < $1.name }
    }()

    /// Where two outputs first differ, by line: what a failure prints instead of megabytes.
    static func firstDifference(_ one: String, _ other: String) -> String {
        let left = one.split(separator: "\n", omittingEmptySubsequences: false)
        let right = other.split(separator: "\n", omittingEmptySubsequences: false)
        for index in 0..<max(left.count, right.count)
        where index >= left.count || index >= right.count || left[index] != right[index] {
            let a = index < left.count ? String(left[index].prefix(300)) : "<end>"
            let b = index < right.count ? String(right[index].prefix(300)) : "<end>"
            return "line \(index + 1): threads 1: \(a) | other: \(b)"
        }
        return "no line differs"
    }

    /// Runs `arguments` with `--threads 1` and with each of `threadCounts`: stdout, stderr and
    /// status must be the same. Returns the single-threaded result, for checks that it is not empty.
    @discardableResult
    static func expectSameOutputForAnyThreadCount(_ arguments: [String]) throws -> WSTapRunner.Result {
        let single = try WSTapRunner.run(arguments + ["--threads", "1"])
        for count in threadCounts {
            let command = "wstap \((arguments + ["--threads", String(count)]).joined(separator: " "))"
            let sharded = try WSTapRunner.run(arguments + ["--threads", String(count)])
            // Compared first, so that a failure prints where they differ rather than both outputs.
            let sameOutput = sharded.stdout == single.stdout, sameErrors = sharded.stderr == single.stderr
            #expect(sharded.status == single.status, "\(command): status \(sharded.status), \(single.status) with one thread")
            #expect(sameOutput,
                    "\(command): stdout differs (\(sharded.stdout.count) bytes, \(single.stdout.count) with one thread); \(firstDifference(single.stdoutText, sharded.stdoutText))")
            #expect(sameErrors, "\(command): stderr differs; \(firstDifference(single.stderr, sharded.stderr))")
        }
        return single
    }

    @Test func everyCaptureIsFound() {
        // The walk found the captures (a wrong path would make every comparison below vacuous).
        #expect(Self.captures.count >= 40, "\(Self.captures.map(\.name))")
        #expect(Self.captures.contains { $0.name == "concurrent.pcap" })
        #expect(Self.captures.contains { $0.name == "pcapng.pcapng" })
        #expect(Self.captures.contains { $0.keyLog != nil && $0.name.hasPrefix("tls/openssl/") })
        #expect(!Self.captures.contains { $0.name == "replay-inflating.pcap" })
    }

    @Test(arguments: captures)
    func readJSONLinesIsTheSameForAnyThreadCount(_ capture: Capture) throws {
        let single = try Self.expectSameOutputForAnyThreadCount(["read", "--format", "jsonl"] + capture.keyLogArguments + [capture.file.path])
        #expect(single.status == 0, "stderr: \(single.stderr)")
        #expect(!single.stdout.isEmpty, "every bundled capture holds at least one event")
    }

    @Test(arguments: captures)
    func readTextIsTheSameForAnyThreadCount(_ capture: Capture) throws {
        let single = try Self.expectSameOutputForAnyThreadCount(["read"] + capture.keyLogArguments + [capture.file.path])
        #expect(single.status == 0, "stderr: \(single.stderr)")
        #expect(!single.stdout.isEmpty)
    }

    @Test(arguments: captures)
    func sessionsAreTheSameForAnyThreadCount(_ capture: Capture) throws {
        let single = try Self.expectSameOutputForAnyThreadCount(["sessions", "--format", "jsonl"] + capture.keyLogArguments + [capture.file.path])
        #expect(single.status == 0, "stderr: \(single.stderr)")
    }

    @Test(arguments: captures)
    func harExportIsTheSameForAnyThreadCount(_ capture: Capture) throws {
        let single = try Self.expectSameOutputForAnyThreadCount(["export", "--format", "har"] + capture.keyLogArguments + [capture.file.path])
        #expect(single.status == 0, "stderr: \(single.stderr)")
        #expect(single.stdoutText.contains(#""entries""#))
    }

    /// Filters run on the worker threads (`EventRendering`): what they keep must not depend on
    /// which worker decoded what. concurrent.pcap has five connections, so with 2 and 3 threads
    /// one worker holds several.
    @Test(arguments: [
        ["--conn", "2"], ["--from", "server"], ["--grep", "1"], ["--conn", "1", "--conn", "4", "--from", "client"],
    ])
    func filteredReadIsTheSameForAnyThreadCount(_ filter: [String]) throws {
        let capture = WSTapRunner.capturesFolder.appendingPathComponent("concurrent.pcap").path
        let single = try Self.expectSameOutputForAnyThreadCount(["read", "--format", "jsonl", capture] + filter)
        #expect(single.status == 0, "stderr: \(single.stderr)")
        #expect(!single.stdout.isEmpty)
    }

    /// Many connections, most pushed out by `--max-connections` (connection_limit anomalies come
    /// from the reassembler on the reading thread, the connections' other events from the workers):
    /// 20,000 half-open connections, a thousand or more per worker.
    @Test(.timeLimit(.minutes(3)))
    func evictedConnectionsAreTheSameForAnyThreadCount() throws {
        let file = try HostileInputTests.write("threads-evicted.pcap", HostileInputTests.halfOpenConnections(20_000))
        defer { try? FileManager.default.removeItem(at: file) }
        let single = try Self.expectSameOutputForAnyThreadCount(["read", "--format", "jsonl", "--max-connections", "500", file.path])
        #expect(single.status == 0, "stderr: \(single.stderr)")
        #expect(single.stdoutText.split(separator: "\n").count == 19_500)
    }
}

/// `--threads` out of range or not a number is a usage error (status 64) that says what is allowed,
/// for every command that decodes traffic.
@Suite struct ThreadsOptionTests {
    static let commands: [[String]] = [
        ["read", WSTapRunner.capturesFolder.appendingPathComponent("plain.pcap").path],
        ["sessions", WSTapRunner.capturesFolder.appendingPathComponent("plain.pcap").path],
        ["export", WSTapRunner.capturesFolder.appendingPathComponent("plain.pcap").path],
        ["sniff", "-i", "lo"],
    ]

    @Test(arguments: commands, ["0", "17", "-1", "1000000"])
    func threadCountOutOfRangeIsAUsageError(command: [String], value: String) throws {
        let result = try WSTapRunner.run(command + ["--threads=\(value)"], timeout: 20)
        #expect(result.status == 64, "\(command[0]) --threads=\(value): status \(result.status), stderr: \(result.stderr)")
        #expect(result.stderr.contains("--threads must be between 1 and 16"), "stderr: \(result.stderr)")
        #expect(result.stdout.isEmpty)
    }

    @Test(arguments: commands, ["abc", "2.5", "two"])
    func threadCountThatIsNotANumberIsAUsageError(command: [String], value: String) throws {
        let result = try WSTapRunner.run(command + ["--threads=\(value)"], timeout: 20)
        #expect(result.status == 64, "\(command[0]) --threads=\(value): status \(result.status), stderr: \(result.stderr)")
        #expect(result.stderr.contains("The value '\(value)' is invalid for '--threads <threads>'"), "stderr: \(result.stderr)")
        #expect(result.stdout.isEmpty)
    }

    /// The limit in the message is the one the code enforces.
    @Test func boundsAreTheDocumentedOnes() throws {
        #expect(Inspector.DecodingThreads.maxThreads == 16)
        let highest = try WSTapRunner.run(["read", "--threads", "16", WSTapRunner.capturesFolder.appendingPathComponent("plain.pcap").path])
        #expect(highest.status == 0, "stderr: \(highest.stderr)")
        #expect(!highest.stdout.isEmpty)
    }
}

/// Memory with worker threads stays bounded and close to the single-threaded read: chunks in flight
/// and the workers' output waiting to be merged are capped, so threads add a few MiB, not a copy of
/// the capture's output. deflate-bomb.pcap inflates 64 MiB and prints a 16 MiB message (as base64
/// JSON, about 22 MB): the most any bundled capture asks of one event, and quick in a debug build.
@Suite struct ThreadsMemoryTests {
    /// Peak resident memory allowed for any thread count (KiB): the bound DecompressionBombTests sets
    /// for this capture with one thread (four times the 16 MiB kept message, plus 48 MiB for the
    /// program). Threads must not need more. Measured with one thread: 67 MiB at 5aaf31b, 84 MiB
    /// with the single malloc arena of f94d17a (main). An extra copy of the 22 MB output line is what
    /// `maxExtraPeakKiBWithThreads` catches.
    static let maxPeakKiB = (16 << 10) * 4 + 48 * 1024
    /// Most peak memory threads may add over one thread (KiB): the reader's chunks in flight
    /// (`ShardedCaptureInspector.maxChunksInFlight` × `maxChunkBytes` = 2 MiB), worker stacks and
    /// their pipelines' tables. Measured: +0.4 MiB with 2 threads, +0.6 MiB with 8.
    static let maxExtraPeakKiBWithThreads = 8 * 1024

    static let bomb = WSTapRunner.capturesFolder.appendingPathComponent("deflate-bomb.pcap")

    static func peakKiB(threads: Int) throws -> (peak: Int, result: WSTapRunner.Result) {
        let result = try WSTapRunner.run(["read", "--format", "jsonl", "--stats", "--threads", String(threads), bomb.path])
        #expect(result.status == 0, "stderr: \(result.stderr)")
        let peak = try #require(DecompressionBombTests.peakKiB(result.stderr), "no peak memory in stderr: \(result.stderr)")
        return (peak, result)
    }

    @Test func inflatingCaptureKeepsMemoryBoundedWithThreads() throws {
        let single = try Self.peakKiB(threads: 1)
        #expect(single.peak < Self.maxPeakKiB, "one thread: peak \(single.peak) KiB")
        #expect(single.result.stdout.count > 16 << 20, "the 16 MiB message is printed")
        for threads in [2, 8] {
            let sharded = try Self.peakKiB(threads: threads)
            #expect(sharded.peak < Self.maxPeakKiB, "\(threads) threads: peak \(sharded.peak) KiB")
            #expect(sharded.peak <= single.peak + Self.maxExtraPeakKiBWithThreads,
                    "\(threads) threads: peak \(sharded.peak) KiB, \(single.peak) KiB with one")
            let same = sharded.result.stdout == single.result.stdout
            #expect(same, "\(threads) threads print what one prints")
        }
    }

    /// Copies of large.pcap one after the other (each on its own addresses): as much output as
    /// `longCaptureBytes` says, which must be written as it is decoded, not gathered.
    static let longCaptureCopies = 40
    /// Most peak memory for the long capture, any thread count (KiB): one thread peaks near 32 MiB
    /// (the program and one connection's messages); its 56 MB of output held anywhere would not fit.
    static let maxLongCapturePeakKiB = 56 * 1024

    @Test(.timeLimit(.minutes(3)))
    func longCaptureIsWrittenAsItIsDecodedWithThreads() throws {
        let original = try SegmentCapture.segments(ofFile: WSTapRunner.capturesFolder.appendingPathComponent("large.pcap").path)
        let start = try #require(original.first?.timestamp)
        let span = try #require(original.last?.timestamp).nanosecondsSince(start) + 1_000_000_000
        var segments: [TCPSegment] = []
        for copy in 0..<Self.longCaptureCopies {
            for segment in original {
                var moved = segment
                let offset = segment.timestamp.nanosecondsSince(start) + Int64(copy) * span
                moved.timestamp = Timestamp(seconds: 1_700_000_000 + offset / 1_000_000_000, nanoseconds: UInt32(offset % 1_000_000_000))
                moved.source.address = ThreadsResegmentationTests.renumbered(segment.source.address, copy)
                moved.destination.address = ThreadsResegmentationTests.renumbered(segment.destination.address, copy)
                segments.append(moved)
            }
        }
        let file = try BadInputTests.temporaryFile("threads-long.pcap", Data(SegmentCapture.pcap(segments)))
        defer { try? FileManager.default.removeItem(at: file) }
        var outputs: [Int: Data] = [:]
        var peaks: [Int: Int] = [:]
        for threads in [1, 2] {
            let result = try WSTapRunner.run(["read", "--format", "jsonl", "--stats", "--threads", String(threads), file.path], timeout: 170)
            #expect(result.status == 0, "stderr: \(result.stderr)")
            outputs[threads] = result.stdout
            let peak = try #require(DecompressionBombTests.peakKiB(result.stderr), "stderr: \(result.stderr)")
            peaks[threads] = peak
        }
        let single = try #require(peaks[1]), sharded = try #require(peaks[2])
        #expect((outputs[1]?.count ?? 0) > Self.maxLongCapturePeakKiB * 1024 * 9 / 10, "the output is about as large as the bound: \(outputs[1]?.count ?? 0) bytes")
        #expect(single < Self.maxLongCapturePeakKiB, "one thread: peak \(single) KiB")
        #expect(sharded < Self.maxLongCapturePeakKiB, "two threads: peak \(sharded) KiB")
        #expect(sharded <= single + Self.maxExtraPeakKiBWithThreads, "two threads: peak \(sharded) KiB, \(single) KiB with one")
        let same = outputs[1] == outputs[2]
        #expect(same, "two threads print what one prints")
    }
}
