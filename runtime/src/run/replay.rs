//! A replay run (`PROGRAM dead-letter replay`, `crate::replay`): the mapping's own run, whose
//! sources are replaced by the records of chosen dead-letter entries, made again.
//!
//! The generated program opens its sources, lookups and targets as always; while the run replays,
//! a file source does not open its file and a network source does not connect (`csv_source`,
//! `jsonl_source`, `replaced_source`, `mqtt_source` give a stand-in), and [`Run::source`] swaps the
//! source for a [`ReplaySource`] and wraps the map function: before each record it names the
//! entries the record replays and the flows they concern (every flow of the source for a decode
//! reject, else the entry's flow), [`Run::decode`] and [`Run::deliver`] count and run only those
//! flows, a reject is dead-lettered with `replay_of`, and after the record one replay line per
//! entry says what became of it.

use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::sync::Arc;

use serde::Serialize;

use super::{MapFn, OpenSource, Run};
use crate::dead_letter::{line_time, new_line_id, Stage};
use crate::error::RunError;
use crate::outcome::Reject;
use crate::record::RawRecord;
use crate::replay::lines::{Outcome, ReplayLine, StoredEntry};
use crate::replay::rebuild::{rebuild, ReplaySource, SourceFormat};
use crate::topic_filter::TopicFilter;

/// What a replay run is to replay: per source, the records, each as the entries it was rejected
/// as (one record rejected by two flows is replayed once, through both).
#[derive(Debug, Default)]
pub struct ReplayPlan {
    pub records: BTreeMap<String, Vec<Vec<StoredEntry>>>,
}

/// What became of a replay.
#[derive(Debug, Default, Clone, Serialize)]
pub struct ReplayReport {
    /// Entries replayed, and what became of them.
    pub replayed: u64,
    pub written: u64,
    pub filtered: u64,
    pub rejected: u64,
    /// Entries chosen but left alone: replayed before (without `--again`), or naming a flow or
    /// source the current mapping does not have.
    pub already_replayed: u64,
    pub not_in_mapping: u64,
    /// Per replayed entry: its id, what became of it, and the ids of the entries it was rejected
    /// again as.
    pub entries: Vec<ReplayedEntry>,
    /// The ids of the entries that name a flow or source the mapping does not have.
    pub not_in_mapping_ids: Vec<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct ReplayedEntry {
    pub id: String,
    pub outcome: Outcome,
    pub rejected_as: Vec<String>,
}

/// The replay state of a run.
#[derive(Debug, Default)]
pub(crate) struct Replaying {
    plan: ReplayPlan,
    /// Sources the mapping reads as CSV, for entries that do not name their format.
    csv_sources: BTreeSet<String>,
    /// Per broker source, its topic filters, which a replayed message's levels are read by.
    filters: BTreeMap<String, Vec<Arc<TopicFilter>>>,
    current: Option<Current>,
    report: ReplayReport,
}

/// The entries one replayed record replays, and the flows they concern.
#[derive(Debug, Clone)]
pub(crate) struct Replayed {
    /// Per entry: its id, and its flow (`None`: a decode reject, every flow of the source).
    entries: Vec<(String, Option<usize>)>,
    /// The flows the record goes through.
    flows: BTreeSet<usize>,
}

impl Replayed {
    /// The flows an entry of flow `flow` concerns: its own, or for a decode reject (`None`) every
    /// flow the record goes through.
    fn flows_of(&self, flow: Option<usize>) -> Vec<usize> {
        match flow {
            Some(flow) => vec![flow],
            None => self.flows.iter().copied().collect(),
        }
    }
}

#[derive(Debug)]
struct Current {
    replayed: Replayed,
    outcomes: BTreeMap<usize, Outcome>,
    /// (id of the entry replayed, id of the new entry it was rejected again as).
    rejected_as: Vec<(String, String)>,
}

impl Run {
    /// Makes this run a replay of `plan` (before the generated code opens anything).
    pub fn replay(&mut self, plan: ReplayPlan) {
        self.replay = Some(Box::new(Replaying {
            plan,
            ..Replaying::default()
        }));
    }

    /// Whether this run replays the dead letter.
    pub fn replays(&self) -> bool {
        self.replay.is_some()
    }

    /// What the replay did; `None` for a run that does not replay.
    pub fn replay_report(&mut self) -> Option<ReplayReport> {
        let replaying = self.replay.as_mut()?;
        let mut report = std::mem::take(&mut replaying.report);
        // Sources the mapping no longer has were never registered.
        for records in std::mem::take(&mut replaying.plan.records).into_values() {
            for entry in records.into_iter().flatten() {
                report.not_in_mapping += 1;
                report.not_in_mapping_ids.push(entry.id);
            }
        }
        Some(report)
    }

    /// In a replay, the stand-in for source `name` that the generated code registers (and
    /// [`Run::source`] replaces): nothing is opened or connected. `csv` says the mapping reads it as
    /// CSV; `filters` are a broker source's topic filters.
    pub(super) fn replay_stand_in(
        &mut self,
        name: &str,
        csv: bool,
        filters: Vec<TopicFilter>,
    ) -> Option<ReplaySource> {
        let replaying = self.replay.as_mut()?;
        if csv {
            replaying.csv_sources.insert(name.to_string());
        }
        if !filters.is_empty() {
            let filters = filters.into_iter().map(Arc::new).collect();
            replaying.filters.insert(name.to_string(), filters);
        }
        self.source_index(name);
        Some(ReplaySource::new(name, Vec::new()))
    }

    /// In a replay, source `source` becomes the records to replay and `map` learns which entries
    /// and flows each is about; otherwise both are returned as they are.
    pub(super) fn for_replay(&mut self, source: OpenSource, mut map: MapFn) -> (OpenSource, MapFn) {
        let Some(replaying) = self.replay.as_mut() else {
            return (source, map);
        };
        let name = source.name().to_string();
        let planned = replaying.plan.records.remove(&name).unwrap_or_default();
        let format = if replaying.csv_sources.contains(&name) {
            SourceFormat::Csv
        } else {
            SourceFormat::Other
        };
        let filters = replaying.filters.get(&name).cloned().unwrap_or_default();
        let index = self.source_index(&name);
        let source_name: Arc<str> = Arc::from(name.as_str());
        let mut records = Vec::new();
        let mut replays = VecDeque::new();
        for entries in planned {
            let mut replayed = Replayed {
                entries: Vec::new(),
                flows: BTreeSet::new(),
            };
            for entry in &entries {
                let flow = match &entry.flow {
                    None => None,
                    Some(flow) => match self.sources[index]
                        .flows
                        .iter()
                        .find(|&&f| self.flows[f].summary.name == *flow)
                    {
                        Some(&f) => Some(f),
                        None => {
                            let report = &mut self.replay.as_mut().expect("replaying").report;
                            report.not_in_mapping += 1;
                            report.not_in_mapping_ids.push(entry.id.clone());
                            continue;
                        }
                    },
                };
                match flow {
                    Some(f) => {
                        replayed.flows.insert(f);
                    }
                    None => replayed
                        .flows
                        .extend(self.sources[index].flows.iter().copied()),
                }
                replayed.entries.push((entry.id.clone(), flow));
            }
            if replayed.entries.is_empty() {
                continue;
            }
            let mut raw = rebuild(&entries[0], &source_name, format);
            if let Some(filter) = raw
                .topic()
                .and_then(|topic| filters.iter().find(|f| f.matches(topic)))
            {
                raw = raw.matching(filter.clone());
            }
            records.push(raw);
            replays.push_back(replayed);
        }
        let wrapped: MapFn = Box::new(move |run: &mut Run, raw: &RawRecord| {
            let replayed = replays.pop_front().ok_or_else(|| {
                RunError::Program(format!(
                    "replay of source {}: a record that was not planned",
                    raw.source()
                ))
            })?;
            run.begin_replayed(replayed);
            map(run, raw)?;
            run.end_replayed()
        });
        (
            OpenSource::blocking(ReplaySource::new(&name, records)),
            wrapped,
        )
    }

    fn begin_replayed(&mut self, replayed: Replayed) {
        if let Some(replaying) = self.replay.as_mut() {
            replaying.current = Some(Current {
                replayed,
                outcomes: BTreeMap::new(),
                rejected_as: Vec::new(),
            });
        }
    }

    /// Whether flow `flow` takes the record being handled: always, but in a replay only the flows
    /// of the entries it replays.
    pub(super) fn takes(&self, flow: usize) -> bool {
        match self.replay.as_ref().and_then(|r| r.current.as_ref()) {
            Some(current) => current.replayed.flows.contains(&flow),
            None => true,
        }
    }

    /// In a replay, notes what became of the record being handled in flow `flow`.
    pub(super) fn note_outcome(&mut self, flow: usize, outcome: Outcome) {
        if let Some(current) = self.replay.as_mut().and_then(|r| r.current.as_mut()) {
            current.outcomes.insert(flow, outcome);
        }
    }

    /// Dead-letters `raw`, rejected by flow `flow` (`None`: at decode, by every flow of its source).
    /// In a replay, the new line names the entry replayed (`replay_of`): for a decode reject, one
    /// line per entry the record replays.
    pub(super) fn dead_letter_reject(
        &mut self,
        flow: Option<usize>,
        stage: Stage,
        reject: &Reject,
        raw: &RawRecord,
    ) -> Result<(), RunError> {
        let flow_name = flow.map(|f| self.flows[f].summary.name.as_str());
        let Some(current) = self.replay.as_mut().and_then(|r| r.current.as_mut()) else {
            self.dead_letter.write(flow_name, stage, reject, raw)?;
            return Ok(());
        };
        let replayed: Vec<String> = current
            .replayed
            .entries
            .iter()
            .filter(|(_, entry_flow)| flow.is_none() || entry_flow.is_none() || *entry_flow == flow)
            .map(|(id, _)| id.clone())
            .collect();
        for id in replayed {
            let new_id =
                self.dead_letter
                    .write_replayed(flow_name, stage, reject, raw, Some(&id))?;
            current.rejected_as.push((id, new_id));
        }
        for flow in current.replayed.flows_of(flow) {
            current.outcomes.insert(flow, Outcome::Rejected);
        }
        Ok(())
    }

    /// After a replayed record: one replay line per entry it replays, and the report.
    ///
    /// A target that may refuse a record only when it flushes (PostgreSQL, HTTP, OPC UA: a
    /// constraint, a 4xx, a Bad status) is flushed first when the record was written to it, so
    /// that a refusal is known, and dead-lettered naming the entry, before the replay line says
    /// what became of the record. Replays are few; the cost is a round trip per such record.
    fn end_replayed(&mut self) -> Result<(), RunError> {
        let refusing: Vec<usize> = match self.replay.as_ref().and_then(|r| r.current.as_ref()) {
            Some(current) => {
                let mut targets: Vec<usize> = current
                    .outcomes
                    .iter()
                    .filter(|(_, outcome)| **outcome == Outcome::Written)
                    .map(|(&flow, _)| self.flows[flow].target)
                    .filter(|&target| self.unflushed[target].is_some())
                    .collect();
                // Flows 0 -> A, 1 -> B, 2 -> A name A twice, not side by side.
                targets.sort_unstable();
                targets.dedup();
                targets
            }
            None => return Ok(()),
        };
        if !refusing.is_empty() {
            self.flush_targets(&refusing, false)?;
        }
        let Some(replaying) = self.replay.as_mut() else {
            return Ok(());
        };
        let Some(current) = replaying.current.take() else {
            return Ok(());
        };
        let mapping = self.dead_letter.mapping();
        for (id, entry_flow) in &current.replayed.entries {
            let flows = current.replayed.flows_of(*entry_flow);
            let outcomes: BTreeMap<String, Outcome> = flows
                .iter()
                .map(|&f| {
                    let outcome = current.outcomes.get(&f).copied();
                    // A flow the map function did not deliver to wrote nothing.
                    let outcome = outcome.unwrap_or(Outcome::Filtered);
                    (self.flows[f].summary.name.clone(), outcome)
                })
                .collect();
            let outcome = Outcome::of_flows(outcomes.values().copied());
            let rejected_as: Vec<String> = current
                .rejected_as
                .iter()
                .filter(|(replayed, _)| replayed == id)
                .map(|(_, new_id)| new_id.clone())
                .collect();
            self.dead_letter.write_line(&ReplayLine {
                id: &new_line_id(),
                time: &line_time(),
                replayed: id,
                outcome,
                flows: &outcomes,
                rejected_as: &rejected_as,
                mapping,
            })?;
            let report = &mut replaying.report;
            report.replayed += 1;
            match outcome {
                Outcome::Written => report.written += 1,
                Outcome::Filtered => report.filtered += 1,
                Outcome::Rejected => report.rejected += 1,
            }
            report.entries.push(ReplayedEntry {
                id: id.clone(),
                outcome,
                rejected_as,
            });
        }
        Ok(())
    }
}
