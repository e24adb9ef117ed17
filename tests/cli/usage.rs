//! Usage errors that say what the user meant.

use crate::common::asyncdemo;
use predicates::prelude::*;

/// `compare` runs every way itself: an option that picks one way is a
/// usage error (exit 2) that says so, not clap's advice to pass the
/// option "as a value".
#[test]
fn compare_with_a_way_says_that_compare_runs_every_mode_itself() {
    for args in [
        &["compare", "count", "--blocking"][..],
        &["compare", "hello", "-n", "2", "--spawn"],
        &["--color", "never", "compare", "count", "--workers", "2"],
    ] {
        asyncdemo(args)
            .env_remove("CLICOLOR_FORCE")
            .assert()
            .code(2)
            .stdout("")
            .stderr(predicate::str::contains("it runs every mode itself"))
            .stderr(predicate::str::contains("Usage: asyncdemo compare"))
            .stderr(predicate::str::contains("as a value").not());
    }
    // Any other unknown option keeps clap's own words.
    asyncdemo(&["compare", "count", "--frobnicate"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "unexpected argument '--frobnicate'",
        ));
}
