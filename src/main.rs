use clap::Parser;
use diffusion_playground::cli::{self, Cli, Command};
use std::process::ExitCode;

fn main() -> ExitCode {
    env_logger::Builder::from_env(env_logger::Env::default().default_filter_or("warn")).init();
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            use clap::error::ErrorKind;
            if matches!(e.kind(), ErrorKind::DisplayHelp | ErrorKind::DisplayVersion) {
                print!("{e}");
                return ExitCode::SUCCESS;
            }
            // One line: clap's first line names the bad argument.
            let text = e.to_string();
            eprintln!("{}", text.lines().next().unwrap_or("invalid arguments"));
            return ExitCode::from(2);
        }
    };
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::from(2)
        }
    }
}

fn run(cli: Cli) -> Result<(), cli::CliError> {
    match cli.command {
        None => {
            let options = cli::app_options(&cli)?;
            diffusion_playground::app::run(options)
                .map_err(|e| cli::CliError::Usage(format!("cannot open the window: {e}")))
        }
        Some(Command::Inspect(args)) => {
            let report = cli::inspect(&args)?;
            if args.json {
                println!(
                    "{}",
                    serde_json::to_string(&report)
                        .map_err(|e| cli::CliError::Usage(e.to_string()))?
                );
            } else {
                print!("{}", report.to_table());
            }
            Ok(())
        }
        Some(Command::Train(args)) => cli::train(&args).map(|_| ()),
        Some(Command::Sample(args)) => {
            let traj = cli::sample(&args)?;
            eprintln!(
                "wrote {} samples to {}{}",
                traj.n,
                args.out.display(),
                args.trajectory
                    .as_ref()
                    .map(|p| format!(" and the trajectory to {}", p.display()))
                    .unwrap_or_default()
            );
            Ok(())
        }
    }
}
