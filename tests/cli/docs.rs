//! The docs are tested: every ```console block in README.md and docs/*.md
//! is run, and its output compared with the text; and every `--option` they
//! name must be one the program accepts.
//!
//! A block is a list of `$ command` lines, each followed by the output it
//! prints (stdout and stderr together, in the order a terminal shows them).
//! `$ echo $?` checks the previous command's exit code. Timing digits
//! differ from run to run, so both sides are normalised first: every number
//! becomes `N`, a run of one glyph (`~~~`, `###`, `...`) becomes one glyph,
//! a thread lane (`x___x_x`, `HHH`) becomes one `x`, a timeline row's "ready,
//! waiting for the thread" marks (`.`) are dropped, a timeline's axis and
//! its tick labels become `+-` and `Ns`, and runs of spaces
//! become one space. Words, options, line counts and the
//! shape of tables and timelines must still match. Blocks that cannot be
//! rerun as they are (Ctrl-C, output whose order varies) are fenced as
//! ```text instead and are not run.

use std::path::{Path, PathBuf};
use std::process::Command;

#[derive(Debug)]
struct Step {
    command: String,
    expected: Vec<String>,
}

/// The ```console blocks of a markdown file, as steps.
fn console_blocks(markdown: &str) -> Vec<Vec<Step>> {
    let mut blocks = Vec::new();
    let mut lines = markdown.lines();
    while let Some(line) = lines.next() {
        if line.trim() != "```console" {
            continue;
        }
        let mut steps: Vec<Step> = Vec::new();
        for line in lines.by_ref() {
            if line.trim() == "```" {
                break;
            }
            match line.strip_prefix("$ ") {
                Some(command) => steps.push(Step {
                    command: command.to_owned(),
                    expected: Vec::new(),
                }),
                None => steps
                    .last_mut()
                    .expect("a console block starts with a `$ ` command")
                    .expected
                    .push(line.to_owned()),
            }
        }
        blocks.push(steps);
    }
    blocks
}

/// `line` without the runs of `glyph` at most `short` long.
fn drop_short_runs(line: &str, glyph: char, short: usize) -> String {
    let mut out = String::new();
    let mut run = 0;
    for c in line.chars().chain(std::iter::once('\n')) {
        if c == glyph {
            run += 1;
            continue;
        }
        if run > short {
            out.extend(std::iter::repeat_n(glyph, run));
        }
        run = 0;
        if c != '\n' {
            out.push(c);
        }
    }
    out
}

/// Numbers to `N`, glyph runs to one glyph, space runs to one space.
fn normalise(line: &str) -> String {
    // In a timeline's task row, a busy machine can hand a task its thread a
    // moment after its wait ends, which draws a few `.` marks that a quiet
    // machine does not: the rest of the row still has to match.
    let row = line
        .strip_prefix("task ")
        .and_then(|rest| rest.split_once(char::is_whitespace))
        .is_some_and(|(number, marks)| {
            number.chars().all(|c| c.is_ascii_digit())
                && marks.chars().all(|c| "o*~#=.,^x ".contains(c))
        });
    // So can a poll long enough to fill a column (`x`: the task's own code
    // runs), such as a first `spawn_blocking` that starts a pool thread.
    // Likewise a loaded machine starts the blocking pool's first threads
    // late, which draws a short run of `,` (queued for a pool thread)
    // before a call that a quiet machine starts at once; a queue of a
    // column or three is dropped, a real one (a pool too small for the
    // tasks: a whole wait long) stays.
    let line: String = if row {
        drop_short_runs(
            &line
                .chars()
                .filter(|&c| c != '.' && c != 'x')
                .collect::<String>(),
            ',',
            3,
        )
    } else {
        line.to_owned()
    };
    let mut out = String::new();
    let mut chars = line.trim_end().chars().peekable();
    while let Some(c) = chars.next() {
        if c.is_ascii_digit() {
            while chars
                .peek()
                .is_some_and(|n| n.is_ascii_digit() || *n == '.' || *n == ',')
            {
                chars.next();
            }
            out.push('N');
        } else if "x_H".contains(c) {
            // A runtime thread's lane (running, parked, held): when it
            // wakes up, and how often, is the scheduler's business, so
            // only the lane's presence is compared.
            while chars.peek().is_some_and(|n| "x_H".contains(*n)) {
                chars.next();
            }
            out.push('x');
        } else if "~#=-+ .,^".contains(c) {
            while chars.peek() == Some(&c) {
                chars.next();
            }
            out.push(c);
        } else {
            out.push(c);
        }
    }
    // A timeline's axis: its ticks sit at round times (0.1 s, 0.2 s …), so
    // how many fit, and whether the axis runs a little past the last one,
    // depends on the elapsed time. Only the axis's presence is compared.
    if !out.trim().is_empty() && out.trim().chars().all(|c| "+- ".contains(c)) {
        return "+-".to_owned();
    }
    if out.split_whitespace().count() > 1 && out.split_whitespace().all(|t| t == "Ns") {
        return "Ns".to_owned();
    }
    out
}

/// A narrated transcript (`--explain`) as the stories it tells, each
/// normalised: the demo's own lines in order, each task's narration in
/// order with the demo lines printed in its turns, and the rest (who polls,
/// the end) in order, without the thread's parks and wake-ups.
///
/// Why not the lines as they come: tokio's timer wheel counts whole
/// milliseconds, so two sleeps begun 0.05 ms apart usually fall due in the
/// same tick and are woken together after one park; but when a millisecond
/// boundary falls between them, task 1 is woken and finishes alone, and the
/// thread parks once more before task 2 is woken. Both are true narrations
/// of the same run, and they tell each task's story the same.
fn stories(lines: &[String]) -> Vec<Vec<String>> {
    let mut demo = Vec::new();
    let mut rest = Vec::new();
    let mut tasks: std::collections::BTreeMap<u64, Vec<String>> = Default::default();
    let mut last = None;
    for line in lines {
        let Some(told) = line.trim_start().strip_prefix("│ ") else {
            // A demo line is part of the story of the task narrated just
            // before it (the one that printed it), and of the demo's order.
            demo.push(normalise(line));
            if let Some(story) = last.and_then(|task| tasks.get_mut(&task)) {
                story.push(normalise(line));
            }
            continue;
        };
        // The task a line is about: the number after its first "task ".
        let task = told.split_once("task ").and_then(|(_, after)| {
            let digits: String = after.chars().take_while(char::is_ascii_digit).collect();
            digits.parse::<u64>().ok()
        });
        match task {
            Some(task) => {
                tasks.entry(task).or_default().push(normalise(line));
                last = Some(task);
            }
            None if told.starts_with("thread ")
                && (told.contains(" parks") || told.contains(" wakes up")) => {}
            None => rest.push(normalise(line)),
        }
    }
    let mut out = vec![demo, rest];
    out.extend(tasks.into_values());
    out
}

fn run_block(file: &Path, steps: &[Step], scratch: &Path) -> Result<(), String> {
    let binary = PathBuf::from(env!("CARGO_BIN_EXE_asyncdemo"));
    let path = format!(
        "{}:{}",
        binary.parent().unwrap().display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let mut last_code = None;
    for step in steps {
        let (got, code) = if step.command == "echo $?" {
            (
                vec![format!("{}", last_code.expect("`echo $?` after a command"))],
                0,
            )
        } else {
            let output = Command::new("sh")
                .arg("-c")
                .arg(format!("{} 2>&1", step.command))
                .env("PATH", &path)
                .env_remove("NO_COLOR")
                // The transcripts show a pipe without a width or forced
                // colour, whatever the shell running the tests exports.
                .env_remove("COLUMNS")
                .env_remove("CLICOLOR_FORCE")
                .current_dir(scratch)
                .output()
                .map_err(|e| e.to_string())?;
            let text = String::from_utf8_lossy(&output.stdout).into_owned();
            (
                text.lines().map(str::to_owned).collect(),
                output.status.code().unwrap_or(-1),
            )
        };
        last_code = Some(code);
        // A blank line may separate one command's output from the next `$`.
        let mut expected = step.expected.as_slice();
        while expected.last().is_some_and(|l| l.trim().is_empty()) {
            expected = &expected[..expected.len() - 1];
        }
        let want: Vec<String> = expected.iter().map(|l| normalise(l)).collect();
        let have: Vec<String> = got.iter().map(|l| normalise(l)).collect();
        let same = want == have
            || (step.command.contains("--explain") && stories(expected) == stories(&got));
        if !same {
            return Err(format!(
                "{}: `$ {}` printed\n{}\n-- but the docs say --\n{}",
                file.display(),
                step.command,
                got.join("\n"),
                step.expected.join("\n")
            ));
        }
    }
    Ok(())
}

/// Taken by a block that runs again after differing, so that retries run
/// one at a time.
static RETRIES: std::sync::Mutex<()> = std::sync::Mutex::new(());

#[test]
fn documented_transcripts_match_the_tool() {
    let files = markdown_files();
    // The commands run here, so files they write (`--svg x.svg`) land in a
    // directory that is removed when the test ends, pass or fail.
    let scratch = tempfile::tempdir().unwrap();
    let scratch = scratch.path();

    // Blocks run in parallel: most of their time is the demos' sleeping.
    let mut count = 0;
    let failures: Vec<String> = std::thread::scope(|scope| {
        let mut handles = Vec::new();
        for (file, text) in &files {
            for steps in console_blocks(text) {
                count += 1;
                // A build without the `http` feature has no fetch or serve
                // to show.
                let http = steps.iter().any(|s| {
                    s.command.contains("asyncdemo fetch")
                        || s.command.contains("asyncdemo serve")
                        || s.command.contains("compare fetch")
                });
                if http && !cfg!(feature = "http") {
                    continue;
                }
                // Nor one without `db` a query.
                let db = steps.iter().any(|s| {
                    s.command.contains("asyncdemo query") || s.command.contains("compare query")
                });
                if db && !cfg!(feature = "db") {
                    continue;
                }
                handles.push(scope.spawn(move || {
                    // Every block runs at once, so the first try is on a
                    // busy machine: a picture's columns can drift with
                    // that load alone. A block that differs is run again
                    // by itself, and fails only if it differs every time.
                    let mut result = run_block(file, &steps, scratch);
                    for _ in 0..2 {
                        if result.is_ok() {
                            break;
                        }
                        let _alone = RETRIES.lock().unwrap_or_else(|e| e.into_inner());
                        result = run_block(file, &steps, scratch);
                    }
                    result
                }));
            }
        }
        handles
            .into_iter()
            .filter_map(|h| h.join().unwrap().err())
            .collect()
    });
    assert!(
        count >= 10,
        "only {count} console blocks found: were they renamed?"
    );
    assert!(failures.is_empty(), "\n{}", failures.join("\n\n"));
}

#[test]
fn normalising_keeps_words_and_shape_but_not_timings() {
    assert_eq!(
        normalise("asyncdemo count executed in 1.00 seconds."),
        normalise("asyncdemo count executed in 3.02 seconds.")
    );
    assert_eq!(normalise("task 1  o#####*   "), "task N o#*");
    assert_ne!(normalise("One"), normalise("Two"));
    assert_eq!(normalise("… 99,990 more tasks"), "… N more tasks");
    assert_eq!(
        normalise("runtime thread  x_____x_x"),
        normalise("runtime thread  xx______x")
    );
    assert_eq!(
        normalise("task 2  ......o####*"),
        normalise("task 2  .....o###..*")
    );
    assert_ne!(normalise("task 2  o####*"), normalise("task 2  o~~~~*"));
    // A pool thread started a few columns late is load; a queue a whole
    // wait long is the picture's point.
    assert_eq!(
        normalise("task 1  o,,=====*"),
        normalise("task 1  o=======*")
    );
    assert_eq!(
        normalise("task 1  oxx=====*"),
        normalise("task 1  ..o=====*")
    );
    assert_ne!(
        normalise("task 3  o,,,,,,,,=====*"),
        normalise("task 3  o=============*")
    );
    assert_ne!(normalise("Hello ..."), normalise("Hello"));
}

#[test]
fn a_narration_may_group_the_timer_ticks_either_way_but_not_change_a_story() {
    // README's narration: both timers due in one tick, so one park, both
    // tasks woken, then both polled.
    let readme =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md")).unwrap();
    let block = console_blocks(&readme)
        .into_iter()
        .flatten()
        .find(|s| s.command == "asyncdemo count -n 2 --explain")
        .expect("README narrates `count -n 2`");
    let together: Vec<String> = block
        .expected
        .into_iter()
        .filter(|l| !l.trim().is_empty())
        .collect();
    // A real run of the same command in which a millisecond boundary fell
    // between the two sleeps: task 1 is woken and finishes alone, and the
    // thread parks again before task 2 is woken.
    let apart: Vec<String> = include_str!("fixtures/explain-timers-a-tick-apart.txt")
        .lines()
        .map(str::to_owned)
        .collect();
    assert_ne!(
        together.iter().map(|l| normalise(l)).collect::<Vec<_>>(),
        apart.iter().map(|l| normalise(l)).collect::<Vec<_>>()
    );
    assert_eq!(stories(&together), stories(&apart));

    let woken = |lines: &[String], task| {
        lines
            .iter()
            .position(|l| l.contains(&format!("task {task} is woken")))
            .unwrap()
    };
    let polled_again = |lines: &[String], task| {
        lines
            .iter()
            .position(|l| l.contains(&format!("polls task {task} again")))
            .unwrap()
    };
    // A task polled again before it is woken is another story.
    let mut swapped = together.clone();
    swapped.swap(woken(&together, 1), polled_again(&together, 1));
    assert_ne!(stories(&together), stories(&swapped));
    // So is a demo line printed in another task's turn.
    let mut moved = together.clone();
    let first_two = together.iter().position(|l| l == "Two").unwrap();
    moved.swap(first_two, polled_again(&together, 2));
    assert_ne!(stories(&together), stories(&moved));
    // And a word changed.
    let mut reworded = together.clone();
    let pending = together
        .iter()
        .position(|l| l.contains("Pending after"))
        .unwrap();
    reworded[pending] = reworded[pending].replace("Pending", "Ready");
    assert_ne!(stories(&together), stories(&reworded));
}

/// README.md and docs/*.md, with their paths.
fn markdown_files() -> Vec<(PathBuf, String)> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = vec![root.join("README.md")];
    for entry in std::fs::read_dir(root.join("docs")).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "md") {
            files.push(path);
        }
    }
    files.sort();
    files
        .into_iter()
        .map(|path| {
            let text = std::fs::read_to_string(&path).unwrap();
            (path, text)
        })
        .collect()
}

/// The `--word` tokens of a text, in order: `--` after a start, a space or
/// punctuation, then a letter. `|---|`, `-- --ignored`'s lone `--` and
/// `x--y` are not options.
fn long_options(text: &str) -> Vec<String> {
    let mut found = Vec::new();
    let bytes = text.as_bytes();
    for (at, _) in text.match_indices("--") {
        let before = at.checked_sub(1).map(|i| bytes[i]);
        if before.is_some_and(|b| b.is_ascii_alphanumeric() || b == b'-') {
            continue;
        }
        let name: String = text[at + 2..]
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '-')
            .collect();
        if name.starts_with(|c: char| c.is_ascii_alphabetic()) {
            found.push(format!("--{}", name.trim_end_matches('-')));
        }
    }
    found
}

/// The long options each subcommand accepts (`""`: the program itself), as
/// its `--help` lists them: the lines that start with an option.
fn accepted_options() -> std::collections::BTreeMap<String, Vec<String>> {
    let help = |args: &[&str]| {
        let output = Command::new(env!("CARGO_BIN_EXE_asyncdemo"))
            .args(args)
            .output()
            .unwrap();
        assert!(output.status.success(), "{args:?}: {output:?}");
        String::from_utf8(output.stdout).unwrap()
    };
    let top = help(&["--help"]);
    // `Commands:` lists each subcommand first on its line, indented by two.
    let subcommands: Vec<String> = top
        .lines()
        .skip_while(|l| *l != "Commands:")
        .skip(1)
        .take_while(|l| !l.is_empty())
        .filter(|l| l.starts_with("  ") && !l.starts_with("   "))
        .filter_map(|l| l.split_whitespace().next())
        .filter(|name| *name != "help")
        .map(str::to_owned)
        .collect();
    assert!(subcommands.len() >= 5, "{top}");
    let options_in = |help: &str| -> Vec<String> {
        help.lines()
            .map(str::trim_start)
            // `-n, --tasks <N>` or `--blocking`; a possible value's line
            // (`- async: ...`) has a space after its dash.
            .filter(|l| l.starts_with("--") || (l.starts_with('-') && l.as_bytes()[1] != b' '))
            .filter_map(|l| {
                long_options(l.split("  ").next().unwrap())
                    .into_iter()
                    .next()
            })
            .collect()
    };
    let mut accepted = std::collections::BTreeMap::new();
    accepted.insert(String::new(), options_in(&top));
    for sub in subcommands {
        let options = options_in(&help(&[&sub, "--help"]));
        accepted.insert(sub, options);
    }
    accepted
}

/// Options of other programs that the docs name, each with the program
/// that must be named in the same paragraph: anywhere else, the option
/// would be a mistake for one of asyncdemo's.
const OTHER_PROGRAMS_OPTIONS: &[(&str, &str)] = &[
    ("cargo", "--release"),
    ("cargo", "--path"),
    ("cargo", "--no-default-features"),
    ("cargo", "--ignored"),
    ("cargo", "--example"),
    ("cargo", "--profile"),
    ("cargo", "--features"),
    ("RUSTFLAGS", "--cfg"),
    ("bench/fetch.py", "--resident"),
];

/// Every `--option` that README.md and docs/*.md name is one the program
/// accepts, read from the program's own `--help`. Where a command is shown
/// (`asyncdemo fetch ... --url ...`, in code), each option must belong to
/// that subcommand. Another program's option is allowed only in a
/// paragraph that names that program.
#[test]
fn every_option_the_docs_name_is_one_the_program_accepts() {
    let accepted = accepted_options();
    let any: Vec<&String> = accepted.values().flatten().collect();
    let mut wrong = Vec::new();
    let mut checked = 0;
    for (path, text) in markdown_files() {
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        // Paragraphs: text between blank lines (a code block counts as one).
        for paragraph in text.split("\n\n") {
            for option in long_options(paragraph) {
                checked += 1;
                let foreign = OTHER_PROGRAMS_OPTIONS
                    .iter()
                    .any(|(program, o)| *o == option && paragraph.contains(program));
                if !any.contains(&&option) && !foreign {
                    wrong.push(format!("{name}: {option} is no option of asyncdemo"));
                }
            }
        }
        // Commands shown in code: a fenced block's lines, an inline span.
        let mut fenced = false;
        for line in text.lines() {
            if line.trim_start().starts_with("```") {
                fenced = !fenced;
                continue;
            }
            let spans: Vec<&str> = if fenced {
                vec![line]
            } else {
                line.split('`').skip(1).step_by(2).collect()
            };
            for span in spans {
                for (at, _) in span.match_indices("asyncdemo ") {
                    // The command ends where the shell starts another.
                    let command = span[at..].split(['|', ';', '>', ')']).next().unwrap();
                    let mut words = command.split_whitespace().skip(1);
                    let Some(options) = words.next().and_then(|sub| accepted.get(sub)) else {
                        continue;
                    };
                    for option in long_options(command) {
                        if !options.contains(&option) && !accepted[""].contains(&option) {
                            wrong.push(format!("{name}: `{}` takes no {option}", command.trim()));
                        }
                    }
                }
            }
        }
    }
    assert!(checked > 50, "only {checked} options found in the docs");
    assert!(wrong.is_empty(), "\n{}", wrong.join("\n"));
}

#[test]
fn long_options_are_read_like_a_shell_reads_them() {
    assert_eq!(
        long_options("`-n, --tasks <N>` and --slow-poll[=X], --max-elapsed=1s"),
        ["--tasks", "--slow-poll", "--max-elapsed"]
    );
    assert!(long_options("|---|---| x--y -- `--` ---").is_empty());
    assert_eq!(long_options("cargo test -- --ignored"), ["--ignored"]);
}

/// The README's completion install lines work on a fresh account, where
/// none of the directories exists yet: each is run with an empty `HOME`.
#[test]
fn the_completion_install_lines_work_in_an_empty_home() {
    let readme =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md")).unwrap();
    let binary = PathBuf::from(env!("CARGO_BIN_EXE_asyncdemo"));
    let path = format!(
        "{}:{}",
        binary.parent().unwrap().display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let mut ran = 0;
    for shell in ["bash", "zsh", "fish"] {
        let row = readme
            .lines()
            .find(|l| l.starts_with(&format!("| {shell} | `")))
            .unwrap_or_else(|| panic!("no install row for {shell}"));
        // The install command: the first `code` of the row.
        let line = row.split('`').nth(1).unwrap();
        let home = tempfile::tempdir().unwrap();
        let status = Command::new("sh")
            .arg("-c")
            .arg(line)
            .env("HOME", home.path())
            .env("PATH", &path)
            .status()
            .unwrap();
        assert!(
            status.success(),
            "{shell}: `{line}` failed in an empty HOME"
        );
        // The script is where the line said it would be, and whole.
        let target = line
            .rsplit("> ")
            .next()
            .unwrap()
            .replace('~', &home.path().display().to_string());
        let script = std::fs::read_to_string(&target).unwrap_or_else(|e| panic!("{target}: {e}"));
        assert!(script.len() > 1000, "{target}");
        ran += 1;
    }
    assert_eq!(ran, 3);
}

/// Both exit-code tables (the README's and the man page's EXIT STATUS)
/// count the lock demo's deadlock under exit code 1, as the program does.
#[test]
fn the_exit_code_tables_name_the_lock_deadlock() {
    let readme =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md")).unwrap();
    let row = readme.lines().find(|l| l.starts_with("| 1 |")).unwrap();
    assert!(row.contains("`lock` demo deadlocked"), "{row}");
    let page = crate::common::stdout_of(&["man"]);
    let status = page
        .split(".SH \"EXIT STATUS\"")
        .nth(1)
        .or_else(|| page.split(".SH EXIT STATUS").nth(1))
        .unwrap();
    let one = status
        .split(".TP")
        .find(|entry| entry.contains("\\fB1\\fR"))
        .unwrap_or_else(|| panic!("{status}"));
    assert!(one.contains("deadlocked"), "{one}");
    // And the program does exit 1 on it.
    crate::common::asyncdemo(&["lock", "-n", "2", "-d", "50ms", "-q"])
        .assert()
        .code(1);
    // A failed query too: both tables say so, and the program does it.
    assert!(row.contains("`query` task failed"), "{row}");
    assert!(one.contains("a query"), "{one}");
    if cfg!(not(feature = "db")) {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let not_a_database = dir.path().join("notes.txt");
    std::fs::write(&not_a_database, "not a database\n").unwrap();
    let db = format!("sqlite:{}", not_a_database.display());
    crate::common::asyncdemo(&["query", "-n", "1", "-d", "10ms", "--db", &db, "-q"])
        .assert()
        .code(1);
}
