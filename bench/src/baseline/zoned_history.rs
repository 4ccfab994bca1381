//! Hand-written `zoned_history`: the same work as `bench/workloads/zoned_history`. The plants'
//! time zones are resolved once, when the master data is read (jiff's bundled tz database, the
//! one the runtime uses, so both agree on the rules); the local time is written with chrono's
//! formatter from items parsed once. The provenance fields are written as the generated program
//! writes them, `_fdi_mapping` the SHA-256 of the mapping file (read once at start, as
//! `cmm_quality.rs` does), so every field is compared exactly.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::path::Path;

use chrono::format::{Item, StrftimeItems};
use chrono::{DateTime, FixedOffset, SecondsFormat, TimeDelta, Utc};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::{finish_file, jsonl_writer, signal_quality, write_line, CsvRecord, Quality, Rejects};
use crate::workload::Workload;

#[derive(Deserialize)]
struct HistorianSample<'a> {
    machine: &'a str,
    tag: &'a str,
    sample_time: &'a str,
    value: &'a str,
    /// A file may leave the quality column out: every value is then uncertain.
    #[serde(default)]
    value_quality: &'a str,
}

/// A row of the clocks master data.
#[derive(Deserialize)]
struct MachineClockRow {
    machine: String,
    plant: String,
    zone: String,
    clock_offset_ms: f64,
}

/// A machine's clock, ready for use: the offset in nanoseconds and the zone resolved, or `None`
/// for a zone the history does not know.
struct MachineClock {
    plant: String,
    zone_name: String,
    zone: Option<jiff::tz::TimeZone>,
    offset: TimeDelta,
}

/// The zones the plants are in.
const ZONES: [&str; 3] = ["Europe/Berlin", "America/Chicago", "Asia/Shanghai"];
const LOCAL_FORMAT: &str = "%Y-%m-%dT%H:%M:%S%.3f%:z";

#[derive(Serialize)]
struct HistoryRecord<'a> {
    machine: &'a str,
    plant: &'a str,
    tag: &'a str,
    measured_at: &'a str,
    local_time: &'a str,
    zone: &'a str,
    value: Option<f64>,
    quality: &'static str,
    _fdi_source: &'static str,
    _fdi_stream: Option<&'static str>,
    _fdi_position: u64,
    _fdi_source_time: &'a str,
    _fdi_flow: &'static str,
    _fdi_mapping: &'a str,
}

fn clocks(path: &Path) -> Result<HashMap<String, MachineClock>, String> {
    let mut reader = csv::Reader::from_path(path).map_err(|e| e.to_string())?;
    let mut clocks = HashMap::new();
    for row in reader.deserialize::<MachineClockRow>() {
        let row = row.map_err(|e| format!("{}: {e}", path.display()))?;
        let zone = if ZONES.contains(&row.zone.as_str()) {
            Some(jiff::tz::TimeZone::get(&row.zone).map_err(|e| e.to_string())?)
        } else {
            None
        };
        let clock = MachineClock {
            plant: row.plant,
            zone_name: row.zone,
            zone,
            offset: TimeDelta::nanoseconds((row.clock_offset_ms * 1e6).round() as i64),
        };
        clocks.insert(row.machine, clock);
    }
    Ok(clocks)
}

pub fn run(
    input: &Path,
    master: &Path,
    out_dir: &Path,
    mut rejects: Rejects,
) -> Result<(), String> {
    let clocks = clocks(master)?;
    // The provenance names the mapping by its SHA-256, as the generated program's records do.
    let mapping = std::fs::read(Workload::ZonedHistory.mapping()).map_err(|e| e.to_string())?;
    let mapping_sha256 = format!("{:x}", Sha256::digest(&mapping));
    let local_format: Vec<Item> = StrftimeItems::new(LOCAL_FORMAT)
        .parse()
        .map_err(|e| e.to_string())?;
    let mut reader = super::csv_reader(input)?;
    let headers = reader.byte_headers().map_err(|e| e.to_string())?.clone();
    let mut out = jsonl_writer(&out_dir.join("out/history.jsonl"))?;
    let mut record = csv::ByteRecord::new();
    let (mut measured_at, mut source_time, mut local_time) =
        (String::new(), String::new(), String::new());
    let mut position = 0;
    while reader
        .read_byte_record(&mut record)
        .map_err(|e| e.to_string())?
    {
        position += 1;
        let original = || CsvRecord::new(&headers, &record);
        let sample: HistorianSample = match record.deserialize(Some(&headers)) {
            Ok(sample) => sample,
            Err(e) => {
                let reason = "record does not match HistorianSample";
                rejects.reject("decode", reason, &e.to_string(), position, &original())?;
                continue;
            }
        };
        let Ok(sample_time) = DateTime::parse_from_rfc3339(sample.sample_time.trim()) else {
            rejects.reject("decode", "not a timestamp", "", position, &original())?;
            continue;
        };
        let sample_time = sample_time.to_utc();
        let Some(reported) = signal_quality(sample.value_quality) else {
            let reason = "not a signal quality";
            rejects.reject("decode", reason, "", position, &original())?;
            continue;
        };
        let (value, quality) = match sample.value {
            "UNAVAILABLE" => (None, Quality::Bad),
            text => (text.trim().parse::<f64>().ok(), reported),
        };
        let Some(clock) = clocks.get(sample.machine) else {
            rejects.reject("map", "unknown machine", "", position, &original())?;
            continue;
        };
        let Some(corrected) = sample_time.checked_add_signed(clock.offset) else {
            let reason = "corrected time out of range";
            rejects.reject("map", reason, "", position, &original())?;
            continue;
        };
        let Some(zone) = &clock.zone else {
            let reason = "unknown plant time zone";
            rejects.reject("map", reason, "", position, &original())?;
            continue;
        };
        local_time.clear();
        write!(
            local_time,
            "{}",
            in_zone(corrected, zone)?.format_with_items(local_format.iter())
        )
        .map_err(|e| e.to_string())?;
        rfc3339_utc(&corrected, &mut measured_at);
        rfc3339_utc(&sample_time, &mut source_time);
        let line = record.position().map_or(0, |p| p.line());
        let history = HistoryRecord {
            machine: sample.machine,
            plant: &clock.plant,
            tag: sample.tag,
            measured_at: &measured_at,
            local_time: &local_time,
            zone: &clock.zone_name,
            value,
            quality: match quality {
                Quality::Good => "good",
                Quality::Uncertain => "uncertain",
                Quality::Bad => "bad",
            },
            _fdi_source: "samples",
            _fdi_stream: None,
            _fdi_position: line,
            _fdi_source_time: &source_time,
            _fdi_flow: "archive",
            _fdi_mapping: &mapping_sha256,
        };
        if !history.value.is_none_or(f64::is_finite) {
            rejects.reject(
                "write",
                "value is not a finite number",
                "",
                position,
                &original(),
            )?;
            continue;
        }
        write_line(&mut out, &history)?;
    }
    finish_file(out)?;
    rejects.finish()
}

/// The instant at the zone's offset then.
fn in_zone(
    instant: DateTime<Utc>,
    zone: &jiff::tz::TimeZone,
) -> Result<DateTime<FixedOffset>, String> {
    let at = jiff::Timestamp::from_second(instant.timestamp()).map_err(|e| e.to_string())?;
    let offset = FixedOffset::east_opt(zone.to_offset(at).seconds())
        .ok_or("a zone's offset is less than a day")?;
    Ok(instant.with_timezone(&offset))
}

/// RFC 3339 in UTC with `Z`, fractional seconds only when there are some, as fdi writes
/// timestamps.
fn rfc3339_utc(instant: &DateTime<Utc>, text: &mut String) {
    text.clear();
    text.push_str(&instant.to_rfc3339_opts(SecondsFormat::AutoSi, true));
}
