//! The sink's writer ([`WholeLines`]): whole lines only, at most a pipe's atomic write at a
//! time, so that output is only ever cut between lines.

use super::whole_lines;
use std::io::{self, Write};

/// The size of the output buffer. Larger than std's 8 KiB default so that
/// a million-task run fills it a few hundred times instead of thousands.
pub(super) const BUFFER_BYTES: usize = 64 * 1024;

/// The largest write a pipe takes atomically: all of it or, while the pipe
/// is full, none of it (POSIX guarantees at least 512; Linux gives 4096).
pub(super) const PIPE_BUF: usize = 4096;

/// A buffered writer that hands its destination whole lines only, at most
/// [`PIPE_BUF`] bytes per call where the lines allow.
///
/// Why not `BufWriter`: when its buffer fills, it writes all of it, ending
/// wherever the buffer ended, often mid-line; and into a pipe a 64 KiB
/// `write(2)` goes in piece by piece as the reader makes room. A process
/// ending during such a write (Ctrl-C while the reader is slow; the signal
/// thread exits without waiting for the stuck writer) left the reader half
/// a line. Here a full buffer sends only its complete lines, and each
/// `write(2)` carries whole lines of at most `PIPE_BUF` bytes, which a pipe
/// accepts entirely or not at all. So output is only ever cut between lines.
pub(crate) struct WholeLines<W: Write> {
    inner: W,
    buf: Vec<u8>,
}

impl<W: Write> WholeLines<W> {
    pub(super) fn new(inner: W) -> WholeLines<W> {
        WholeLines {
            inner,
            buf: Vec::with_capacity(BUFFER_BYTES),
        }
    }

    /// Writes the first `len` buffered bytes, in chunks that end at a line
    /// break and hold at most [`PIPE_BUF`] bytes (a longer line goes alone,
    /// in one call), then drops them from the buffer.
    fn write_out(&mut self, len: usize) -> io::Result<()> {
        let mut done = 0;
        let result = loop {
            if done == len {
                break Ok(());
            }
            let rest = &self.buf[done..len];
            let end = whole_lines(rest, PIPE_BUF);
            // `write_all` retries only after a partial write, which a pipe
            // makes only for a call larger than PIPE_BUF.
            match self.inner.write_all(&rest[..end]) {
                Ok(()) => done += end,
                Err(err) => break Err(err),
            }
        };
        self.buf.drain(..done);
        result
    }
}

impl<W: Write> Write for WholeLines<W> {
    fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
        self.buf.extend_from_slice(bytes);
        if self.buf.len() >= BUFFER_BYTES {
            // Full: send the complete lines and keep the one in progress.
            if let Some(newline) = self.buf.iter().rposition(|&b| b == b'\n') {
                self.write_out(newline + 1)?;
            }
        }
        Ok(bytes.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        // Called between lines (the sink's lock makes each line whole), so
        // this sends complete lines.
        self.write_out(self.buf.len())?;
        self.inner.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn whole_lines_end_at_a_line_break_within_the_limit() {
        assert_eq!(whole_lines(b"ab\ncd\nef", 7), 6);
        assert_eq!(whole_lines(b"ab\ncd\nef", 5), 3);
        // A line longer than the limit goes alone, whole.
        assert_eq!(whole_lines(b"abcdef\ngh\n", 3), 7);
        // No line break at all: everything.
        assert_eq!(whole_lines(b"abc", 2), 3);
        assert_eq!(whole_lines(b"", 4), 0);
    }

    /// Records the size of every `write` call it gets.
    #[derive(Default)]
    struct Calls(Vec<Vec<u8>>);

    impl Write for Calls {
        fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
            self.0.push(buf.to_vec());
            Ok(buf.len())
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn every_write_is_whole_lines_of_at_most_pipe_buf_bytes() {
        let mut out = WholeLines::new(Calls::default());
        // Lines of varying length, written in pieces as serde_json does,
        // enough to fill the buffer several times.
        let mut sent = Vec::new();
        for i in 0..20_000 {
            let line = format!("{{\"task\":{i},\"text\":\"{}\"}}\n", "x".repeat(i % 97));
            for piece in line.as_bytes().chunks(7) {
                out.write_all(piece).unwrap();
            }
            sent.extend_from_slice(line.as_bytes());
        }
        out.flush().unwrap();
        let calls = &out.inner.0;
        assert!(calls.len() > 1);
        for call in calls {
            assert!(call.len() <= PIPE_BUF, "a write of {} bytes", call.len());
            assert_eq!(call.last(), Some(&b'\n'), "a write that ends mid-line");
        }
        assert_eq!(calls.concat(), sent, "every byte, in order, once");
    }

    #[test]
    fn a_line_longer_than_pipe_buf_goes_whole_in_one_write() {
        let mut out = WholeLines::new(Calls::default());
        let long = "y".repeat(3 * PIPE_BUF) + "\n";
        out.write_all(b"short\n").unwrap();
        out.write_all(long.as_bytes()).unwrap();
        out.write_all(b"tail\n").unwrap();
        out.flush().unwrap();
        let calls: Vec<&[u8]> = out.inner.0.iter().map(Vec::as_slice).collect();
        assert_eq!(calls, [&b"short\n"[..], long.as_bytes(), b"tail\n"]);
    }
}
