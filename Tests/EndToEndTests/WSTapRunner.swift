import Foundation

/// Runs the built `wstap` executable the way a user would, and captures what it prints.
struct WSTapRunner {
    struct Result {
        var status: Int32
        var stdout: Data
        var stderr: String
        var stdoutText: String { String(decoding: stdout, as: UTF8.self) }

        /// Standard output parsed as JSON Lines.
        func jsonLines() throws -> [[String: Any]] {
            try stdoutText.split(separator: "\n").map { line in
                guard let object = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any] else {
                    throw RunnerError.notAnObject(String(line))
                }
                return object
            }
        }
    }

    enum RunnerError: Error { case notAnObject(String), noBinary }

    /// The repository root, found from this source file's path.
    static let repositoryRoot: URL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    static let capturesFolder = repositoryRoot.appendingPathComponent("captures")

    /// `../shared/captures/public` beside the checkout, when this machine has it.
    static let publicCapturesFolder = repositoryRoot.deletingLastPathComponent()
        .appendingPathComponent("shared/captures/public")

    /// The `wstap` binary next to the test bundle (both are build products of the same build).
    static func binary() throws -> URL {
        if let override = ProcessInfo.processInfo.environment["WSTAP_BINARY"] {
            return URL(fileURLWithPath: override)
        }
        var candidates: [URL] = []
        let argument0 = URL(fileURLWithPath: CommandLine.arguments[0])
        var directory = argument0.deletingLastPathComponent()
        for _ in 0..<4 {
            candidates.append(directory.appendingPathComponent("wstap"))
            directory = directory.deletingLastPathComponent()
        }
        candidates.append(repositoryRoot.appendingPathComponent(".build/debug/wstap"))
        for candidate in candidates where FileManager.default.isExecutableFile(atPath: candidate.path) {
            var isDirectory: ObjCBool = false
            if FileManager.default.fileExists(atPath: candidate.path, isDirectory: &isDirectory), !isDirectory.boolValue {
                return candidate
            }
        }
        throw RunnerError.noBinary
    }

    static func run(_ arguments: [String], stdin: URL? = nil, timeout: TimeInterval = 120) throws -> Result {
        let process = Process()
        process.executableURL = try binary()
        process.arguments = arguments
        let outputPipe = Pipe()
        let errorPipe = Pipe()
        process.standardOutput = outputPipe
        process.standardError = errorPipe
        if let stdin { process.standardInput = try FileHandle(forReadingFrom: stdin) }
        try process.run()
        // Read both pipes while the process runs so that a large output cannot block it.
        let group = DispatchGroup()
        nonisolated(unsafe) var output = Data()
        nonisolated(unsafe) var errors = Data()
        group.enter()
        DispatchQueue.global().async { output = outputPipe.fileHandleForReading.readDataToEndOfFile(); group.leave() }
        group.enter()
        DispatchQueue.global().async { errors = errorPipe.fileHandleForReading.readDataToEndOfFile(); group.leave() }
        if group.wait(timeout: .now() + timeout) == .timedOut {
            process.terminate()
            group.wait()
        }
        process.waitUntilExit()
        return Result(status: process.terminationStatus, stdout: output, stderr: String(decoding: errors, as: UTF8.self))
    }
}
