//! The OS refusing a thread (`ulimit -u`): every thread a command starts,
//! whichever comes first, is a named limit (exit 1, one line saying
//! `ulimit -u`), never a raw "Resource temporarily unavailable", a panic
//! or a hang.
//!
//! `ulimit -u` counts every process and thread of a user, and root is not
//! held to it; so each run is made as a user id of its own that nothing
//! else runs as, with the limit set just before the binary starts. Without
//! root (no other user to become) the tests skip with a message.

use crate::common::*;
use std::ffi::OsStr;
use std::os::unix::process::CommandExt;
use std::path::PathBuf;
use std::process::{Command, Output, Stdio};
use std::sync::OnceLock;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

/// A copy of the binary that any user may run (the build directory may sit
/// in a home only root can enter), or `None`, said on stderr, when this
/// process cannot become another user.
fn shared_binary(test: &str) -> Option<PathBuf> {
    static COPY: OnceLock<Option<(tempfile::TempDir, PathBuf)>> = OnceLock::new();
    let copy = COPY.get_or_init(|| {
        // SAFETY: geteuid has no preconditions.
        if unsafe { libc::geteuid() } != 0 {
            return None;
        }
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().ok()?;
        std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755)).ok()?;
        let path = dir.path().join("asyncdemo");
        std::fs::copy(env!("CARGO_BIN_EXE_asyncdemo"), &path).ok()?;
        // Root in a container may still be refused another user id.
        let uid = lonely_uid();
        let runs = Command::new(&path)
            .arg("--version")
            .uid(uid)
            .gid(uid)
            .output()
            .is_ok_and(|o| o.status.success());
        runs.then_some((dir, path))
    });
    match copy {
        Some((_, path)) => Some(path.clone()),
        None => {
            eprintln!(
                "skipped {test}: needs root that may run the binary as another user, \
                 one held to ulimit -u"
            );
            None
        }
    }
}

/// A user id nobody else uses: the process count `ulimit -u` compares
/// with is then this run's alone.
fn lonely_uid() -> u32 {
    static NEXT: AtomicU32 = AtomicU32::new(0);
    2_000_000_000 + (std::process::id() % 1_000_000) * 64 + NEXT.fetch_add(1, Ordering::SeqCst) % 64
}

/// `asyncdemo ARGS` as a user of its own whose `ulimit -u` is `threads`
/// (the main thread included), with stdout and stderr piped. A run that
/// outlives 20 s fails the test: that catches a hang.
fn under_ulimit_u(binary: &PathBuf, threads: u64, args: &[&str], path: &OsStr) -> Output {
    let mut child = command_under_ulimit_u(binary, threads, args, path)
        .spawn()
        .unwrap();
    let (stdout, stderr) = (child.stdout.take().unwrap(), child.stderr.take().unwrap());
    let out = std::thread::spawn(move || rest(stdout));
    let err = std::thread::spawn(move || rest(stderr));
    let status = wait_with_limit(&mut child, Duration::from_secs(20));
    Output {
        status,
        stdout: out.join().unwrap().into_bytes(),
        stderr: err.join().unwrap().into_bytes(),
    }
}

/// The command [`under_ulimit_u`] runs.
fn command_under_ulimit_u(binary: &PathBuf, threads: u64, args: &[&str], path: &OsStr) -> Command {
    let uid = lonely_uid();
    let mut command = Command::new(binary);
    command
        .args(args)
        .env("PATH", path)
        .current_dir("/")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .uid(uid)
        .gid(uid);
    // SAFETY: setrlimit is async-signal-safe; it runs after the fork, as
    // the new user, just before exec.
    unsafe {
        command.pre_exec(move || {
            let limit = libc::rlimit {
                rlim_cur: threads as libc::rlim_t,
                rlim_max: threads as libc::rlim_t,
            };
            if libc::setrlimit(libc::RLIMIT_NPROC, &limit) != 0 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
    command
}

/// Runs `args` under `ulimit -u` 1, 2, 3... until it runs as without a
/// limit: each thread it starts is, in one of the runs, the one the OS
/// refuses. Every refused run exits 1 with error lines that each name the
/// thread limit (`max_lines` at most: compare says one per way refused).
/// Returns how many runs were refused.
fn sweep(test: &str, args: &[&str], max_lines: usize) -> Option<u64> {
    let path = std::env::var_os("PATH").unwrap_or_default();
    sweep_on(test, args, max_lines, &path)
}

/// [`sweep`] with `path` as PATH.
fn sweep_on(test: &str, args: &[&str], max_lines: usize, path: &OsStr) -> Option<u64> {
    let binary = shared_binary(test)?;
    let started = Instant::now();
    for threads in 1..64 {
        let output = under_ulimit_u(&binary, threads, args, path);
        let stderr = String::from_utf8_lossy(&output.stderr);
        // The command's own end (a deadlocked `lock` exits 1 too).
        if !stderr.contains("ulimit -u") {
            assert!(threads > 1, "{args:?} ran without any thread of its own");
            assert!(output.status.code().is_some(), "{args:?}: {output:?}");
            return Some(threads - 1);
        }
        let context = format!("{args:?} under ulimit -u {threads}: {output:?}\n{stderr}");
        assert_eq!(output.status.code(), Some(1), "{context}");
        let errors: Vec<&str> = stderr.lines().filter(|l| l.starts_with("error:")).collect();
        assert!(!errors.is_empty(), "{context}");
        assert!(errors.len() <= max_lines, "{context}");
        for line in &errors {
            // A compare row may end its own way (`lock`'s deadlock) first.
            let named = line.contains("out of threads") && line.contains("ulimit -u");
            assert!(named || line.contains(": deadlock: "), "{context}");
        }
        assert!(!stderr.contains("panicked"), "{context}");
        assert!(!stderr.contains("Resource temporarily"), "{context}");
        assert!(started.elapsed() < Duration::from_secs(60), "{context}");
    }
    panic!("{args:?} never ran under ulimit -u 63");
}

#[test]
fn a_plain_count_names_the_thread_limit_at_every_thread_it_starts() {
    // Piped stdout: the thread that watches for its reader going away
    // starts too.
    sweep("a_plain_count", &["count", "-n", "2", "-d", "0"], 1);
}

#[test]
fn every_command_names_the_thread_limit_at_every_thread_it_starts() {
    let cases: &[(&[&str], usize)] = &[
        (&["hello", "-n", "2", "-d", "0"], 1),
        (&["count", "-n", "3", "-d", "0", "--workers", "2"], 1),
        (
            &["count", "-n", "3", "-d", "1ms", "-m", "spawn-blocking"],
            1,
        ),
        (&["count", "-n", "3", "-d", "1ms", "-m", "threads"], 1),
        (
            &[
                "count",
                "-n",
                "2",
                "-d",
                "1ms",
                "--work",
                "spin",
                "-m",
                "block-in-place",
                "--workers",
                "2",
            ],
            1,
        ),
        (&["count", "-n", "2", "-d", "0", "--explain"], 1),
        (&["count", "-n", "2", "-d", "0", "--slow-poll=1ms"], 1),
        (&["lock", "-n", "2", "-d", "0"], 1),
        (&["lock", "-n", "2", "-d", "0", "--lock", "tokio"], 1),
        #[cfg(feature = "http")]
        (&["fetch", "-n", "2", "-d", "0"], 1),
        #[cfg(feature = "http")]
        (&["fetch", "-n", "2", "-d", "0", "-m", "threads"], 1),
        (&["compare", "count", "-n", "2", "-d", "0"], 8),
    ];
    for (args, lines) in cases {
        let Some(refused) = sweep("every_command", args, *lines) else {
            return;
        };
        eprintln!("{args:?}: {refused} thread starts refused, each named");
    }
}

#[test]
fn compare_python_names_the_thread_limit_for_python3_and_its_readers() {
    use std::os::unix::fs::PermissionsExt;
    // A fake python3 with a good record, that the run's user may run.
    let dir = tempfile::tempdir().unwrap();
    std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    let fake = dir.path().join("python3");
    let record = "#!/bin/sh\necho 'python 3.12.0'\necho 'event 1000 1 first 1'\n\
                  echo 'event 2000 1 last 1'\necho 'elapsed 3000'\n";
    std::fs::write(&fake, record).unwrap();
    std::fs::set_permissions(&fake, std::fs::Permissions::from_mode(0o755)).unwrap();
    let args = [
        "compare", "count", "-n", "1", "-d", "0", "--python", "--ways", "async",
    ];
    // One line per way refused: the tokio row, and its two Python twins
    // (asyncio's loop and uvloop's).
    sweep_on("compare_python", &args, 3, dir.path().as_os_str());
}

#[cfg(feature = "http")]
#[test]
fn serve_names_the_thread_limit_until_it_can_listen() {
    use std::io::BufRead;
    let Some(binary) = shared_binary("serve_names_the_thread_limit") else {
        return;
    };
    let path = std::env::var_os("PATH").unwrap_or_default();
    for threads in 1..64 {
        let mut child = command_under_ulimit_u(&binary, threads, &["serve"], &path)
            .spawn()
            .unwrap();
        let mut stdout = std::io::BufReader::new(child.stdout.take().unwrap());
        let mut first = String::new();
        // Either it listens (and says where), or it ends, saying why.
        let _ = stdout.read_line(&mut first);
        if first.starts_with("listening on ") {
            send_signal(&child, "TERM");
            wait_with_limit(&mut child, Duration::from_secs(20));
            assert!(threads > 1, "serve listened without a thread of its own");
            return;
        }
        let status = wait_with_limit(&mut child, Duration::from_secs(20));
        let stderr = rest(child.stderr.take().unwrap());
        let context = format!("serve under ulimit -u {threads}: {first}{stderr}");
        assert_eq!(status.code(), Some(1), "{context}");
        assert_eq!(stderr.lines().count(), 1, "{context}");
        assert!(
            stderr.contains("out of threads") && stderr.contains("ulimit -u"),
            "{context}"
        );
    }
    panic!("serve never listened under ulimit -u 63");
}
