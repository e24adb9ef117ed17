//! Ctrl-C and SIGTERM, in every mode.
//!
//! The usual tokio answer, `tokio::signal::ctrl_c().await` raced against the
//! work, needs the runtime to poll it. In blocking mode the runtime's only
//! thread is stuck inside `std::thread::sleep` and polls nothing, so such a
//! handler would not run until the sleep ended: `--delay 500years` could
//! not be stopped. So the signals are received on a thread of their own,
//! which never blocks on the demo and can always act.

use crate::vocab::Signal;
use anyhow::Context;
use signal_hook::consts::{SIGINT, SIGTERM};
use signal_hook::iterator::Signals;

/// Calls `handler` on a dedicated thread when the first SIGINT or SIGTERM
/// arrives. From then on those signals no longer kill the process: the
/// handler decides what happens, and is expected to exit.
pub(crate) fn on_signal(handler: impl FnOnce(Signal) + Send + 'static) -> anyhow::Result<()> {
    let mut signals = Signals::new([SIGINT, SIGTERM]).context("installing the signal handler")?;
    std::thread::Builder::new()
        .name("signals".into())
        .spawn(move || {
            if let Some(number) = signals.forever().next() {
                handler(if number == SIGTERM {
                    Signal::Terminate
                } else {
                    Signal::Interrupt
                });
            }
        })
        .context("starting the signal thread")?;
    Ok(())
}
