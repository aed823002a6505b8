//! `meridian-server` binary: placeholder that says the server is not built yet.

fn main() {
    eprintln!("meridian-server: not yet implemented; see README.md for the roadmap");
    std::process::exit(1);
}
