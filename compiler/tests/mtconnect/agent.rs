//! An MTConnect agent restarted mid-run, and one whose buffer overflows while the program is
//! down. The agent is the peer `tests/peers/mtconnect/agent.py` (see `fdi_peers::MtconnectAgent`
//! for why not the PyPI package `mtconnect`), serving the OKUMA's device model and fed the
//! recording's lines as its adapter would send them. Every observation the agent still had when
//! the program asked must arrive once; what the agent dropped before the program could read it
//! must be counted, exactly.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use fdi_peers::MtconnectAgent;

use crate::recording::{self, instant};
use crate::support::service::{build_test_program, wait_for_count, Service};
use crate::support::{self, read_jsonl};

const KEYS: &[&str] = &["pexecution", "ppartcount", "pprogram", "Z1actm"];
const SOURCE: &str = r#"source="okuma""#;

/// (name, value, timestamp): one observation, as the test compares them.
type Key = (String, String, (String, u32));

fn lines_between(text: &str, from: Option<&str>, to: Option<&str>) -> String {
    let lines: Vec<&str> = text.lines().collect();
    let at = |marker: Option<&str>, default: usize| {
        marker.map_or(default, |m| {
            lines.iter().position(|l| l.contains(m)).unwrap()
        })
    };
    let (start, end) = (at(from, 0), at(to, lines.len()));
    lines[start..end].iter().map(|l| format!("{l}\n")).collect()
}

/// `shdr` in pieces of about `lines` lines, each ending outside a multi-line block.
fn chunks(shdr: &str, lines: usize) -> Vec<String> {
    let mut out = vec![String::new()];
    let (mut count, mut block): (usize, Option<String>) = (0, None);
    for line in shdr.lines() {
        out.last_mut().unwrap().push_str(line);
        out.last_mut().unwrap().push('\n');
        count += 1;
        match &block {
            Some(marker) if line.trim() == marker => block = None,
            Some(_) => continue,
            None => {
                if let Some(last) = line
                    .rsplit('|')
                    .next()
                    .filter(|l| l.starts_with("--multiline--"))
                {
                    block = Some(last.to_string());
                    continue;
                }
            }
        }
        if count >= lines {
            out.push(String::new());
            count = 0;
        }
    }
    out.retain(|c| !c.is_empty());
    out
}

fn observations_of(shdr: &str) -> Vec<Key> {
    let scratch = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(scratch.path(), shdr).unwrap();
    recording::observations(scratch.path(), KEYS)
        .into_iter()
        .map(|o| (o.key, o.value, instant(&o.timestamp)))
        .collect()
}

fn multiset(keys: impl IntoIterator<Item = Key>) -> BTreeMap<Key, usize> {
    let mut counts = BTreeMap::new();
    for key in keys {
        *counts.entry(key).or_insert(0) += 1;
    }
    counts
}

/// The state file the program keeps its position in, somewhere under `dir`.
fn state_file(dir: &Path) -> PathBuf {
    fn find(dir: &Path) -> Option<PathBuf> {
        for entry in std::fs::read_dir(dir).ok()?.flatten() {
            let path = entry.path();
            if path.is_dir() {
                if let Some(found) = find(&path) {
                    return Some(found);
                }
            } else if path
                .file_name()
                .is_some_and(|n| n.to_string_lossy() == "mtconnect-mtconnect_agent-okuma.json")
            {
                return Some(path);
            }
        }
        None
    }
    find(dir).expect("the source's state file")
}

#[test]
fn an_agent_restarted_mid_run_and_a_buffer_gap_lose_only_what_the_agent_dropped() {
    let binary = build_test_program("mtconnect_agent");
    let devices =
        crate::support::workspace_root().join("examples/okuma-to-mes/data/okuma_Devices.xml");
    let agent = MtconnectAgent::start(&devices, "OKUMA", 2000)
        .expect("the MTConnect agent peer (python3; tests/peers/install)");
    let text = std::fs::read_to_string(recording::path()).unwrap();
    let run_a = lines_between(&text, None, Some("|pprogram|IMTS-2022-1E-mm"));
    let run_b = lines_between(
        &text,
        Some("|pprogram|IMTS-2022-1E-mm"),
        Some("|pprogram|IMTS-2022-4B-mm"),
    );
    let runs_c = lines_between(&text, Some("|pprogram|IMTS-2022-4B-mm"), None);
    let (a, b, c) = (
        observations_of(&run_a),
        observations_of(&run_b),
        observations_of(&runs_c),
    );
    assert!(
        a.iter().chain(&b).chain(&c).all(|(_, value, _)| value != "UNAVAILABLE"),
        "the recording's values of these items are never UNAVAILABLE, so each UNAVAILABLE read is an agent's start"
    );

    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("line.toml"),
        format!(
            "[connections.okuma_agent]\nbase_url = \"{}\"\n",
            agent.base_url()
        ),
    )
    .unwrap();
    let out = dir.path().join("out/observations.jsonl");
    let written = || {
        std::fs::read_to_string(&out)
            .map(|t| t.lines().count())
            .unwrap_or(0)
    };

    // The program starts from /current: each data item's latest observation, UNAVAILABLE.
    let service = Service::start_serving_metrics(&binary, dir.path());
    // The probe finds that the agent does not serve one of the data items the program reads.
    let line = service.wait_for_log("the agent does not serve this data item");
    assert!(line.contains("spindle_temperature"), "{line}");
    wait_for_count("first records", KEYS.len(), written);
    // Fed a few hundred lines at a time, each piece read before the next comes: the agent's
    // buffer (2,000 observations) never overflows while the program runs.
    let mut expected = KEYS.len();
    for chunk in chunks(&run_a, 300) {
        agent.feed(&chunk).unwrap();
        expected += observations_of(&chunk).len();
        wait_for_count("run A", expected, written);
    }
    assert_eq!(expected, KEYS.len() + a.len());

    // The agent restarts mid-run: a new instance, its sequences from 1.
    agent.restart().unwrap();
    expected += KEYS.len();
    for chunk in chunks(&run_b, 300) {
        agent.feed(&chunk).unwrap();
        expected += observations_of(&chunk).len();
        wait_for_count("run B after the restart", expected, written);
    }
    assert_eq!(
        service.metric(&format!("fdi_mtconnect_agent_restarts_total{{{SOURCE}}}")),
        1.0
    );
    assert_eq!(
        service.metric(&format!(
            "fdi_mtconnect_observations_lost_total{{{SOURCE}}}"
        )),
        0.0
    );
    let (code, summary) = service.stop();
    assert_eq!(code, 0, "{summary}");
    support::assert_balanced(&summary);
    assert_eq!(summary["sources"][0]["lost"], 0, "{summary}");
    let stored: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(state_file(dir.path())).unwrap()).unwrap();
    let stored_next = stored["watermark"]["next_sequence"].as_u64().unwrap();

    // While the program is down the agent gets more than its buffer holds: the oldest go.
    agent.feed(&runs_c).unwrap();
    let state = agent.state().unwrap();
    let first = state["first_sequence"].as_u64().unwrap();
    assert!(
        first > stored_next,
        "the buffer moved past the program's position"
    );
    let dropped: Vec<&serde_json::Value> = state["dropped"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|d| d["sequence"].as_u64().unwrap() >= stored_next)
        .collect();
    assert_eq!(dropped.len() as u64, first - stored_next);
    let lost: Vec<Key> = dropped
        .iter()
        .filter(|d| d["name"].as_str().is_some_and(|n| KEYS.contains(&n)))
        .map(|d| {
            (
                d["name"].as_str().unwrap().to_string(),
                d["value"].as_str().unwrap().to_string(),
                instant(d["timestamp"].as_str().unwrap()),
            )
        })
        .collect();
    assert!(
        !lost.is_empty(),
        "some observations of the items read were dropped"
    );

    let service = Service::start_serving_metrics(&binary, dir.path());
    expected += c.len() - lost.len();
    wait_for_count("runs C and D after the gap", expected, written);
    assert_eq!(
        service.metric(&format!(
            "fdi_mtconnect_observations_lost_total{{{SOURCE}}}"
        )),
        (first - stored_next) as f64,
        "the loss counted is exactly what the agent dropped"
    );
    assert_eq!(
        service.metric(&format!("fdi_mtconnect_gaps_total{{{SOURCE}}}")),
        1.0
    );
    let (code, summary) = service.stop();
    assert_eq!(code, 0, "{summary}");
    support::assert_balanced(&summary);
    assert_eq!(
        summary["sources"][0]["lost"],
        first - stored_next,
        "the summary reports the loss: {summary}"
    );

    eprintln!(
        "agent: {} records; the buffer dropped {} observations past the program's position ({} of the data items read), all counted",
        expected,
        first - stored_next,
        lost.len()
    );
    let rows = read_jsonl(&out);
    assert_eq!(rows.len(), expected, "nothing more, nothing twice");
    let unavailable = rows.iter().filter(|r| r["value"] == "UNAVAILABLE").count();
    assert_eq!(
        unavailable,
        2 * KEYS.len(),
        "one per data item per agent start"
    );
    let got = multiset(
        rows.iter()
            .filter(|r| r["value"] != "UNAVAILABLE")
            .map(|r| {
                (
                    r["name"].as_str().unwrap().to_string(),
                    r["value"].as_str().unwrap().to_string(),
                    instant(r["timestamp"].as_str().unwrap()),
                )
            }),
    );
    let mut want = multiset(a.into_iter().chain(b).chain(c));
    for key in lost {
        let n = want.get_mut(&key).expect("a dropped observation was fed");
        *n -= 1;
        if *n == 0 {
            want.remove(&key);
        }
    }
    assert_eq!(got, want);
    assert!(rows.iter().all(|r| r["device"] == "OKUMA"));
}
