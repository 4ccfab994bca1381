//! Runs one program in its own child process and measures its wall time and peak memory.

use std::fs::File;
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// What one run of a program cost, and what it said.
pub struct Measured {
    pub wall: Duration,
    /// The child's peak resident set size in KiB: `VmHWM` of `/proc/<pid>/status`, polled
    /// while it runs. `wait4`'s `ru_maxrss` cannot be used alone: Linux carries the spawning
    /// process's high-water mark over into the child at `exec`, so every program would show
    /// at least the bench's own size. It is the fallback for a run too short to be polled.
    pub peak_rss_kib: u64,
    /// CPU time the child spent in user mode and in the kernel, all its threads together
    /// (`wait4`'s `ru_utime` and `ru_stime`): beside the wall time, it says whether a program
    /// was fast by working less or by working on more cores at once.
    pub user: Duration,
    pub system: Duration,
    pub exit_code: Option<i32>,
    pub stdout: String,
    pub stderr: String,
}

impl Measured {
    pub fn succeeded(&self) -> bool {
        self.exit_code == Some(0)
    }
}

/// How long a service may take to reach its stop condition before the bench gives up on it.
const STOP_DEADLINE: Duration = Duration::from_secs(30 * 60);

/// Runs `command` to completion. Output goes to files in `log_dir` rather than pipes, so that
/// nothing has to read pipes while the child runs.
pub fn run_measured(
    command: &mut Command,
    log_dir: &Path,
    label: &str,
) -> Result<Measured, String> {
    run_measured_until(command, log_dir, label, None)
}

/// Runs `command`, a service that does not end by itself: asks `done` every few milliseconds
/// while it runs and sends it SIGTERM when `done` says so, then waits for it to drain and exit.
/// The wall time runs from the start to the exit.
pub fn run_service(
    command: &mut Command,
    log_dir: &Path,
    label: &str,
    done: &mut dyn FnMut() -> Result<bool, String>,
) -> Result<Measured, String> {
    run_measured_until(command, log_dir, label, Some(done))
}

fn run_measured_until(
    command: &mut Command,
    log_dir: &Path,
    label: &str,
    stop: Option<&mut dyn FnMut() -> Result<bool, String>>,
) -> Result<Measured, String> {
    std::fs::create_dir_all(log_dir).map_err(|e| format!("create {}: {e}", log_dir.display()))?;
    let out_path = log_dir.join(format!("{label}.stdout"));
    let err_path = log_dir.join(format!("{label}.stderr"));
    let open = |p: &Path| File::create(p).map_err(|e| format!("create {}: {e}", p.display()));
    command
        .stdin(Stdio::null())
        .stdout(Stdio::from(open(&out_path)?))
        .stderr(Stdio::from(open(&err_path)?));
    let start = Instant::now();
    let child = command
        .spawn()
        .map_err(|e| format!("start {:?}: {e}", command.get_program()))?;
    let pid = child.id() as libc::pid_t;
    let done = Arc::new(AtomicBool::new(false));
    let poller = {
        let done = Arc::clone(&done);
        std::thread::spawn(move || {
            let mut peak = 0;
            while !done.load(Ordering::Relaxed) {
                peak = peak.max(vm_hwm_kib(pid).unwrap_or(0));
                std::thread::sleep(Duration::from_millis(5));
            }
            peak
        })
    };
    // Wait for the exit without reaping, so the pid cannot be reused while the poller reads.
    let exited = match stop {
        None => wait_for_exit(pid),
        Some(stop) => stop_when_done(pid, start, stop),
    };
    let wall = start.elapsed();
    done.store(true, Ordering::Relaxed);
    let polled = poller.join().unwrap_or(0);
    // Reaped also when the run failed (a stop condition that failed has killed the child).
    let (status, usage) = wait4(pid)?;
    exited?;
    let exit_code = libc::WIFEXITED(status).then(|| libc::WEXITSTATUS(status));
    let read = |p: &Path| std::fs::read_to_string(p).unwrap_or_default();
    Ok(Measured {
        wall,
        peak_rss_kib: if polled > 0 {
            polled
        } else {
            u64::try_from(usage.ru_maxrss).unwrap_or(0)
        },
        user: duration_of(usage.ru_utime),
        system: duration_of(usage.ru_stime),
        exit_code,
        stdout: read(&out_path),
        stderr: read(&err_path),
    })
}

/// The high-water mark of a running process's resident set, in KiB.
fn vm_hwm_kib(pid: libc::pid_t) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

fn duration_of(time: libc::timeval) -> Duration {
    Duration::from_secs(u64::try_from(time.tv_sec).unwrap_or(0))
        + Duration::from_micros(u64::try_from(time.tv_usec).unwrap_or(0))
}

/// The first CPU the bench itself may run on: where a one-core comparison pins both programs.
pub fn first_allowed_cpu() -> Result<usize, String> {
    // SAFETY: cpu_set_t is plain old data (a bit set); all-zero is the empty set, which
    // sched_getaffinity overwrites, and CPU_ISSET reads within its fixed size.
    unsafe {
        let mut set: libc::cpu_set_t = std::mem::zeroed();
        if libc::sched_getaffinity(0, std::mem::size_of::<libc::cpu_set_t>(), &mut set) != 0 {
            return Err(format!(
                "sched_getaffinity: {}",
                std::io::Error::last_os_error()
            ));
        }
        (0..libc::CPU_SETSIZE as usize)
            .find(|&cpu| libc::CPU_ISSET(cpu, &set))
            .ok_or_else(|| "the bench may run on no CPU".to_string())
    }
}

/// Makes the child of `command` run on CPU `cpu` only, from before its `exec` on (so every
/// thread it starts inherits it): a one-core comparison must not let a program's reader thread
/// run beside its mapping on a second core while the other program has one thread.
pub fn pin_to_cpu(command: &mut Command, cpu: usize) {
    use std::os::unix::process::CommandExt;
    // SAFETY: the closure runs in the forked child before exec; it allocates nothing and makes
    // one system call (sched_setaffinity is async-signal-safe), on a set on its own stack.
    unsafe {
        command.pre_exec(move || {
            let mut set: libc::cpu_set_t = std::mem::zeroed();
            libc::CPU_ZERO(&mut set);
            libc::CPU_SET(cpu, &mut set);
            if libc::sched_setaffinity(0, std::mem::size_of::<libc::cpu_set_t>(), &set) != 0 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
}

/// Blocks until the child has exited, leaving it to be reaped by [`wait4`].
fn wait_for_exit(pid: libc::pid_t) -> Result<(), String> {
    loop {
        // SAFETY: siginfo_t is plain old data that waitid fills; pid is our unreaped child.
        let mut info: libc::siginfo_t = unsafe { std::mem::zeroed() };
        let result = unsafe {
            libc::waitid(
                libc::P_PID,
                pid as libc::id_t,
                &mut info,
                libc::WEXITED | libc::WNOWAIT,
            )
        };
        if result == 0 {
            return Ok(());
        }
        let error = std::io::Error::last_os_error();
        if error.kind() != std::io::ErrorKind::Interrupted {
            return Err(format!("wait for process {pid}: {error}"));
        }
    }
}

/// Sends the child SIGTERM once `done` says so, then waits for its exit (without reaping it).
/// A failing `done`, or one that says nothing within [`STOP_DEADLINE`], kills the child.
fn stop_when_done(
    pid: libc::pid_t,
    start: Instant,
    done: &mut dyn FnMut() -> Result<bool, String>,
) -> Result<(), String> {
    let kill = |signal| {
        // SAFETY: kill(2) with the pid of our own child, not yet reaped.
        unsafe { libc::kill(pid, signal) };
    };
    loop {
        if has_exited(pid)? {
            return Ok(());
        }
        let finished = match done() {
            Ok(finished) => finished,
            Err(e) => {
                kill(libc::SIGKILL);
                wait_for_exit(pid)?;
                return Err(e);
            }
        };
        if finished {
            kill(libc::SIGTERM);
            return wait_for_exit(pid);
        }
        if start.elapsed() > STOP_DEADLINE {
            kill(libc::SIGKILL);
            wait_for_exit(pid)?;
            return Err(format!(
                "process {pid} did not reach its end within {} s",
                STOP_DEADLINE.as_secs()
            ));
        }
        std::thread::sleep(Duration::from_millis(5));
    }
}

/// Whether the child has exited (it is left to be reaped by [`wait4`]).
fn has_exited(pid: libc::pid_t) -> Result<bool, String> {
    // SAFETY: as in wait_for_exit; WNOHANG returns at once, with si_pid 0 while it runs.
    let mut info: libc::siginfo_t = unsafe { std::mem::zeroed() };
    let result = unsafe {
        libc::waitid(
            libc::P_PID,
            pid as libc::id_t,
            &mut info,
            libc::WEXITED | libc::WNOWAIT | libc::WNOHANG,
        )
    };
    if result != 0 {
        let error = std::io::Error::last_os_error();
        if error.kind() == std::io::ErrorKind::Interrupted {
            return Ok(false);
        }
        return Err(format!("wait for process {pid}: {error}"));
    }
    // SAFETY: waitid filled the siginfo of a child event, or left it zeroed.
    Ok(unsafe { info.si_pid() } != 0)
}

fn wait4(pid: libc::pid_t) -> Result<(libc::c_int, libc::rusage), String> {
    let mut status: libc::c_int = 0;
    // SAFETY: rusage is plain old data; all-zero is a valid value that wait4 overwrites.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    loop {
        // SAFETY: pid is our own child, not yet reaped (std's Child was never waited on), and
        // both out-pointers point to live locals.
        let reaped = unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
        if reaped == pid {
            return Ok((status, usage));
        }
        let error = std::io::Error::last_os_error();
        if error.kind() != std::io::ErrorKind::Interrupted {
            return Err(format!("wait for process {pid}: {error}"));
        }
    }
}

/// The median of some durations (the mean of the middle two for an even count).
pub fn median(values: &[Duration]) -> Duration {
    let mut sorted = values.to_vec();
    sorted.sort();
    match sorted.len() {
        0 => Duration::ZERO,
        n if n % 2 == 1 => sorted[n / 2],
        n => (sorted[n / 2 - 1] + sorted[n / 2]) / 2,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn measures_a_child_and_its_exit_code() {
        let dir = std::env::temp_dir().join(format!("fdi-bench-measure-{}", std::process::id()));
        let m = run_measured(
            Command::new("sh").args(["-c", "echo hi; exit 3"]),
            &dir,
            "sh",
        )
        .unwrap();
        assert_eq!(m.exit_code, Some(3));
        assert_eq!(m.stdout, "hi\n");
        assert!(m.peak_rss_kib > 0);
        let _ = std::fs::remove_dir_all(dir);
    }

    #[test]
    fn a_pinned_child_runs_on_its_one_cpu_and_its_cpu_time_is_kept() {
        let dir = std::env::temp_dir().join(format!("fdi-bench-pin-{}", std::process::id()));
        let cpu = first_allowed_cpu().unwrap();
        let mut command = Command::new("sh");
        // Busy for a moment, so that some CPU time is counted; then the kernel's view of its
        // allowed CPUs.
        command.args([
            "-c",
            "i=0; while [ $i -lt 20000 ]; do i=$((i+1)); done; grep Cpus_allowed_list /proc/self/status",
        ]);
        pin_to_cpu(&mut command, cpu);
        let m = run_measured(&mut command, &dir, "pinned").unwrap();
        assert_eq!(m.exit_code, Some(0), "{}", m.stderr);
        assert_eq!(
            m.stdout.split_whitespace().last(),
            Some(cpu.to_string().as_str())
        );
        assert!(m.user + m.system > Duration::ZERO);
        let _ = std::fs::remove_dir_all(dir);
    }

    #[test]
    fn a_service_gets_sigterm_once_it_is_done_and_its_exit_is_measured() {
        let dir = std::env::temp_dir().join(format!("fdi-bench-service-{}", std::process::id()));
        // A service that runs until SIGTERM and then says so and exits 0.
        let script = "trap 'echo stopped; exit 0' TERM; while :; do sleep 0.01; done";
        let mut asked = 0;
        let mut done = || {
            asked += 1;
            Ok(asked == 3)
        };
        let m = run_service(
            Command::new("sh").args(["-c", script]),
            &dir,
            "service",
            &mut done,
        )
        .unwrap();
        assert_eq!((m.exit_code, m.stdout.as_str()), (Some(0), "stopped\n"));
        assert_eq!(asked, 3, "not asked again once it was done");
        let mut failing = || Err("the table is gone".to_string());
        let error = run_service(
            Command::new("sh").args(["-c", script]),
            &dir,
            "failing",
            &mut failing,
        );
        assert_eq!(error.err().as_deref(), Some("the table is gone"));
        let _ = std::fs::remove_dir_all(dir);
    }

    #[test]
    fn median_of_odd_and_even_counts() {
        let ms = Duration::from_millis;
        assert_eq!(median(&[ms(5), ms(1), ms(3)]), ms(3));
        assert_eq!(
            median(&[ms(4), ms(1), ms(3), ms(2)]),
            Duration::from_micros(2500)
        );
    }
}
