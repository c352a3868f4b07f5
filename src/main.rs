//! `hotline`: the one command of the Hotline contact center. It serves the live system,
//! runs the demo and simulations, tails the event log and audits its history, on the data
//! directory's embedded log or the one `--log` names.

/// `println!` that returns the error instead of panicking when stdout is closed (`| head`):
/// main treats a broken pipe as a normal end.
macro_rules! say {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        writeln!(std::io::stdout(), $($arg)*)
    }};
}

/// mimalloc rather than glibc's malloc: a simulation's one thread spends much of its time
/// allocating and freeing (actors, messages, events' rows, the last of which the log's
/// writer thread frees). Over three interleaved 200,000-call runs it was 0 to 18 % faster.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

mod audit;
mod campaign;
mod crm;
mod demo;
mod erlang;
mod import_file;
mod interrupt;
mod ivr;
mod load;
mod log_bench;
mod log_copy;
mod logs;
mod recordings;
mod replay;
mod server;
mod simulate;
mod sql;
mod tail;

use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::parser::ValueSource;
use clap::{CommandFactory, FromArgMatches, Parser, Subcommand};

#[derive(Debug, Parser)]
#[command(name = "hotline", version, about = "An event-sourced contact center", long_about = None)]
struct Cli {
    /// Where the event log and everything built from it live.
    #[arg(
        long,
        global = true,
        env = "HOTLINE_DATA_DIR",
        default_value = "hotline-data"
    )]
    data_dir: PathBuf,

    /// The event log, when not the data directory's embedded one:
    /// `kafka://HOST:PORT/TOPIC[?partitions=N]` (a build with the `kafka` feature) or
    /// `sqlite://DATA_DIR`. Every command that reads or writes the log uses it; the data
    /// directory keeps the rest (snapshots, history, tokens, recordings). The commands
    /// with `--config` also take it from the file's `log` key; this flag wins.
    #[arg(long, global = true, env = "HOTLINE_LOG_URL", value_name = "URL")]
    log: Option<hotline_infra::LogTarget>,

    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Write a sample morning of a small contact center to the log and show its history, then run it live (the server with a wallboard) until Ctrl-C, unless --no-serve.
    Demo(demo::Args),
    /// Read the event log.
    #[command(subcommand)]
    Log(LogCommand),
    /// Check and read the history, as an auditor does.
    #[command(subcommand)]
    Audit(AuditCommand),
    /// Drop the projections' snapshots and rebuild them from the whole log.
    Replay(replay::Args),
    /// Staffing math: what N agents achieve under a load, or how many meet a target
    /// (Erlang C, or Erlang A with --patience).
    Erlang(erlang::Args),
    /// Customers: import them from a CSV file, show one by phone number.
    #[command(subcommand)]
    Crm(crm::Command),
    /// Outbound campaigns: create one, import its leads and do-not-call list, start,
    /// pause, resume or stop it, show where it stands.
    #[command(subcommand)]
    Campaign(campaign::Command),
    /// SQL over the calls, queues, agents, customers and the log (read-only): one query,
    /// or a PostgreSQL server for psql and BI tools with --listen.
    Sql(sql::Args),
    /// Run a scenario's day through the actors on a virtual clock, then report it; or,
    /// with --load, its traffic against the live center, as fast as it goes.
    Simulate(simulate::Args),
    /// IVR flows: validate a flow file against the center's configuration.
    #[command(subcommand)]
    Ivr(ivr::Command),
    /// Run the live center: actors, projections, the HTTP API with the wallboard and agent
    /// pages, and SQL over the PostgreSQL wire, until Ctrl-C.
    Serve(server::Args),
    /// Call recordings and voicemail messages: purge those past their retention period.
    #[command(subcommand)]
    Recordings(recordings::Command),
}

#[derive(Debug, Subcommand)]
enum LogCommand {
    /// Print events as JSON lines (the public wire format).
    Tail(tail::Args),
    /// Copy a whole history from one log to another (sqlite://DATA_DIR,
    /// kafka://HOST:PORT/TOPIC), in order, each event byte for byte; resumes an interrupted
    /// copy. The hashes are the target's own (Kafka chains each partition, the embedded
    /// log the whole log), so the copy is checked event by event, then by its own chain.
    Copy(log_copy::Args),
    /// Measure a Kafka log's acknowledged appends per second and append-to-subscriber
    /// latency beside the embedded log's, in the same run.
    Bench(log_bench::Args),
}

#[derive(Debug, Subcommand)]
enum AuditCommand {
    /// Walk the whole hash chain: exit 0 if intact, 1 with the first altered position if not, 2 if the log cannot be read.
    Verify,
    /// One entity's history, in order: time, event type and its key fields.
    History {
        /// The stream, such as `call-0190c3d2-7b3a-7cc0-8000-000000000001` or `queue-sales`.
        stream: String,
    },
}

fn main() -> ExitCode {
    let matches = Cli::command().get_matches();
    let cli = match Cli::from_arg_matches(&matches) {
        Ok(cli) => cli,
        Err(e) => e.exit(),
    };
    // Whether --log was typed, not taken from HOTLINE_LOG_URL: an exported URL is the
    // usual log of the shell, not a request to the commands that name their logs.
    let log_typed = matches.value_source("log") == Some(ValueSource::CommandLine);
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("HOTLINE_LOG")
                .unwrap_or_else(|_| "warn".into()),
        )
        .with_writer(std::io::stderr)
        // Colours for a terminal only: escape codes in a redirected log or a pipe are noise.
        .with_ansi(std::io::stderr().is_terminal())
        .init();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("error: cannot start the runtime: {e}");
            return ExitCode::from(2);
        }
    };
    let result = runtime.block_on(async {
        if let Some(log) = &cli.log
            && log_typed
            && matches!(
                cli.command,
                Command::Log(LogCommand::Copy(_) | LogCommand::Bench(_))
            )
        {
            // Refused rather than ignored: these name their logs themselves, so --log
            // would silently not be the log they use.
            return Err(anyhow::anyhow!(
                "--log {log}: log copy and log bench name their logs themselves (copy: --from and --to; bench: --kafka); drop --log"
            ));
        }
        let target = cli.log.as_ref();
        match cli.command {
            Command::Demo(args) => demo::run(&cli.data_dir, target, args).await,
            Command::Log(LogCommand::Tail(args)) => {
                tail::run(&cli.data_dir, target, args).await
            }
            Command::Log(LogCommand::Copy(args)) => log_copy::run(&cli.data_dir, args).await,
            Command::Log(LogCommand::Bench(args)) => log_bench::run(args).await,
            Command::Audit(AuditCommand::Verify) => {
                audit::verify(&cli.data_dir, target).await
            }
            Command::Audit(AuditCommand::History { stream }) => {
                audit::history(&cli.data_dir, target, &stream).await
            }
            Command::Replay(args) => replay::run(&cli.data_dir, target, args).await,
            Command::Erlang(args) => erlang::run(args),
            Command::Ivr(command) => ivr::run(command),
            Command::Crm(command) => crm::run(&cli.data_dir, target, command).await,
            Command::Campaign(command) => campaign::run(&cli.data_dir, target, command).await,
            Command::Simulate(args) => simulate::run(&cli.data_dir, target, args).await,
            Command::Sql(args) => sql::run(&cli.data_dir, target, args).await,
            Command::Serve(args) => server::run(&cli.data_dir, target, args).await,
            Command::Recordings(command) => recordings::run(&cli.data_dir, target, command).await,
        }
    });
    match result {
        Ok(code) => code,
        Err(e) if is_broken_pipe(&e) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::from(2)
        }
    }
}

/// `hotline log tail | head` closes our stdout early; that is the reader's choice, not an error.
fn is_broken_pipe(e: &anyhow::Error) -> bool {
    e.chain()
        .filter_map(|c| c.downcast_ref::<std::io::Error>())
        .any(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
}
