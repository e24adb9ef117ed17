//! A replay played on a terminal: `--live`'s view (the same `View`, the
//! same drawing) above which the lines and the narration scroll, its clock
//! told the recorded time as the replay goes, scaled by `--speed`.

use super::read::{Recorded, Recording};
use super::walk::{Feed, Moment, Walk};
use crate::config::Config;
use crate::config::LineStyle;
use crate::events::Follower;
use crate::live;
use crate::report::waiting::Waiting;
use crate::vocab::Format;
use std::io::{self, IsTerminal, Write};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// How often the view's clock is told the time while the replay waits
/// for its next event: the view's own frame rate.
const TICK: Duration = Duration::from_millis(40);

/// The view of a replay being played.
pub(super) struct Playing {
    feed: Feed,
    walk: Walk,
    /// The walk's next item to feed.
    next: usize,
    view: Arc<live::View>,
    /// Where the replay's lines go while the view is up: above it.
    writer: Option<Box<dyn Write + Send>>,
}

impl Playing {
    /// The view, when the replay prints its lines and narration (text, not
    /// `-q`) to a terminal that can draw it; `None` otherwise, and the
    /// replay prints as it always did.
    pub(super) fn start(config: &Config, recording: &Recording) -> Option<Playing> {
        let wanted = config.format == Format::Text
            && config.line_style() != LineStyle::Silent
            && io::stdout().is_terminal()
            && std::env::var_os("TERM").is_none_or(|term| term != "dumb");
        if !wanted || !live::ENABLED {
            return None;
        }
        // The view asks the terminal where its cursor is, with echo off:
        // a Ctrl-C then must not leave the terminal so.
        crate::interrupt::catch_early().ok()?;
        let tape = super::tape_of(config, recording);
        let walk = Walk::new(&tape, &recording.observed);
        let (tasks, birth, _) = live::tally(config);
        let tasks = tasks.min(recording.header.full_tasks.max(1));
        let feed = Feed::new(tasks, birth, Waiting::of(config.way.mode, config.work));
        let mut plan = live::plan(config);
        plan.tasks = tasks;
        plan.expected = walk.items.iter().map(|i| i.0).max().unwrap_or_default();
        let (view, writer) =
            match live::View::start(plan, Arc::clone(&feed.live), Box::new(io::stdout())) {
                Ok(started) => started,
                Err(err) => {
                    let line = format!(
                        "warning: replay: cannot draw the view on this terminal ({err}); \
                         playing without it"
                    );
                    let _ = writeln!(io::stderr(), "{}", crate::style::label(&line));
                    return None;
                }
            };
        let view = Arc::new(view);
        // Ctrl-C (and SIGTERM) take the view down before the process ends:
        // the cursor shown, the last frame left whole.
        let on_signal = Arc::clone(&view);
        let _ = crate::interrupt::on_signal(move |signal| {
            on_signal.finish();
            let _ = writeln!(io::stdout());
            std::process::exit(i32::from(signal.exit_code().code()));
        });
        Some(Playing {
            feed,
            walk,
            next: 0,
            view,
            writer: Some(writer),
        })
    }

    /// The writer the replay's output goes through: above the view while
    /// it is up, then straight to the terminal.
    pub(super) fn writer(&mut self) -> Box<dyn Write + Send> {
        self.writer.take().unwrap_or_else(|| Box::new(io::stdout()))
    }

    /// `--live`'s follower, for the replay to tell the tape's events.
    pub(super) fn follower(&self) -> Box<dyn Follower> {
        Box::new(live::Follow(Arc::clone(&self.feed.live)))
    }

    /// Feeds the observations up to `t` (never past the tape's next event,
    /// which the replay tells), and tells the view's clock `t`.
    fn feed_until(&mut self, t: Duration) {
        while let Some(&(at, item)) = self.walk.items.get(self.next) {
            if at > t || matches!(item, Moment::Tape(_)) {
                break;
            }
            self.feed.saw(at, item);
            self.next += 1;
        }
        self.feed.live.tell(t);
    }

    /// Waits until `due` after `began` (wall time) while the view's clock
    /// moves on in recorded time (`speed` times the wall's).
    pub(super) fn wait(&mut self, began: Instant, due: Duration, speed: f64) {
        loop {
            let now = began.elapsed();
            let Some(left) = due.checked_sub(now).filter(|l| !l.is_zero()) else {
                return;
            };
            self.feed_until(now.mul_f64(speed));
            std::thread::sleep(left.min(TICK));
        }
    }

    /// The tape's event `index`, `recorded`, is next: what was observed
    /// before it is fed, the clock told its time, and its part of the
    /// model moved.
    pub(super) fn before(&mut self, index: usize, recorded: &Recorded) {
        while let Some(&(item_at, item)) = self.walk.items.get(self.next) {
            self.next += 1;
            match item {
                Moment::Tape(i) if i == index => break,
                Moment::Tape(_) => {}
                other => self.feed.saw(item_at, other),
            }
        }
        self.feed.live.tell(recorded.at());
        self.feed.tape(recorded);
    }

    /// The tape is over: the last observations fed, and the view taken
    /// down, its last frame left on the screen, before the summary.
    pub(super) fn end(&mut self) {
        let end = self
            .walk
            .items
            .iter()
            .map(|i| i.0)
            .max()
            .unwrap_or_default();
        while let Some(&(at, item)) = self.walk.items.get(self.next) {
            self.feed.saw(at, item);
            self.next += 1;
        }
        self.feed.live.tell(end);
        self.view.finish();
    }
}
