//! What `--db` names: an in-memory SQLite database (the default), a
//! SQLite file, or a PostgreSQL server. A leaf, like `net`: the command
//! line checks the text when it is parsed, in every build, so that a bad
//! `--db` reads the same whether or not this build has the drivers.
//!
//! The checks here are the ones that need no driver: the scheme, and that
//! a named file or socket directory exists. A `postgres://` URL's own
//! syntax (port, options) is checked by tokio-postgres's parser before the
//! run starts (`db::enabled`).

use crate::net::{QUOTE_CHARS, escaped};
use std::fmt;

/// How much of a `--db` text, a path or a socket directory an error
/// quotes: all of any real path (Linux's `PATH_MAX`), while a runaway
/// argument is still cut.
pub(crate) const SHOWN_CHARS: usize = 4096;
use std::path::{Path, PathBuf};

/// The database the queries go to.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) enum Database {
    /// A SQLite database in memory: each connection has one of its own,
    /// and nothing touches the disk.
    #[default]
    Memory,
    /// An existing SQLite file, opened read-only: the demo creates nothing
    /// in it and runs only its `sleep` query.
    File(PathBuf),
    /// A PostgreSQL server: a `postgres://` URL, or the `host=/socket/dir
    /// user=...` form, as libpq takes them.
    Postgres(String),
}

impl Database {
    /// Whether the queries go to a PostgreSQL server.
    pub(crate) fn is_postgres(&self) -> bool {
        matches!(self, Database::Postgres(_))
    }
}

impl fmt::Display for Database {
    /// How reports name it: `sqlite::memory:`, `sqlite:PATH`, or the
    /// PostgreSQL target without its password.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Database::Memory => f.write_str("sqlite::memory:"),
            Database::File(path) => write!(f, "sqlite:{}", path.display()),
            Database::Postgres(text) => f.write_str(&without_password(text)),
        }
    }
}

/// `text` with a password (`postgres://user:secret@host`, `password=secret`)
/// replaced by `***`, so that no report or error line repeats it.
fn without_password(text: &str) -> String {
    if let Some(rest) = text
        .strip_prefix("postgres://")
        .or_else(|| text.strip_prefix("postgresql://"))
    {
        let scheme = &text[..text.len() - rest.len()];
        let authority_end = rest.find(['/', '?']).unwrap_or(rest.len());
        let (authority, tail) = rest.split_at(authority_end);
        if let Some(at) = authority.rfind('@') {
            let (user_info, host) = authority.split_at(at);
            if let Some(colon) = user_info.find(':') {
                return format!("{scheme}{}:***{host}{tail}", &user_info[..colon]);
            }
        }
        return text.to_owned();
    }
    text.split_whitespace()
        .map(|pair| match pair.split_once('=') {
            Some(("password", _)) => "password=***".to_owned(),
            _ => pair.to_owned(),
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// What `--db` takes, for the error messages.
const TAKES: &str = "--db takes sqlite::memory:, sqlite:PATH (an existing file), \
                     postgres://USER@HOST/DB or host=/socket/dir user=USER dbname=DB";

/// Parses `--db` (clap's value parser): the scheme, and that what it names
/// exists. The error is one line in the help's words.
pub(crate) fn parse(text: &str) -> Result<Database, String> {
    let text = text.trim();
    if text.is_empty() {
        return Err(format!("empty; {TAKES}"));
    }
    if text == "sqlite::memory:" || text == ":memory:" {
        return Ok(Database::Memory);
    }
    if let Some(path) = text.strip_prefix("sqlite:") {
        // sqlx and SQLAlchemy spell a file `sqlite://PATH`; take both.
        let path = path.strip_prefix("//").unwrap_or(path);
        return sqlite_file(Path::new(path)).map(Database::File);
    }
    if text.starts_with("postgres://") || text.starts_with("postgresql://") {
        return Ok(Database::Postgres(text.to_owned()));
    }
    if text.contains('=') && !text.contains("://") {
        return key_values(text).map(|()| Database::Postgres(text.to_owned()));
    }
    let shown = escaped(text, SHOWN_CHARS);
    match text.split_once("://") {
        Some((scheme, _)) => Err(format!(
            "unknown database scheme {}://; {TAKES}",
            escaped(scheme, QUOTE_CHARS)
        )),
        None => Err(format!("not a database URL: {shown}; {TAKES}")),
    }
}

/// A SQLite file the demo may open: it must exist (the demo creates
/// nothing), and be a file.
fn sqlite_file(path: &Path) -> Result<PathBuf, String> {
    let shown = escaped(&path.display().to_string(), SHOWN_CHARS);
    if path.as_os_str().is_empty() {
        return Err(format!("sqlite: needs a file name; {TAKES}"));
    }
    let dir = path
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    if !dir.is_dir() {
        return Err(format!(
            "sqlite:{shown}: the directory {} does not exist",
            escaped(&dir.display().to_string(), SHOWN_CHARS)
        ));
    }
    if path.is_dir() {
        return Err(format!("sqlite:{shown} is a directory, not a SQLite file"));
    }
    if !path.exists() {
        return Err(format!(
            "sqlite:{shown}: no such file; query opens an existing SQLite file read-only and \
             never creates one (leave out --db for an in-memory database)"
        ));
    }
    Ok(path.to_owned())
}

/// The `key=value ...` form: each word a pair, and a `host=/dir` socket
/// directory that exists.
fn key_values(text: &str) -> Result<(), String> {
    for pair in text.split_whitespace() {
        let Some((key, value)) = pair.split_once('=') else {
            return Err(format!(
                "{} is not key=value; {TAKES}",
                escaped(pair, QUOTE_CHARS)
            ));
        };
        if key == "host" && value.starts_with('/') && !Path::new(value).is_dir() {
            return Err(format!(
                "host={}: the socket directory does not exist",
                escaped(value, SHOWN_CHARS)
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_schemes_are_told_apart() {
        assert_eq!(parse("sqlite::memory:"), Ok(Database::Memory));
        assert_eq!(
            parse("postgres://me@localhost/db"),
            Ok(Database::Postgres("postgres://me@localhost/db".into()))
        );
        assert_eq!(
            parse("host=/tmp user=me"),
            Ok(Database::Postgres("host=/tmp user=me".into()))
        );
        let unknown = parse("mysql://localhost/db").unwrap_err();
        assert!(
            unknown.starts_with("unknown database scheme mysql://"),
            "{unknown}"
        );
        assert!(parse("").is_err());
        assert!(parse("just-words").is_err());
    }

    #[test]
    fn a_sqlite_file_must_exist_in_a_directory_that_exists() {
        let missing_dir = parse("sqlite:/no/such/dir/x.db").unwrap_err();
        assert!(missing_dir.contains("does not exist"), "{missing_dir}");
        let missing_file = parse("sqlite:/tmp/asyncdemo-no-such-file.db").unwrap_err();
        assert!(missing_file.contains("never creates one"), "{missing_file}");
        assert!(parse("sqlite:/tmp").unwrap_err().contains("is a directory"));
        let socket = parse("host=/no/such/dir").unwrap_err();
        assert!(
            socket.contains("socket directory does not exist"),
            "{socket}"
        );
    }

    #[test]
    fn reports_never_repeat_a_password() {
        let shown = |text: &str| parse(text).unwrap().to_string();
        assert_eq!(
            shown("postgres://me:secret@localhost:5432/db"),
            "postgres://me:***@localhost:5432/db"
        );
        assert_eq!(
            shown("host=/tmp user=me password=secret"),
            "host=/tmp user=me password=***"
        );
        assert_eq!(shown("postgres://me@h/db"), "postgres://me@h/db");
    }
}
