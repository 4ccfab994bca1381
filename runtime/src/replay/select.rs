//! Which entries of the dead letter a `dead-letter list` or `replay` is about: the filters of the
//! command line, and for a replay, leaving out what was replayed before.

use chrono::{DateTime, Utc};

use super::lines::{DeadLetterFile, StoredEntry};

/// The filters `dead-letter list` and `dead-letter replay` share. Each given filter must hold; a
/// repeated one holds when any of its values does.
#[derive(Debug, Clone, Default, PartialEq, Eq, clap::Args)]
pub struct Selection {
    /// Only records rejected for this reason, exactly as the dead letter words it; repeatable
    #[arg(long = "reason", value_name = "REASON")]
    pub reasons: Vec<String>,
    /// Only records dead-lettered at or after TIME: RFC 3339 (2026-12-07T06:00:00Z), or a duration
    /// before now (2h, 30m). Lines written before lines had a time are left out
    #[arg(long, value_name = "TIME", value_parser = parse_since)]
    pub since: Option<DateTime<Utc>>,
    /// Only records rejected by this flow (decode rejects have no flow: select them by stage or
    /// source); repeatable
    #[arg(long = "flow", value_name = "FLOW")]
    pub flows: Vec<String>,
    /// Only records rejected at this stage: decode, map or write; repeatable
    #[arg(long = "stage", value_name = "STAGE", value_parser = ["decode", "map", "write"])]
    pub stages: Vec<String>,
    /// Only records of this source; repeatable
    #[arg(long = "source", value_name = "SOURCE")]
    pub sources: Vec<String>,
}

impl Selection {
    /// Whether `entry` passes every filter.
    pub fn selects(&self, entry: &StoredEntry) -> bool {
        let any = |values: &[String], value: Option<&str>| {
            values.is_empty() || value.is_some_and(|v| values.iter().any(|w| w == v))
        };
        any(&self.reasons, Some(&entry.reason))
            && any(&self.flows, entry.flow.as_deref())
            && any(&self.stages, Some(entry.stage.as_str()))
            && any(&self.sources, Some(&entry.source))
            && self
                .since
                .is_none_or(|since| entry.dead_lettered_at().is_some_and(|time| time >= since))
    }
}

/// `--since`: an RFC 3339 time, or a duration before now.
fn parse_since(text: &str) -> Result<DateTime<Utc>, String> {
    if let Ok(time) = DateTime::parse_from_rfc3339(text) {
        return Ok(time.with_timezone(&Utc));
    }
    let ago = crate::ops::duration::parse_duration(text).map_err(|_| {
        format!("{text:?} is neither an RFC 3339 time (2026-12-07T06:00:00Z) nor a duration (2h)")
    })?;
    let ago = chrono::Duration::from_std(ago).map_err(|e| format!("{text:?}: {e}"))?;
    Ok(Utc::now() - ago)
}

/// The entries a replay takes, and those it leaves because they were replayed before.
#[derive(Debug)]
pub struct Chosen<'a> {
    pub to_replay: Vec<&'a StoredEntry>,
    pub already_replayed: Vec<&'a StoredEntry>,
}

/// The entries of `file` that `selection` selects, in file order; without `again`, those a replay
/// line names are set apart as already replayed.
pub fn choose<'a>(file: &'a DeadLetterFile, selection: &Selection, again: bool) -> Chosen<'a> {
    let replayed = file.replays_by_entry();
    let mut chosen = Chosen {
        to_replay: Vec::new(),
        already_replayed: Vec::new(),
    };
    for entry in file.entries.iter().filter(|e| selection.selects(e)) {
        if !again && replayed.contains_key(entry.id.as_str()) {
            chosen.already_replayed.push(entry);
        } else {
            chosen.to_replay.push(entry);
        }
    }
    chosen
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[derive(clap::Parser)]
    struct Command {
        #[command(flatten)]
        selection: Selection,
    }

    fn selection(args: &[&str]) -> Selection {
        Command::try_parse_from(std::iter::once("list").chain(args.iter().copied()))
            .unwrap()
            .selection
    }

    const FILE: &str = concat!(
        r#"{"id":"a","time":"2026-12-07T05:00:00.000Z","flow":"spindle","stage":"map","reason":"unknown machine","detail":null,"source":"mill","position":1,"format":"csv","columns":1,"record":{"m":"M3"}}"#,
        "\n",
        r#"{"id":"b","time":"2026-12-07T06:00:00.000Z","flow":null,"stage":"decode","reason":"record does not match Row","detail":"x","source":"mill","position":2,"format":"csv","columns":1,"record":{"m":""}}"#,
        "\n",
        r#"{"id":"c","time":"2026-12-07T07:00:00.000Z","flow":"phase","stage":"write","reason":"unknown machine","detail":null,"source":"other","position":3,"format":"json","record":{}}"#,
        "\n",
        // An old line: no id, no time.
        r#"{"flow":"spindle","stage":"map","reason":"unknown machine","detail":null,"source":"mill","position":4,"record":{"m":"M4"}}"#,
        "\n",
        r#"{"id":"r1","time":"2026-12-07T07:30:00.000Z","replayed":"a","outcome":"written","flows":{"spindle":"written"},"rejected_as":[]}"#,
        "\n",
    );

    fn ids(entries: &[&StoredEntry]) -> Vec<String> {
        entries.iter().map(|e| e.id.clone()).collect()
    }

    #[test]
    fn each_filter_holds_and_repeated_values_are_alternatives() {
        let file = DeadLetterFile::parse(FILE);
        let old = file.entries[3].id.clone();
        let picked = |args: &[&str]| -> Vec<String> {
            let selection = selection(args);
            file.entries
                .iter()
                .filter(|e| selection.selects(e))
                .map(|e| e.id.clone())
                .collect()
        };
        assert_eq!(picked(&[]), ["a", "b", "c", old.as_str()]);
        assert_eq!(
            picked(&["--reason", "unknown machine"]),
            ["a", "c", old.as_str()]
        );
        assert_eq!(
            picked(&["--reason", "unknown machine", "--source", "mill"]),
            ["a", old.as_str()]
        );
        assert_eq!(
            picked(&["--stage", "decode", "--stage", "write"]),
            ["b", "c"]
        );
        // A decode reject has no flow.
        assert_eq!(
            picked(&["--flow", "spindle", "--flow", "phase"]),
            ["a", "c", old.as_str()]
        );
        // An old line has no time: --since leaves it out.
        assert_eq!(picked(&["--since", "2026-12-07T06:00:00Z"]), ["b", "c"]);
        assert_eq!(picked(&["--since", "2026-12-07T08:00:00+01:00"]), ["c"]);
        assert!(picked(&["--reason", "unknown"]).is_empty());
    }

    #[test]
    fn since_takes_a_duration_before_now_and_refuses_other_text() {
        let recent = selection(&["--since", "2h"]).since.unwrap();
        let expected = Utc::now() - chrono::Duration::hours(2);
        assert!((recent - expected).num_seconds().abs() < 60, "{recent}");
        for bad in ["yesterday", "2026-13-01T00:00:00Z"] {
            assert!(
                Command::try_parse_from(["list", "--since", bad]).is_err(),
                "{bad}"
            );
        }
        assert!(Command::try_parse_from(["list", "--stage", "read"]).is_err());
    }

    #[test]
    fn a_replay_leaves_out_what_was_replayed_unless_again() {
        let file = DeadLetterFile::parse(FILE);
        let selection = selection(&["--reason", "unknown machine"]);
        let chosen = choose(&file, &selection, false);
        let old = file.entries[3].id.clone();
        assert_eq!(ids(&chosen.to_replay), ["c", old.as_str()]);
        assert_eq!(ids(&chosen.already_replayed), ["a"]);
        let again = choose(&file, &selection, true);
        assert_eq!(ids(&again.to_replay), ["a", "c", old.as_str()]);
        assert!(again.already_replayed.is_empty());
    }
}
