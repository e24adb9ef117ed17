use super::*;

fn settings() -> ServeOptions {
    ServeOptions {
        delay: Duration::from_secs(1),
        max_delay: Duration::from_secs(60),
        client_timeout: Duration::from_secs(10),
        log: false,
    }
}

#[test]
fn requests_are_routed_by_path_method_and_delay() {
    let s = settings();
    let get = Method::GET;
    assert_eq!(route(&get, "/", None, &s), Ok(Duration::from_secs(1)));
    assert_eq!(
        route(&get, "/", Some("x=1&delay=250ms"), &s),
        Ok(Duration::from_millis(250))
    );
    let (status, why) = route(&get, "/nope", None, &s).unwrap_err();
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(why, "no such path /nope: try GET /");
    let (status, _) = route(&Method::POST, "/", None, &s).unwrap_err();
    assert_eq!(status, StatusCode::METHOD_NOT_ALLOWED);
    let (status, why) = route(&get, "/", Some("delay=2m"), &s).unwrap_err();
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(
        why,
        "delay 2m is over this server's limit of 1m (--max-delay)"
    );
    let (status, why) = route(&get, "/", Some("delay=soon"), &s).unwrap_err();
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(
        why,
        "invalid duration 'soon': give a number and a unit, such as 250ms, 1.5s or 2m"
    );
    let (status, why) = route(&get, "/", Some("delay=-1s"), &s).unwrap_err();
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(why.contains("cannot be negative"), "{why}");
}

#[test]
fn the_stop_summary_counts_in_words() {
    assert_eq!(stop_summary(0, 0, 0), "served 0 requests");
    assert_eq!(stop_summary(1, 0, 0), "served 1 request");
    assert_eq!(
        stop_summary(2, 1, 0),
        "served 2 requests (1 more answered with an error)"
    );
    assert_eq!(
        stop_summary(1, 0, 1),
        "served 1 request; 1 request cut off, still waiting after 2s of grace"
    );
    assert!(
        stop_summary(0, 0, 3).ends_with("; 3 requests cut off, still waiting after 2s of grace")
    );
}

#[test]
fn host_names_resolve() {
    let addrs = resolve("localhost:0").unwrap();
    assert!(addrs.iter().all(|a| a.ip().is_loopback()), "{addrs:?}");
    assert!(resolve("127.0.0.1").is_err(), "the port is required");
}

/// On the paused clock, a hundred requests to one server all wait
/// together: the server answers each after its delay, not one by one.
#[tokio::test(start_paused = true)]
async fn the_server_answers_concurrent_requests_after_one_delay() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let delay = Duration::from_secs(5);
    let shared = ServerState::new(ServeOptions::built_in(delay), None);
    tokio::spawn(accept_loop(listener, Arc::clone(&shared), |_| true));

    let start = tokio::time::Instant::now();
    let requests = (1..=100).map(|_| async move {
        let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
        stream
            .write_all(b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            .await
            .unwrap();
        let mut reply = String::new();
        stream.read_to_string(&mut reply).await.unwrap();
        reply
    });
    let replies = futures::future::join_all(requests).await;
    assert_eq!(start.elapsed(), delay);
    assert!(
        replies[41].starts_with("HTTP/1.1 200 OK\r\n"),
        "{}",
        replies[41]
    );
    assert!(
        replies[41].ends_with("\r\n\r\ndone after 5s\n"),
        "{}",
        replies[41]
    );
    assert_eq!(shared.served.load(Ordering::Relaxed), 100);
}

/// A client that connects and says nothing is closed after the client
/// timeout, so it cannot hold a descriptor for ever.
#[tokio::test(start_paused = true)]
async fn a_silent_client_is_closed_after_the_client_timeout() {
    use tokio::io::AsyncReadExt;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let shared = ServerState::new(settings(), None);
    tokio::spawn(accept_loop(listener, shared, |_| true));
    let start = tokio::time::Instant::now();
    let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    let mut rest = Vec::new();
    stream.read_to_end(&mut rest).await.unwrap();
    assert_eq!(start.elapsed(), settings().client_timeout);
    assert!(rest.is_empty());
}

/// A request head that trickles in is closed after the head timeout of
/// its own, sooner than the client timeout, which is for silence.
#[tokio::test(start_paused = true)]
async fn a_partial_head_is_closed_after_the_head_timeout() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(accept_loop(
        listener,
        ServerState::new(settings(), None),
        |_| true,
    ));
    let start = tokio::time::Instant::now();
    let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    stream
        .write_all(b"GET / HTTP/1.1\r\nHost: x\r\n")
        .await
        .unwrap();
    let mut rest = Vec::new();
    let _ = stream.read_to_end(&mut rest).await;
    assert!(HEAD_TIMEOUT < settings().client_timeout);
    assert_eq!(start.elapsed(), HEAD_TIMEOUT);
}

/// An answered keep-alive connection stays open until the client
/// timeout: idle is not stalled, and is closed early only under
/// descriptor pressure.
#[tokio::test(start_paused = true)]
async fn an_idle_keep_alive_connection_lasts_the_client_timeout() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let options = ServeOptions::built_in(Duration::ZERO);
    tokio::spawn(accept_loop(
        listener,
        ServerState::new(options, None),
        |_| true,
    ));
    let mut stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    stream
        .write_all(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        .await
        .unwrap();
    let start = tokio::time::Instant::now();
    let mut reply = Vec::new();
    let _ = stream.read_to_end(&mut reply).await;
    let reply = String::from_utf8_lossy(&reply);
    assert!(reply.starts_with("HTTP/1.1 200 OK"), "{reply}");
    assert!(
        start.elapsed() >= options.client_timeout,
        "{:?}",
        start.elapsed()
    );
}
