use super::*;
use clap::CommandFactory;

#[test]
fn verify_cli() {
    Cli::command().debug_assert();
}

#[test]
fn default_task_counts_match_the_demos() {
    for demo in [Demo::Count, Demo::Hello] {
        let cli = Cli::try_parse_from(["asyncdemo", demo.name()]).unwrap();
        let (Command::Count(args) | Command::Hello(args)) = cli.command else {
            panic!("parsed as another subcommand")
        };
        assert_eq!(
            args.workload.tasks,
            Some(demo.default_tasks()),
            "{}",
            demo.name()
        );
    }
}

/// Every example in the help and the man page is a valid command line.
#[test]
fn every_example_parses() {
    let subcommands: Vec<String> = Cli::command()
        .get_subcommands()
        .map(|c| c.get_name().to_owned())
        .collect();
    for (command, list) in EXAMPLES {
        // Every subcommand has examples of its own, and each example
        // belongs to the command it is listed under.
        assert!(command.is_empty() || subcommands.iter().any(|s| s == command));
        assert!(!list.is_empty(), "no examples for {command:?}");
        for (example, _) in list {
            assert!(
                example.starts_with(format!("asyncdemo {command}").trim_end()),
                "{example} is listed under {command:?}"
            );
            // The command itself, without a shell redirection or pipe.
            let command = example.split(['>', '|']).next().unwrap();
            let words: Vec<&str> = command.split_whitespace().collect();
            if let Err(err) = Cli::try_parse_from(&words) {
                panic!("{example}: {err}");
            }
        }
    }
    for subcommand in subcommands.iter().filter(|s| *s != "help") {
        assert!(!examples_of(subcommand).is_empty(), "{subcommand}");
    }
}

#[test]
fn fetch_describes_its_modes_as_requests_and_parses_them_all() {
    for mode in Mode::value_variants() {
        let cli = Cli::try_parse_from(["asyncdemo", "fetch", "-m", mode.name()]).unwrap();
        let Command::Fetch(args) = cli.command else {
            panic!("parsed as another subcommand")
        };
        assert_eq!(args.run.mode, *mode);
    }
    let cli = Cli::try_parse_from(["asyncdemo", "fetch"]).unwrap();
    let Command::Fetch(args) = cli.command else {
        panic!("parsed as another subcommand")
    };
    assert_eq!(args.run.mode, Mode::Async);
    assert!(Cli::try_parse_from(["asyncdemo", "fetch", "-m", "sleepy"]).is_err());
    let help = Cli::command()
        .find_subcommand_mut("fetch")
        .unwrap()
        .render_long_help()
        .to_string();
    assert!(help.contains("How each request waits"), "{help}");
    assert!(!help.contains("sleep"), "{help}");
}

#[test]
fn numbers_and_durations_do_not_complete_as_file_names() {
    let mut cli = Cli::command();
    cli.build();
    for command in ["count", "hello", "fetch", "compare", "serve"] {
        let command = cli.find_subcommand(command).unwrap();
        for arg in command.get_arguments() {
            let named = arg.get_value_names().map(|names| names[0].as_str());
            let expected = match named {
                Some("DURATION" | "N" | "K") => Some(ValueHint::Other),
                Some("FILE") => Some(ValueHint::FilePath),
                Some("ADDR") => Some(ValueHint::Hostname),
                _ => None,
            };
            if let Some(hint) = expected {
                assert_eq!(arg.get_value_hint(), hint, "{}", arg.get_id());
            }
        }
    }
}

#[test]
fn blocking_is_mode_blocking() {
    let cli = Cli::try_parse_from(["asyncdemo", "count", "--blocking"]).unwrap();
    let Command::Count(args) = cli.command else {
        panic!("parsed as another demo")
    };
    assert!(args.blocking);
    assert!(Cli::try_parse_from(["asyncdemo", "count", "--blocking", "-m", "async"]).is_err());
}
