import Foundation
import PacketDecoding
import WebSocketInspection
import WebSocketProtocol

/// What the server sent during a replay: the handshake response, then its messages, decoded by the
/// same `WebSocketStreamDecoder` that decodes captures, so recorded and live answers are compared
/// after identical processing (unmasking, reassembly, inflation, limits).
///
/// An actor because the reading task fills it while the sending task waits on it; waits are
/// bounded by a timeout so a silent server cannot hang a replay.
actor ReplayInbox {
    enum HandshakeState: Sendable {
        case pending
        case upgraded(HTTPResponseHead, PerMessageDeflateParameters?)
        case refused(String)
    }

    private let expectedAccept: String
    private let configuration: InspectionConfiguration
    private(set) var handshake = HandshakeState.pending
    private var headBuffer: [UInt8] = []
    private var decoder: WebSocketStreamDecoder?
    private(set) var messages: [ReplayMessage] = []
    private(set) var anomalies: [String] = []
    /// The server closed the TCP connection (or reading failed).
    private(set) var ended = false
    private(set) var readError: String?
    private(set) var receivedClose = false

    private var waiters: [Int: (condition: @Sendable (ReplayInbox.Snapshot) -> Bool, continuation: CheckedContinuation<Bool, Never>)] = [:]
    private var nextWaiter = 0

    struct Snapshot: Sendable {
        var handshakeDone: Bool
        var messageCount: Int
        var ended: Bool
        var receivedClose: Bool
    }

    init(expectedAccept: String, maxMessageBytes: Int) {
        self.expectedAccept = expectedAccept
        var configuration = InspectionConfiguration()
        configuration.maxMessageBytes = maxMessageBytes
        self.configuration = configuration
    }

    var snapshot: Snapshot {
        let done: Bool
        if case .pending = handshake { done = false } else { done = true }
        return Snapshot(handshakeDone: done, messageCount: messages.count, ended: ended, receivedClose: receivedClose)
    }

    func receive(_ bytes: [UInt8]) {
        let now = Self.now()
        if var decoder {
            decoder.receive(bytes[...], at: now) { handle($0) }
            self.decoder = decoder
        } else if case .pending = handshake {
            headBuffer.append(contentsOf: bytes)
            parseHead(at: now)
        }
        notify()
    }

    func end(error: String?) {
        if !ended {
            ended = true
            readError = error
            if case .pending = handshake {
                handshake = .refused(error.map { "the connection failed during the handshake: \($0)" } ?? "the server closed the connection without answering the handshake")
            }
            if var decoder {
                decoder.finish(at: Self.now()) { handle($0) }
                self.decoder = decoder
            }
        }
        notify()
    }

    /// Waits until `condition` holds, the connection ends, or `timeout` seconds pass; returns
    /// whether the condition holds.
    func wait(timeout: Double, until condition: @escaping @Sendable (Snapshot) -> Bool) async -> Bool {
        if condition(snapshot) { return true }
        if ended { return false }
        let id = nextWaiter
        nextWaiter += 1
        return await withCheckedContinuation { continuation in
            waiters[id] = (condition, continuation)
            Task { [weak self] in
                try? await Task.sleep(nanoseconds: UInt64(max(timeout, 0) * 1e9))
                await self?.expire(id)
            }
        }
    }

    private func expire(_ id: Int) {
        guard let waiter = waiters.removeValue(forKey: id) else { return }
        waiter.continuation.resume(returning: waiter.condition(snapshot))
    }

    private func notify() {
        let current = snapshot
        for (id, waiter) in waiters where waiter.condition(current) || ended {
            waiters[id] = nil
            waiter.continuation.resume(returning: waiter.condition(current))
        }
    }

    private func parseHead(at now: Timestamp) {
        switch HTTPHeadParser.parseResponse(headBuffer) {
        case .needMoreData:
            return
        case .invalid(let reason):
            handshake = .refused("the server's answer is not an HTTP response (\(reason))")
        case .tooLarge:
            handshake = .refused("the server's response head exceeds \(HTTPHeadParser.defaultMaxHeadBytes) bytes")
        case .head(let head, let consumed):
            let statusLine = "\(head.version) \(head.status) \(head.reason)"
            guard WebSocketHandshake.isUpgradeResponse(head) else {
                handshake = .refused("the server rejected the handshake: \(statusLine)")
                return
            }
            guard head.headers.first("Sec-WebSocket-Accept") == expectedAccept else {
                handshake = .refused("the server's Sec-WebSocket-Accept is wrong (expected \(expectedAccept), got \(head.headers.first("Sec-WebSocket-Accept") ?? "none"))")
                return
            }
            let accepted = WebSocketExtensionHeader.parse(head.headers.all("Sec-WebSocket-Extensions"))
            var compression: PerMessageDeflateParameters?
            if !accepted.isEmpty {
                guard accepted.count == 1, let parameters = PerMessageDeflateParameters(negotiated: accepted) else {
                    handshake = .refused("the server accepted extensions replay cannot speak: \(head.headers.all("Sec-WebSocket-Extensions").joined(separator: ", "))")
                    return
                }
                compression = parameters
            }
            handshake = .upgraded(head, compression)
            var decoder = WebSocketStreamDecoder(connection: 0, direction: .serverToClient, configuration: configuration, compression: compression)
            let rest = headBuffer[consumed...]
            headBuffer = []
            if !rest.isEmpty { decoder.receive(rest, at: now) { handle($0) } }
            self.decoder = decoder
        }
    }

    private func handle(_ event: InspectorEvent) {
        switch event {
        case .message(let message):
            if message.opcode == .close { receivedClose = true }
            messages.append(ReplayMessage(received: message))
        case .anomaly(let anomaly):
            anomalies.append("\(anomaly.kind): \(anomaly.detail)")
        default:
            break
        }
    }

    static func now() -> Timestamp {
        let seconds = Date().timeIntervalSince1970
        let whole = seconds.rounded(.down)
        return Timestamp(seconds: Int64(whole), nanoseconds: UInt32(min((seconds - whole) * 1e9, 999_999_999)))
    }
}
