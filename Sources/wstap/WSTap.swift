import ArgumentParser

/// The `wstap` command: argument parsing and wiring only; the work is done in the library targets.
@main
struct WSTap: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "wstap",
        abstract: "Inspect, decode and replay WebSocket traffic from pcap/pcapng files and live interfaces.",
        subcommands: [Read.self, ReplayCommand.self, Export.self]
    )
}
