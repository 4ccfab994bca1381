//! The run summary: what was read, written, rejected and filtered, per source, flow and target.
//!
//! Every flow must balance: read = written + rejected + filtered. The summary says so explicitly (`balanced`)
//! because that equation is the promise that nothing was silently dropped.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use serde::Serialize;

use crate::record::Position;

/// The outcome of one run, printed at its end (human or JSON).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RunSummary {
    pub mapping: String,
    pub version: String,
    /// False when the run stopped on an error.
    pub ok: bool,
    pub error: Option<String>,
    pub sources: Vec<SourceSummary>,
    pub flows: Vec<FlowSummary>,
    pub targets: Vec<TargetSummary>,
    pub dead_letter: DeadLetterSummary,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SourceSummary {
    pub name: String,
    pub read: u64,
    /// The last acknowledged position (`null` when nothing was acknowledged).
    pub acknowledged: Option<Position>,
    /// Observations the source's peer dropped before the source could read them (an MTConnect
    /// agent whose buffer moved past the source); absent for a source that cannot tell.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub lost: Option<u64>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FlowSummary {
    pub name: String,
    pub source: String,
    pub target: String,
    pub read: u64,
    pub written: u64,
    pub filtered: u64,
    pub rejected: u64,
    /// Reject reason -> count, only non-zero entries.
    pub reasons: BTreeMap<String, u64>,
    /// read == written + rejected + filtered.
    pub balanced: bool,
    /// What the flow promises for each record (`at_least_once`, `at_most_once`, ...).
    pub delivery: crate::Delivery,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TargetSummary {
    pub name: String,
    pub written: u64,
    /// For a queued target (store and forward): what its queue did. Its `written` counts the records its
    /// queue took durably.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub queue: Option<QueueSummary>,
}

/// What the queue of a target did in a run (see `crate::queue`).
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct QueueSummary {
    /// Records the target made durable, from this run's queue and earlier runs'.
    pub forwarded: u64,
    /// Records still queued at the end, forwarded when the program runs again.
    pub queued: u64,
    /// Records of this run the target refused for good, dead-lettered (counted as rejected by their flow).
    pub quarantined: u64,
    /// Records an earlier run queued that the target refused for good in this run, dead-lettered (counted by
    /// the run that read them, as written).
    pub quarantined_from_earlier_runs: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DeadLetterSummary {
    pub path: String,
    pub records: u64,
}

impl RunSummary {
    /// Whether any record of any flow was rejected.
    pub fn has_rejects(&self) -> bool {
        self.flows.iter().any(|flow| flow.rejected > 0) || self.dead_letter.records > 0
    }

    /// One line of JSON.
    pub fn to_json(&self) -> String {
        // Plain strings, numbers and maps with string keys: serializing cannot fail.
        serde_json::to_string(self)
            .unwrap_or_else(|e| format!("{{\"error\":\"cannot render the summary: {e}\"}}"))
    }

    /// The summary for people, e.g.
    /// ```text
    /// mill_to_mes 0.1.0
    /// source mill: 1055 records read, acknowledged through 1055
    /// flow spindle (mill -> history, at_least_once): read 1055 = written 1030 + rejected 25 + filtered 0
    ///   rejected 25: MILL-01 is not in master data
    /// target history: 1030 records written
    /// dead letter: out/mill_to_mes.dead-letter.jsonl (25 records)
    /// ```
    pub fn render_human(&self) -> String {
        let mut out = String::new();
        // Writing into a String cannot fail; the results are ignored for that reason.
        let _ = writeln!(out, "{} {}", self.mapping, self.version);
        for source in &self.sources {
            let acknowledged = match source.acknowledged {
                Some(position) => format!("acknowledged through {position}"),
                None => "nothing acknowledged".to_string(),
            };
            let lost = match source.lost {
                Some(lost) => format!(
                    ", {lost} observations lost at the source (dropped before they were read)"
                ),
                None => String::new(),
            };
            let _ = writeln!(
                out,
                "source {}: {} records read, {acknowledged}{lost}",
                source.name, source.read
            );
        }
        for flow in &self.flows {
            let _ = write!(
                out,
                "flow {} ({} -> {}, {}): read {} = written {} + rejected {} + filtered {}",
                flow.name,
                flow.source,
                flow.target,
                flow.delivery,
                flow.read,
                flow.written,
                flow.rejected,
                flow.filtered
            );
            if !flow.balanced {
                let _ = write!(out, "  NOT BALANCED");
            }
            out.push('\n');
            let width = flow
                .reasons
                .values()
                .map(|n| n.to_string().len())
                .max()
                .unwrap_or(0);
            for (reason, count) in &flow.reasons {
                let _ = writeln!(out, "  rejected {count:>width$}: {reason}");
            }
        }
        for target in &self.targets {
            let _ = writeln!(
                out,
                "target {}: {} records written",
                target.name, target.written
            );
            if let Some(queue) = &target.queue {
                let _ = writeln!(
                    out,
                    "  queue: {} forwarded, {} still queued, {} quarantined ({} queued by earlier runs)",
                    queue.forwarded,
                    queue.queued,
                    queue.quarantined + queue.quarantined_from_earlier_runs,
                    queue.quarantined_from_earlier_runs
                );
            }
        }
        let _ = writeln!(
            out,
            "dead letter: {} ({} records)",
            self.dead_letter.path, self.dead_letter.records
        );
        if let Some(error) = &self.error {
            let _ = writeln!(out, "FAILED: {error}");
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn summary() -> RunSummary {
        RunSummary {
            mapping: "mill_to_mes".into(),
            version: "0.1.0".into(),
            ok: true,
            error: None,
            sources: vec![SourceSummary {
                name: "mill".into(),
                read: 1055,
                acknowledged: Some(1055),
                lost: None,
            }],
            flows: vec![FlowSummary {
                name: "spindle".into(),
                source: "mill".into(),
                target: "history".into(),
                read: 1055,
                written: 1030,
                filtered: 0,
                rejected: 25,
                reasons: BTreeMap::from([
                    ("MILL-01 is not in master data".to_string(), 20),
                    ("bad load".to_string(), 5),
                ]),
                balanced: true,
                delivery: crate::Delivery::AtLeastOnce,
            }],
            targets: vec![TargetSummary {
                name: "history".into(),
                written: 1030,
                queue: None,
            }],
            dead_letter: DeadLetterSummary {
                path: "out/dl.jsonl".into(),
                records: 25,
            },
        }
    }

    #[test]
    fn human_form() {
        assert_eq!(
            summary().render_human(),
            "mill_to_mes 0.1.0\n\
             source mill: 1055 records read, acknowledged through 1055\n\
             flow spindle (mill -> history, at_least_once): read 1055 = written 1030 + rejected 25 + filtered 0\n\
             \x20 rejected 20: MILL-01 is not in master data\n\
             \x20 rejected  5: bad load\n\
             target history: 1030 records written\n\
             dead letter: out/dl.jsonl (25 records)\n"
        );
    }

    #[test]
    fn json_form() {
        let json: serde_json::Value = serde_json::from_str(&summary().to_json()).unwrap();
        assert_eq!(json["ok"], true);
        assert_eq!(json["error"], serde_json::Value::Null);
        assert_eq!(json["sources"][0]["acknowledged"], 1055);
        assert_eq!(json["flows"][0]["reasons"]["bad load"], 5);
        assert_eq!(json["flows"][0]["balanced"], true);
        assert_eq!(json["flows"][0]["delivery"], "at_least_once");
        assert_eq!(json["dead_letter"]["records"], 25);
        assert!(summary().has_rejects());
    }

    #[test]
    fn unbalanced_and_failed_runs_say_so() {
        let mut s = summary();
        s.flows[0].balanced = false;
        s.error = Some("disk full".into());
        s.ok = false;
        let text = s.render_human();
        assert!(text.contains("NOT BALANCED"));
        assert!(text.ends_with("FAILED: disk full\n"));
    }
}
