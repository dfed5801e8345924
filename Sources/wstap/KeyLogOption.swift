#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import ArgumentParser
import Foundation
import TLSDecryption
import WebSocketInspection

/// Where the TLS key log comes from: `--keylog FILE`, else the `SSLKEYLOGFILE` environment
/// variable that browsers, curl and Python also read (said on standard error, so a user never
/// wonders why a capture decrypted). One place for every command, so they all behave alike.
enum KeyLogOption {
    static let helpText: ArgumentHelp = "An NSS key log (SSLKEYLOGFILE format) to decrypt TLS (wss://) connections with; without it, $SSLKEYLOGFILE is used when set."

    /// Loads the key log a command should use, nil when there is none. A bad `--keylog` is one
    /// error line and exit status 2; a bad `SSLKEYLOGFILE` only a warning, since the user did not
    /// ask for it on this command line.
    static func load(flag: String?, announce: Bool) throws -> TLSKeyLog? {
        if let flag {
            do {
                let keyLog = try TLSKeyLog.load(path: flag, maxEntries: cache.limits.maxEntries, maxBytes: cache.limits.maxBytes)
                if announce { keyLog.warnings.forEach(Diagnostics.warning) }
                return keyLog
            } catch where error.holdsNoSecret {
                // Fatal when reading a file (`requireSecrets`), not for sniff: a browser may be
                // about to write it.
                cache.storeProblem(error.description, for: flag)
                return nil
            } catch {
                if announce { Diagnostics.error(error.description) }
                throw ExitCode(2)
            }
        }
        guard let variable = getenv("SSLKEYLOGFILE"), variable.pointee != 0 else { return nil }
        let path = String(cString: variable)
        do {
            let keyLog = try TLSKeyLog.load(path: path, maxEntries: cache.limits.maxEntries, maxBytes: cache.limits.maxBytes)
            if announce {
                Diagnostics.note("using the TLS key log named by SSLKEYLOGFILE: \(path)")
                keyLog.warnings.forEach(Diagnostics.warning)
            }
            return keyLog
        } catch {
            if announce { Diagnostics.warning("SSLKEYLOGFILE not used: \(error.description)") }
            return nil
        }
    }

    /// The stream layers of a command: TLS decryption on every connection (with no key log it
    /// still lists each TLS connection with `no_key` instead of showing nothing). `live` (sniff):
    /// the key log file is read again when a connection's client random is not in it yet.
    static func streamLayers(flag: String?, live: Bool = false) -> StreamLayerFactory {
        let keyLog = cache.value(for: flag) ?? ((try? load(flag: flag, announce: false)) ?? nil)
        var configuration = TLSDecryptionConfiguration(keyLog: keyLog ?? TLSKeyLog(parsing: [UInt8]()))
        configuration.maxResynchronizationWindow = cache.limits.resynchronizationWindow
        if live, let path = flag ?? environmentPath {
            configuration.liveKeyLog = liveFiles.file(for: path)
        }
        return .tls(configuration)
    }

    /// `SSLKEYLOGFILE` when set and not empty.
    static var environmentPath: String? {
        guard let variable = getenv("SSLKEYLOGFILE"), variable.pointee != 0 else { return nil }
        return String(cString: variable)
    }

    /// For commands that read a capture after the fact: a `--keylog` that holds no secret is an
    /// error (one line, exit status 2). `sniff` does not call it: its key log may still be empty.
    static func requireSecrets(flag: String?) throws {
        guard let flag, let problem = cache.problem(for: flag) else { return }
        Diagnostics.error(problem)
        throw ExitCode(2)
    }

    /// For sniff: says when the key log holds nothing yet (it will be read again).
    static func noteIfEmpty(flag: String?) {
        guard let flag, cache.problem(for: flag) != nil else { return }
        Diagnostics.note("the key log '\(flag)' holds no secret yet: it is read again when a connection it does not know appears")
    }

    /// One `TLSKeyLogFile` per path for the run, shared by every connection.
    static let liveFiles = LiveFiles()

    final class LiveFiles: @unchecked Sendable {
        private let lock = NSLock()
        private var files: [String: TLSKeyLogFile] = [:]

        func file(for path: String) -> TLSKeyLogFile {
            lock.withLock {
                if let file = files[path] { return file }
                let limits = KeyLogOption.cache.limits
                let file = TLSKeyLogFile(path: path, maxEntries: limits.maxEntries, maxBytes: limits.maxBytes)
                files[path] = file
                return file
            }
        }
    }

    /// The key log `validate` loaded, so a large file is read and parsed once per run.
    static let cache = Cache()

    final class Cache: @unchecked Sendable {
        private let lock = NSLock()
        private var entries: [String: TLSKeyLog] = [:]
        private var problems: [String: String] = [:]
        private var storedLimits = Limits()

        /// The TLS limits of this run (`--max-keylog-bytes`, `--max-keylog-entries`,
        /// `--tls-resync-records`), set by `validate` before anything is loaded.
        var limits: Limits {
            get { lock.withLock { storedLimits } }
            set { lock.withLock { storedLimits = newValue } }
        }

        func storeProblem(_ problem: String, for flag: String) {
            lock.withLock { problems[flag] = problem }
        }

        func problem(for flag: String) -> String? {
            lock.withLock { problems[flag] }
        }

        func value(for flag: String?) -> TLSKeyLog? {
            lock.withLock { entries[flag ?? ""] }
        }

        func store(_ keyLog: TLSKeyLog?, for flag: String?) {
            guard let keyLog else { return }
            lock.withLock { entries[flag ?? ""] = keyLog }
        }
    }

    /// The limits of key logs and TLS decryption a user may change.
    struct Limits {
        var maxBytes = TLSKeyLog.maxFileBytes
        var maxEntries = TLSKeyLog.defaultMaxEntries
        var resynchronizationWindow = TLSDecryptionConfiguration().maxResynchronizationWindow
    }

    /// `load` for a command's `validate`: prints what it has to say and remembers the result.
    static func validate(flag: String?, limits: Limits = Limits()) throws {
        cache.limits = limits
        cache.store(try load(flag: flag, announce: true), for: flag)
    }
}
