//! Prometheus metrics of a run (prometheus-client registry, OpenMetrics text).
//!
//! The run keeps its own counters (the summary's); after every record it *publishes* them into the atomics of
//! the metrics below with relaxed stores, and the HTTP thread encodes the registry when scraped. The run thread
//! never takes a lock to publish and never waits for a scrape: the series of every source, flow and target are
//! created when the run registers them, before the first record.
//!
//! | metric | labels | meaning |
//! |---|---|---|
//! | `fdi_build_info` | `mapping`, `version`, `runtime` | always 1 |
//! | `fdi_source_records_read_total` | `source` | records read |
//! | `fdi_source_position` | `source` | position of the last record read (CSV row, JSON Lines line) |
//! | `fdi_source_acknowledged_position` | `source` | last position acknowledged (everything up to it durable) |
//! | `fdi_source_read_bytes` | `source` | bytes of the file read so far (file sources) |
//! | `fdi_source_lag_bytes` | `source` | bytes of the file not read yet: its size when opened minus `read_bytes` |
//! | `fdi_source_finished` | `source` | 1 once the source is exhausted and everything from it is durable |
//! | `fdi_flow_records_read_total` | `flow` | records the flow read |
//! | `fdi_flow_records_written_total` | `flow` | written to the flow's target |
//! | `fdi_flow_records_filtered_total` | `flow` | filtered by `where` |
//! | `fdi_flow_records_rejected_total` | `flow`, `stage` | dead-lettered, by stage: `decode`, `map`, `write` |
//! | `fdi_flow_records_rejected_by_reason_total` | `flow`, `stage`, `reason` | the same by reason, a fixed text per rule of the mapping or the runtime; a series appears at its first reject |
//! | `fdi_target_records_written_total` | `target` | records the target took |
//! | `fdi_target_queue_depth` | `target` | records taken since the target's last checkpoint (made durable, or handed on towards the OS: a file target fed by files may still buffer up to 1 MiB of them) |
//! | `fdi_target_last_flush_timestamp_seconds` | `target` | Unix time of the last successful flush, 0 before it |
//! | `fdi_target_unreachable_since_timestamp_seconds` | `target` | Unix time of the first failure of an outage, 0 while reachable |
//! | `fdi_dead_letter_records_total` | | lines written to the dead letter |
//! | `fdi_sparkplug_sequence_gaps_total` | `source` | Sparkplug B messages whose seq was not the one due (feature `sparkplug`; a series per Sparkplug source) |
//! | `fdi_sparkplug_rebirth_requests_total` | `source` | NCMD rebirth requests the Sparkplug source sent (after a gap, data without a birth, an unknown metric) |
//! | `fdi_http_retried_requests_total` | `role`, `name` | HTTP requests of a target or source tried again after a 5xx, 408, 429 or no answer (feature `http`) |
//! | `fdi_opcua_lost_notifications_total` | `source` | OPC UA notification messages the server numbered and the source never delivered (Republish found them gone, or their subscription was given up; feature `opcua`) |
//! | `fdi_opcua_subscription_recreations_total` | `source` | OPC UA subscriptions created anew after the server lost them or they went silent |
//! | `fdi_opcua_reconnects_total` | `source` | reconnects of the OPC UA source's session |
//! | `fdi_opcua_queue_overflows_total` | `source` | data changes the server marked with the Overflow bit: its monitored item's queue discarded values before them |
//! | `fdi_opcua_republished_notifications_total` | `source` | OPC UA notification messages the source missed and recovered by Republish |
//! | `fdi_opcua_target_reconnects_total` | `target` | reconnects of the OPC UA target's session |
//! | `fdi_mtconnect_observations_lost_total` | `source` | observations an MTConnect agent dropped before the source read them (its buffer moved past the sequence wanted, or a restarted agent's had already; feature `mtconnect`) |
//! | `fdi_mtconnect_gaps_total` | `source` | times an MTConnect agent's buffer had moved past the sequence the source wanted |
//! | `fdi_mtconnect_agent_restarts_total` | `source` | MTConnect agent restarts the source met (a new `instanceId`) |
//!
//!
//! Store and forward (queued targets, see `crate::queue`), read from the queue at each scrape:
//!
//! | metric | labels | meaning |
//! |---|---|---|
//! | `fdi_queue_records` | `target` | records in the target's queue, waiting for it |
//! | `fdi_queue_oldest_record_age_seconds` | `target` | how long the oldest of them has waited, 0 when none |
//! | `fdi_queue_bytes` | `target` | what they count towards `--queue-max-bytes` |
//! | `fdi_queue_disk_bytes` | `target` | the queue's files on disk (SQLite database and write-ahead log) |
//! | `fdi_queue_backpressured` | `target` | 1 while the queue is full and the run waits for room (sources are not read) |
//! | `fdi_queue_forwarded_records_total` | `target` | records this run's forwarder made durable at the target |
//! | `fdi_queue_quarantined_records_total` | `target` | records the target refused for good, sent to the dead letter |
//!
//! For every flow, `read = written + filtered + sum by (flow) (rejected)`, as in the summary.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::SystemTime;

use prometheus_client::encoding::text::encode;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::registry::Registry;

use crate::dead_letter::Stage;
use crate::run::ProgramInfo;

type Labels = Vec<(&'static str, String)>;
type TimeGauge = Gauge<f64, AtomicU64>;

/// The stages a reject is labelled with, in the order of [`stage_index`].
pub const STAGES: [Stage; 3] = [Stage::Decode, Stage::Map, Stage::Write];

/// The index of `stage` in [`STAGES`].
pub fn stage_index(stage: Stage) -> usize {
    match stage {
        Stage::Decode => 0,
        Stage::Map => 1,
        Stage::Write => 2,
    }
}

/// What a source's metrics are published from.
#[derive(Debug, Clone, Copy, Default)]
pub struct SourceFigures {
    pub read: u64,
    pub position: u64,
    pub acknowledged: u64,
    pub read_bytes: Option<u64>,
    pub total_bytes: Option<u64>,
}

/// What a flow's metrics are published from.
#[derive(Debug, Clone, Copy, Default)]
pub struct FlowFigures {
    pub read: u64,
    pub written: u64,
    pub filtered: u64,
    pub rejected_by_stage: [u64; 3],
}

struct SourceSeries {
    read: Counter,
    position: Gauge,
    acknowledged: Gauge,
    read_bytes: Gauge,
    lag_bytes: Gauge,
    finished: Gauge,
}

struct FlowSeries {
    name: String,
    read: Counter,
    written: Counter,
    filtered: Counter,
    rejected: [Counter; 3],
    /// The per-reason counters met so far, by reason and stage: a reject looks its counter up
    /// here, without allocating or locking, after the first reject of its kind.
    rejected_by_reason: HashMap<String, [Option<Counter>; 3]>,
}

struct TargetSeries {
    written: Counter,
    queue_depth: Gauge,
    last_flush: TimeGauge,
    unreachable_since: TimeGauge,
}

#[derive(Default, Clone)]
struct Families {
    source_read: Family<Labels, Counter>,
    source_position: Family<Labels, Gauge>,
    source_acknowledged: Family<Labels, Gauge>,
    source_read_bytes: Family<Labels, Gauge>,
    source_lag_bytes: Family<Labels, Gauge>,
    source_finished: Family<Labels, Gauge>,
    flow_read: Family<Labels, Counter>,
    flow_written: Family<Labels, Counter>,
    flow_filtered: Family<Labels, Counter>,
    flow_rejected: Family<Labels, Counter>,
    flow_rejected_by_reason: Family<Labels, Counter>,
    target_written: Family<Labels, Counter>,
    target_queue_depth: Family<Labels, Gauge>,
    target_last_flush: Family<Labels, TimeGauge>,
    target_unreachable_since: Family<Labels, TimeGauge>,
    #[cfg(feature = "sparkplug")]
    sparkplug_gaps: Family<Labels, Counter>,
    #[cfg(feature = "sparkplug")]
    sparkplug_rebirth_requests: Family<Labels, Counter>,
    #[cfg(feature = "http")]
    http_retries: Family<Labels, Counter>,
    #[cfg(feature = "opcua")]
    opcua_lost_notifications: Family<Labels, Counter>,
    #[cfg(feature = "opcua")]
    opcua_recreations: Family<Labels, Counter>,
    #[cfg(feature = "opcua")]
    opcua_reconnects: Family<Labels, Counter>,
    #[cfg(feature = "opcua")]
    opcua_queue_overflows: Family<Labels, Counter>,
    #[cfg(feature = "opcua")]
    opcua_target_reconnects: Family<Labels, Counter>,
    #[cfg(feature = "opcua")]
    opcua_republished: Family<Labels, Counter>,
    #[cfg(feature = "mtconnect")]
    mtconnect_lost: Family<Labels, Counter>,
    #[cfg(feature = "mtconnect")]
    mtconnect_gaps: Family<Labels, Counter>,
    #[cfg(feature = "mtconnect")]
    mtconnect_restarts: Family<Labels, Counter>,
}

/// The counters of one Sparkplug B source's host session. The source's reader task counts into them
/// directly (they are shared atomics), since the run's core never sees a sequence number. Unregistered
/// ones (the default) count for nobody, when no metrics are served.
#[cfg(feature = "sparkplug")]
#[derive(Clone, Debug, Default)]
pub struct SparkplugCounters {
    /// Messages whose seq was not the one due.
    pub sequence_gaps: Counter,
    /// NCMD `Node Control/Rebirth` requests sent.
    pub rebirth_requests: Counter,
}

/// The metrics of one run: the registry the endpoint encodes, and the series the run publishes into, by the
/// index the run gives its sources, flows and targets.
pub struct RunMetrics {
    registry: Arc<Registry>,
    families: Families,
    dead_letter: Counter,
    sources: Vec<SourceSeries>,
    flows: Vec<FlowSeries>,
    targets: Vec<TargetSeries>,
    /// Store and forward: the queues of queued targets, read at each scrape.
    queues: QueueCollector,
}

impl RunMetrics {
    pub fn new(program: &ProgramInfo) -> Self {
        let mut registry = Registry::with_prefix("fdi");
        let queues = QueueCollector::default();
        registry.register_collector(Box::new(queues.clone()));
        let families = Families::default();
        let dead_letter = Counter::default();
        let build_info: Family<Labels, Gauge> = Family::default();
        build_info
            .get_or_create(&vec![
                ("mapping", program.mapping.to_string()),
                ("version", program.version.to_string()),
                ("runtime", env!("CARGO_PKG_VERSION").to_string()),
            ])
            .set(1);
        registry.register(
            "build_info",
            "The mapping and runtime this program was built from",
            build_info,
        );
        let f = families.clone();
        registry.register(
            "source_records_read",
            "Records read from the source",
            f.source_read,
        );
        registry.register(
            "source_position",
            "Position of the last record read (CSV row, JSON Lines line)",
            f.source_position,
        );
        registry.register(
            "source_acknowledged_position",
            "Last position acknowledged: every record up to it is durable or dead-lettered",
            f.source_acknowledged,
        );
        registry.register(
            "source_read_bytes",
            "Bytes of the source file read so far",
            f.source_read_bytes,
        );
        registry.register(
            "source_lag_bytes",
            "Bytes of the source file not read yet (its size when opened minus the bytes read)",
            f.source_lag_bytes,
        );
        registry.register(
            "source_finished",
            "1 once the source is exhausted and everything read from it is durable",
            f.source_finished,
        );
        registry.register("flow_records_read", "Records the flow read", f.flow_read);
        registry.register(
            "flow_records_written",
            "Records the flow wrote to its target",
            f.flow_written,
        );
        registry.register(
            "flow_records_filtered",
            "Records the flow's where condition filtered",
            f.flow_filtered,
        );
        registry.register(
            "flow_records_rejected",
            "Records of the flow dead-lettered, by stage (decode, map, write)",
            f.flow_rejected,
        );
        registry.register(
            "flow_records_rejected_by_reason",
            "Records of the flow dead-lettered, by stage and reason (the mapping's fixed text per rule)",
            f.flow_rejected_by_reason,
        );
        registry.register(
            "target_records_written",
            "Records the target took",
            f.target_written,
        );
        registry.register(
            "target_queue_depth",
            "Records the target took since its last checkpoint made them durable or let them go towards the operating system",
            f.target_queue_depth,
        );
        registry.register(
            "target_last_flush_timestamp_seconds",
            "Unix time of the target's last successful flush; 0 before the first",
            f.target_last_flush,
        );
        registry.register(
            "target_unreachable_since_timestamp_seconds",
            "Unix time of the first failed write or flush of the target's current outage; 0 while reachable",
            f.target_unreachable_since,
        );
        registry.register(
            "dead_letter_records",
            "Lines written to the dead letter",
            dead_letter.clone(),
        );
        #[cfg(feature = "sparkplug")]
        registry.register(
            "sparkplug_sequence_gaps",
            "Sparkplug B messages whose seq was not the one due: messages were lost or reordered",
            f.sparkplug_gaps,
        );
        #[cfg(feature = "sparkplug")]
        registry.register(
            "sparkplug_rebirth_requests",
            "NCMD rebirth requests the Sparkplug B source sent to edge nodes",
            f.sparkplug_rebirth_requests,
        );
        #[cfg(feature = "http")]
        registry.register(
            "http_retried_requests",
            "HTTP requests tried again after a 5xx, 408, 429 or no answer",
            f.http_retries,
        );
        #[cfg(feature = "opcua")]
        {
            registry.register(
                "opcua_lost_notifications",
                "OPC UA notification messages the server numbered and the source never delivered",
                f.opcua_lost_notifications,
            );
            registry.register(
                "opcua_subscription_recreations",
                "OPC UA subscriptions created anew after the server lost them or they went silent",
                f.opcua_recreations,
            );
            registry.register(
                "opcua_reconnects",
                "Reconnects of the OPC UA source's session",
                f.opcua_reconnects,
            );
            registry.register(
                "opcua_queue_overflows",
                "OPC UA data changes after values the monitored item's queue discarded (Overflow bit)",
                f.opcua_queue_overflows,
            );
            registry.register(
                "opcua_republished_notifications",
                "OPC UA notification messages the source missed and recovered by Republish",
                f.opcua_republished,
            );
            registry.register(
                "opcua_target_reconnects",
                "Reconnects of the OPC UA target's session",
                f.opcua_target_reconnects,
            );
        }
        #[cfg(feature = "mtconnect")]
        {
            registry.register(
                "mtconnect_observations_lost",
                "Observations an MTConnect agent dropped before the source read them",
                f.mtconnect_lost,
            );
            registry.register(
                "mtconnect_gaps",
                "Times an MTConnect agent's buffer had moved past the sequence the source wanted",
                f.mtconnect_gaps,
            );
            registry.register(
                "mtconnect_agent_restarts",
                "MTConnect agent restarts the source met (a new instanceId)",
                f.mtconnect_restarts,
            );
        }
        RunMetrics {
            registry: Arc::new(registry),
            families,
            dead_letter,
            sources: Vec::new(),
            flows: Vec::new(),
            targets: Vec::new(),
            queues,
        }
    }

    /// Store and forward: adds the series of a queued target's queue.
    pub(crate) fn watch_queue(&self, queue: Arc<crate::queue::Shared>) {
        self.queues
            .0
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(queue);
    }

    /// The registry, for the endpoint.
    pub fn registry(&self) -> Arc<Registry> {
        self.registry.clone()
    }

    /// Creates the series of the run's next source (index `sources.len()`).
    pub fn add_source(&mut self, name: &str) {
        let labels = vec![("source", name.to_string())];
        let f = &self.families;
        self.sources.push(SourceSeries {
            read: f.source_read.get_or_create(&labels).clone(),
            position: f.source_position.get_or_create(&labels).clone(),
            acknowledged: f.source_acknowledged.get_or_create(&labels).clone(),
            read_bytes: f.source_read_bytes.get_or_create(&labels).clone(),
            lag_bytes: f.source_lag_bytes.get_or_create(&labels).clone(),
            finished: f.source_finished.get_or_create(&labels).clone(),
        });
    }

    /// Creates the series of the run's next flow.
    pub fn add_flow(&mut self, name: &str) {
        let labels = vec![("flow", name.to_string())];
        let f = &self.families;
        let rejected = STAGES.map(|stage| {
            let labels = vec![
                ("flow", name.to_string()),
                ("stage", stage.as_str().to_string()),
            ];
            f.flow_rejected.get_or_create(&labels).clone()
        });
        self.flows.push(FlowSeries {
            name: name.to_string(),
            rejected_by_reason: HashMap::new(),
            read: f.flow_read.get_or_create(&labels).clone(),
            written: f.flow_written.get_or_create(&labels).clone(),
            filtered: f.flow_filtered.get_or_create(&labels).clone(),
            rejected,
        });
    }

    /// Creates the series of the run's next target.
    pub fn add_target(&mut self, name: &str) {
        let labels = vec![("target", name.to_string())];
        let f = &self.families;
        self.targets.push(TargetSeries {
            written: f.target_written.get_or_create(&labels).clone(),
            queue_depth: f.target_queue_depth.get_or_create(&labels).clone(),
            last_flush: f.target_last_flush.get_or_create(&labels).clone(),
            unreachable_since: f.target_unreachable_since.get_or_create(&labels).clone(),
        });
    }

    /// The Sparkplug B counters of source `name`, created now so that they show 0 before the first gap.
    #[cfg(feature = "sparkplug")]
    pub fn sparkplug_counters(&self, name: &str) -> SparkplugCounters {
        let labels = vec![("source", name.to_string())];
        SparkplugCounters {
            sequence_gaps: self.families.sparkplug_gaps.get_or_create(&labels).clone(),
            rebirth_requests: self
                .families
                .sparkplug_rebirth_requests
                .get_or_create(&labels)
                .clone(),
        }
    }

    /// The counter of HTTP requests that HTTP target or source `name` tried again (`role`: "target" or
    /// "source"), created now so that it shows 0 before the first retry.
    #[cfg(feature = "http")]
    pub fn http_retries(&self, role: &'static str, name: &str) -> Counter {
        let labels = vec![("role", role.to_string()), ("name", name.to_string())];
        self.families.http_retries.get_or_create(&labels).clone()
    }

    /// The OPC UA counters of source `name`, created now so that they show 0 before the first loss.
    #[cfg(feature = "opcua")]
    pub fn opcua_counters(&self, name: &str) -> crate::opcua::SubscriptionCounters {
        let labels = vec![("source", name.to_string())];
        let f = &self.families;
        crate::opcua::SubscriptionCounters {
            lost_notifications: f.opcua_lost_notifications.get_or_create(&labels).clone(),
            recreations: f.opcua_recreations.get_or_create(&labels).clone(),
            reconnects: f.opcua_reconnects.get_or_create(&labels).clone(),
            queue_overflows: f.opcua_queue_overflows.get_or_create(&labels).clone(),
            republished: f.opcua_republished.get_or_create(&labels).clone(),
        }
    }

    /// The counters of MTConnect agent source `name`, created now so that they show 0 before the
    /// first gap.
    #[cfg(feature = "mtconnect")]
    pub fn mtconnect_counters(&self, name: &str) -> crate::mtconnect::AgentCounters {
        let labels = vec![("source", name.to_string())];
        let f = &self.families;
        crate::mtconnect::AgentCounters {
            lost: f.mtconnect_lost.get_or_create(&labels).clone(),
            gaps: f.mtconnect_gaps.get_or_create(&labels).clone(),
            restarts: f.mtconnect_restarts.get_or_create(&labels).clone(),
        }
    }

    /// The reconnect counter of OPC UA target `name`.
    #[cfg(feature = "opcua")]
    pub fn opcua_target_reconnects(&self, name: &str) -> Counter {
        let labels = vec![("target", name.to_string())];
        self.families
            .opcua_target_reconnects
            .get_or_create(&labels)
            .clone()
    }

    pub fn publish_source(&self, index: usize, figures: SourceFigures) {
        let Some(series) = self.sources.get(index) else {
            return;
        };
        store(&series.read, figures.read);
        series.position.set(saturating_i64(figures.position));
        series
            .acknowledged
            .set(saturating_i64(figures.acknowledged));
        if let Some(read_bytes) = figures.read_bytes {
            series.read_bytes.set(saturating_i64(read_bytes));
            if let Some(total) = figures.total_bytes {
                series
                    .lag_bytes
                    .set(saturating_i64(total.saturating_sub(read_bytes)));
            }
        }
    }

    pub fn source_finished(&self, index: usize) {
        if let Some(series) = self.sources.get(index) {
            series.finished.set(1);
        }
    }

    pub fn publish_flow(&self, index: usize, figures: FlowFigures) {
        let Some(series) = self.flows.get(index) else {
            return;
        };
        store(&series.read, figures.read);
        store(&series.written, figures.written);
        store(&series.filtered, figures.filtered);
        for (counter, value) in series.rejected.iter().zip(figures.rejected_by_stage) {
            store(counter, value);
        }
    }

    /// Counts a reject of the flow at `index` by its reason. A reason is a fixed text of the
    /// mapping (`else reject "..."`, a match arm) or of the runtime (the decode rule a record
    /// broke: "not a number", see `DecodeRule`), never per-record detail, so the series stay few; each is created at its first
    /// reject, the only time this takes the family's lock.
    pub fn count_reject_reason(&mut self, index: usize, stage: Stage, reason: &str) {
        let Some(series) = self.flows.get_mut(index) else {
            return;
        };
        let by_stage = match series.rejected_by_reason.get_mut(reason) {
            Some(by_stage) => by_stage,
            None => series
                .rejected_by_reason
                .entry(reason.to_string())
                .or_default(),
        };
        let counter = by_stage[stage_index(stage)].get_or_insert_with(|| {
            let labels = vec![
                ("flow", series.name.clone()),
                ("stage", stage.as_str().to_string()),
                ("reason", reason.to_string()),
            ];
            self.families
                .flow_rejected_by_reason
                .get_or_create(&labels)
                .clone()
        });
        counter.inc();
    }

    pub fn publish_target(&self, index: usize, written: u64, queue_depth: u64) {
        if let Some(series) = self.targets.get(index) {
            store(&series.written, written);
            series.queue_depth.set(saturating_i64(queue_depth));
        }
    }

    pub fn target_flushed(&self, index: usize, at: SystemTime) {
        if let Some(series) = self.targets.get(index) {
            series.last_flush.set(unix_seconds(at));
        }
    }

    pub fn target_unreachable_since(&self, index: usize, since: Option<SystemTime>) {
        if let Some(series) = self.targets.get(index) {
            series
                .unreachable_since
                .set(since.map_or(0.0, unix_seconds));
        }
    }

    pub fn publish_dead_letter(&self, records: u64) {
        store(&self.dead_letter, records);
    }
}

/// The OpenMetrics text of `registry`.
pub fn encode_text(registry: &Registry) -> String {
    let mut text = String::new();
    // Writing into a String cannot fail; an encoder error would be a bug in a metric's name.
    if let Err(e) = encode(&mut text, registry) {
        text = format!("# metrics could not be encoded: {e}\n# EOF\n");
    }
    text
}

/// Counters are monotonic in the run, which owns the counts: publishing stores its current value.
fn store(counter: &Counter, value: u64) {
    counter.inner().store(value, Ordering::Relaxed);
}

fn saturating_i64(value: u64) -> i64 {
    i64::try_from(value).unwrap_or(i64::MAX)
}

fn unix_seconds(at: SystemTime) -> f64 {
    at.duration_since(SystemTime::UNIX_EPOCH)
        .map(|d| d.as_secs_f64())
        .unwrap_or(0.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    const PROGRAM: ProgramInfo = crate::run::MILL_PROGRAM;

    #[test]
    fn rejects_are_counted_by_flow_stage_and_reason() {
        let mut metrics = RunMetrics::new(&PROGRAM);
        metrics.add_flow("spindle");
        metrics.add_flow("phase");
        metrics.count_reject_reason(1, Stage::Map, "unknown machine");
        metrics.count_reject_reason(1, Stage::Map, "unknown machine");
        metrics.count_reject_reason(1, Stage::Decode, "unknown machine");
        metrics.count_reject_reason(0, Stage::Map, "bad \"quoted\" reason");
        metrics.count_reject_reason(7, Stage::Map, "a flow that does not exist is ignored");
        let text = encode_text(&metrics.registry());
        for line in [
            r#"fdi_flow_records_rejected_by_reason_total{flow="phase",stage="map",reason="unknown machine"} 2"#,
            r#"fdi_flow_records_rejected_by_reason_total{flow="phase",stage="decode",reason="unknown machine"} 1"#,
            r#"fdi_flow_records_rejected_by_reason_total{flow="spindle",stage="map",reason="bad \"quoted\" reason"} 1"#,
        ] {
            assert!(text.contains(line), "missing {line} in\n{text}");
        }
        assert!(!text.contains("does not exist"), "{text}");
    }

    #[cfg(feature = "http")]
    #[test]
    fn http_retries_show_per_target_and_source_from_zero() {
        let metrics = RunMetrics::new(&PROGRAM);
        metrics.http_retries("target", "mes").inc();
        let _quiet = metrics.http_retries("source", "erp");
        let text = encode_text(&metrics.registry());
        for line in [
            r#"fdi_http_retried_requests_total{role="target",name="mes"} 1"#,
            r#"fdi_http_retried_requests_total{role="source",name="erp"} 0"#,
        ] {
            assert!(text.contains(line), "no {line} in\n{text}");
        }
    }

    #[cfg(feature = "sparkplug")]
    #[test]
    fn sparkplug_counters_show_per_source_from_zero() {
        let metrics = RunMetrics::new(&PROGRAM);
        let quiet = metrics.sparkplug_counters("quiet");
        let lossy = metrics.sparkplug_counters("lossy");
        lossy.sequence_gaps.inc();
        lossy.sequence_gaps.inc();
        lossy.rebirth_requests.inc();
        drop(quiet);
        let text = encode_text(&metrics.registry());
        for line in [
            r#"fdi_sparkplug_sequence_gaps_total{source="quiet"} 0"#,
            r#"fdi_sparkplug_sequence_gaps_total{source="lossy"} 2"#,
            r#"fdi_sparkplug_rebirth_requests_total{source="lossy"} 1"#,
            r#"fdi_sparkplug_rebirth_requests_total{source="quiet"} 0"#,
        ] {
            assert!(text.contains(line), "no {line} in\n{text}");
        }
    }

    #[cfg(feature = "opcua")]
    #[test]
    fn opcua_counters_show_per_source_and_target_from_zero() {
        let metrics = RunMetrics::new(&PROGRAM);
        let spindle = metrics.opcua_counters("spindle");
        let _states = metrics.opcua_counters("states");
        spindle.lost_notifications.inc_by(3);
        spindle.recreations.inc();
        spindle.reconnects.inc();
        spindle.republished.inc();
        metrics.opcua_target_reconnects("limits").inc();
        let text = encode_text(&metrics.registry());
        for line in [
            r#"fdi_opcua_lost_notifications_total{source="spindle"} 3"#,
            r#"fdi_opcua_lost_notifications_total{source="states"} 0"#,
            r#"fdi_opcua_subscription_recreations_total{source="spindle"} 1"#,
            r#"fdi_opcua_reconnects_total{source="spindle"} 1"#,
            r#"fdi_opcua_republished_notifications_total{source="spindle"} 1"#,
            r#"fdi_opcua_queue_overflows_total{source="states"} 0"#,
            r#"fdi_opcua_target_reconnects_total{target="limits"} 1"#,
        ] {
            assert!(text.contains(line), "no {line} in\n{text}");
        }
    }

    #[test]
    fn published_figures_are_what_the_endpoint_shows() {
        let mut metrics = RunMetrics::new(&PROGRAM);
        metrics.add_source("mill");
        metrics.add_flow("spindle");
        metrics.add_target("history");
        metrics.publish_source(
            0,
            SourceFigures {
                read: 10,
                position: 10,
                acknowledged: 8,
                read_bytes: Some(400),
                total_bytes: Some(1000),
            },
        );
        metrics.publish_flow(
            0,
            FlowFigures {
                read: 10,
                written: 6,
                filtered: 1,
                rejected_by_stage: [1, 2, 0],
            },
        );
        metrics.publish_target(0, 6, 2);
        let text = encode_text(&metrics.registry());
        for line in [
            r#"fdi_build_info{mapping="mill_to_mes",version="0.1.0",runtime=""#,
            r#"fdi_source_records_read_total{source="mill"} 10"#,
            r#"fdi_source_acknowledged_position{source="mill"} 8"#,
            r#"fdi_source_lag_bytes{source="mill"} 600"#,
            r#"fdi_flow_records_written_total{flow="spindle"} 6"#,
            r#"fdi_flow_records_rejected_total{flow="spindle",stage="map"} 2"#,
            r#"fdi_flow_records_rejected_total{flow="spindle",stage="write"} 0"#,
            r#"fdi_target_queue_depth{target="history"} 2"#,
            "# EOF",
        ] {
            assert!(text.contains(line), "no {line} in\n{text}");
        }
    }
}

/// Store and forward: the metrics of the queues, computed at each scrape from their shared state (the age of
/// the oldest record grows while nothing happens, and the run may be waiting for room).
/// A metric of the queues: its name, its help, and its value from a queue's status.
type QueueSeries<N> = (
    &'static str,
    &'static str,
    fn(&crate::queue::QueueStatus) -> N,
);

#[derive(Debug, Clone, Default)]
struct QueueCollector(Arc<std::sync::Mutex<Vec<Arc<crate::queue::Shared>>>>);

impl prometheus_client::collector::Collector for QueueCollector {
    fn encode(
        &self,
        mut encoder: prometheus_client::encoding::DescriptorEncoder,
    ) -> Result<(), std::fmt::Error> {
        use prometheus_client::encoding::EncodeMetric;
        use prometheus_client::metrics::counter::ConstCounter;
        use prometheus_client::metrics::gauge::ConstGauge;
        use prometheus_client::metrics::MetricType;
        let queues = self.0.lock().unwrap_or_else(|e| e.into_inner()).clone();
        let statuses: Vec<crate::queue::QueueStatus> = queues.iter().map(|q| q.status()).collect();
        if statuses.is_empty() {
            return Ok(());
        }
        let gauges: [QueueSeries<f64>; 5] = [
            (
                "queue_records",
                "Records in the target's queue, waiting for it",
                |s| s.queued as f64,
            ),
            (
                "queue_oldest_record_age_seconds",
                "How long the oldest queued record has waited",
                |s| s.oldest_age_seconds,
            ),
            (
                "queue_bytes",
                "What the queued records count towards --queue-max-bytes",
                |s| s.bytes as f64,
            ),
            ("queue_disk_bytes", "The queue's files on disk", |s| {
                s.disk_bytes as f64
            }),
            (
                "queue_backpressured",
                "1 while the queue is full and the run waits for room",
                |s| f64::from(u8::from(s.backpressured)),
            ),
        ];
        for (name, help, value) in gauges {
            let mut family = encoder.encode_descriptor(name, help, None, MetricType::Gauge)?;
            for status in &statuses {
                let labels: Labels = vec![("target", status.target.clone())];
                ConstGauge::new(value(status)).encode(family.encode_family(&labels)?)?;
            }
        }
        let counters: [QueueSeries<u64>; 2] = [
            (
                "queue_forwarded_records",
                "Records the forwarder made durable at the target",
                |s| s.forwarded,
            ),
            (
                "queue_quarantined_records",
                "Records the target refused for good, sent to the dead letter",
                |s| s.quarantined,
            ),
        ];
        for (name, help, value) in counters {
            let mut family = encoder.encode_descriptor(name, help, None, MetricType::Counter)?;
            for status in &statuses {
                let labels: Labels = vec![("target", status.target.clone())];
                ConstCounter::new(value(status)).encode(family.encode_family(&labels)?)?;
            }
        }
        Ok(())
    }
}
