//! `--live` on a terminal that never says where its cursor is: a
//! pseudo-terminal whose other end the test holds and never answers. The
//! view's start must not wait long for it, must not leave it without echo
//! or line editing, and must leave Ctrl-C and SIGTERM working throughout.

use crate::common::*;
use std::fs::File;
use std::io::Read;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::os::unix::process::CommandExt;
use std::process::{Child, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// The cursor-position question a view asks its terminal.
const QUESTION: &[u8] = b"\x1b[6n";

/// A run on a pseudo-terminal of its own, as its controlling terminal;
/// everything it writes is collected, and nothing is ever answered.
struct Silent {
    child: Child,
    /// The terminal's end the run has (kept to read its settings).
    terminal: OwnedFd,
    written: Arc<Mutex<Vec<u8>>>,
}

impl Silent {
    fn start(args: &[&str]) -> Silent {
        let (mut master, mut slave) = (-1, -1);
        // SAFETY: openpty writes the two descriptors; no name, settings or
        // size are asked for.
        let opened = unsafe {
            libc::openpty(
                &mut master,
                &mut slave,
                std::ptr::null_mut(),
                std::ptr::null(),
                std::ptr::null(),
            )
        };
        assert_eq!(opened, 0, "{}", std::io::Error::last_os_error());
        // SAFETY: both were just opened, and are owned here only.
        let (master, terminal) =
            unsafe { (File::from_raw_fd(master), OwnedFd::from_raw_fd(slave)) };
        let stdio = || Stdio::from(terminal.try_clone().unwrap());
        let mut command = binary();
        command
            .args(args)
            .env("TERM", "xterm-256color")
            .stdin(stdio())
            .stdout(stdio())
            .stderr(stdio());
        // SAFETY: setsid and ioctl are async-signal-safe: a session of its
        // own, with this terminal (its stdin) as the controlling one, so
        // that /dev/tty is it.
        unsafe {
            command.pre_exec(|| {
                if libc::setsid() < 0 || libc::ioctl(0, libc::TIOCSCTTY, 0) < 0 {
                    return Err(std::io::Error::last_os_error());
                }
                Ok(())
            });
        }
        let child = command.spawn().unwrap();
        let written = Arc::new(Mutex::new(Vec::new()));
        let collected = Arc::clone(&written);
        std::thread::spawn(move || {
            let mut master = master;
            let mut bytes = [0; 4096];
            // Ends with EIO once the run and the test have closed the
            // terminal's end.
            while let Ok(read) = master.read(&mut bytes) {
                if read == 0 {
                    break;
                }
                collected.lock().unwrap().extend_from_slice(&bytes[..read]);
            }
        });
        Silent {
            child,
            terminal,
            written,
        }
    }

    fn text(&self) -> String {
        String::from_utf8_lossy(&self.written.lock().unwrap()).into_owned()
    }

    /// Whether the terminal echoes and edits lines, as it did before the run.
    fn cooked(&self) -> bool {
        // SAFETY: `termios` is plain data; tcgetattr fills it in.
        let mut settings: libc::termios = unsafe { std::mem::zeroed() };
        // SAFETY: a valid descriptor and a valid `termios`.
        assert_eq!(
            unsafe { libc::tcgetattr(self.terminal.as_raw_fd(), &mut settings) },
            0
        );
        let wanted = libc::ECHO | libc::ICANON | libc::ISIG;
        settings.c_lflag & wanted == wanted
    }

    /// Waits for the run to end, and for what it wrote up to then.
    fn wait(&mut self) -> Option<i32> {
        let status = wait_with_limit(&mut self.child, Duration::from_secs(30));
        // What it wrote last may still be on its way through the terminal.
        std::thread::sleep(Duration::from_millis(100));
        status.code()
    }
}

#[test]
fn a_terminal_that_does_not_answer_gets_no_view_and_keeps_its_settings() {
    let mut run = Silent::start(&["count", "-n", "2", "-d", "10ms", "--live"]);
    assert_eq!(run.wait(), Some(0), "{}", run.text());
    let text = run.text();
    assert!(text.contains("\x1b[6n"), "the view asked: {text:?}");
    assert!(
        text.contains(
            "--live: cannot draw on this terminal (it did not say where its cursor is \
             within 200 ms); running without the view"
        ),
        "{text:?}"
    );
    assert!(text.contains("asyncdemo count executed in"), "{text:?}");
    assert!(run.cooked(), "echo and line editing are back");
}

#[test]
fn a_signal_while_the_view_asks_its_terminal_ends_the_run_cleanly() {
    for (signal, code) in [("INT", 130), ("TERM", 143)] {
        let mut run = Silent::start(&["count", "-n", "2", "-d", "500years", "--live"]);
        // The question is out: the run now waits for an answer that never
        // comes, echo off.
        wait_until("the cursor question", || {
            run.written
                .lock()
                .unwrap()
                .windows(QUESTION.len())
                .any(|w| w == QUESTION)
        });
        send_signal(&run.child, signal);
        assert_eq!(run.wait(), Some(code), "SIG{signal}: {}", run.text());
        let text = run.text();
        let summaries = text.matches("asyncdemo count ").count();
        assert_eq!(summaries, 1, "SIG{signal}: exactly one summary: {text:?}");
        assert!(run.cooked(), "SIG{signal}: echo and line editing are back");
    }
}
