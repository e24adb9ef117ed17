//! `asyncdemo compare`: the same demo once per way of running it, one row
//! each, so the lesson reads off a single table.
//!
//! Each way is an ordinary run (the same [`run::execute`] a demo uses) whose
//! task lines go nowhere; only its summary is kept for the table.

use crate::cli::{CompareArgs, TableFormat};
use crate::config::{Config, Way};
use crate::interrupt;
use crate::report::Summary;
use crate::report::compare::{self, WAYS};
use crate::run;
use crate::sink::Sink;
use crate::vocab::{ExitCode, Live, Outcome, Term};
use anyhow::Context;
use std::io::{self, Write};
use std::sync::Arc;

/// Runs every way and prints the table.
pub(crate) fn compare(args: CompareArgs, term: Term) -> anyhow::Result<ExitCode> {
    // A run in progress may be blocked in `std::thread::sleep`; as for a
    // demo, the signal is handled on its own thread, which ends the program.
    interrupt::on_signal(|signal| {
        let _ = writeln!(io::stderr(), "asyncdemo compare {}", signal.verb());
        std::process::exit(signal.exit_code().code().into());
    })?;

    let mut rows = Vec::with_capacity(WAYS.len());
    let mut failed = false;
    for way in WAYS {
        let way_config = Way::with_defaults(way.mode, way.runtime, way.spawn);
        let config = Config::of_way(args.demo, &args.workload, way_config);
        // The label comes from an empty summary of the run about to start,
        // so the progress line and the table row describe it the same way.
        let label = compare::describe(&Summary::new(&config, Outcome::default(), None));
        if args.format == TableFormat::Text {
            // On stderr, so that stdout holds only the table.
            let _ = writeln!(io::stderr(), "running {label} ...");
        }
        let sink = Arc::new(Sink::new(
            Box::new(io::sink()),
            config.demo,
            Live::Silent,
            false,
        ));
        match run::execute(&config, &sink) {
            Ok(outcome) => rows.push((Summary::new(&config, outcome, None), way.why(args.demo))),
            // One way failing (the OS refusing threads, say) still leaves
            // the others worth showing.
            Err(err) => {
                let _ = writeln!(io::stderr(), "error: {label}: {err:#}");
                failed = true;
            }
        }
    }

    let mut out = io::stdout().lock();
    match args.format {
        TableFormat::Text => compare::write_text(&mut out, &rows, term.color),
        TableFormat::Markdown => compare::write_markdown(&mut out, &rows),
        TableFormat::Json => compare::write_json(&mut out, &rows),
    }
    .and_then(|()| out.flush())
    .context("writing output")?;
    Ok(if failed {
        ExitCode::Error
    } else {
        ExitCode::Success
    })
}
