//! The drawing thread: ratatui's inline viewport at the bottom of the
//! terminal, the demo's lines printed above it.
//!
//! As in ratatui's `inline` example, the view is a `Viewport::Inline` of a
//! fixed height, redrawn on a tick (25 frames a second), and whatever the
//! program prints goes *above* it. The example does that with
//! `Terminal::insert_before`, which draws each inserted line cell by cell,
//! the whole width of the screen: fine for a handful of lines, but a
//! million-task run prints two million, and that would cost the run many
//! times over. So the lines go out as the very bytes a run without the view
//! writes: at each tick the view is cleared, the pending lines are written
//! where it was (the terminal scrolls them up as usual), and the viewport
//! is placed again below them, exactly where `insert_before` would have
//! put it. The backend keeps track of the cursor row itself, so this needs
//! no round trip to the terminal; one cursor query at the start places the
//! view (as ratatui does, but with a patience of our own:
//! [`cursor_position`]), and one more follows a resize.
//!
//! No raw mode: the view reads no keys, so Ctrl-C stays the terminal's
//! SIGINT, which the program's signal thread handles as always. The only
//! state to restore is the hidden cursor: [`View::finish`] shows it again
//! and leaves the cursor on a line of its own below the last frame.

use super::draw::{self, ViewRows};
use super::{LiveState, Plan, Seen};
use ratatui::backend::{Backend, ClearType, CrosstermBackend, WindowSize};
use ratatui::buffer::Cell;
use ratatui::layout::{Position, Rect, Size};
use ratatui::{Terminal, TerminalOptions, Viewport};
use std::io::{self, Write};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

/// Time between two frames: 25 frames a second.
const TICK: Duration = Duration::from_millis(40);

/// How many bytes of lines may wait for the drawing thread before a writer
/// waits in turn, as a pipe makes its writer wait when it is full.
const PENDING_LIMIT: usize = 1 << 20;

/// The demo's lines go to the terminal in pieces of at most this many
/// bytes (whole lines), the run sampled between two.
const CHUNK: usize = 64 * 1024;

/// How long [`View::finish`] waits for the last frame.
const FINISH_PATIENCE: Duration = Duration::from_secs(1);

/// What the writers and the drawing thread share.
struct Handover {
    /// Lines written and not yet on the screen.
    pending: Vec<u8>,
    /// The real output, handed back once the view is down: from then on a
    /// write goes straight to it.
    through: Option<Box<dyn Write + Send>>,
    /// Set by [`View::finish`]: draw the last frame and stop.
    stop: bool,
    /// Set by the drawing thread when it has stopped.
    stopped: bool,
}

struct Channel {
    shared: Mutex<Handover>,
    /// Wakes the drawing thread (a stop) and the writers (room, or the
    /// view is down).
    changed: Condvar,
}

impl Channel {
    fn lock(&self) -> MutexGuard<'_, Handover> {
        self.shared.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The shared state once a writer may go on: the pending lines have
    /// room for more, or the view is down.
    fn room(&self) -> MutexGuard<'_, Handover> {
        let mut shared = self.lock();
        while shared.through.is_none() && shared.pending.len() >= PENDING_LIMIT && !shared.stopped {
            // Full: the drawing thread writes these out now rather than at
            // its next tick, so a burst of lines goes as fast as without
            // the view.
            self.changed.notify_all();
            shared = self
                .changed
                .wait_timeout(shared, TICK)
                .unwrap_or_else(PoisonError::into_inner)
                .0;
        }
        shared
    }
}

/// The live view of one run, drawn by a thread of its own.
pub(crate) struct View {
    channel: Arc<Channel>,
}

impl View {
    /// Starts the view on `out`, the terminal: returns the view and the
    /// writer through which every line of the run must go while it is up.
    ///
    /// The caller must make sure that nothing else writes to the terminal
    /// until [`View::finish`] has returned, and call `finish` on every way
    /// out: the normal end, an error, and a signal, before the process
    /// exits (`std::process::exit` runs no destructors).
    ///
    /// The view is placed below the cursor, so the terminal is asked where
    /// that is first; one that does not answer soon ([`ANSWER_PATIENCE`])
    /// cannot place it, and gets no view, as TERM=dumb.
    pub(crate) fn start(
        plan: Plan,
        state: Arc<LiveState>,
        out: Box<dyn Write + Send>,
    ) -> io::Result<(View, Box<dyn Write + Send>)> {
        let channel = Arc::new(Channel {
            shared: Mutex::new(Handover {
                pending: Vec::new(),
                through: None,
                stop: false,
                stopped: false,
            }),
            changed: Condvar::new(),
        });
        let cursor = cursor_position(ANSWER_PATIENCE).ok_or_else(|| {
            io::Error::other(format!(
                "it did not say where its cursor is within {} ms",
                ANSWER_PATIENCE.as_millis()
            ))
        })?;
        let screen = Screen::open(out, &plan, cursor)?;
        let thread = Arc::clone(&channel);
        let spawned = std::thread::Builder::new()
            .name("live-view".into())
            .spawn(move || screen.run(&plan, &state, &thread));
        // Refused, the run goes on without the view and says why, in the
        // words of the thread limit.
        spawned.map_err(|err| {
            let named = crate::limits::thread_refused("the view's thread", Some(&err), "");
            io::Error::other(format!("{named:#}"))
        })?;
        let writer = Box::new(Lines(Arc::clone(&channel)));
        Ok((View { channel }, writer))
    }

    /// A writer for what the run says on stderr while the view is up (the
    /// `--slow-poll` warnings), when stderr is the view's terminal too: a
    /// line written straight to it would be drawn over by the next frame,
    /// so it goes above the view with the demo's lines, in order. Once the
    /// view is down, it writes to stderr.
    pub(crate) fn aside(&self) -> Box<dyn Write + Send> {
        Box::new(Aside(Arc::clone(&self.channel)))
    }

    /// Takes the view down: the pending lines and a last frame are drawn,
    /// the cursor is shown again below the view, and the terminal is handed
    /// back to the writer, so what is written next (the summary) starts on
    /// a line of its own. Waits at most a second (a terminal that does not
    /// read would otherwise hold the program); safe to call more than once.
    pub(crate) fn finish(&self) {
        let deadline = Instant::now() + FINISH_PATIENCE;
        let mut shared = self.channel.lock();
        shared.stop = true;
        self.channel.changed.notify_all();
        while !shared.stopped {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return;
            }
            shared = self
                .channel
                .changed
                .wait_timeout(shared, left)
                .unwrap_or_else(PoisonError::into_inner)
                .0;
        }
    }
}

/// [`View::aside`]'s writer.
struct Aside(Arc<Channel>);

impl Write for Aside {
    fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
        let mut shared = self.0.room();
        if shared.through.is_some() || shared.stopped {
            drop(shared);
            return io::stderr().write(bytes);
        }
        shared.pending.extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        io::stderr().flush()
    }
}

/// The writer the run's lines go through while the view is up.
struct Lines(Arc<Channel>);

impl Write for Lines {
    fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
        let mut shared = self.0.room();
        if let Some(out) = &mut shared.through {
            return out.write(bytes);
        }
        shared.pending.extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        match &mut self.0.lock().through {
            Some(out) => out.flush(),
            // The drawing thread writes them at its next tick.
            None => Ok(()),
        }
    }
}

/// The terminal with the view on it.
struct Screen {
    terminal: Terminal<Tracked>,
    rows: ViewRows,
}

impl Screen {
    /// Places the view below the cursor, which is at `cursor` (as the
    /// terminal said: [`cursor_position`]).
    fn open(out: Box<dyn Write + Send>, plan: &Plan, cursor: Position) -> io::Result<Screen> {
        let mut backend = Tracked {
            // One system call per frame, not one per cell or command.
            inner: CrosstermBackend::new(io::BufWriter::with_capacity(1 << 16, out)),
            cursor: Position::ORIGIN,
        };
        let size = backend.size()?;
        backend.cursor = cursor;
        let rows = ViewRows::fit(plan, size.height);
        let viewport = Viewport::Inline(rows.height().min(size.height));
        let terminal = Terminal::with_options(backend, TerminalOptions { viewport })?;
        Ok(Screen { terminal, rows })
    }

    /// The drawing thread's loop: a frame per tick until told to stop.
    fn run(mut self, plan: &Plan, state: &LiveState, channel: &Channel) {
        let mut seen = Seen::default();
        let lanes = self.rows.lanes;
        let mut failed = false;
        let mut tick = Instant::now() + TICK;
        loop {
            let (lines, stop) = {
                let mut shared = channel.lock();
                // Until the next tick, unless told to stop or the lines
                // waiting fill the buffer.
                loop {
                    let left = tick.saturating_duration_since(Instant::now());
                    if shared.stop || shared.pending.len() >= PENDING_LIMIT || left.is_zero() {
                        break;
                    }
                    shared = channel
                        .changed
                        .wait_timeout(shared, left)
                        .unwrap_or_else(PoisonError::into_inner)
                        .0;
                }
                if Instant::now() >= tick {
                    tick = Instant::now() + TICK;
                }
                let stop = shared.stop;
                // Whole lines only, but everything at the end.
                let cut = if stop {
                    shared.pending.len()
                } else {
                    shared
                        .pending
                        .iter()
                        .rposition(|&b| b == b'\n')
                        .map_or(0, |i| i + 1)
                };
                let lines: Vec<u8> = shared.pending.drain(..cut).collect();
                channel.changed.notify_all();
                (lines, stop)
            };
            state.look(&mut seen, lanes);
            if stop && !failed {
                // The last frame is drawn whole: a `^C` that the terminal
                // echoed at the cursor, or keys typed during the run, are
                // drawn over rather than left in the still.
                failed = self.terminal.clear().is_err();
            }
            if !failed {
                // A terminal that went away (EIO) ends the drawing, not the
                // run: the writes that follow fail and the run reports it.
                failed = self.frame(plan, (&mut seen, state), &lines).is_err();
            }
            if stop {
                break;
            }
        }
        let _ = self.close();
        let mut shared = channel.lock();
        let buffered = std::mem::replace(
            self.terminal.backend_mut().inner.writer_mut(),
            io::BufWriter::new(Box::new(io::sink())),
        );
        let mut out = match buffered.into_inner() {
            Ok(out) => out,
            // The last bytes could not be written: the terminal is gone,
            // and what follows fails the same way.
            Err(err) => err.into_inner().into_parts().0,
        };
        // Anything written between the last frame and now goes out first.
        let rest = std::mem::take(&mut shared.pending);
        let _ = out.write_all(&rest).and_then(|()| out.flush());
        shared.through = Some(out);
        shared.stopped = true;
        channel.changed.notify_all();
    }

    /// Puts `lines` above the view, follows a resize, and draws a frame.
    fn frame(
        &mut self,
        plan: &Plan,
        (seen, state): (&mut Seen, &LiveState),
        lines: &[u8],
    ) -> io::Result<()> {
        let size = self.terminal.size()?;
        let area = self.terminal.get_frame().area();
        let screen = Rect::new(0, 0, size.width, size.height);
        let resized = area.width != size.width || area.bottom() > size.height;
        let top = if resized {
            // The terminal has moved the view's rows as it saw fit; ask it
            // where the cursor (left at the view's top) is now.
            let top = cursor_position(ANSWER_PATIENCE).map_or(area.y, |p| p.y);
            top.min(size.height.saturating_sub(1))
        } else {
            area.y
        };
        if !lines.is_empty() || resized {
            self.move_view(Position::new(0, top))?;
            // In pieces, with a sample after each: a megabyte takes the
            // terminal a while, and the lanes must not skip that time.
            let mut rest = lines;
            while !rest.is_empty() {
                // Whole lines: a line longer than a piece goes alone.
                let end = crate::sink::whole_lines(rest, CHUNK);
                self.terminal
                    .backend_mut()
                    .write_lines(&rest[..end], size)?;
                seen.push(state.sample());
                rest = &rest[end..];
            }
            // `resize` places the viewport at the cursor, making room below
            // it as `insert_before` does, and clears it for a full redraw.
            self.terminal.resize(screen)?;
        }
        let rows = self.rows;
        let seen = &*seen;
        self.terminal
            .draw(|frame| draw::render(plan, seen, rows, frame.area(), frame.buffer_mut()))?;
        // Leave the cursor at the view's top-left between frames: a resize
        // carries it along with the view, and the next frame finds it there.
        let top = self.terminal.get_frame().area().y;
        self.terminal.set_cursor_position(Position::new(0, top))?;
        self.terminal.backend_mut().flush()
    }

    /// Clears the view and puts the cursor at `at`, its new top, in a way
    /// the next `resize` reads as "the view starts here".
    fn move_view(&mut self, at: Position) -> io::Result<()> {
        let top = self.terminal.get_frame().area().y;
        // Terminal::resize keeps the cursor's offset inside the old view;
        // at its top, the offset is zero.
        self.terminal.set_cursor_position(Position::new(0, top))?;
        let backend = self.terminal.backend_mut();
        backend.set_cursor_position(at)?;
        backend.clear_region(ClearType::AfterCursor)
    }

    /// Leaves the last frame on screen, the cursor shown on the line below.
    fn close(&mut self) -> io::Result<()> {
        let area = self.terminal.get_frame().area();
        let last = area.bottom().saturating_sub(1);
        self.terminal.set_cursor_position(Position::new(0, last))?;
        let backend = self.terminal.backend_mut();
        backend.inner.writer_mut().write_all(b"\n")?;
        backend.show_cursor()?;
        Backend::flush(backend)
    }
}

/// How long the terminal has to say where its cursor is: a terminal
/// answers within milliseconds, over a slow ssh link in a round trip.
const ANSWER_PATIENCE: Duration = Duration::from_millis(200);

/// Asks the terminal where its cursor is (`ESC [ 6 n`, answered with
/// `ESC [ row ; column R` on its input), waiting at most `patience`;
/// `None` when no answer came (or there is no terminal to ask).
///
/// crossterm asks the same question, but waits a fixed 2 s for a terminal
/// that does not answer, and in raw mode, in which Ctrl-C is a plain byte
/// rather than SIGINT. Here only line editing and echo are off while the
/// answer is awaited (so that it arrives at once and is not shown), Ctrl-C
/// stays Ctrl-C, and the terminal's settings are put back before this
/// returns.
fn cursor_position(patience: Duration) -> Option<Position> {
    use std::os::fd::AsRawFd;
    let tty = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open("/dev/tty")
        .ok()?;
    let fd = tty.as_raw_fd();
    // SAFETY: `termios` is plain data that zeroes are valid for, and
    // tcgetattr fills it in.
    let mut saved: libc::termios = unsafe { std::mem::zeroed() };
    // SAFETY: a valid descriptor and a valid `termios`.
    if unsafe { libc::tcgetattr(fd, &mut saved) } != 0 {
        return None;
    }
    let mut quiet = saved;
    quiet.c_lflag &= !(libc::ICANON | libc::ECHO);
    quiet.c_cc[libc::VMIN] = 0;
    quiet.c_cc[libc::VTIME] = 0;
    // SAFETY: as above.
    if unsafe { libc::tcsetattr(fd, libc::TCSANOW, &quiet) } != 0 {
        return None;
    }
    let answer = ask(&tty, patience);
    // SAFETY: as above; the settings as they were.
    unsafe {
        libc::tcsetattr(fd, libc::TCSANOW, &saved);
    }
    answer
}

/// Writes the question to `tty` and reads until the answer or `patience`.
fn ask(mut tty: &std::fs::File, patience: Duration) -> Option<Position> {
    use std::io::Read;
    use std::os::fd::AsRawFd;
    tty.write_all(b"\x1b[6n").ok()?;
    let deadline = Instant::now() + patience;
    let mut heard = Vec::new();
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return None;
        }
        let mut wait = libc::pollfd {
            fd: tty.as_raw_fd(),
            events: libc::POLLIN,
            revents: 0,
        };
        let millis = i32::try_from(left.as_millis()).unwrap_or(i32::MAX).max(1);
        // SAFETY: one valid `pollfd`, and a count of one.
        let ready = unsafe { libc::poll(&mut wait, 1, millis) };
        if ready < 0 && io::Error::last_os_error().kind() == io::ErrorKind::Interrupted {
            continue;
        }
        if ready <= 0 {
            return None;
        }
        let mut bytes = [0; 64];
        match tty.read(&mut bytes) {
            Ok(0) | Err(_) => return None,
            Ok(read) => heard.extend_from_slice(&bytes[..read]),
        }
        if let Some(position) = parse_position(&heard) {
            return Some(position);
        }
        // Keys typed meanwhile come first; keep only the tail.
        if heard.len() > 256 {
            heard.drain(..heard.len() - 64);
        }
    }
}

/// The cursor position in a terminal's answer (`ESC [ 12 ; 1 R` is row 12,
/// column 1, counted from one), zero-based, if `bytes` end with one.
fn parse_position(bytes: &[u8]) -> Option<Position> {
    let end = bytes.iter().rposition(|&b| b == b'R')?;
    let start = bytes[..end].windows(2).rposition(|w| w == b"\x1b[")?;
    let text = std::str::from_utf8(&bytes[start + 2..end]).ok()?;
    let (row, column) = text.split_once(';')?;
    let (row, column): (u16, u16) = (row.parse().ok()?, column.parse().ok()?);
    Some(Position::new(
        column.saturating_sub(1),
        row.saturating_sub(1),
    ))
}

/// ratatui's crossterm backend, keeping track of the cursor itself.
///
/// ratatui asks the backend where the cursor is when it places an inline
/// viewport; crossterm answers by asking the terminal, a round trip that
/// needs the terminal's reply on stdin. Here the view always knows: it
/// moves the cursor itself, and counts the rows its lines take.
struct Tracked {
    inner: CrosstermBackend<io::BufWriter<Box<dyn Write + Send>>>,
    cursor: Position,
}

impl Tracked {
    /// Writes `lines` (whole lines) at the cursor, as the bytes they are,
    /// and moves the tracked cursor down by the rows they fill on a screen
    /// of `size` (a line longer than the width wraps).
    fn write_lines(&mut self, lines: &[u8], size: Size) -> io::Result<()> {
        if lines.is_empty() {
            return Ok(());
        }
        let out = self.inner.writer_mut();
        out.write_all(lines)?;
        let width = usize::from(size.width.max(1));
        let mut rows = 0usize;
        for line in lines.split(|&b| b == b'\n') {
            // The colours of `--explain`'s dim narration take no column:
            // counted as columns, a narration line a few short of the width
            // took two rows here, and the view was drawn a row too low,
            // leaving a blank row in the scrolled output.
            let columns = if line.is_ascii() && !line.contains(&0x1b) {
                line.len()
            } else {
                crate::wrap::width(&String::from_utf8_lossy(line))
            };
            rows += columns.div_ceil(width).max(1);
        }
        // The split sees an empty piece after the last newline.
        rows = rows.saturating_sub(if lines.ends_with(b"\n") { 1 } else { 0 });
        let bottom = size.height.saturating_sub(1);
        let row = usize::from(self.cursor.y) + rows;
        self.cursor = Position::new(0, u16::try_from(row).unwrap_or(u16::MAX).min(bottom));
        Ok(())
    }
}

impl Backend for Tracked {
    fn draw<'a, I>(&mut self, content: I) -> io::Result<()>
    where
        I: Iterator<Item = (u16, u16, &'a Cell)>,
    {
        self.inner.draw(content)
    }

    fn append_lines(&mut self, n: u16) -> io::Result<()> {
        self.inner.append_lines(n)?;
        let bottom = self.size()?.height.saturating_sub(1);
        self.cursor = Position::new(0, self.cursor.y.saturating_add(n).min(bottom));
        Ok(())
    }

    fn hide_cursor(&mut self) -> io::Result<()> {
        self.inner.hide_cursor()
    }

    fn show_cursor(&mut self) -> io::Result<()> {
        self.inner.show_cursor()
    }

    fn get_cursor_position(&mut self) -> io::Result<Position> {
        Ok(self.cursor)
    }

    fn set_cursor_position<P: Into<Position>>(&mut self, position: P) -> io::Result<()> {
        let position = position.into();
        self.inner.set_cursor_position(position)?;
        self.cursor = position;
        Ok(())
    }

    fn clear(&mut self) -> io::Result<()> {
        self.inner.clear()
    }

    fn clear_region(&mut self, clear_type: ClearType) -> io::Result<()> {
        self.inner.clear_region(clear_type)
    }

    fn size(&self) -> io::Result<Size> {
        self.inner.size()
    }

    fn window_size(&mut self) -> io::Result<WindowSize> {
        self.inner.window_size()
    }

    fn flush(&mut self) -> io::Result<()> {
        Backend::flush(&mut self.inner)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tracked_at(row: u16) -> Tracked {
        Tracked {
            inner: CrosstermBackend::new(io::BufWriter::new(Box::new(Vec::new()))),
            cursor: Position::new(0, row),
        }
    }

    /// The view is placed again below the lines it printed above itself:
    /// the cursor moves down a row per line, more for a line that wraps,
    /// and stops at the bottom row, where the terminal scrolls instead.
    #[test]
    fn the_cursor_follows_the_lines_written_above_the_view() {
        let size = Size::new(10, 30);
        let mut backend = tracked_at(5);
        backend.write_lines(b"One\nTwo\n", size).unwrap();
        assert_eq!(backend.cursor, Position::new(0, 7));
        // 25 columns on a screen 10 wide take 3 rows; exactly 10 take one.
        backend
            .write_lines(
                format!("{}\n{}\n", "x".repeat(25), "y".repeat(10)).as_bytes(),
                size,
            )
            .unwrap();
        assert_eq!(backend.cursor, Position::new(0, 11));
        // Wide characters count by their columns: 6 of width 2 wrap once.
        backend
            .write_lines("日本語日本語\n".as_bytes(), size)
            .unwrap();
        assert_eq!(backend.cursor, Position::new(0, 13));
        // Colour codes take no column: 10 dim columns fill one row.
        backend
            .write_lines(
                format!("\x1b[2m{}\x1b[0m\n", "│".repeat(10)).as_bytes(),
                size,
            )
            .unwrap();
        backend
            .write_lines(
                format!("\x1b[2m{}\x1b[0m\n", "z".repeat(10)).as_bytes(),
                size,
            )
            .unwrap();
        assert_eq!(backend.cursor, Position::new(0, 15));
        backend.write_lines(&b"line\n".repeat(100), size).unwrap();
        assert_eq!(backend.cursor, Position::new(0, 29), "at the bottom row");
        backend.write_lines(b"", size).unwrap();
        assert_eq!(backend.cursor, Position::new(0, 29));
    }

    #[test]
    fn a_cursor_answer_is_read_after_whatever_came_before_it() {
        assert_eq!(parse_position(b"\x1b[12;1R"), Some(Position::new(0, 11)));
        // A key typed before the answer, and an answer cut short.
        assert_eq!(parse_position(b"x\x1b[3;40R"), Some(Position::new(39, 2)));
        assert_eq!(parse_position(b"\x1b[3;4"), None);
        assert_eq!(parse_position(b"\x1b[A;4R"), None);
    }
}
