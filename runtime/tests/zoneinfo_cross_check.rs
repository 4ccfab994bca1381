//! Local-time reading checked against an independent implementation: Python's `zoneinfo`, which
//! reads the host's tz database, where the runtime uses the copy jiff compiles in.
//!
//! Python classifies every local time of a sample (twelve times a day around the hours at which
//! zones change their clocks, every day of years before and after 2100) as an instant, a time the
//! clocks skip or one they repeat; the runtime must give the same for each.

use std::io::Write as _;
use std::process::{Command, Stdio};

use fdi_runtime::time::{parse_timestamp_in, ZonedFormat};
use fdi_runtime::Timestamp;

/// Zones with daylight saving time in both hemispheres, a half-hour change (Lord Howe) and a
/// zone whose "standard" time is its summer time (Dublin), whose rules have not changed in years,
/// so that the host's tz database and the bundled one agree on them.
const ZONES: [&str; 8] = [
    "Europe/Berlin",
    "Europe/London",
    "Europe/Dublin",
    "America/New_York",
    "America/Chicago",
    "Australia/Sydney",
    "Australia/Lord_Howe",
    "Pacific/Auckland",
];

const YEARS: [i32; 3] = [2026, 2100, 2250];

/// The format the sampled local times are written in.
const FORMAT: &str = "%Y-%m-%d %H:%M";

/// Prints `zone<TAB>local time<TAB>epoch seconds | skipped | repeated` for each sampled time.
const CLASSIFY: &str = r#"
import sys, datetime as dt, zoneinfo
utc = dt.timezone.utc
zones, years = sys.argv[1].split(","), [int(y) for y in sys.argv[2].split(",")]
out = []
for zone in zones:
    tz = zoneinfo.ZoneInfo(zone)
    for year in years:
        day = dt.date(year, 1, 1)
        while day.year == year:
            for hour in (0, 1, 2, 3, 4, 12):
                for minute in (15, 45):
                    local = dt.datetime(day.year, day.month, day.day, hour, minute)
                    first = local.replace(tzinfo=tz, fold=0).astimezone(utc)
                    second = local.replace(tzinfo=tz, fold=1).astimezone(utc)
                    if first == second:
                        result = str(int(first.timestamp()))
                    elif first.astimezone(tz).replace(tzinfo=None) == local:
                        result = "repeated"
                    else:
                        result = "skipped"
                    out.append(f"{zone}\t{local:%Y-%m-%d %H:%M}\t{result}")
            day += dt.timedelta(days=1)
sys.stdout.write("\n".join(out) + "\n")
"#;

fn python_classification() -> String {
    let missing = |why: String| -> ! {
        panic!(
            "this test compares local times with Python's zoneinfo and cannot run it ({why}): install \
             Python 3.9 or later and the tz database (`apt-get install python3 tzdata` on Debian and \
             Ubuntu; `pip install tzdata` where there is no system tz database)"
        )
    };
    let mut child = Command::new("python3")
        .args([
            "-",
            &ZONES.join(","),
            &YEARS.map(|y| y.to_string()).join(","),
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| missing(format!("python3: {e}")));
    child
        .stdin
        .take()
        .expect("stdin is piped")
        .write_all(CLASSIFY.as_bytes())
        .unwrap_or_else(|e| missing(format!("writing the script: {e}")));
    let output = child
        .wait_with_output()
        .unwrap_or_else(|e| missing(format!("python3: {e}")));
    if !output.status.success() {
        missing(String::from_utf8_lossy(&output.stderr).trim().to_string());
    }
    String::from_utf8(output.stdout).expect("the script prints ASCII")
}

/// What the runtime makes of `local` in `zone`, asked both ways a generated program asks: with the
/// format and zone given for each value, and resolved once (`ZonedFormat`, as a field's reader).
fn ours(zone: &str, local: &str, resolved: &[ZonedFormat]) -> String {
    let each_time = parse_timestamp_in(local, FORMAT, zone);
    let at = ZONES.iter().position(|name| *name == zone);
    let once = at.map(|at| resolved[at].parse(local));
    let outcome = |read: &Result<Timestamp, fdi_runtime::Failure>| {
        read.as_ref()
            .map(|instant| instant.as_datetime().timestamp())
            .map_err(|failure| failure.detail().to_string())
    };
    assert_eq!(
        once.as_ref().map(outcome),
        Some(outcome(&each_time)),
        "{zone} {local}: resolved once and each time"
    );
    match each_time {
        Ok(instant) => instant.as_datetime().timestamp().to_string(),
        Err(failure) if failure.detail().contains("the clocks skip") => "skipped".to_string(),
        Err(failure) if failure.detail().contains("happens twice") => "repeated".to_string(),
        Err(failure) => failure.detail().to_string(),
    }
}

#[test]
fn local_times_agree_with_python_zoneinfo_before_and_after_2100() {
    let expected = python_classification();
    let resolved = ZONES.map(|zone| ZonedFormat::new(FORMAT, zone));
    let mut compared = 0;
    let (mut skipped, mut repeated) = (0, 0);
    let mut differences = Vec::new();
    for line in expected.lines() {
        let [zone, local, theirs] = line.split('\t').collect::<Vec<_>>()[..] else {
            panic!("unexpected line from the script: {line:?}");
        };
        let ours = ours(zone, local, &resolved);
        compared += 1;
        match theirs {
            "skipped" => skipped += 1,
            "repeated" => repeated += 1,
            _ => {}
        }
        if ours != theirs {
            differences.push(format!("{zone} {local}: zoneinfo {theirs}, ours {ours}"));
        }
    }
    assert_eq!(
        compared,
        // None of the years is a leap year.
        ZONES.len() * YEARS.len() * 365 * 12,
        "the script sampled other times than this test expects"
    );
    // Every zone changes its clocks twice a year, so both kinds of failure must have been sampled.
    assert!(
        skipped >= ZONES.len() * YEARS.len() && repeated >= ZONES.len() * YEARS.len(),
        "sampled {skipped} skipped and {repeated} repeated local times"
    );
    assert!(
        differences.is_empty(),
        "{} of {compared} local times differ, e.g.:\n{}",
        differences.len(),
        differences[..differences.len().min(20)].join("\n")
    );
}
