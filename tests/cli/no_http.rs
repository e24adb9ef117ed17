//! A build without the `http` feature (`cargo test --no-default-features`):
//! `fetch` and `serve` say what they need instead of failing obscurely.

use crate::common::*;
use predicates::prelude::*;

#[test]
fn fetch_and_serve_say_they_need_http() {
    for args in [
        &["fetch", "-n", "1"][..],
        &["serve"],
        &["compare", "fetch", "-n", "1"],
    ] {
        asyncdemo(args)
            .assert()
            .code(2)
            .stderr(predicate::str::contains(
                "needs HTTP, and this asyncdemo was built without it",
            ));
    }
}
