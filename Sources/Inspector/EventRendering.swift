import WebSocketInspection

/// How events become output on the thread that decoded them, so that formatting (JSON escaping,
/// base64, text previews) runs on the worker threads of a `ShardedCaptureInspector` rather than
/// on the one thread that writes.
///
/// A renderer appends an event's output to the buffer it is given (nothing, for an event it
/// filters out). `makeRenderer` is called once on each thread that decodes, so a renderer may keep
/// state, as long as that state belongs to one connection (every event of a connection is decoded
/// on the same thread): JSON Lines remembers each connection's endpoints from its `open` event.
public struct EventRendering<Element: Sendable>: Sendable {
    public var makeRenderer: @Sendable () -> (InspectorEvent, inout [Element]) -> Void

    public init(makeRenderer: @escaping @Sendable () -> (InspectorEvent, inout [Element]) -> Void) {
        self.makeRenderer = makeRenderer
    }
}

extension EventRendering where Element == InspectorEvent {
    /// The events themselves, for consumers that keep state across connections (the sessions
    /// table, exports): the heavy work (inflating, decoding) still runs on the workers.
    public static var events: EventRendering<InspectorEvent> {
        EventRendering { { event, output in output.append(event) } }
    }
}

/// One rendered event as the merger hands it on.
public struct RenderedEvent<Element: Sendable> {
    /// What the renderer appended for the event (never empty).
    public var output: ArraySlice<Element>
    /// The event was a message (`sniff -c` counts these).
    public var isMessage: Bool
}
