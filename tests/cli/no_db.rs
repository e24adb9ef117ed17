//! A build without the `db` feature (`cargo test --no-default-features`):
//! `query` says what it needs instead of failing obscurely.

use crate::common::*;
use predicates::prelude::*;

#[test]
fn query_says_it_needs_the_database_drivers() {
    asyncdemo(&["query", "-n", "1"])
        .assert()
        .code(2)
        .stdout("")
        .stderr(predicate::str::contains(
            "query needs the database drivers, and this asyncdemo was built without them",
        ));
    // A bad argument reads the same as in a build with the drivers.
    asyncdemo(&["query", "--db", "mysql://x/y"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("unknown database scheme mysql://"));
}
