use clap::Parser;

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() {
    let cli = hybridplan::cli::Cli::parse();
    let code = match hybridplan::cli::run(cli) {
        Ok(code) => code,
        // A closed pipe (`hybridplan inspect ... | head`) is a normal end, not an error.
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => 0,
        Err(e) => {
            eprintln!("error: {e}");
            2
        }
    };
    std::process::exit(code);
}
