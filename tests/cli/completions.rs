//! Black-box tests of the shell completions: every shell gets a script,
//! into a closed pipe too, and the scripts offer the right words.

use crate::common::*;

#[test]
fn completions_are_printed_for_every_shell() {
    for shell in ["bash", "zsh", "fish", "powershell", "elvish"] {
        let script = stdout_of(&["completions", shell]);
        assert!(script.len() > 1000, "{shell}: {} bytes", script.len());
    }
    asyncdemo(&["completions", "tcsh"]).assert().code(2);
}

#[test]
fn generated_output_into_a_closed_pipe_ends_quietly() {
    // Completions are generated into memory first: their generators would
    // panic on a failed write.
    let mut child = binary()
        .args(["completions", "zsh"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take());
    let status = wait_with_limit(&mut child, std::time::Duration::from_secs(10));
    assert_eq!(status.code(), Some(0));
    assert_eq!(rest(child.stderr.take().unwrap()), "");
}

#[test]
fn durations_do_not_complete_as_file_names() {
    let script = stdout_of(&["completions", "bash"]);
    let (_, delay) = script.split_once("--delay)").unwrap();
    let case = &delay[..delay.find(";;").unwrap()];
    assert!(!case.contains("compgen -f"), "{case}");
}
