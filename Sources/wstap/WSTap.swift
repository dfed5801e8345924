import ArgumentParser

/// The `wstap` command: argument parsing and wiring only; the work is done in the library targets.
@main
struct WSTap: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "wstap",
        abstract: "Inspect, decode and replay WebSocket traffic from pcap/pcapng files and live interfaces.",
        discussion: """
            Start with the overview, then look at one connection:
              wstap sessions capture.pcap
              wstap read capture.pcap --conn 3

            Shell completion: wstap --generate-completion-script bash|zsh|fish
            """,
        subcommands: [Read.self, Sniff.self, Sessions.self, ReplayCommand.self, Serve.self, Export.self]
    )
}
