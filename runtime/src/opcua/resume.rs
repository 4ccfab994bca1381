//! A subscription that outlives the program: its id is kept in a file, and the next run of the
//! program takes it over (TransferSubscriptions) instead of creating a new one, so that what the
//! server still holds unacknowledged (every message whose records the previous run had not made
//! durable, since a sequence number is acknowledged only then) is republished to it. A crash or a
//! restart within the subscription's lifetime (the connection's `session_timeout`) thus loses
//! nothing the server kept; later, or with other monitored items, a new subscription is made.

use std::path::Path;
use std::time::Duration;

use opcua::client::services::{DeleteSubscriptions, TransferSubscriptions};
use opcua::client::UARequest;
use serde::{Deserialize, Serialize};
use tokio::time::Instant;

use super::error::OpcuaError;
use super::subscription::{Active, Subscriber};
use super::value::status_name;

/// What the file keeps of a subscription.
#[derive(Debug, Serialize, Deserialize, PartialEq)]
struct KeptSubscription {
    endpoint_url: String,
    subscription_id: u32,
    /// The monitored items in the order of their client handles (index + 1), as the mapping
    /// declared them: a subscription of other items is not taken over.
    items: Vec<String>,
    keep_alive_period_ms: u64,
    silence_limit_ms: u64,
}

fn load(path: &Path) -> Option<KeptSubscription> {
    let text = std::fs::read_to_string(path).ok()?;
    serde_json::from_str(&text).ok()
}

impl Subscriber {
    /// Writes the current subscription's id to the state file, if there is one (a failure is
    /// logged: the next run then creates a new subscription, as it would without the file).
    pub(super) fn save_state(&self) {
        let (Some(path), Some(active)) = (&self.spec.state_file, &self.active) else {
            return;
        };
        let kept = KeptSubscription {
            endpoint_url: self.endpoint.clone(),
            subscription_id: active.id,
            items: self.spec.items.iter().map(|i| i.declared.clone()).collect(),
            keep_alive_period_ms: active.keep_alive_period.as_millis() as u64,
            silence_limit_ms: active.silence_limit.as_millis() as u64,
        };
        let written = path
            .parent()
            .map_or(Ok(()), std::fs::create_dir_all)
            .and_then(|()| {
                let temporary = path.with_extension("tmp");
                std::fs::write(&temporary, serde_json::to_vec(&kept).unwrap_or_default())?;
                std::fs::rename(&temporary, path)
            });
        if let Err(error) = written {
            tracing::warn!(target: "fdi::opcua", source = %self.name, file = %path.display(), %error, "cannot keep the subscription's id for the next run");
        }
    }

    /// Takes over the subscription the previous run kept, when it is for the same endpoint and
    /// monitored items and the server still has it; `Ok(false)`: there is none to take over (the
    /// caller creates one).
    pub(crate) async fn resume(&mut self) -> Result<bool, OpcuaError> {
        let Some(path) = self.spec.state_file.clone() else {
            return Ok(false);
        };
        let Some(kept) = load(&path) else {
            return Ok(false);
        };
        let items: Vec<&str> = self
            .spec
            .items
            .iter()
            .map(|i| i.declared.as_str())
            .collect();
        let session = self.session.session.clone();
        if kept.endpoint_url != self.endpoint || kept.items != items {
            // Monitored items of another mapping: not ours to read, but no longer anyone's.
            let _ = DeleteSubscriptions::new(&session)
                .subscription(kept.subscription_id)
                .send(session.channel())
                .await;
            return Ok(false);
        }
        let transferred = TransferSubscriptions::new(&session)
            .subscription(kept.subscription_id)
            .send_initial_values(false)
            .send(session.channel())
            .await;
        let result = match transferred {
            Ok(response) => response.results.unwrap_or_default().into_iter().next(),
            Err(error) => {
                tracing::warn!(target: "fdi::opcua", source = %self.name, subscription = kept.subscription_id, %error, "cannot take over the previous run's subscription; creating a new one");
                return Ok(false);
            }
        };
        let status = result
            .as_ref()
            .map_or("no result".to_string(), |r| status_name(r.status_code));
        let Some(result) = result.filter(|r| r.status_code.is_good()) else {
            tracing::warn!(target: "fdi::opcua", source = %self.name, subscription = kept.subscription_id, %status, "the previous run's subscription is gone: what it held is not read; creating a new one");
            return Ok(false);
        };
        let available = result.available_sequence_numbers.unwrap_or_default();
        tracing::info!(target: "fdi::opcua", source = %self.name, subscription = kept.subscription_id, available = ?available, "took over the previous run's subscription; republishing what it holds");
        // The Publish responses to come carry the available numbers again, and the gap from the
        // lowest of them is republished in order before anything newer is delivered.
        let first = available.first().map(|n| u64::from(*n));
        self.active = Some(Active {
            id: kept.subscription_id,
            silence_limit: Duration::from_millis(kept.silence_limit_ms),
            keep_alive_period: Duration::from_millis(kept.keep_alive_period_ms),
            last_heard: Instant::now(),
            // Counted from the first (a server lists them in order, perhaps across the wrap).
            expected: first.unwrap_or(0),
            highest_numbered: available
                .iter()
                .map(|n| super::sequence::count(*n, first.unwrap_or(1)))
                .max()
                .unwrap_or(0),
        });
        Ok(true)
    }
}
