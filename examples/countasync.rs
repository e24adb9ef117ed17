//! The notes' countasync.py in Rust: three tasks print "One", wait a second
//! without blocking, and print "Two". Run it with
//! `cargo run --example countasync`.

use std::time::{Duration, Instant};

async fn count() {
    // `println!` keeps the twin as short as the Python; it panics if stdout
    // closes early (`| head -1`), which is why asyncdemo itself writes
    // through a locked writer and handles the error.
    println!("One");
    // `tokio::time::sleep` returns a future: awaiting it hands the thread
    // back to the runtime until the timer fires, as `await asyncio.sleep(1)`
    // gives execution back to the event loop. `std::thread::sleep` here
    // would hold the only thread, and the tasks would run one after another.
    tokio::time::sleep(Duration::from_secs(1)).await;
    println!("Two");
}

// One thread, like asyncio's event loop: the waits overlap because nobody
// holds the thread while waiting, not because there are more threads.
#[tokio::main(flavor = "current_thread")]
async fn main() {
    let start = Instant::now();
    // `join_all` plays `asyncio.gather`: it polls the three futures in turn
    // until all are done. Calling `count()` only builds a future; nothing
    // runs until it is awaited.
    futures::future::join_all([count(), count(), count()]).await;
    let elapsed = start.elapsed().as_secs_f64();
    println!("{} executed in {elapsed:0.2} seconds.", file!());
}
