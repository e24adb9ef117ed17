//! The reference for bench/bench.py: N tasks, each `tokio::time::sleep(delay)`,
//! joined with `futures::future::join_all` on a current-thread runtime.
//! Prints nothing; default allocator; the runtime is dropped normally.
//!
//!     reference N DELAY_SECS

use std::time::Duration;

fn main() {
    let mut args = std::env::args().skip(1);
    let n: usize = args.next().expect("usage: reference N DELAY_SECS").parse().expect("N: a count");
    let delay: f64 = args.next().expect("usage: reference N DELAY_SECS").parse().expect("DELAY_SECS: seconds");
    let delay = Duration::from_secs_f64(delay);

    let runtime = tokio::runtime::Builder::new_current_thread().enable_time().build().expect("runtime");
    runtime.block_on(tokio::task::unconstrained(futures::future::join_all(
        (0..n).map(|_| async move { tokio::time::sleep(delay).await }),
    )));
}
