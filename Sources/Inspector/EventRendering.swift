import WebSocketInspection

/// How events become output on the thread that decoded them, so that formatting (JSON escaping,
/// base64, text previews) runs on the worker threads of a `ShardedCaptureInspector` rather than
/// on the one thread that writes.
///
/// Two kinds, and deliberately not a generic parameter: the reading thread merges every event, and
/// unspecialised generic code there (the inspector lives in another module than its callers) spent
/// 5 % of that thread on runtime metadata lookups.
public struct EventRendering: Sendable {
    enum Kind: Sendable {
        /// Each event rendered to bytes by a renderer made on (and kept by) each decoding thread.
        case bytes(@Sendable () -> (InspectorEvent, inout [UInt8]) -> Void)
        /// The events themselves.
        case events
    }

    let kind: Kind

    /// Bytes: `makeRenderer` is called once on each decoding thread, so a renderer may keep state,
    /// as long as that state belongs to one connection (every event of a connection is decoded on
    /// the same thread): JSON Lines remembers each connection's endpoints from its `open` event. A
    /// renderer appends an event's output to the buffer it is given, or nothing to filter it out.
    public static func bytes(_ makeRenderer: @escaping @Sendable () -> (InspectorEvent, inout [UInt8]) -> Void) -> EventRendering {
        EventRendering(kind: .bytes(makeRenderer))
    }

    /// The events themselves, for consumers that keep state across connections (the sessions
    /// table, exports): the heavy work (inflating, decoding) still runs on the workers.
    public static let events = EventRendering(kind: .events)
}

/// One rendered event as the merger hands it on.
public struct RenderedEvent {
    /// What the renderer appended for the event (never empty) with `.bytes`; empty with `.events`.
    public var bytes: ArraySlice<UInt8>
    /// The event, with `.events`; nil with `.bytes`.
    public var event: InspectorEvent?
    /// The event was a message (`sniff -c` counts these).
    public var isMessage: Bool
}

extension InspectorEvent {
    /// A WebSocket message (data or control): what `sniff -c` counts.
    var isMessage: Bool {
        if case .message = self { return true }
        return false
    }
}
