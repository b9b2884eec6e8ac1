use diffusion_playground::cli::{self, Cli, Command};
use std::process::ExitCode;

// A training step frees and allocates the same large activation buffers every step. glibc's
// malloc hands them back to the kernel and takes page faults (and freshly zeroed pages) to
// get them again; mimalloc keeps them mapped while they are reused (see `keep_freed_memory`).
// BENCHMARKS.md has the before/after.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Keep freed memory mapped for 10 s before returning it to the system (mimalloc's default,
/// 1 s, returns some of a step's buffers before the next step needs them: 8× the page faults
/// on a 2-core machine). `MIMALLOC_PURGE_DELAY` still decides where set.
fn keep_freed_memory() {
    // `mi_option_purge_delay` in mimalloc v3's include/mimalloc.h (libmimalloc-sys does not
    // export it); its default is 1000 ms, checked first, so a renumbered option is left alone.
    const PURGE_DELAY: libmimalloc_sys::mi_option_t = 15;
    if std::env::var_os("MIMALLOC_PURGE_DELAY").is_some() {
        return;
    }
    // SAFETY: reads and sets one of mimalloc's run-time options (read again at each purge).
    unsafe {
        if libmimalloc_sys::mi_option_get(PURGE_DELAY) == 1000 {
            libmimalloc_sys::mi_option_set(PURGE_DELAY, 10_000);
        }
    }
}

/// No transparent huge pages for this process. mimalloc asks the kernel for them
/// (`madvise(MADV_HUGEPAGE)`); with the common `defrag = madvise` setting each first touch of
/// one may compact memory synchronously, then zeroes 2 MiB in one page fault, and mimalloc's
/// purges split them again. On a 2-core VM 60 steps of the 16×16 model spent 0.45–2.1 s of
/// system time with them against 0.25–0.42 s without, 97.8–102.3 against 107–111 ms a step
/// (BENCHMARKS.md). `MIMALLOC_ALLOW_THP=1` keeps them. (mimalloc's own option is read when
/// it starts, before `main`, hence the process-wide switch.)
fn no_huge_pages() {
    if std::env::var_os("MIMALLOC_ALLOW_THP").is_some_and(|v| v == "1") {
        return;
    }
    #[cfg(target_os = "linux")]
    // SAFETY: sets one flag of this process (a plain integer syscall, no memory passed).
    unsafe {
        libc::prctl(libc::PR_SET_THP_DISABLE, 1, 0, 0, 0);
    }
}

fn main() -> ExitCode {
    keep_freed_memory();
    no_huge_pages();
    env_logger::Builder::from_env(env_logger::Env::default().default_filter_or("warn")).init();
    diffusion_playground::i18n::set_lang(diffusion_playground::i18n::Lang::from_env());
    // Before any device exists: where the GPU keeps its tuning results between runs.
    diffusion_playground::train::tuning::configure_gpu_runtime();
    let parsed = cli::localized_command()
        .try_get_matches()
        .and_then(|m| <Cli as clap::FromArgMatches>::from_arg_matches(&m));
    let cli = match parsed {
        Ok(cli) => cli,
        Err(e) => {
            use clap::error::ErrorKind;
            // clap's whole message: it names the argument and gives the usage line. Help and
            // version go to stdout, where a reader that closes early is no error.
            let _ = e.print();
            return if matches!(e.kind(), ErrorKind::DisplayHelp | ErrorKind::DisplayVersion) {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(2)
            };
        }
    };
    // Still before any thread exists: where the CPU draws the window, the renderer's share
    // of the cores (the window's commands only: `train --device gpu` on lavapipe keeps them
    // all for its compute shaders).
    let opens_a_window = match &cli.command {
        None => true,
        Some(Command::Bench(args)) => args.window,
        Some(_) => false,
    };
    if opens_a_window {
        diffusion_playground::app::repaint::limit_software_renderer_threads();
    }
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::from(2)
        }
    }
}

/// Print one JSON object, or the human-readable `table`.
fn print_report(
    report: &impl serde::Serialize,
    json: bool,
    table: String,
) -> Result<(), cli::CliError> {
    if json {
        let text =
            serde_json::to_string(report).map_err(|e| cli::CliError::Usage(e.to_string()))?;
        cli::output::print_stdout(&format!("{text}\n"))
    } else {
        cli::output::print_stdout(&table)
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
            print_report(&report, args.json, report.to_table())
        }
        Some(Command::Bench(args)) if args.window => {
            let report = cli::bench_window(&args)?;
            print_report(&report, args.json, report.to_table())
        }
        Some(Command::Bench(args)) if args.toy_only => {
            let report = cli::bench_toy(&args)?;
            print_report(&report, args.json, report.to_table())
        }
        Some(Command::Bench(args)) => {
            let report = cli::bench(&args)?;
            print_report(&report, args.json, report.to_table())
        }
        Some(Command::Soak(args)) => {
            let report = cli::soak(&args)?;
            print_report(&report, args.json, report.to_table())?;
            if report.problems.is_empty() {
                Ok(())
            } else {
                Err(cli::CliError::Usage(format!(
                    "the soak run was not quiet: {}",
                    report.problems.join("; ")
                )))
            }
        }
        Some(Command::BenchFirstFrame { device }) => {
            let device = cli::device_choice(&device)?;
            diffusion_playground::bench::first_frame_child(device)
                .map_err(|e| cli::CliError::Usage(e.to_string()))
        }
        Some(Command::Elbo(args)) => {
            let report = cli::elbo(&args)?;
            print_report(&report, args.json, report.to_table())
        }
        Some(Command::Likelihood(args)) => {
            let report = cli::likelihood(&args)?;
            print_report(&report, args.json, report.to_table())
        }
        Some(Command::Nll(args)) => {
            let report = cli::nll(&args)?;
            print_report(&report, args.json, report.to_table())
        }
        Some(Command::Guidance(args)) => {
            let report = cli::guidance(&args)?;
            print_report(&report, args.json, report.to_table())
        }
        Some(Command::Toy(args)) => {
            let report = cli::toy(&args)?;
            print_report(&report, args.json, report.to_table())
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
