import Foundation

/// The Python peers in Tests/Peers need python3 and the `websockets` package (13 or later), which
/// `scripts/install-dependencies.sh` installs. When they are missing, every test that starts a peer
/// fails with this one line instead of a Python traceback.
enum TestPeers {
    struct Unavailable: Error, CustomStringConvertible {
        var description: String
    }

    /// Nil when the peers can run; otherwise what is missing and how to get it. Checked once.
    static let missing: String? = {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", "-c", "import websockets, sys; sys.exit(int(websockets.__version__.split('.')[0]) < 13)"]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        do {
            try process.run()
            process.waitUntilExit()
        } catch {
            return "python3 is not installed: run scripts/install-dependencies.sh (the README's test command does)"
        }
        guard process.terminationStatus == 0 else {
            return "the Python package websockets (13 or later) is missing: run scripts/install-dependencies.sh (the README's test command does)"
        }
        return nil
    }()

    /// Throws the one-line explanation when the peers cannot run.
    static func require() throws {
        if let missing { throw Unavailable(description: missing) }
    }
}
