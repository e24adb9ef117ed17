//! Black-box tests of the shell completions: every shell gets a script,
//! into a closed pipe too, and the scripts offer the right words when the
//! shells themselves (bash, zsh, fish) run them, wherever those are
//! installed (CI installs them; elsewhere a missing shell is skipped with a
//! message).

use crate::common::*;
use std::collections::BTreeSet;
use std::path::Path;
use std::process::{Command, Output};
use std::time::Duration;

#[test]
fn completions_are_printed_for_every_shell() {
    for shell in ["bash", "zsh", "fish", "powershell", "elvish"] {
        let script = stdout_of(&["completions", shell]);
        assert!(script.len() > 1000, "{shell}: {} bytes", script.len());
    }
    asyncdemo(&["completions", "tcsh"]).assert().code(2);
}

/// zsh and fish show each candidate's description as plain text: the
/// help's markdown backticks (`` `One` ``) are left out, the words kept.
#[test]
fn zsh_and_fish_descriptions_have_no_markdown_backticks() {
    for shell in ["zsh", "fish"] {
        let script = stdout_of(&["completions", shell]);
        assert!(!script.contains('`'), "{shell}: a backtick is left");
        // The descriptions that had them are still there, in plain words.
        assert!(
            script.contains("held across .await (it deadlocks)"),
            "{shell}"
        );
        assert!(
            script.contains("Hello ..., wait, ... World! (the notes"),
            "{shell}"
        );
    }
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

/// What TAB should offer at the end of a line.
#[derive(Clone, Copy, Debug)]
enum Expect {
    /// Exactly these words (options aside): no file names.
    Values(&'static [&'static str]),
    /// No word but options: a duration or a count is no file name.
    NoFiles,
    /// File names, here `notes.txt`.
    Files,
}

/// The lines TAB is pressed after, and what each shell must offer.
const CASES: &[(&str, Expect)] = &[
    (
        "asyncdemo compare ",
        Expect::Values(&["count", "fetch", "hello", "lock", "query"]),
    ),
    (
        "asyncdemo completions ",
        Expect::Values(&["bash", "elvish", "fish", "powershell", "zsh"]),
    ),
    ("asyncdemo count ", Expect::NoFiles),
    ("asyncdemo count --delay ", Expect::NoFiles),
    ("asyncdemo compare --svg ", Expect::Files),
    // A global option's values, before any subcommand.
    (
        "asyncdemo --color ",
        Expect::Values(&["always", "auto", "never"]),
    ),
    (
        "asyncdemo help ",
        Expect::Values(&[
            "compare",
            "completions",
            "count",
            "fetch",
            "hello",
            "help",
            "lock",
            "man",
            "query",
            "serve",
        ]),
    ),
];

/// bash: `complete -p` names the function and its options; the function
/// runs with COMP_WORDS, COMP_CWORD, COMP_LINE and COMP_POINT set as
/// readline sets them, and COMPREPLY is what it offers. With
/// `complete -o default` and an empty COMPREPLY, readline offers file names
/// instead, so the script does the same.
const BASH: &str = r#"
source "$1"
line=$2
read -ra COMP_WORDS <<< "$line"
[[ $line == *" " ]] && COMP_WORDS+=("")
COMP_CWORD=$(( ${#COMP_WORDS[@]} - 1 ))
COMP_LINE=$line
COMP_POINT=${#line}
spec=$(complete -p asyncdemo)
function=${spec##*-F }
function=${function%% *}
cur=${COMP_WORDS[COMP_CWORD]}
# compopt complains outside real completion; its output is not an answer.
"$function" asyncdemo "$cur" "${COMP_WORDS[COMP_CWORD-1]}" 2>/dev/null
if (( ${#COMPREPLY[@]} == 0 )) && [[ $spec == *"-o default"* ]]; then
    compgen -f -- "$cur"
else
    printf '%s\n' "${COMPREPLY[@]}"
fi
"#;

/// zsh completes only inside its line editor, so a zsh drives another on
/// a pseudo-terminal (zsh's zpty module), types the line and TAB. In the
/// inner shell `compadd`, through which every candidate passes, also writes
/// the matches to a file, and `comppostfuncs` marks the end; the outer one
/// reads the terminal until that mark, then hangs up. Arguments: the setup
/// file, the line, the mark's path.
const ZSH_DRIVER: &str = r#"
zmodload zsh/zpty zsh/zselect || exit 3
zpty z zsh -f -i
zpty -w z "source ${(q)1}"
zpty -w -n z "$2"$'\t'
integer deadline=$(( SECONDS + 30 ))
until [[ -e $3 ]] || (( SECONDS > deadline )); do
    zpty -r -t z junk || zselect -t 1
done
zpty -d z
[[ -e $3 ]]
"#;

/// The inner zsh's setup. Arguments (as ${1}..): the completion script,
/// where to write the matches, the mark's path.
const ZSH_SETUP: &str = r#"
autoload -U compinit && compinit -u -D
source @SCRIPT@
compadd() {
    # Calls that only ask (-O, -A, -D fill arrays) pass through unseen.
    if (( ${@[(I)-[OAD]]} )); then builtin compadd "$@"; return; fi
    local -a matches
    builtin compadd -O matches "$@"
    (( $#matches )) && print -rl -- $matches >> @MATCHES@
    builtin compadd "$@"
}
asyncdemo_completed() { print done > @DONE@ }
comppostfuncs=(asyncdemo_completed)
"#;

/// The words `shell` offers when TAB is pressed at the end of `line`, in a
/// directory that holds one file, `notes.txt`; `None` where the shell is not
/// installed.
fn offered(shell: &str, line: &str) -> Option<BTreeSet<String>> {
    let dir = tempfile::tempdir().unwrap();
    let (cwd, home) = (dir.path().join("cwd"), dir.path().join("home"));
    std::fs::create_dir_all(&cwd).unwrap();
    std::fs::create_dir_all(&home).unwrap();
    std::fs::write(cwd.join("notes.txt"), "").unwrap();
    let script = dir.path().join(format!("asyncdemo.{shell}"));
    std::fs::write(&script, stdout_of(&["completions", shell])).unwrap();
    let mut command = Command::new(shell);
    match shell {
        "bash" => command
            .args(["--norc", "--noprofile", "-c", BASH, "bash"])
            .arg(&script)
            .arg(line),
        "fish" => command
            .args(["--no-config", "-c", "source $argv[1]; complete -C $argv[2]"])
            .arg(&script)
            .arg(line),
        "zsh" => {
            let quoted = |path: &Path| format!("'{}'", path.display());
            let (matches, done) = (dir.path().join("matches"), dir.path().join("done"));
            let setup = ZSH_SETUP
                .replace("@SCRIPT@", &quoted(&script))
                .replace("@MATCHES@", &quoted(&matches))
                .replace("@DONE@", &quoted(&done));
            let setup_path = dir.path().join("setup.zsh");
            std::fs::write(&setup_path, setup).unwrap();
            let output = run_shell(
                Command::new("zsh")
                    .args(["-f", "-c", ZSH_DRIVER, "zsh"])
                    .arg(&setup_path)
                    .arg(line)
                    .arg(&done),
                &cwd,
                &home,
            )?;
            assert!(output.status.success(), "zsh: {line:?}: {output:?}");
            let matches = std::fs::read_to_string(&matches).unwrap_or_default();
            return Some(matches.lines().map(str::to_owned).collect());
        }
        _ => unreachable!("no such shell here: {shell}"),
    };
    let output = run_shell(&mut command, &cwd, &home)?;
    assert!(output.status.success(), "{shell}: {line:?}: {output:?}");
    let stdout = String::from_utf8(output.stdout).unwrap();
    // fish writes `word<TAB>description`.
    let words = stdout.lines().map(|l| l.split('\t').next().unwrap());
    Some(words.filter(|w| !w.is_empty()).map(str::to_owned).collect())
}

/// Runs a shell in `cwd` with its own empty HOME (so no user's settings
/// and no history files); `None` when the shell is not installed.
fn run_shell(command: &mut Command, cwd: &Path, home: &Path) -> Option<Output> {
    command
        .current_dir(cwd)
        .env("HOME", home)
        .env("TERM", "xterm")
        .env_remove("XDG_CONFIG_HOME")
        .env_remove("XDG_DATA_HOME");
    let program = command.get_program().to_string_lossy().into_owned();
    match assert_cmd::Command::from_std(std::mem::replace(command, Command::new("true")))
        .timeout(Duration::from_secs(60))
        .output()
    {
        Ok(output) => Some(output),
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => None,
        Err(err) => panic!("running {program}: {err}"),
    }
}

/// Every case of [`CASES`] in `shell`, side by side (zsh's start-up is most
/// of the time); skipped with a message when `shell` is not installed.
fn check_shell(shell: &str) {
    let answers: Vec<Option<BTreeSet<String>>> = std::thread::scope(|scope| {
        let runs: Vec<_> = CASES
            .iter()
            .map(|(line, _)| scope.spawn(move || offered(shell, line)))
            .collect();
        runs.into_iter().map(|run| run.join().unwrap()).collect()
    });
    if answers.iter().any(Option::is_none) {
        eprintln!("skipped: {shell} is not installed, so its completions are not run");
        return;
    }
    for ((line, expect), words) in CASES.iter().zip(answers.into_iter().flatten()) {
        let plain: BTreeSet<&str> = words
            .iter()
            .map(String::as_str)
            .filter(|w| !w.starts_with('-'))
            .collect();
        match expect {
            Expect::Values(values) => assert_eq!(
                plain,
                values.iter().copied().collect(),
                "{shell}: {line:?} offers {words:?}"
            ),
            Expect::NoFiles => assert!(plain.is_empty(), "{shell}: {line:?} offers {words:?}"),
            Expect::Files => assert!(
                plain.contains("notes.txt"),
                "{shell}: {line:?} offers {words:?}"
            ),
        }
    }
}

#[test]
fn bash_completes_values_and_file_names_where_they_belong() {
    check_shell("bash");
}

#[test]
fn zsh_completes_values_and_file_names_where_they_belong() {
    check_shell("zsh");
}

#[test]
fn fish_completes_values_and_file_names_where_they_belong() {
    check_shell("fish");
}
