//! A build without the default feature `live` (`--no-default-features`):
//! `--live` is there, and says why it cannot draw.

use crate::common::asyncdemo;
use predicates::prelude::*;

#[test]
fn live_says_the_build_has_no_view() {
    asyncdemo(&["count", "--live"])
        .assert()
        .code(2)
        .stdout("")
        .stderr(predicate::str::contains(
            "this build has no --live view: it was built without the cargo feature `live`",
        ));
}
