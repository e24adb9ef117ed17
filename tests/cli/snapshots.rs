//! Snapshots of what a reader sees, whole (insta, as hyperfine's
//! `src/export/tests.rs` keeps its tables): the `compare` table and the
//! `--explain` narration. Everything measured (times, speedups, the
//! machine's worker count) is redacted first, so a snapshot holds only the
//! words and their order, which do not depend on the machine.
//!
//! Only runs whose order of events is fixed are snapshotted: one thread
//! polls every task (current-thread, or join_all on a multi-thread
//! runtime), or a single task. After a deliberate change of wording,
//! review and accept the new snapshots with `cargo insta review`.

use crate::common::*;

/// `text` with every measured figure replaced: a decimal number (a time,
/// a speedup) becomes `[t]`, and the worker count of a multi-thread
/// runtime (`×2`, `= 2 workers`), which is the machine's CPU count,
/// becomes `[n]`. Integers elsewhere (task numbers, `20ms`) stay.
fn redacted(text: &str) -> String {
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c.is_ascii_digit() {
            let start = i;
            while i < chars.len() && (chars[i].is_ascii_digit() || chars[i] == '.') {
                i += 1;
            }
            let number: String = chars[start..i].iter().collect();
            let before: String = chars[start.saturating_sub(2)..start].iter().collect();
            let after: String = chars[i..(i + 8).min(chars.len())].iter().collect();
            if number.contains('.') {
                out.push_str("[t]");
            } else if before.ends_with('×') || (before == "= " && after == " workers") {
                out.push_str("[n]");
            } else {
                out.push_str(&number);
            }
            continue;
        }
        out.push(c);
        i += 1;
    }
    out
}

#[test]
fn redaction_keeps_words_and_counts_and_hides_measurements() {
    assert_eq!(
        redacted(
            "| blocking | multi-thread ×16, joined | 0.06 s | 1.0× | runtime (×16 = 16 workers)"
        ),
        "| blocking | multi-thread ×[n], joined | [t] s | [t]× | runtime (×[n] = [n] workers)"
    );
    assert_eq!(
        redacted("task 2 printed \"One\" and awaits tokio::time::sleep(20ms) after 21.219 ms"),
        "task 2 printed \"One\" and awaits tokio::time::sleep(20ms) after [t] ms"
    );
}

/// Runs `asyncdemo ARGS` (split at spaces) to success; its stdout,
/// redacted.
fn redacted_stdout(args: &str) -> String {
    let args: Vec<&str> = args.split_whitespace().collect();
    redacted(&stdout_of(&args))
}

#[test]
fn the_compare_table_in_text() {
    insta::assert_snapshot!(redacted_stdout(
        "compare count -d 20ms --ways async,blocking"
    ));
}

#[test]
fn the_compare_table_in_markdown() {
    insta::assert_snapshot!(redacted_stdout(
        "compare count -d 20ms --ways async,blocking,multi-joined,in-place-joined -f markdown"
    ));
}

#[test]
fn explain_narrates_one_async_task() {
    insta::assert_snapshot!(redacted_stdout("count -n 1 -d 20ms --explain"));
}

#[test]
fn explain_narrates_two_blocking_tasks() {
    insta::assert_snapshot!(redacted_stdout("count -n 2 -d 20ms --blocking --explain"));
}
