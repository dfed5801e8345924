import PacketDecoding
import TCPReassembly

/// Seam 1 of the pipeline: a layer between TCP reassembly and the connection analyzer that turns
/// the bytes of a connection's two directions into other bytes — TLS record decryption with a key
/// log is the first; an HTTP/2 (RFC 8441) layer would plug in the same way.
///
/// Contract (the same as `TCPStreamEvent`'s, one level up):
/// - One instance per TCP connection, made by a `StreamLayerFactory` when the connection opens
///   (nil: the connection's bytes go to the analyzer untouched).
/// - Input per side, in stream order: `receive` for delivered bytes, `receiveGap` for bytes the
///   capture lost; then exactly one `finish`.
/// - Output through the `output` callback, in stream order per side: `.data` for bytes the layer
///   recovered, `.gap` for bytes of the inner stream it cannot recover (it says how many when it
///   knows, and never makes bytes up), `.anomaly` for what its users must hear about (a missing
///   key, an undecryptable record). A layer may hold bytes (a partial record) and must bound what
///   it holds by a named limit.
/// - The analyzer after it sees only `.data` and `.gap`, exactly as it would see them from TCP.
public protocol StreamLayer: AnyObject {
    func receive(_ bytes: ArraySlice<UInt8>, from side: StreamSide, at timestamp: Timestamp, _ output: (StreamLayerOutput) -> Void)
    func receiveGap(_ count: UInt64, from side: StreamSide, at timestamp: Timestamp, _ output: (StreamLayerOutput) -> Void)
    /// The connection ended: flush or report what is held.
    func finish(at timestamp: Timestamp, _ output: (StreamLayerOutput) -> Void)
    /// The TLS session the layer decrypted, for the connection's `open` event (nil: not TLS).
    var tlsSession: TLSSessionInfo? { get }
    /// Set when the layer could not open the connection (a TLS connection without key): asked
    /// after `finish`, so the connection is listed with what is known about it.
    var undecrypted: UndecryptedStream? { get }
    /// True while the layer holds bytes waiting for something outside the capture (a key that a
    /// key log file being written does not hold yet): `poll` is then called when the capture is idle.
    var isWaiting: Bool { get }
    func poll(_ output: (StreamLayerOutput) -> Void)
}

extension StreamLayer {
    public var tlsSession: TLSSessionInfo? { nil }
    public var undecrypted: UndecryptedStream? { nil }
    public var isWaiting: Bool { false }
    public func poll(_ output: (StreamLayerOutput) -> Void) {}
}

/// What a stream layer hands on.
public enum StreamLayerOutput {
    case data(side: StreamSide, bytes: ArraySlice<UInt8>, timestamp: Timestamp)
    case gap(side: StreamSide, byteCount: UInt64, timestamp: Timestamp)
    case anomaly(kind: AnomalyKind, detail: String, timestamp: Timestamp)
}

/// Chooses the stream layer of each connection when it opens (e.g. TLS decryption for a
/// connection whose first client bytes are a ClientHello and whose key is in the key log).
public struct StreamLayerFactory: Sendable {
    public var make: @Sendable (TCPConnectionInfo) -> (any StreamLayer)?

    /// For a decrypting layer: the factory to use when the capture file itself carries TLS
    /// secrets (an NSS key log from pcapng Decryption Secrets Blocks), with the warnings those
    /// secrets raise (malformed lines). Nil: the layers have no use for embedded secrets.
    public var addingEmbeddedSecrets: (@Sendable (_ tlsKeyLog: [UInt8]) -> (factory: StreamLayerFactory, warnings: [String]))?

    public init(make: @escaping @Sendable (TCPConnectionInfo) -> (any StreamLayer)?) {
        self.make = make
    }

    /// No layer: every connection's bytes go to the analyzer as TCP delivered them.
    public static let none = StreamLayerFactory { _ in nil }
}
