import Foundation

/// A process the test starts and watches while it runs (a `wstap sniff`, a Python peer): output is
/// collected as it arrives, every wait has a deadline, and `deinit` kills whatever is still running so
/// that a failing test never leaves a process behind.
final class BackgroundProcess: @unchecked Sendable {
    private let process = Process()
    private let lock = NSLock()
    private var output = Data()
    private var errors = Data()
    private var endedStreams = 0
    private let outputPipe = Pipe()
    private let errorPipe = Pipe()

    init(executable: URL, arguments: [String], workingDirectory: URL? = nil) throws {
        process.executableURL = executable
        process.arguments = arguments
        if let workingDirectory { process.currentDirectoryURL = workingDirectory }
        process.standardOutput = outputPipe
        process.standardError = errorPipe
        process.standardInput = FileHandle.nullDevice
        outputPipe.fileHandleForReading.readabilityHandler = { [weak self] handle in
            self?.receive(handle.availableData, from: handle, isError: false)
        }
        errorPipe.fileHandleForReading.readabilityHandler = { [weak self] handle in
            self?.receive(handle.availableData, from: handle, isError: true)
        }
        try process.run()
    }

    deinit {
        if process.isRunning {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
        outputPipe.fileHandleForReading.readabilityHandler = nil
        errorPipe.fileHandleForReading.readabilityHandler = nil
    }

    private func receive(_ chunk: Data, from handle: FileHandle, isError: Bool) {
        guard !chunk.isEmpty else {
            // End of file: the process closed this stream (normally by exiting).
            handle.readabilityHandler = nil
            lock.withLock { endedStreams += 1 }
            return
        }
        lock.withLock {
            if isError { errors.append(chunk) } else { output.append(chunk) }
        }
    }

    var stdout: Data { lock.withLock { output } }
    var stdoutText: String { String(decoding: stdout, as: UTF8.self) }
    var stderr: String { lock.withLock { String(decoding: errors, as: UTF8.self) } }
    var isRunning: Bool { process.isRunning }
    var status: Int32 { process.terminationStatus }

    func send(_ signal: Int32) { kill(process.processIdentifier, signal) }

    /// Polls `condition` every 20 ms until it holds or `timeout` seconds pass; returns whether it held.
    @discardableResult
    func wait(timeout: TimeInterval, until condition: () -> Bool) -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if condition() { return true }
            Thread.sleep(forTimeInterval: 0.02)
        }
        return condition()
    }

    /// Waits for the process to exit, killing it after `timeout` seconds; returns whether it exited
    /// by itself. Afterwards `stdout`/`stderr` hold everything it printed.
    @discardableResult
    func waitForExit(timeout: TimeInterval) -> Bool {
        let exited = wait(timeout: timeout) { !process.isRunning }
        if !exited {
            kill(process.processIdentifier, SIGKILL)
        }
        process.waitUntilExit()
        // Let the handlers deliver what is still in the pipes, up to their end of file.
        wait(timeout: 5) { lock.withLock { endedStreams == 2 } }
        return exited
    }
}
