//! The notes' hello example in Rust: two tasks print "Hello ...", wait a
//! second without blocking, and print "... World!". Run it with
//! `cargo run --example hello`.

use std::time::{Duration, Instant};

async fn hello() {
    println!("Hello ...");
    // Awaiting the sleep gives the thread back to the runtime, so the other
    // task says its "Hello ..." while this one waits: both greetings come
    // first, then both replies, a second later.
    tokio::time::sleep(Duration::from_secs(1)).await;
    println!("... World!");
}

// One thread, as in asyncio: the two waits overlap on it.
#[tokio::main(flavor = "current_thread")]
async fn main() {
    let start = Instant::now();
    // `asyncio.gather(hello(), hello())`, in futures' words.
    futures::future::join_all([hello(), hello()]).await;
    // The notes print no time for this one; asyncdemo does, and it shows
    // that two one-second waits took one second.
    let elapsed = start.elapsed().as_secs_f64();
    println!("{} executed in {elapsed:0.2} seconds.", file!());
}
