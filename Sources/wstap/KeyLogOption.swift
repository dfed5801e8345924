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
                let keyLog = try TLSKeyLog.load(path: flag)
                if announce { keyLog.warnings.forEach(Diagnostics.warning) }
                return keyLog
            } catch {
                if announce { Diagnostics.error(error.description) }
                throw ExitCode(2)
            }
        }
        guard let variable = getenv("SSLKEYLOGFILE"), variable.pointee != 0 else { return nil }
        let path = String(cString: variable)
        do {
            let keyLog = try TLSKeyLog.load(path: path)
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
    /// still lists each TLS connection with `no_key` instead of showing nothing).
    static func streamLayers(flag: String?) -> StreamLayerFactory {
        let keyLog = cache.value(for: flag) ?? ((try? load(flag: flag, announce: false)) ?? nil)
        return .tls(TLSDecryptionConfiguration(keyLog: keyLog ?? TLSKeyLog(parsing: [UInt8]())))
    }

    /// The key log `validate` loaded, so a large file is read and parsed once per run.
    static let cache = Cache()

    final class Cache: @unchecked Sendable {
        private let lock = NSLock()
        private var entries: [String: TLSKeyLog] = [:]

        func value(for flag: String?) -> TLSKeyLog? {
            lock.withLock { entries[flag ?? ""] }
        }

        func store(_ keyLog: TLSKeyLog?, for flag: String?) {
            guard let keyLog else { return }
            lock.withLock { entries[flag ?? ""] = keyLog }
        }
    }

    /// `load` for a command's `validate`: prints what it has to say and remembers the result.
    static func validate(flag: String?) throws {
        cache.store(try load(flag: flag, announce: true), for: flag)
    }
}
