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

/// `replay --step` is refused the same way, before the file is read; a
/// plain replay still prints the lines and the narration.
#[test]
fn replay_step_says_the_build_has_no_view() {
    let dir = tempfile::tempdir().unwrap();
    let rec = dir.path().join("r.rec");
    let rec = rec.to_str().unwrap();
    asyncdemo(&["count", "-n", "2", "-d", "10ms", "-q", "--record", rec])
        .assert()
        .success();
    asyncdemo(&["replay", rec, "--step"])
        .assert()
        .code(2)
        .stdout("")
        .stderr(predicate::str::contains(
            "this build has no live view to step through: it was built without the cargo feature \
             `live`",
        ));
    asyncdemo(&["replay", rec])
        .assert()
        .success()
        .stdout(predicate::str::contains("  │ "));
}
