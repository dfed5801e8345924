import Foundation
import NIOSSL

/// `wss://` for `wstap serve`: the server's TLS context from a PEM certificate (chain) and private
/// key (`--tls-cert`, `--tls-key`), built before listening so that a missing, unreadable, malformed
/// or mismatched file stops serving at once with one line (exit status 2), never at the first client.
public struct ServeTLS: Sendable {
    public let certificatePath: String
    public let privateKeyPath: String

    /// Largest certificate or key file read (1 MiB): a PEM chain is a few KiB, and a path pointing
    /// at a huge file (or a device) must not be read whole.
    public static let maxFileBytes = 1 << 20

    public init(certificatePath: String, privateKeyPath: String) {
        self.certificatePath = certificatePath
        self.privateKeyPath = privateKeyPath
    }

    /// The server context, or a one-line reason naming the flag and the file.
    func makeContext() throws(MockServer.StartFailure) -> NIOSSLContext {
        let certificateText = try Self.read(certificatePath, flag: "--tls-cert")
        let keyText = try Self.read(privateKeyPath, flag: "--tls-key")
        let chain: [NIOSSLCertificate]
        do {
            chain = try NIOSSLCertificate.fromPEMBytes(Array(certificateText))
        } catch {
            throw MockServer.StartFailure(description: "--tls-cert \(certificatePath): not a PEM certificate (\(error))")
        }
        guard !chain.isEmpty else {
            throw MockServer.StartFailure(description: "--tls-cert \(certificatePath): no certificate in it (PEM, -----BEGIN CERTIFICATE-----)")
        }
        let key: NIOSSLPrivateKey
        do {
            key = try NIOSSLPrivateKey(bytes: Array(keyText), format: .pem)
        } catch {
            throw MockServer.StartFailure(description: "--tls-key \(privateKeyPath): not a PEM private key without a passphrase (\(error))")
        }
        let configuration = TLSConfiguration.makeServerConfiguration(certificateChain: chain.map { .certificate($0) }, privateKey: .privateKey(key))
        do {
            return try NIOSSLContext(configuration: configuration)
        } catch {
            throw MockServer.StartFailure(description: "--tls-cert/--tls-key: the key does not fit the certificate or cannot be used (\(error))")
        }
    }

    private static func read(_ path: String, flag: String) throws(MockServer.StartFailure) -> Data {
        guard let handle = FileHandle(forReadingAtPath: path) else {
            throw MockServer.StartFailure(description: "\(flag) \(path): cannot be opened")
        }
        defer { try? handle.close() }
        let data: Data
        do {
            data = try handle.read(upToCount: maxFileBytes + 1) ?? Data()
        } catch {
            throw MockServer.StartFailure(description: "\(flag) \(path): cannot be read (\(error.localizedDescription))")
        }
        guard data.count <= maxFileBytes else {
            throw MockServer.StartFailure(description: "\(flag) \(path): larger than \(maxFileBytes) bytes (ServeTLS.maxFileBytes), not a PEM file")
        }
        return data
    }
}
