//! Black-box tests of `query` against a real PostgreSQL: a throwaway
//! server per test, in a temporary directory, listening only on a Unix
//! socket there, stopped when the test ends, pass or fail ([`Server`]'s
//! Drop). Each server starts from a copy of one data directory that
//! initdb made once for the whole test process ([`template`]). Where no
//! server can be had (no PostgreSQL installed, or not allowed to run it),
//! each test says so on stderr and passes without checking anything.

use crate::common::*;
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

/// A PostgreSQL server of the test's own.
pub(crate) struct Server {
    /// Its directory: the data, the log and the socket. Owned by the
    /// `postgres` user when the tests run as root (initdb refuses root).
    dir: tempfile::TempDir,
    /// Where initdb, pg_ctl and psql are.
    bin: PathBuf,
    /// Whether its commands run as `postgres` (the tests run as root).
    as_postgres: bool,
}

impl Server {
    /// Starts a server that allows `max_connections` connections, or says
    /// why it cannot and returns `None`.
    pub(crate) fn start(test: &str, max_connections: u32) -> Option<Server> {
        let skip = |why: &str| {
            eprintln!("skipping {test}: {why}");
            None
        };
        let Some(bin) = bindir() else {
            return skip("no PostgreSQL server binaries (initdb, pg_ctl) found");
        };
        let as_postgres = unsafe_is_root();
        if as_postgres && !runs(Command::new("id").arg("postgres")) {
            return skip("running as root, and there is no `postgres` user to run initdb as");
        }
        // Short: a Unix socket's path has room for about 100 bytes.
        let dir = tempfile::Builder::new()
            .prefix("adpg")
            .tempdir_in("/tmp")
            .ok()?;
        if as_postgres && !runs(Command::new("chown").arg("postgres").arg(dir.path())) {
            return skip("could not give the temporary directory to `postgres`");
        }
        let Some(template) = template(&bin, as_postgres) else {
            return skip("initdb failed");
        };
        let server = Server {
            dir,
            bin,
            as_postgres,
        };
        let data = server.dir.path().join("data");
        // A copy keeps the owner (`postgres`, when root copies) and the
        // modes the server insists on.
        if !runs(Command::new("cp").arg("-a").arg(template).arg(&data)) {
            return skip("could not copy the template data directory");
        }
        let options = format!(
            "-k {} -c listen_addresses= -c max_connections={max_connections} -c fsync=off",
            server.dir.path().display()
        );
        let started = server
            .command("pg_ctl")
            .arg("-D")
            .arg(&data)
            .arg("-l")
            .arg(server.dir.path().join("log"))
            .args(["-o", &options, "-w", "-t", "60", "start"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
        if !started.is_ok_and(|s| s.success()) {
            let log = std::fs::read_to_string(server.dir.path().join("log")).unwrap_or_default();
            eprintln!("{log}");
            return skip("pg_ctl could not start the server");
        }
        server.psql("CREATE ROLE withpass LOGIN PASSWORD 'right'");
        Some(server)
    }

    /// A command of the server's binaries, run as its owner.
    fn command(&self, name: &str) -> Command {
        server_command(&self.bin, self.as_postgres, name)
    }

    /// The socket directory.
    pub(crate) fn socket_dir(&self) -> &Path {
        self.dir.path()
    }

    /// `--db` for `user`, in the key=value form, plus `extra`.
    pub(crate) fn db(&self, user: &str, extra: &str) -> String {
        format!(
            "host={} user={user} dbname=postgres {extra}",
            self.socket_dir().display()
        )
        .trim_end()
        .to_owned()
    }

    /// Runs `sql` with psql as the superuser; returns its output, unaligned.
    pub(crate) fn psql(&self, sql: &str) -> String {
        let output = Command::new(self.bin.join("psql"))
            .arg("-h")
            .arg(self.socket_dir())
            .args(["-U", "postgres", "-d", "postgres", "-At", "-c", sql])
            .output()
            .unwrap();
        assert!(
            output.status.success(),
            "psql {sql}: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        String::from_utf8(output.stdout).unwrap().trim().to_owned()
    }

    /// How many `pg_sleep` queries of asyncdemo's the server runs now.
    pub(crate) fn sleeping(&self) -> usize {
        self.psql(
            "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'asyncdemo' \
             AND state = 'active' AND query LIKE '%pg_sleep%'",
        )
        .parse()
        .unwrap()
    }

    /// Stops the server at once, as a crash would.
    pub(crate) fn kill(&self) {
        let _ = self
            .command("pg_ctl")
            .arg("-D")
            .arg(self.dir.path().join("data"))
            .args(["-m", "immediate", "-w", "stop"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.kill();
    }
}

/// The PostgreSQL program `name` in `bin`, run as `postgres` when the
/// tests run as root.
fn server_command(bin: &Path, as_postgres: bool, name: &str) -> Command {
    let program = bin.join(name);
    if as_postgres {
        let mut command = Command::new("runuser");
        command.args(["-u", "postgres", "--"]).arg(program);
        command
    } else {
        Command::new(program)
    }
}

/// [`template`]'s directory, and its data directory once initdb made it.
struct Template {
    dir: Option<PathBuf>,
    data: Option<PathBuf>,
}

static TEMPLATE: std::sync::OnceLock<Template> = std::sync::OnceLock::new();

/// A data directory made by initdb once per test process (`None` if
/// initdb failed), for each [`Server`] to copy: on a busy machine initdb
/// takes seconds, a copy a moment. It is removed when the process exits,
/// whether the tests passed or not (`atexit`: the test harness ends
/// through `exit` either way).
fn template(bin: &Path, as_postgres: bool) -> Option<&'static Path> {
    extern "C" fn remove_template() {
        if let Some(dir) = TEMPLATE.get().and_then(|t| t.dir.as_ref()) {
            let _ = std::fs::remove_dir_all(dir);
        }
    }
    let made = TEMPLATE.get_or_init(|| {
        let Ok(dir) = tempfile::Builder::new().prefix("adpgt").tempdir_in("/tmp") else {
            return Template {
                dir: None,
                data: None,
            };
        };
        let dir = dir.keep();
        // SAFETY: registers a function without arguments, which reads
        // `TEMPLATE` once it is set (as it is by the time the process exits).
        unsafe { libc::atexit(remove_template) };
        let data = dir.join("data");
        let made = (!as_postgres || runs(Command::new("chown").arg("postgres").arg(&dir)))
            && server_command(bin, as_postgres, "initdb")
                // -N: no fsync of the new files. A throwaway server loses
                // nothing by it, and a loaded machine's initdb takes
                // seconds less.
                .args(["-N", "-A", "trust", "-U", "postgres", "-D"])
                .arg(&data)
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .status()
                .is_ok_and(|s| s.success())
            // One role that needs a password, for the wrong-password test.
            && std::fs::write(
                data.join("pg_hba.conf"),
                "local all withpass scram-sha-256\nlocal all all trust\n",
            )
            .is_ok();
        Template {
            dir: Some(dir),
            data: made.then_some(data),
        }
    });
    made.data.as_deref()
}

/// Where the PostgreSQL server binaries are: `pg_config --bindir`, or the
/// newest /usr/lib/postgresql/*/bin (Debian keeps them off PATH).
fn bindir() -> Option<PathBuf> {
    let has_initdb = |dir: &Path| dir.join("initdb").is_file() && dir.join("pg_ctl").is_file();
    let from_config = Command::new("pg_config")
        .arg("--bindir")
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|o| PathBuf::from(String::from_utf8_lossy(&o.stdout).trim()));
    if let Some(dir) = from_config.filter(|d| has_initdb(d)) {
        return Some(dir);
    }
    let mut dirs: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
        .ok()?
        .filter_map(|e| e.ok().map(|e| e.path().join("bin")))
        .filter(|d| has_initdb(d))
        .collect();
    dirs.sort_by_key(|d| {
        d.parent()
            .and_then(|v| v.file_name())
            .and_then(|v| v.to_str())
            .and_then(|v| v.parse::<u32>().ok())
    });
    dirs.pop()
}

/// Whether the tests run as root (initdb then runs as `postgres`).
fn unsafe_is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
}

/// Whether `command` runs and succeeds, quietly.
fn runs(command: &mut Command) -> bool {
    command
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// `query ARGS -f json --db DB`, whatever its exit code.
fn query_json(db: &str, args: &[&str]) -> JsonRun<Value> {
    let mut all = vec!["query", "--db", db, "-f", "json"];
    all.extend_from_slice(args);
    run_json(&all)
}

/// The failure reasons of a JSON summary.
fn reasons(summary: &Value) -> Vec<String> {
    summary["failures"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["reason"].as_str().unwrap().to_owned())
        .collect()
}

#[test]
fn postgres_overlap_follows_the_connections_and_the_sync_client_is_refused_in_a_coroutine() {
    let Some(server) = Server::start("the PostgreSQL ways", 30) else {
        return;
    };
    let db = server.db("postgres", "");
    // tokio-postgres, a connection per task: three queries at once.
    let run = query_json(&db, &["-n", "3", "-d", "300ms"]).succeeded();
    assert_eq!(run.summary["peak_overlap"], 3, "{}", run.summary);
    // One connection: the server runs its queries in turn, so one at a
    // time is in progress, and the others queued.
    let one = query_json(&db, &["-n", "3", "-d", "200ms", "--connections", "1"]).succeeded();
    assert_eq!(one.summary["peak_overlap"], 1, "{}", one.summary);
    assert!(elapsed(&one.summary) >= 0.6, "{}", one.summary);
    // ... as the task-state model saw it: task 1 never queued, task 3
    // queued behind two whole queries.
    use crate::query::secs_in;
    assert!(secs_in(&one.summary, 1, "queued") < 0.1, "{}", one.summary);
    assert!(
        secs_in(&one.summary, 3, "queued") >= 0.35,
        "{}",
        one.summary
    );
    // `--explain` says at each Pending what the driver observed: task 1's
    // query went to the server on connection 1; tasks 2 and 3 asked while
    // it was busy (lower bounds below: real sleeps).
    let out = stdout_of(&[
        "query",
        "--db",
        &db,
        "-n",
        "3",
        "-d",
        "200ms",
        "--connections",
        "1",
        "--explain",
    ]);
    let told: Vec<&str> = out.lines().filter_map(|l| l.strip_prefix("  │ ")).collect();
    let pending = |task: u32| {
        told.iter()
            .find(|l| l.starts_with(&format!("task {task}'s poll returns Pending")))
            .unwrap_or_else(|| panic!("{out}"))
    };
    // Task 1's first Pendings are its connection opening; then its query
    // is sent.
    assert!(
        told.iter()
            .any(|l| l.starts_with("task 1's poll returns Pending")
                && l.contains("its query was sent to the server on connection 1")),
        "{out}"
    );
    for task in [2, 3] {
        assert!(
            pending(task).contains("its query is queued: the one connection is busy"),
            "{out}"
        );
    }
    // Task 3 is woken when the connection comes free, after at least
    // tasks 1's and 2's queries; then its query is sent, inside that poll.
    let freed = told
        .iter()
        .position(|l| {
            l.starts_with("task 3 is woken by its query") && l.contains("a connection came free")
        })
        .unwrap_or_else(|| panic!("{out}"));
    let queued: f64 = told[freed]
        .split("query, ")
        .nth(1)
        .and_then(|s| s.split(" ms").next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("{}", told[freed]));
    assert!(queued >= 400.0, "{}", told[freed]);
    assert!(
        told[freed..]
            .iter()
            .any(|l| l.starts_with("task 3's poll returns Pending")
                && l.contains("sent to the server on connection 1")),
        "{out}"
    );
    // The sync client inside a coroutine: tokio refuses, the run says why
    // once, exit 1, the JSON whole, and no panic message of Rust's.
    for way in [
        &["--blocking"][..],
        &["--blocking", "--workers", "2", "--spawn"],
    ] {
        let mut args = vec!["-n", "3", "-d", "100ms"];
        args.extend_from_slice(way);
        let refused = query_json(&db, &args);
        assert_eq!(refused.code, 1, "{way:?}: {}", refused.stderr);
        assert_eq!(refused.summary["failed"], 3, "{way:?}");
        for reason in reasons(&refused.summary) {
            assert!(
                reason.contains("Cannot start a runtime from within a runtime"),
                "{reason}"
            );
        }
        let stderr = &refused.stderr;
        assert_eq!(stderr.matches("error: ").count(), 1, "{stderr}");
        assert!(stderr.contains("Python's sync drivers"), "{stderr}");
        assert!(stderr.contains("-m spawn-blocking"), "{stderr}");
        assert!(!stderr.contains("panicked at"), "{stderr}");
    }
    // Through an escape, the same sync client works.
    for way in [
        &["-m", "spawn-blocking"][..],
        &["-m", "threads"],
        &["-m", "block-in-place", "--workers", "2", "--spawn"],
        &["-m", "block-in-place", "--workers", "2"],
    ] {
        let mut args = vec!["-n", "3", "-d", "50ms"];
        args.extend_from_slice(way);
        let run = query_json(&db, &args);
        assert_eq!(run.code, 0, "{way:?}: {}", run.stderr);
        assert_eq!(run.summary["completed"], 3, "{way:?}");
    }
    // compare query: the PostgreSQL ways, each verdict from its overlap.
    let compare = asyncdemo(&[
        "compare",
        "query",
        "--db",
        &db,
        "-n",
        "3",
        "-d",
        "100ms",
        "--connections",
        "1",
        "--ways",
        "async,blocking,spawn-blocking",
    ])
    .output()
    .unwrap();
    let table = String::from_utf8(compare.stdout).unwrap();
    let stderr = String::from_utf8(compare.stderr).unwrap();
    assert_eq!(compare.status.code(), Some(1), "{table}{stderr}");
    let rows: Vec<&str> = table.lines().skip(1).collect();
    assert_eq!(rows.len(), 3, "{table}");
    let one = "one after another: one connection, the server runs a connection's queries in turn";
    assert!(rows[0].contains(one), "{table}");
    assert!(
        rows[1].contains("run failed: 0 of 3 tasks finished"),
        "{table}"
    );
    assert!(rows[2].contains(one), "{table}");
    assert_eq!(
        stderr.matches("Python's sync drivers").count(),
        1,
        "{stderr}"
    );
    // More connections than the server has: one line naming the limit.
    let too_many = asyncdemo(&[
        "query",
        "--db",
        &db,
        "-n",
        "40",
        "-d",
        "0",
        "--connections",
        "40",
    ])
    .output()
    .unwrap();
    let stderr = String::from_utf8(too_many.stderr).unwrap();
    assert_eq!(too_many.status.code(), Some(1), "{stderr}");
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(stderr.contains("max_connections is 30"), "{stderr}");
    assert!(stderr.contains("--connections"), "{stderr}");
}

#[test]
fn postgres_faults_fail_their_tasks_with_the_reason_and_the_others_go_on() {
    let Some(server) = Server::start("the PostgreSQL faults", 30) else {
        return;
    };
    // A wrong password: each task fails with the server's words.
    let wrong = server.db("withpass", "password=wrong");
    let run = query_json(&wrong, &["-n", "2", "-d", "10ms"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert_eq!(run.summary["failed"], 2);
    for reason in reasons(&run.summary) {
        assert!(
            reason.contains("password authentication failed"),
            "{reason}"
        );
    }
    let right = server.db("withpass", "password=right");
    query_json(&right, &["-n", "2", "-d", "10ms"]).succeeded();
    // Nobody listening: the connection is refused.
    let run = query_json("postgres://me@127.0.0.1:1/db", &["-n", "2", "-d", "10ms"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    for reason in reasons(&run.summary) {
        assert!(reason.contains("refused"), "{reason}");
    }
    // A query that errors (a statement timeout shorter than the query).
    let timeout = server.db("postgres", "options=-cstatement_timeout=50");
    let run = query_json(&timeout, &["-n", "2", "-d", "2s"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    for reason in reasons(&run.summary) {
        assert!(reason.contains("statement timeout"), "{reason}");
    }
    // One session ended under its query: that task fails, the others finish.
    let db = server.db("postgres", "");
    let mut args = vec!["query", "--db", &db, "-n", "3", "-d", "4s", "-f", "json"];
    let mut child = binary()
        .args(&args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    wait_until("three queries on the server", || server.sleeping() == 3);
    server.psql(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
         WHERE application_name = 'asyncdemo' AND query LIKE '%pg_sleep%' LIMIT 1",
    );
    let status = wait_with_limit(&mut child, Duration::from_secs(60));
    let summary: Value = serde_json::from_str(&rest(child.stdout.take().unwrap())).unwrap();
    assert_eq!(status.code(), Some(1));
    assert_eq!(summary["failed"], 1, "{summary}");
    assert_eq!(summary["completed"], 2, "{summary}");
    // The server dies mid-run: every query in progress fails, once each.
    args[6] = "30s";
    let mut child = binary()
        .args(&args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    wait_until("three queries on the server", || server.sleeping() == 3);
    server.kill();
    let status = wait_with_limit(&mut child, Duration::from_secs(60));
    let summary: Value = serde_json::from_str(&rest(child.stdout.take().unwrap())).unwrap();
    assert_eq!(status.code(), Some(1));
    assert_eq!(summary["failed"], 3, "{summary}");
}

#[test]
fn ctrl_c_mid_query_leaves_no_query_running_on_the_server() {
    let Some(server) = Server::start("Ctrl-C against PostgreSQL", 30) else {
        return;
    };
    let db = server.db("postgres", "");
    for mode in ["async", "spawn-blocking"] {
        let mut child = binary()
            .args([
                "query", "--db", &db, "-n", "3", "-d", "600s", "-f", "json", "-m", mode,
            ])
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        wait_until("three queries on the server", || server.sleeping() == 3);
        send_signal(&child, "INT");
        let status = wait_with_limit(&mut child, Duration::from_secs(30));
        assert_eq!(status.code(), Some(130), "{mode}");
        let out = rest(child.stdout.take().unwrap());
        let summary: Value = serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {out}"));
        assert_eq!(summary["interrupted"], true, "{mode}");
        // The server notices the client is gone and cancels its queries,
        // long before they would have ended (wait_until gives up after a
        // minute).
        wait_until("the server to end the queries", || server.sleeping() == 0);
    }
}

#[test]
fn compare_query_python_runs_asyncpg_and_psycopg_or_says_what_is_missing() {
    let Some(server) = Server::start("compare query --python on PostgreSQL", 30) else {
        return;
    };
    let db = server.db("postgres", "");
    // Exit 1: the tokio blocking row is the sync client refused.
    let (table, stderr) = crate::query::compare_python(
        1,
        &[
            "compare",
            "query",
            "--db",
            &db,
            "-n",
            "3",
            "-d",
            "200ms",
            "--ways",
            "async,blocking",
            "--python",
        ],
    );
    if stderr.contains("note: no Python rows") {
        eprintln!("skipped: no usable python3 ({stderr})");
        return;
    }
    crate::query::python_row(
        &table,
        &stderr,
        "an asyncpg pool under gather",
        "asyncpg",
        "all waits overlap: asyncpg gives the event loop back",
    );
    crate::query::python_row(
        &table,
        &stderr,
        "sync psycopg inside the coroutines",
        "psycopg",
        "one after another: a sync psycopg call blocks the event loop, silently",
    );
}

/// The python3 on PATH, found as the shell would: the real one, for the
/// wrapper below to run.
fn python3_on_path() -> Option<PathBuf> {
    std::env::split_paths(&std::env::var_os("PATH")?)
        .map(|dir| dir.join("python3"))
        .find(|path| path.is_file())
}

/// `compare query --python` against PostgreSQL: the `--db` text, password
/// and all, reaches python3 on its stdin. Its command line, which every
/// user of the machine can read (`ps`), holds none of it, nor does its
/// environment. A wrapper first on PATH writes down what each python3 was
/// given (its arguments, environment and stdin) and then becomes the real
/// python3 (`exec`, the same process): every start is seen, however short
/// it lives, where looking at /proc while it ran could miss one on a busy
/// machine.
#[test]
fn compare_query_python_keeps_the_password_out_of_python3s_command_line() {
    let Some(server) = Server::start("the password of compare query --python", 30) else {
        return;
    };
    let Some(real) = python3_on_path() else {
        eprintln!("skipped: no python3 on PATH");
        return;
    };
    const SECRET: &str = "pw-s3cret-4711";
    use std::os::unix::fs::PermissionsExt;
    let wrapper = tempfile::tempdir().unwrap();
    let seen = wrapper.path().join("seen");
    std::fs::create_dir(&seen).unwrap();
    let script = format!(
        "#!/bin/sh\n\
         printf '%s\\0' \"$@\" > '{seen}/'$$.args\n\
         env > '{seen}/'$$.env\n\
         cat > '{seen}/'$$.stdin\n\
         exec '{real}' \"$@\" < '{seen}/'$$.stdin\n",
        seen = seen.display(),
        real = real.display(),
    );
    let program = wrapper.path().join("python3");
    std::fs::write(&program, script).unwrap();
    std::fs::set_permissions(&program, std::fs::Permissions::from_mode(0o755)).unwrap();
    let mut path = std::ffi::OsString::from(wrapper.path());
    path.push(":");
    path.push(std::env::var_os("PATH").unwrap_or_default());
    // The role `withpass` logs in with a password: this one is wrong, so
    // a Python row that gets the text whole fails with the server's words
    // (and none gets far enough to run a query with it).
    let db = server.db("withpass", &format!("password={SECRET}"));
    let output = asyncdemo(&["compare", "query", "--db", &db, "-n", "2", "-d", "300ms"])
        .args(["--ways", "async,blocking", "--python"])
        .env("PATH", &path)
        .timeout(Duration::from_secs(120))
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        !stdout.contains(SECRET) && !stderr.contains(SECRET),
        "the password was printed: {stdout}{stderr}"
    );
    if stderr.contains("note: no Python rows") {
        eprintln!("skipped: no usable python3 ({stderr})");
        return;
    }
    // What each python3 was given, by its pid.
    let read = |pid: &str, what: &str| {
        let bytes = std::fs::read(seen.join(format!("{pid}.{what}"))).unwrap();
        String::from_utf8_lossy(&bytes).replace('\0', " ")
    };
    let mut pids: Vec<String> = std::fs::read_dir(&seen)
        .unwrap()
        .filter_map(|e| {
            e.ok()?
                .file_name()
                .to_str()?
                .strip_suffix(".args")
                .map(str::to_owned)
        })
        .collect();
    pids.sort();
    assert!(!pids.is_empty(), "no python3 was started: {stderr}");
    for pid in &pids {
        let (args, environ, stdin) = (read(pid, "args"), read(pid, "env"), read(pid, "stdin"));
        assert!(!args.contains(SECRET), "in python3's arguments: {args}");
        assert!(!environ.contains(SECRET), "in python3's environment");
        // The row and its demo are there: this is the command line that
        // carried the database before, and the database now comes on
        // stdin, password and all.
        assert!(args.contains(" query "), "{args}");
        assert!(stdin.contains(&db), "python3 {pid}'s stdin: {stdin:?}");
    }
}
