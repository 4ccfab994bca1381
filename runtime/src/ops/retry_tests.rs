//! `Operations::with_retries` against a target whose failures are scripted: what is retried,
//! for how long, and what health says meanwhile.

use std::time::{Duration, Instant};

use super::{Operations, OpsOptions};
use crate::error::RunError;
use crate::run::MILL_PROGRAM;
use crate::target::Durable;

/// A target that fails its first `failures` attempts with `error`, transient or not.
struct Scripted {
    failures: usize,
    transient: bool,
    attempts: usize,
}

impl Durable for Scripted {
    fn name(&self) -> &str {
        "history"
    }

    fn flush(&mut self) -> Result<(), RunError> {
        self.attempts += 1;
        if self.attempts <= self.failures {
            return Err(RunError::Program(format!(
                "attempt {} failed",
                self.attempts
            )));
        }
        Ok(())
    }

    fn is_transient(&self, _: &RunError) -> bool {
        self.transient
    }
}

fn operations(retry_for: Duration) -> Operations {
    let options = OpsOptions {
        retry_targets_for: retry_for,
        // Unhealthy at once, so the verdict during an outage is visible without waiting.
        unhealthy_after: Duration::ZERO,
        ..OpsOptions::default()
    };
    let mut ops = Operations::start(&MILL_PROGRAM, &options).expect("no endpoint to bind");
    ops.add_target("history");
    ops
}

/// The first failure, as the run reports it before asking for retries.
fn first_failure(target: &mut Scripted) -> RunError {
    target.flush().expect_err("the script fails first")
}

#[test]
fn a_transient_failure_is_retried_until_the_target_answers() {
    let mut ops = operations(Duration::from_secs(30));
    let mut target = Scripted {
        failures: 3,
        transient: true,
        attempts: 0,
    };
    let first = first_failure(&mut target);
    ops.with_retries(&mut target, first, |t| t.flush())
        .expect("the fourth attempt succeeds");
    assert_eq!(target.attempts, 4);
    assert!(
        ops.health.verdict().healthy,
        "{}",
        ops.health.verdict().body
    );
}

#[test]
fn an_error_that_is_not_transient_is_not_retried() {
    let mut ops = operations(Duration::from_secs(30));
    let mut target = Scripted {
        failures: 1,
        transient: false,
        attempts: 0,
    };
    let first = first_failure(&mut target);
    let error = ops
        .with_retries(&mut target, first, |t| t.flush())
        .expect_err("not retried");
    assert_eq!(
        error.to_string(),
        RunError::Program("attempt 1 failed".into()).to_string()
    );
    assert_eq!(target.attempts, 1);
}

#[test]
fn retries_stop_when_the_window_has_passed_and_health_says_why() {
    let window = Duration::from_millis(250);
    let mut ops = operations(window);
    let mut target = Scripted {
        failures: usize::MAX,
        transient: true,
        attempts: 0,
    };
    let started = Instant::now();
    let first = first_failure(&mut target);
    let error = ops
        .with_retries(&mut target, first, |t| t.flush())
        .expect_err("still failing when the window closes");
    assert!(started.elapsed() >= window);
    // Pauses of 100 ms, then the rest of the window: at least one retry (two on an idle
    // machine), and the error returned is the last attempt's.
    assert!(target.attempts >= 2, "{} attempts", target.attempts);
    let last = format!("attempt {} failed", target.attempts);
    assert!(error.to_string().contains(&last), "{error}");
    let verdict = ops.health.verdict();
    assert!(!verdict.healthy);
    assert!(verdict.body.contains("history"), "{}", verdict.body);
}

#[test]
fn no_window_means_the_first_failure_stops_the_run() {
    let mut ops = operations(Duration::ZERO);
    let mut target = Scripted {
        failures: 1,
        transient: true,
        attempts: 0,
    };
    let first = first_failure(&mut target);
    assert!(ops.with_retries(&mut target, first, |t| t.flush()).is_err());
    assert_eq!(target.attempts, 1);
}
