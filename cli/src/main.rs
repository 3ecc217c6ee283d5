//! `helium-cli`: initialise and validate module configuration, and manage admin accounts.
//!
//! `main` is a table of contents: parse the arguments, connect to what the command needs,
//! run the command. Every command prints the operator-facing output the book documents;
//! failures print one `Error: ...` line on stderr and exit with status 1.

#![forbid(unsafe_code)]
// `deny` rather than the modules' `forbid`: clap's derive output allows `clippy::restriction`
// on its own items, which a `forbid` would reject.
#![deny(clippy::unwrap_used)]
#![deny(clippy::expect_used)]
#![deny(clippy::panic)]

/// Prints a line on stdout. A closed stdout (`helium-cli admin list | head`) is not an error
/// worth a panic: the reader has what it wanted, so the write failure is ignored.
macro_rules! outln {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stdout(), $($arg)*);
    }};
}

/// Like [`outln!`], without the newline, for prompts.
macro_rules! out {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let mut stdout = std::io::stdout();
        let _ = write!(stdout, $($arg)*);
        let _ = stdout.flush();
    }};
}

mod admin;
mod config_types;
mod connect;
mod init_config;
mod validate_config;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// Operator tool for Helium: configuration and admin accounts.
#[derive(Parser)]
#[command(name = "helium-cli", version, about)]
struct Cli {
    /// PostgreSQL URL, e.g. postgres://user:password@localhost/helium
    #[arg(long, env = "DATABASE_URL", global = true, hide_env_values = true)]
    database_url: Option<String>,

    /// Redis URL, e.g. redis://localhost:6379
    #[arg(long, env = "REDIS_URL", global = true, hide_env_values = true)]
    redis_url: Option<String>,

    /// Log what the tool does, including SQL statements, on stderr
    #[arg(long, global = true)]
    verbose: bool,

    /// Do not apply pending database migrations before the command
    #[arg(long, global = true)]
    skip_migration: bool,

    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Store the default configuration of every module and copy it to Redis
    InitConfig {
        /// Overwrite configurations that are already stored (generates new secrets)
        #[arg(long)]
        force: bool,
    },
    /// Check a JSON configuration file against its module's schema
    ValidateConfig {
        /// auth, admin-jwt (admin_jwt), telecom, shop, market (affiliate) or mailer
        #[arg(long)]
        config_type: String,
        /// The JSON file to check
        file: PathBuf,
    },
    /// Manage admin accounts
    #[command(subcommand)]
    Admin(admin::AdminCommand),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    init_logging(cli.verbose);

    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => return fail(anyhow::anyhow!("cannot start the async runtime: {error}")),
    };
    match runtime.block_on(run(cli)) {
        Ok(code) => code,
        Err(error) => fail(error),
    }
}

async fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    let connections = connect::Options {
        database_url: cli.database_url,
        redis_url: cli.redis_url,
        run_migrations: !cli.skip_migration,
    };
    match cli.command {
        Command::ValidateConfig { config_type, file } => validate_config::run(&config_type, &file),
        Command::InitConfig { force } => init_config::run(&connections, force).await,
        Command::Admin(command) => admin::run(&connections, command).await,
    }
}

fn init_logging(verbose: bool) {
    let level = if verbose { "debug" } else { "warn" };
    let filter = tracing_subscriber::EnvFilter::new(level);
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .init();
}

fn fail(error: anyhow::Error) -> ExitCode {
    eprintln!("Error: {error:#}");
    ExitCode::FAILURE
}
