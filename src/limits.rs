//! The machine's limits, in one room: each limit (threads, memory,
//! descriptors, stack), the check made before a run starts, and the words
//! an error uses to name the limit and say what to do instead.
//!
//! A run past a limit of the machine used to die in the middle: `malloc`
//! failing inside `join_all` (an abort), a thread that the OS refused
//! inside tokio (a panic, or a worker that never started and a hang), a
//! thread whose signal stack could not be mapped (an abort inside std).
//! None of those leave a way to print a clean error. So the run's needs are
//! estimated up front, from figures measured per task and per thread
//! (docs/limits.md), and compared with what the machine allows:
//!
//! - **threads**: every OS thread takes 4 memory mappings, and
//!   `vm.max_map_count` caps them ([`MapBudget`]);
//! - **address space**: `ulimit -v` (`RLIMIT_AS`) counts every reservation,
//!   thread stacks included;
//! - **memory**: the cgroup's `memory.max` and the system's `MemAvailable`
//!   bound what the run may actually touch.
//!
//! What cannot be estimated is met where it happens, and worded here:
//! running out of file descriptors ([`descriptor_error`]) and the OS
//! refusing a thread ([`spawn`], [`thread_refused`]: `ulimit -u`, a
//! cgroup's `pids.max`).
//!
//! A run that does not fit is refused with one line naming the limit, both
//! figures, and a smaller run that fits; the process exits with code 1
//! ([`Limit::of`] is the one classification every command uses).

use crate::config::Config;
use crate::config::Runtime;
use crate::vocab::Mode;
use std::io;
use std::thread::JoinHandle;

/// An error that a limit of the machine caused (file descriptors, threads,
/// memory), not the command line: the process exits 1, not 2. The message
/// names the limit and what to do instead.
#[derive(Debug)]
pub struct MachineLimit(pub(crate) String);

impl std::fmt::Display for MachineLimit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for MachineLimit {}

/// The stack tokio gives its worker and blocking-pool threads (its default).
const TOKIO_STACK: u64 = 2 << 20;
/// Address space a thread takes besides its stack: the guard page, std's
/// signal stack with its guard, and thread-local storage (measured: under
/// 64 KiB).
const THREAD_EXTRA: u64 = 64 << 10;
/// Memory a thread touches: the used part of its stack, its signal stack,
/// its thread-local storage (measured about 16 KiB; rounded up).
const THREAD_RESIDENT: u64 = 32 << 10;
/// Room for everything that does not grow with the run: the runtime, the
/// buffers, the trace writer, the signal and hang-up threads.
const FIXED: u64 = 32 << 20;

/// Memory each task takes while it waits, by how it is driven: (address
/// space, memory touched). Measured
/// with `/usr/bin/time -v` as the growth of the peak from one to two
/// million tasks (docs/limits.md), then rounded up by about a third, so
/// that a run that passes the check does not fail later.
///
/// `task_stack` is the stack of a `--mode threads` thread: what its
/// blocking call needs (`BlockingCall::STACK_BYTES`, which the caller
/// knows: a sleep needs little, an HTTP client more).
fn per_task(config: &Config, task_stack: u64) -> (u64, u64) {
    let fetch = config.fetch.is_some();
    let driven: u64 = match (config.way.mode, fetch, config.way.spawn) {
        // An HTTP request each, with its connection on both ends, the
        // server's task and the buffers (measured 61 KiB of address space
        // under a limit, 42 KiB touched).
        (_, true, _) => 80 << 10,
        // `lock`: a joined task, its place in the lock's queue, its mark
        // for the pictures and what the task-state model keeps of it
        // (measured 408 bytes).
        _ if config.way.lock.is_some() => 544,
        // A queued blocking call besides the task (measured 625 bytes).
        (Mode::SpawnBlocking, false, _) => 1024,
        // A spawned tokio task: its own allocation (measured 584 bytes).
        (_, false, true) => 768,
        // One future inside `join_all` (measured 240 bytes).
        (_, false, false) => 320,
    };
    // `--timeline` and `--svg` keep two events per task.
    let recorded = if config.record {
        2 * std::mem::size_of::<crate::vocab::Event>() as u64
    } else {
        0
    };
    if config.way.mode == Mode::Threads {
        // A thread each: its stack is reserved whole but touched only a
        // little (measured 83 KiB of address space and 10 KiB touched per
        // sleeping thread). A blocking HTTP client on each thread takes far
        // more: its stack, its buffers, its connection (measured 1.5 MiB
        // and 154 KiB).
        let (address, resident) = if fetch {
            (2 << 20, 192 << 10)
        } else {
            (task_stack + THREAD_EXTRA, THREAD_RESIDENT)
        };
        return (address + recorded, resident + recorded);
    }
    (driven + recorded, driven + recorded)
}

/// The OS threads a run starts besides the main thread, and each one's stack.
fn threads(config: &Config) -> (u64, u64) {
    let tasks = u64::from(config.tasks);
    let workers = match config.way.runtime {
        Some(Runtime::MultiThread(workers)) => workers as u64,
        _ => 0,
    };
    let pool = match (config.way.mode, config.way.blocking_threads) {
        // The pool grows to its size only if that many calls wait at once.
        (Mode::SpawnBlocking, Some(size)) => tasks.min(size as u64),
        _ => 0,
    };
    // `fetch` without --url starts its server on a thread of its own.
    let server = u64::from(config.fetch.as_ref().is_some_and(|f| f.url.is_none()));
    // `query` on SQLite, async: a thread per connection (a smaller stack
    // than tokio's, counted as tokio's: the check errs on the safe side).
    let connections = match &config.query {
        Some(query) if config.way.mode == Mode::Async && !query.db.is_postgres() => {
            u64::from(query.connections.min(config.tasks))
        }
        _ => 0,
    };
    (workers + pool + server + connections, TOKIO_STACK)
}

/// What a run of `config` needs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Need {
    /// Threads the run starts (not counting `--mode threads`' own, which
    /// are budgeted one by one as they start).
    pub threads: u64,
    /// Address space, in bytes: what `ulimit -v` limits.
    pub address: u64,
    /// Memory touched, in bytes: what `memory.max` and `MemAvailable` limit.
    pub resident: u64,
    /// The part of each figure every task adds: (address, resident).
    pub per_task: (u64, u64),
}

impl Need {
    pub(crate) fn of(config: &Config, task_stack: u64) -> Need {
        let (threads, stack) = threads(config);
        let (address, resident) = per_task(config, task_stack);
        let tasks = u64::from(config.tasks);
        Need {
            threads,
            address: FIXED + threads * (stack + THREAD_EXTRA) + tasks * address,
            resident: FIXED + threads * THREAD_RESIDENT + tasks * resident,
            per_task: (address, resident),
        }
    }
}

/// One limit of the machine on memory: its name for the error, and how
/// many bytes it leaves this process.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Room {
    /// `address space (ulimit -v)`, `memory (the cgroup's memory.max)`...
    pub what: &'static str,
    pub bytes: u64,
    /// Whether it bounds address space (else memory touched).
    pub address: bool,
}

/// Checks a run of `config` against every limit this machine reports;
/// `task_stack` as for [`Need::of`].
pub(crate) fn check(config: &Config, task_stack: u64) -> anyhow::Result<()> {
    let need = Need::of(config, task_stack);
    if let Some(budget) = MapBudget::read() {
        let task_threads = if config.way.mode == Mode::Threads {
            0
        } else {
            need.threads
        };
        if task_threads > budget.threads() {
            return Err(limit_error(format!(
                "{task_threads} threads would pass the kernel's limit of {} memory mappings \
                 (vm.max_map_count; each thread takes {}, {} fit): {}",
                budget.max,
                MapBudget::PER_THREAD,
                budget.threads(),
                fewer_threads(config)
            )));
        }
    }
    for room in rooms() {
        check_room(config, &need, &room).map_err(limit_error)?;
    }
    Ok(())
}

/// What to do instead when the run's own threads do not fit.
fn fewer_threads(config: &Config) -> &'static str {
    match (config.way.mode, config.way.runtime) {
        (Mode::SpawnBlocking, Some(Runtime::MultiThread(_))) => {
            "use a smaller --blocking-threads or fewer --workers"
        }
        (Mode::SpawnBlocking, _) => "use a smaller --blocking-threads",
        (_, Some(Runtime::MultiThread(_))) => "use fewer --workers",
        _ => "use --mode async",
    }
}

/// Whether an I/O error means the process (or the system) has no file
/// descriptor left: EMFILE or ENFILE, the same numbers on Linux and macOS.
/// Sockets are what a run opens most, so this is where it runs out; the
/// one classification of machine limits ([`Limit`]) builds on this test.
pub(crate) fn out_of_descriptors(err: &io::Error) -> bool {
    matches!(err.raw_os_error(), Some(23 | 24))
}

/// The process's descriptor limit (`ulimit -n`), if it can be read.
///
/// Read once, early (the built-in server and the fetch client call it
/// first): reading it opens a file, which is exactly what fails once the
/// descriptors have run out.
pub(crate) fn descriptor_limit() -> Option<u64> {
    static LIMIT: std::sync::OnceLock<Option<u64>> = std::sync::OnceLock::new();
    *LIMIT.get_or_init(|| {
        // /proc is Linux only; elsewhere the message does without the number.
        let limits = std::fs::read_to_string("/proc/self/limits").ok()?;
        let line = limits.lines().find(|l| l.starts_with("Max open files"))?;
        line.split_whitespace().nth(3)?.parse().ok()
    })
}

/// The one-line error for running out of descriptors: names the limit,
/// says why (`detail`) and what to do instead (`instead`).
pub(crate) fn descriptor_error(who: &str, detail: &str, instead: &str) -> anyhow::Error {
    limit_error(format!(
        "{who} ran {}: {detail}; {RAISE_DESCRIPTORS}{instead}",
        descriptors_named()
    ))
}

/// "out of file descriptors (ulimit -n is 1024)": the limit, named.
fn descriptors_named() -> String {
    let limit = descriptor_limit().map_or_else(String::new, |n| format!(" (ulimit -n is {n})"));
    format!("out of file descriptors{limit}")
}

/// What to do first when the descriptors have run out.
const RAISE_DESCRIPTORS: &str = "raise the limit with `ulimit -n`";

/// What a run can do instead of raising the descriptor limit.
pub(crate) const FEWER_TASKS: &str = ", or run fewer tasks (-n)";

/// Starts a thread with `builder`; `what` names it for the error
/// ("the signal thread"). The OS refusing it is a limit of the machine
/// ([`thread_refused`]), whichever thread it is: the first thread a plain
/// `count` starts is refused under `ulimit -u` just as a worker is.
pub(crate) fn spawn<T: Send + 'static>(
    builder: std::thread::Builder,
    what: &str,
    body: impl FnOnce() -> T + Send + 'static,
) -> anyhow::Result<JoinHandle<T>> {
    builder
        .spawn(body)
        .map_err(|err| thread_refused(what, Some(&err), ""))
}

/// The one-line error for the OS refusing to start `what` (a thread, a
/// runtime's worker) with `err`: names the limit on threads and what to
/// do (`instead`, after "raise the limit", as [`FEWER_TASKS`] is).
///
/// Linux counts every thread as a process: `ulimit -u` (`RLIMIT_NPROC`)
/// caps this user's processes and threads together, and a cgroup's
/// `pids.max` or `kernel.threads-max` cap them for everyone. Each makes
/// `clone` fail with EAGAIN ("Resource temporarily unavailable"), which
/// alone does not say which limit was met.
///
/// `err` is the OS's answer, when the caller has it (tokio reports a
/// refused worker only by panicking).
pub(crate) fn thread_refused(what: &str, err: Option<&io::Error>, instead: &str) -> anyhow::Error {
    let limit = thread_limit().map_or_else(String::new, |n| format!(" (ulimit -u is {n})"));
    // EAGAIN ("Resource temporarily unavailable") is what "out of threads"
    // says in words; any other answer is quoted.
    let err = err
        .filter(|err| err.raw_os_error() != Some(libc::EAGAIN))
        .map_or_else(String::new, |err| format!(" ({err})"));
    limit_error(format!(
        "the OS refused to start {what}{err}: out of threads{limit}; raise the \
         limit with `ulimit -u`, or end other processes of this user{instead}"
    ))
}

/// The type of an `RLIMIT_*` constant, which glibc spells its own way.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
type Resource = libc::__rlimit_resource_t;
#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
type Resource = libc::c_int;

/// `RLIMIT_NPROC` (`ulimit -u`), if set.
fn thread_limit() -> Option<u64> {
    rlimit(libc::RLIMIT_NPROC)
}

/// The soft limit `resource` (an `RLIMIT_*`), if set.
#[allow(clippy::useless_conversion)] // `rlim_t` is u64 here, not everywhere
fn rlimit(resource: Resource) -> Option<u64> {
    let mut limit = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: `getrlimit` writes the `rlimit` it is given.
    if unsafe { libc::getrlimit(resource, &mut limit) } != 0 {
        return None;
    }
    (limit.rlim_cur != libc::RLIM_INFINITY).then(|| u64::from(limit.rlim_cur))
}

/// A limit of the machine, as the exit code and the error line see it.
///
/// One classification for every command: a single run, `compare` and
/// `serve` all decide with it whether an error is the machine's answer
/// (exit 1) or not (exit 2).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Limit {
    /// The error names its limit itself (a [`MachineLimit`]).
    Named,
    /// Somewhere in the error's chain, a library ran out of file
    /// descriptors (tokio starting its runtime, say) and said only
    /// "Too many open files".
    Descriptors,
}

impl Limit {
    /// Which limit of the machine `err` ran into, if any.
    pub(crate) fn of(err: &anyhow::Error) -> Option<Limit> {
        if err.chain().any(|cause| cause.is::<MachineLimit>()) {
            return Some(Limit::Named);
        }
        let descriptors = err.chain().any(|cause| {
            cause
                .downcast_ref::<io::Error>()
                .is_some_and(out_of_descriptors)
        });
        descriptors.then_some(Limit::Descriptors)
    }

    /// What the error line adds after the error: the limit's name and what
    /// to do, when the error does not say so itself.
    pub(crate) fn hint(self) -> String {
        match self {
            Limit::Named => String::new(),
            Limit::Descriptors => {
                format!(
                    ": {}; {RAISE_DESCRIPTORS}{FEWER_TASKS}",
                    descriptors_named()
                )
            }
        }
    }
}

/// A [`MachineLimit`] saying `message`.
fn limit_error(message: String) -> anyhow::Error {
    anyhow::Error::new(MachineLimit(message))
}

/// The error for a run that `room` cannot hold, if it cannot.
pub(crate) fn check_room(config: &Config, need: &Need, room: &Room) -> Result<(), String> {
    let (needed, per_task) = if room.address {
        (need.address, need.per_task.0)
    } else {
        (need.resident, need.per_task.1)
    };
    if needed <= room.bytes {
        return Ok(());
    }
    let tasks = u64::from(config.tasks);
    let fixed = needed - tasks * per_task;
    let what = room.what;
    let (needed, room_bytes) = (size(needed), size(room.bytes));
    if fixed >= room.bytes {
        return Err(format!(
            "{} threads need about {needed} of {what}, which leaves {room_bytes}; {}",
            need.threads,
            fewer_threads(config)
        ));
    }
    let fits = round_down((room.bytes - fixed) / per_task);
    let instead = if fits == 0 {
        "use --mode async".to_owned()
    } else {
        format!("try -n {fits} or fewer")
    };
    Err(format!(
        "{tasks} tasks need about {needed} of {what}, which leaves {room_bytes}; {instead}"
    ))
}

/// Bytes for people: `870 MiB`, `2.4 GiB`.
fn size(bytes: u64) -> String {
    const MIB: f64 = (1 << 20) as f64;
    let mib = bytes as f64 / MIB;
    if mib >= 1024.0 {
        format!("{:.1} GiB", mib / 1024.0)
    } else {
        format!("{mib:.0} MiB")
    }
}

/// `n` rounded down to two significant digits: a suggestion, not a figure
/// to the byte.
fn round_down(n: u64) -> u64 {
    let mut unit = 1;
    while n / unit >= 100 {
        unit *= 10;
    }
    n / unit * unit
}

/// The limits on memory this machine reports, with what each leaves.
fn rooms() -> Vec<Room> {
    let mut rooms = Vec::new();
    if let Some(max) = address_limit() {
        rooms.push(Room {
            what: "address space (ulimit -v)",
            bytes: max.saturating_sub(read_kib("/proc/self/status", "VmSize:").unwrap_or(0)),
            address: true,
        });
    }
    if let Some((max, used)) = cgroup_memory() {
        rooms.push(Room {
            what: "memory (the cgroup's memory.max)",
            bytes: max.saturating_sub(used),
            address: false,
        });
    }
    if let Some(available) = read_kib("/proc/meminfo", "MemAvailable:") {
        rooms.push(Room {
            what: "memory (MemAvailable)",
            bytes: available,
            address: false,
        });
    }
    rooms
}

/// `RLIMIT_AS` (`ulimit -v`), if set.
fn address_limit() -> Option<u64> {
    rlimit(libc::RLIMIT_AS)
}

/// A field of a /proc file that counts in kB (`MemAvailable:   812 kB`),
/// in bytes.
fn read_kib(path: &str, key: &str) -> Option<u64> {
    kib_field(&std::fs::read_to_string(path).ok()?, key)
}

/// The `key` line of `text`, in the kB format of /proc, in bytes.
fn kib_field(text: &str, key: &str) -> Option<u64> {
    let line = text.lines().find(|l| l.starts_with(key))?;
    Some(line.split_whitespace().nth(1)?.parse::<u64>().ok()? * 1024)
}

/// The cgroup's memory limit and usage, in bytes, if it has a limit:
/// cgroup v2 (`memory.max`, `memory.current`) or v1
/// (`memory.limit_in_bytes`, `memory.usage_in_bytes`), where a container
/// sees its own cgroup at the mount point.
fn cgroup_memory() -> Option<(u64, u64)> {
    let read =
        |path: &str| -> Option<u64> { std::fs::read_to_string(path).ok()?.trim().parse().ok() };
    let (max, used) = [
        ("/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory.current"),
        (
            "/sys/fs/cgroup/memory/memory.limit_in_bytes",
            "/sys/fs/cgroup/memory/memory.usage_in_bytes",
        ),
    ]
    .iter()
    .find_map(|(max, used)| Some((read(max)?, read(used).unwrap_or(0))))?;
    // "max" (v2) does not parse; v1 says "no limit" with a huge number.
    (max < 1 << 60).then_some((max, used))
}

/// Under an address-space limit, keeps glibc from giving each thread a
/// malloc arena of its own.
///
/// Each arena reserves 64 MiB of address space (128 MiB while it is being
/// aligned), up to eight per CPU. Under `ulimit -v` that reservation, not
/// the memory used, is what runs out, and then a thread's first `malloc`
/// fails and Rust aborts the process. One shared arena reserves nothing
/// extra; the run allocates little per thread, so sharing costs nothing
/// that matters here. Without a limit, glibc's default stays.
pub(crate) fn share_malloc_arena_under_address_limit() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    if address_limit().is_some() {
        // SAFETY: `mallopt` only sets a tuning parameter; M_ARENA_MAX
        // takes a count.
        unsafe {
            libc::mallopt(libc::M_ARENA_MAX, 1);
        }
    }
}

/// How many more threads fit under `vm.max_map_count` (Linux).
///
/// Why not just let the OS refuse? On Linux every thread takes 4 mappings
/// (its stack, the stack's guard page, and std's signal stack with its own
/// guard), and `vm.max_map_count` is 65,530 by default: about 16,000 threads.
/// At that point `pthread_create` still succeeds, but the *new* thread
/// cannot map its signal stack, and std aborts the whole process from
/// inside it, with no error to return. So the budget is checked before a
/// thread starts, while a clean error is still possible.
pub(crate) struct MapBudget {
    /// The kernel's limit on this process's memory mappings.
    pub max: u64,
    /// Mappings in use when the run started.
    pub in_use: u64,
}

impl MapBudget {
    /// Mappings each thread adds (measured: 4 per thread on Linux/glibc).
    const PER_THREAD: u64 = 4;
    /// Left for everything else: the allocator, the runtime, the signal thread.
    const RESERVE: u64 = 1024;

    /// Reads the limit and the current count; `None` where /proc says nothing.
    pub(crate) fn read() -> Option<MapBudget> {
        let max = std::fs::read_to_string("/proc/sys/vm/max_map_count").ok()?;
        let maps = std::fs::read_to_string("/proc/self/maps").ok()?;
        Some(MapBudget {
            max: max.trim().parse().ok()?,
            in_use: maps.lines().count() as u64,
        })
    }

    /// How many threads fit.
    pub(crate) fn threads(&self) -> u64 {
        self.max.saturating_sub(self.in_use + Self::RESERVE) / Self::PER_THREAD
    }

    /// Whether one more thread fits after `started` threads.
    pub(crate) fn check(&self, started: u32) -> io::Result<()> {
        if u64::from(started) + 1 > self.threads() {
            return Err(io::Error::other(format!(
                "one more would pass the kernel's limit of {} memory mappings \
                 (vm.max_map_count; each thread takes {})",
                self.max,
                Self::PER_THREAD
            )));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use anyhow::Context;

    #[test]
    fn kib_fields_are_read_in_bytes() {
        let status = "Name:\tasyncdemo\nVmPeak:\t  2048 kB\nVmSize:\t  1024 kB\n";
        assert_eq!(kib_field(status, "VmSize:"), Some(1024 * 1024));
        assert_eq!(kib_field(status, "VmRSS:"), None);
        assert_eq!(kib_field("MemAvailable: lots kB", "MemAvailable:"), None);
    }

    #[test]
    fn emfile_and_enfile_mean_out_of_descriptors() {
        assert!(out_of_descriptors(&io::Error::from_raw_os_error(24)));
        assert!(out_of_descriptors(&io::Error::from_raw_os_error(23)));
        assert!(!out_of_descriptors(&io::Error::from_raw_os_error(111)));
    }

    #[test]
    fn running_out_of_descriptors_is_a_limit_however_deep_it_sits() {
        // As tokio's runtime fails to start under `ulimit -n` inside compare.
        let deep = Err::<(), _>(io::Error::from_raw_os_error(24))
            .context("starting the tokio runtime")
            .context("async")
            .unwrap_err();
        assert_eq!(Limit::of(&deep), Some(Limit::Descriptors));
        assert!(Limit::Descriptors.hint().contains("ulimit -n"));
        let named = anyhow::Error::new(MachineLimit("ulimit -v".into())).context("count");
        assert_eq!(Limit::of(&named), Some(Limit::Named));
        let refused = anyhow::Error::new(io::Error::from_raw_os_error(111));
        assert_eq!(Limit::of(&refused), None);
    }
}
