//! A build with HTTP: the `url` crate makes the URL's last checks.

/// The checks only a real URL parser can make: the host (an IPv4 address
/// has four parts of at most 255, an IPv6 one its brackets) and the port
/// (a number up to 65535).
pub(super) fn parse(text: &str, example: &str) -> Result<(), String> {
    let url = url::Url::parse(text).map_err(|err| format!("not a valid URL: {err}, {example}"))?;
    if url.host_str().is_none_or(str::is_empty) {
        return Err(format!("the URL has no host, {example}"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::super::check_url;

    #[test]
    fn malformed_urls_are_refused() {
        for url in [
            "http://:80/",
            "http://127.0.0.1:99999/",
            "http://127.0.0.1:-1/",
            "http://127.0.0.1:abc/",
            "http://127.0.0.1:80:80/",
            "http://256.0.0.1:80/",
            "http://[::1/",
            "http:///",
            "http:///x",
        ] {
            let err = check_url(url).expect_err(url);
            assert!(err.contains("e.g. http://127.0.0.1:8000/"), "{url}: {err}");
        }
        assert!(check_url("https://x/").unwrap_err().contains("TLS"));
        assert!(check_url("ftp://x/").unwrap_err().starts_with("expected"));
        assert!(check_url("http://x/ y").unwrap_err().contains("spaces"));
    }
}
