//! What each connector does with a record delivered, or written, a second time: the facts the
//! checker's delivery rules (`check/delivery.rs`) and `docs/delivery.md` rest on. A connector
//! states them once, in its row of the connector table.

use super::{ConnectorSpec, CONNECTORS};

/// What a source delivers again after the program crashed (or was killed) between reading
/// records and acknowledging them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SourceReplay {
    /// The connector is not a source.
    NotASource,
    /// A file: no position outlives the process, so the next run reads it again from its start
    /// (every record, also those written before the crash).
    FromStart,
    /// A broker, a table or endpoint read on from a watermark, a subscription: what was read
    /// since the last checkpoint, not yet acknowledged, is delivered again. `unless`: the
    /// option value with which the source acknowledges nothing and so replays nothing (MQTT
    /// `qos: 0`).
    Unacknowledged {
        unless: Option<(&'static str, &'static str)>,
    },
    /// Nothing: each read takes the device's current values (a poll); a record read and not
    /// yet written when the program dies is lost.
    Nothing,
}

/// What a target does with a record written to it a second time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TargetRewrite {
    /// The connector is not a target.
    NotATarget,
    /// A table upserted on the target's `key`: the same row again. Without a key each write is
    /// a new row: a duplicate.
    UpsertedOnKey,
    /// Sent with an idempotency key made of the target's `key` (which it must have): an
    /// endpoint that honours the key takes the record once.
    IdempotencyKey,
    /// Written to the same node or register: the same value again.
    Overwritten,
    /// A file appended to: a batch run (every source a file) truncates it when it starts, so a
    /// run read again from the start writes it anew; a service appends, and a record written
    /// again is a second line.
    AppendedTruncatedByBatch,
    /// A document written whole: a batch run writes it anew (every record once); a service writes
    /// a document per checkpoint, and a record written again is in a second document.
    DocumentRewritten,
    /// Published again: subscribers receive it twice. `unconfirmed`: the option value with
    /// which the broker confirms nothing, so that a record published when the connection drops
    /// is lost (MQTT `qos: 0`).
    PublishedAgain {
        unconfirmed: Option<(&'static str, &'static str)>,
    },
}

impl SourceReplay {
    /// For the docs: what is delivered again after a crash.
    pub fn describe(self) -> &'static str {
        match self {
            SourceReplay::NotASource => "not a source",
            SourceReplay::FromStart => {
                "the whole file, read again from its start (no position outlives the run)"
            }
            SourceReplay::Unacknowledged { .. } => {
                "what was read since the last checkpoint (not yet acknowledged)"
            }
            SourceReplay::Nothing => {
                "nothing: a poll reads the current values; what was read and not written is lost"
            }
        }
    }
}

impl TargetRewrite {
    /// Whether a record written a second time leaves the target as once: `keyed` whether the
    /// target has a `key`, `batch` whether the program is a batch run (no source never ends).
    pub fn absorbs(self, keyed: bool, batch: bool) -> bool {
        match self {
            TargetRewrite::NotATarget => true,
            TargetRewrite::UpsertedOnKey | TargetRewrite::IdempotencyKey => keyed,
            TargetRewrite::Overwritten => true,
            TargetRewrite::AppendedTruncatedByBatch | TargetRewrite::DocumentRewritten => batch,
            TargetRewrite::PublishedAgain { .. } => false,
        }
    }

    /// Whether a `key` on the target makes it absorb a record written again.
    pub fn absorbs_with_key(self) -> bool {
        matches!(
            self,
            TargetRewrite::UpsertedOnKey | TargetRewrite::IdempotencyKey
        )
    }

    /// For the docs and diagnostics: what a record written a second time does.
    pub fn describe(self) -> &'static str {
        match self {
            TargetRewrite::NotATarget => "not a target",
            TargetRewrite::UpsertedOnKey => {
                "upserted on the target's `key`: the same row; without a key, a second row"
            }
            TargetRewrite::IdempotencyKey => {
                "sent again with the same idempotency key (the target's `key`, required)"
            }
            TargetRewrite::Overwritten => "written again to the same node or register",
            TargetRewrite::AppendedTruncatedByBatch => {
                "a batch run truncates the file when it starts and writes it anew; a service appends a second line"
            }
            TargetRewrite::DocumentRewritten => {
                "a batch run writes the whole document anew; a service writes a document per checkpoint, so a second document holds it"
            }
            TargetRewrite::PublishedAgain { .. } => "published again: subscribers receive it twice",
        }
    }
}

impl ConnectorSpec {
    /// Whether this source, with these option values, delivers anything again after a crash.
    /// `option(name)`: the value of an option as written (its default when not given).
    pub fn replays(&self, option: impl Fn(&str) -> Option<String>) -> bool {
        match self.replay {
            SourceReplay::NotASource | SourceReplay::Nothing => false,
            SourceReplay::FromStart => true,
            SourceReplay::Unacknowledged { unless } => {
                unless.is_none_or(|(name, value)| option(name).as_deref() != Some(value))
            }
        }
    }
}

impl ConnectorSpec {
    /// Whether this target, with these option values, may lose a record it was given: it does
    /// not wait for the peer to confirm it (MQTT `qos: 0`).
    pub fn may_lose_writes(&self, option: impl Fn(&str) -> Option<String>) -> bool {
        match self.rewrite {
            TargetRewrite::PublishedAgain {
                unconfirmed: Some((name, value)),
            } => option(name).as_deref() == Some(value),
            _ => false,
        }
    }
}

/// The delivery facts of every connector as markdown, below the options in
/// `docs/connectors.md`.
pub fn markdown_delivery_table() -> String {
    let mut out = String::from(
        "\n| connector | as a source, after a crash, delivers again | as a target, a record written again is |\n|---|---|---|\n",
    );
    for c in CONNECTORS {
        let replay = match c.replay {
            SourceReplay::Unacknowledged {
                unless: Some((option, value)),
            } => format!(
                "{}; with `{option}: {value}` nothing: the broker keeps nothing for the program",
                c.replay.describe()
            ),
            other => other.describe().to_string(),
        };
        let rewrite = match c.rewrite {
            TargetRewrite::PublishedAgain {
                unconfirmed: Some((option, value)),
            } => format!(
                "{}; with `{option}: {value}` nothing is confirmed, and a record published as the connection drops is lost",
                c.rewrite.describe()
            ),
            other => other.describe().to_string(),
        };
        out.push_str(&format!("| `{}` | {replay} | {rewrite} |\n", c.kind));
    }
    out
}
