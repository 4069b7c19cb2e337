//! `donna-server`: the gateway and the command line for a server with no display. It links no
//! desktop library; `donna-server` with no command, or `donna-server staff`, says so.

fn main() -> std::process::ExitCode {
    donna_cli::main(None)
}
