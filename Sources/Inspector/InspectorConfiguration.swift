import MessageDecoding
import TCPReassembly
import WebSocketInspection

/// Limits and plug-ins for the whole pipeline, gathered so the CLI can set them from flags.
public struct InspectorConfiguration: Sendable {
    public var reassembly: TCPAssemblerConfiguration
    public var inspection: InspectionConfiguration
    /// Seam 1: the stream layer of each connection (none by default).
    public var streamLayers: StreamLayerFactory
    /// Seam 2: the application-protocol decoders to choose from per connection (none by default).
    public var messageDecoders: MessageDecoderFactory

    public init(
        reassembly: TCPAssemblerConfiguration = .init(), inspection: InspectionConfiguration = .init(),
        streamLayers: StreamLayerFactory = .none, messageDecoders: MessageDecoderFactory = .init()
    ) {
        self.reassembly = reassembly
        self.inspection = inspection
        self.streamLayers = streamLayers
        self.messageDecoders = messageDecoders
    }
}
