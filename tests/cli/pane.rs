//! A real pseudo-terminal for the tests that need one: a tmux pane of a
//! chosen size, read with `capture-pane` while the program runs. Tests
//! using it skip, saying so, where tmux is not installed.

use std::process::{Command, Output};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::{Duration, Instant};

/// A tmux server of the test's own (its own socket), with one pane running
/// one command; killed when dropped.
pub(crate) struct Pane {
    socket: String,
}

/// How long a screen may take to show what a test waits for. Generous: a
/// loaded machine is slow, and the wait ends as soon as it is seen.
const PATIENCE: Duration = Duration::from_secs(30);

impl Pane {
    /// Starts `args` (after `env`, so `NAME=value` may come first) in a
    /// new pane, or `None` without tmux. The pane stays open after the
    /// command ends, with `rc=N` (its exit code) printed below its output.
    pub(crate) fn run(args: &str) -> Option<Pane> {
        Pane::sized(100, 30, args)
    }

    /// As [`Pane::run`], in a pane `columns` wide and `rows` high.
    pub(crate) fn sized(columns: u16, rows: u16, args: &str) -> Option<Pane> {
        static NEXT: AtomicU32 = AtomicU32::new(0);
        let installed = Command::new("tmux")
            .arg("-V")
            .output()
            .is_ok_and(|o| o.status.success());
        if !installed {
            eprintln!("skipped: tmux is not installed, so there is no pseudo-terminal to read");
            return None;
        }
        let socket = format!(
            "asyncdemo-pane-{}-{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        );
        let bin = env!("CARGO_BIN_EXE_asyncdemo");
        let shell = format!(
            "env -u NO_COLOR -u CLICOLOR -u CLICOLOR_FORCE {args_env} {bin} {rest}; echo rc=$?; sleep 600",
            args_env = args
                .split(' ')
                .take_while(|a| a.contains('='))
                .collect::<Vec<_>>()
                .join(" "),
            rest = args
                .split(' ')
                .skip_while(|a| a.contains('='))
                .collect::<Vec<_>>()
                .join(" "),
        );
        let pane = Pane { socket };
        let started = pane
            .tmux(&[
                "new-session",
                "-d",
                "-x",
                &columns.to_string(),
                "-y",
                &rows.to_string(),
                &shell,
            ])
            .status
            .success();
        assert!(started, "tmux could not start a session");
        Some(pane)
    }

    pub(crate) fn tmux(&self, args: &[&str]) -> Output {
        Command::new("tmux")
            .args(["-L", &self.socket, "-f", "/dev/null"])
            .args(args)
            .output()
            .expect("running tmux")
    }

    /// The screen as text with the rows the terminal wrapped joined again
    /// (`capture-pane -J`): equal to [`Pane::screen`] exactly when no line
    /// was too long for the pane.
    pub(crate) fn screen_joined(&self) -> Vec<String> {
        let out = self.tmux(&["capture-pane", "-p", "-J"]);
        String::from_utf8_lossy(&out.stdout)
            .lines()
            .map(|row| row.trim_end().to_owned())
            .collect()
    }

    /// The screen as text, one string per row.
    pub(crate) fn screen(&self) -> Vec<String> {
        let out = self.tmux(&["capture-pane", "-p"]);
        String::from_utf8_lossy(&out.stdout)
            .lines()
            .map(str::to_owned)
            .collect()
    }

    /// The screen with its escape codes (`capture-pane -e`).
    pub(crate) fn screen_with_styles(&self) -> String {
        String::from_utf8_lossy(&self.tmux(&["capture-pane", "-p", "-e"]).stdout).into_owned()
    }

    /// Waits until some row satisfies `test`, and returns the screen then.
    pub(crate) fn wait_for(&self, what: &str, test: impl Fn(&str) -> bool) -> Vec<String> {
        let deadline = Instant::now() + PATIENCE;
        loop {
            let screen = self.screen();
            if screen.iter().any(|row| test(row)) {
                return screen;
            }
            assert!(
                Instant::now() < deadline,
                "no {what} on the screen:\n{}",
                screen.join("\n")
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Whether the cursor is shown (tmux's `cursor_flag`).
    pub(crate) fn cursor_shown(&self) -> bool {
        let out = self.tmux(&["display-message", "-p", "#{cursor_flag}"]);
        String::from_utf8_lossy(&out.stdout).trim() == "1"
    }
}

impl Drop for Pane {
    fn drop(&mut self) {
        let _ = self.tmux(&["kill-server"]);
    }
}
