//! Whether the program is healthy: every target reachable, or unreachable for less than the configured time.
//!
//! A target is *unreachable* from its first write or flush that failed with an error the target calls transient
//! ([`Durable::is_transient`](crate::target::Durable::is_transient): a locked database today; a lost connection
//! for the network targets to come) until its next write or flush that succeeds. The run thread changes the board
//! only on those transitions, never per record; the health endpoint reads it.

use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

/// The reachability of every target, shared by the run thread and the health endpoint.
#[derive(Debug)]
pub struct HealthBoard {
    unhealthy_after: Duration,
    targets: Mutex<Vec<TargetState>>,
    /// Store and forward: the queues of queued targets, each with the age of its oldest record at which the
    /// program is unhealthy.
    queues: Mutex<Vec<(Arc<crate::queue::Shared>, Duration)>>,
}

#[derive(Debug, Clone)]
struct TargetState {
    name: String,
    unreachable_since: Option<SystemTime>,
    last_error: Option<String>,
}

/// What the health endpoint answers.
#[derive(Debug, Clone, PartialEq)]
pub struct HealthVerdict {
    /// False once a target has been unreachable for `unhealthy_after` or longer.
    pub healthy: bool,
    /// The body: `{"status": "ok"|"unhealthy", "unhealthy_after_seconds": 60, "unreachable": [...]}`.
    pub body: String,
}

impl HealthBoard {
    pub fn new(unhealthy_after: Duration) -> Self {
        HealthBoard {
            unhealthy_after,
            targets: Mutex::new(Vec::new()),
            queues: Mutex::new(Vec::new()),
        }
    }

    /// Adds a target, reachable.
    pub fn register(&self, name: &str) {
        self.with_targets(|targets| {
            if !targets.iter().any(|t| t.name == name) {
                targets.push(TargetState {
                    name: name.to_string(),
                    unreachable_since: None,
                    last_error: None,
                });
            }
        });
    }

    /// `name` failed; returns since when it has been unreachable (now, unless it already was).
    pub fn failed(&self, name: &str, error: &str) -> SystemTime {
        let now = SystemTime::now();
        self.with_targets(
            |targets| match targets.iter_mut().find(|t| t.name == name) {
                Some(target) => {
                    target.last_error = Some(error.to_string());
                    *target.unreachable_since.get_or_insert(now)
                }
                None => {
                    targets.push(TargetState {
                        name: name.to_string(),
                        unreachable_since: Some(now),
                        last_error: Some(error.to_string()),
                    });
                    now
                }
            },
        )
    }

    /// `name` took a write or flush again.
    pub fn recovered(&self, name: &str) {
        self.with_targets(|targets| {
            if let Some(target) = targets.iter_mut().find(|t| t.name == name) {
                target.unreachable_since = None;
                target.last_error = None;
            }
        });
    }

    /// The verdict now.
    pub fn verdict(&self) -> HealthVerdict {
        self.verdict_at(SystemTime::now())
    }

    fn verdict_at(&self, now: SystemTime) -> HealthVerdict {
        let targets = self.with_targets(|targets| targets.clone());
        let mut healthy = true;
        let unreachable: Vec<serde_json::Value> = targets
            .iter()
            .filter_map(|t| {
                let since = t.unreachable_since?;
                let for_ = now.duration_since(since).unwrap_or_default();
                if for_ >= self.unhealthy_after {
                    healthy = false;
                }
                Some(serde_json::json!({
                    "target": t.name,
                    "unreachable_for_seconds": for_.as_secs_f64(),
                    "error": t.last_error,
                }))
            })
            .collect();
        let (queues_healthy, backpressured, queues) = self.queue_verdict();
        healthy &= queues_healthy;
        let status = match (healthy, backpressured) {
            (false, _) => "unhealthy",
            (true, true) => "backpressured",
            (true, false) => "ok",
        };
        let mut body = serde_json::json!({
            "status": status,
            "unhealthy_after_seconds": self.unhealthy_after.as_secs_f64(),
            "unreachable": unreachable,
        });
        if !queues.is_empty() {
            body["queues"] = serde_json::Value::Array(queues);
        }
        HealthVerdict {
            healthy,
            body: format!("{body}\n"),
        }
    }

    /// Store and forward: watches the queue of a queued target.
    pub(crate) fn watch_queue(&self, queue: Arc<crate::queue::Shared>, unhealthy_age: Duration) {
        let mut queues = self.queues.lock().unwrap_or_else(|e| e.into_inner());
        queues.push((queue, unhealthy_age));
    }

    /// Whether every queue's oldest record is younger than its limit, whether any queue is full (the run
    /// waits: "backpressured", still healthy), and each queue's status for the body.
    fn queue_verdict(&self) -> (bool, bool, Vec<serde_json::Value>) {
        let queues = self
            .queues
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone();
        let (mut healthy, mut backpressured) = (true, false);
        let statuses = queues
            .iter()
            .map(|(queue, unhealthy_age)| {
                let status = queue.status();
                healthy &= status.oldest_age_seconds < unhealthy_age.as_secs_f64();
                backpressured |= status.backpressured;
                let mut value = serde_json::to_value(&status).unwrap_or_default();
                value["unhealthy_age_seconds"] = serde_json::json!(unhealthy_age.as_secs_f64());
                value
            })
            .collect();
        (healthy, backpressured, statuses)
    }

    fn with_targets<R>(&self, f: impl FnOnce(&mut Vec<TargetState>) -> R) -> R {
        // A panic while holding the lock cannot leave the list half-changed: recover it.
        let mut targets = self.targets.lock().unwrap_or_else(|e| e.into_inner());
        f(&mut targets)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unhealthy_only_after_the_configured_time_and_healthy_again_on_recovery() {
        let board = HealthBoard::new(Duration::from_secs(60));
        board.register("history");
        assert!(board.verdict().healthy);

        let since = board.failed("history", "database is locked");
        assert_eq!(board.failed("history", "still locked"), since);
        let soon = board.verdict_at(since + Duration::from_secs(59));
        assert!(soon.healthy, "{}", soon.body);
        assert!(soon.body.contains("still locked"), "{}", soon.body);
        let late = board.verdict_at(since + Duration::from_secs(60));
        assert!(!late.healthy);
        assert!(
            late.body.contains(r#""status":"unhealthy""#),
            "{}",
            late.body
        );

        board.recovered("history");
        let again = board.verdict_at(since + Duration::from_secs(61));
        assert!(again.healthy);
        assert!(again.body.contains(r#""unreachable":[]"#), "{}", again.body);
    }
}
