//! Every output of a finished run, in one place, as hyperfine's `export`.
//!
//! Each output is an [`Exporter`]: it gets a finished run and writes bytes,
//! and decides nothing else. A demo run is a [`Finished`] (its summary,
//! events and thread parks); a `compare` is its table's rows. Where the
//! bytes go is settled once: the run's own output (stdout, or stderr when
//! a picture or the trace has stdout to itself) for the summary, and a
//! [`Target`] for each file, created before the run by [`create`] so that
//! a bad path fails at once, with `-` meaning stdout.
//!
//! One room per output: [`summary`] (text, JSON, NDJSON and the
//! `--timeline` picture, into the run's own output), [`table`] (the
//! `compare` table), [`svg`] (the `--svg` picture) and [`png`] (the same
//! picture rasterised, `--png`, by `crate::png`). The `--trace` file
//! is written during the run (see `report::trace::Stream`); only its
//! creation is here.

pub(crate) mod png;
pub(crate) mod summary;
pub(crate) mod svg;
pub(crate) mod table;

use crate::cli::TableFormat;
use crate::config::Term;
use crate::config::{self, Config};
use crate::interrupt::Signal;
use crate::report::Summary;
use crate::report::compare::Row;
use crate::vocab::{Event, Format, Park};
use anyhow::Context;
use std::fs::File;
use std::io::{self, Write};
use std::path::Path;
use std::sync::{Mutex, PoisonError};

/// A finished demo run, as every output of a [`Single`] run reads it.
pub(crate) struct Finished<'a> {
    /// What it measured.
    pub(crate) summary: &'a Summary,
    /// Its task lines, when it recorded them (`--timeline`, `--svg`).
    pub(crate) events: &'a [Event],
    /// Its runtime threads' parks and wake-ups, recorded with the events.
    pub(crate) parks: &'a [Park],
    /// The signal that stopped it, if one did.
    pub(crate) signal: Option<Signal>,
}

/// What kind of run finished, and so what the outputs read.
pub(crate) trait Kind {
    /// The finished run, as the outputs get it.
    type Run<'a>: ?Sized;
}

/// A demo run: its outputs read a [`Finished`].
pub(crate) enum Single {}

impl Kind for Single {
    type Run<'a> = Finished<'a>;
}

/// A `compare`: its outputs read the table's rows.
pub(crate) enum Compared {}

impl Kind for Compared {
    type Run<'a> = [Row];
}

/// One output of a finished run of kind `K`.
pub(crate) trait Exporter<K: Kind>: Send + Sync {
    /// Writes `run` into `out`. Errors are the writer's; the caller names
    /// the destination.
    fn write(&self, out: &mut dyn Write, run: &K::Run<'_>) -> io::Result<()>;
}

/// Where a file output goes: a file created before the run, or stdout.
pub(crate) struct Target {
    /// The destination, unbuffered: each output buffers as it needs.
    pub(crate) out: Box<dyn Write + Send>,
    /// What to call it in an error: `writing SVG file 'run.svg'`.
    pub(crate) what: String,
}

/// Creates the `kind` file (`SVG`, `trace`) at `path`, or takes stdout for
/// `-`, as most command-line tools do. The error names the file.
pub(crate) fn create(path: &Path, kind: &str) -> anyhow::Result<Target> {
    let out: Box<dyn Write + Send> = if config::is_stdout(path) {
        Box::new(io::stdout())
    } else {
        let file = File::create(path)
            .with_context(|| format!("creating {kind} file '{}'", path.display()))?;
        Box::new(file)
    };
    Ok(Target {
        out,
        what: format!("writing {kind} file '{}'", path.display()),
    })
}

/// The outputs of one run: what goes into its own output, and the files.
pub(crate) struct Exports<K: Kind> {
    /// Written, in order, into the run's own output after its task lines.
    main: Vec<Box<dyn Exporter<K>>>,
    /// Each file output with its destination, taken by the one conclusion.
    files: Mutex<Vec<FileExport<K>>>,
}

/// A file output: what it writes, and where.
struct FileExport<K: Kind> {
    exporter: Box<dyn Exporter<K>>,
    target: Target,
}

impl<K: Kind> Exports<K> {
    /// No outputs yet.
    pub(crate) fn new() -> Exports<K> {
        Exports {
            main: Vec::new(),
            files: Mutex::new(Vec::new()),
        }
    }

    /// Adds an output to the run's own output.
    pub(crate) fn add_main(&mut self, exporter: impl Exporter<K> + 'static) {
        self.main.push(Box::new(exporter));
    }

    /// Adds a file output: `path` is created now ([`create`]).
    pub(crate) fn add_file(
        &self,
        exporter: impl Exporter<K> + 'static,
        path: &Path,
        kind: &str,
    ) -> anyhow::Result<()> {
        self.add_target(exporter, create(path, kind)?);
        Ok(())
    }

    /// Adds a file output whose destination is already open.
    pub(crate) fn add_target(&self, exporter: impl Exporter<K> + 'static, target: Target) {
        self.files
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(FileExport {
                exporter: Box::new(exporter),
                target,
            });
    }

    /// Writes the run's own output into `out` and flushes it: flushed
    /// here, not left to a destructor, because the signal thread ends the
    /// process with `exit`, which runs no destructors, and an error must be
    /// reported rather than lost.
    pub(crate) fn write_main(&self, out: &mut dyn Write, run: &K::Run<'_>) -> anyhow::Result<()> {
        let written: io::Result<()> = (|| {
            for exporter in &self.main {
                exporter.write(out, run)?;
            }
            out.flush()
        })();
        written.context("writing output")
    }

    /// Writes every file output, once: a second call writes nothing.
    pub(crate) fn write_files(&self, run: &K::Run<'_>) -> anyhow::Result<()> {
        let files = std::mem::take(&mut *self.files.lock().unwrap_or_else(PoisonError::into_inner));
        for FileExport {
            exporter,
            target: Target { out, what },
        } in files
        {
            let mut out = io::BufWriter::new(out);
            exporter
                .write(&mut out, run)
                .and_then(|()| out.flush())
                .context(what)?;
        }
        Ok(())
    }
}

impl Exports<Single> {
    /// The outputs of a demo run of `config` into its own output; the files
    /// follow with [`Exports::create_files`].
    pub(crate) fn for_run(config: &Config) -> Exports<Single> {
        let mut exports = Exports::new();
        match config.format {
            Format::Text => {
                if config.timeline {
                    exports.add_main(summary::Timeline(config.term));
                }
                exports.add_main(summary::Text {
                    color: config.term.color,
                });
            }
            Format::Json => exports.add_main(summary::Json),
            Format::Ndjson => exports.add_main(summary::Ndjson),
        }
        exports
    }

    /// Creates the files `config` asks for (`--svg`), before the run, so
    /// that a bad path fails at once.
    pub(crate) fn create_files(&self, config: &Config) -> anyhow::Result<()> {
        if let Some(path) = &config.svg {
            self.add_file(svg::Svg, path, "SVG")?;
        }
        if let Some(path) = &config.png {
            self.add_file(png::Png, path, "PNG")?;
        }
        Ok(())
    }
}

impl Exports<Compared> {
    /// The outputs of a `compare`: the table in `format` on stdout, and the
    /// `--svg` picture, its file created now.
    pub(crate) fn for_compare(
        format: TableFormat,
        term: Term,
        svg: Option<&Path>,
        png: Option<&Path>,
    ) -> anyhow::Result<Exports<Compared>> {
        let mut exports = Exports::new();
        match format {
            TableFormat::Text => exports.add_main(table::Text(term)),
            TableFormat::Markdown => exports.add_main(table::Markdown),
            TableFormat::Json => exports.add_main(table::Json),
        }
        if let Some(path) = svg {
            exports.add_file(svg::Svg, path, "SVG")?;
        }
        if let Some(path) = png {
            exports.add_file(png::Png, path, "PNG")?;
        }
        Ok(exports)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::outcome::Outcome;
    use crate::report::test_config;
    use crate::sink::tests::Captured;
    use std::time::Duration;

    /// An output that writes one word.
    struct Word(&'static str);

    impl Exporter<Single> for Word {
        fn write(&self, out: &mut dyn Write, _run: &Finished) -> io::Result<()> {
            out.write_all(self.0.as_bytes())
        }
    }

    /// A finished run of `summary` that recorded nothing.
    fn finished(summary: &Summary) -> Finished<'_> {
        Finished {
            summary,
            events: &[],
            parks: &[],
            signal: None,
        }
    }

    fn summary() -> Summary {
        let config = test_config(2, Duration::from_millis(10), vec![]);
        Summary::new(&config, Outcome::default(), None)
    }

    #[test]
    fn the_main_outputs_follow_each_other_and_each_file_is_written_once() {
        let summary = summary();
        let run = finished(&summary);
        let mut exports = Exports::<Single>::new();
        exports.add_main(Word("one "));
        exports.add_main(Word("two"));
        let file = Captured::default();
        exports.files.get_mut().unwrap().push(FileExport {
            exporter: Box::new(Word("picture")),
            target: Target {
                out: Box::new(file.clone()),
                what: "writing test file 'x'".into(),
            },
        });
        let mut main = Vec::new();
        exports.write_main(&mut main, &run).unwrap();
        assert_eq!(main, b"one two");
        exports.write_files(&run).unwrap();
        // A second conclusion (there is none, but if there were) writes no
        // second picture into the same file.
        exports.write_files(&run).unwrap();
        assert_eq!(file.text(), "picture");
    }

    #[test]
    fn a_file_error_names_the_file() {
        let dir = std::env::temp_dir().join("asyncdemo-no-such-dir-for-export");
        let err = create(&dir.join("run.svg"), "SVG").err().unwrap();
        assert!(
            format!("{err:#}").starts_with("creating SVG file '"),
            "{err:#}"
        );
        assert!(create(Path::new("-"), "SVG").is_ok());
    }

    #[test]
    fn the_svg_text_is_what_the_svg_output_writes() {
        let summary = summary();
        let run = finished(&summary);
        let text = svg::Svg.render::<Single>(&run).unwrap();
        let mut written = Vec::new();
        Exporter::<Single>::write(&svg::Svg, &mut written, &run).unwrap();
        assert!(
            text.starts_with("<svg") || text.starts_with("<?xml"),
            "{text}"
        );
        assert_eq!(text.as_bytes(), written);
    }
}
