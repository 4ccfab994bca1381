//! Durations on the command line: `500ms`, `30s`, `5m`, `2h`, `1d`, or `0`.

use std::time::Duration;

/// Parses `NUMBER UNIT` with unit `ms`, `s`, `m`, `h` or `d` (a bare `0` is allowed).
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let text = text.trim();
    if text == "0" {
        return Ok(Duration::ZERO);
    }
    let split = text
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let refuse = || {
        format!("{text:?} is not a duration; write a whole number and a unit, e.g. 500ms, 30s, 5m, 2h, 1d")
    };
    let number: u64 = number.parse().map_err(|_| refuse())?;
    let millis_per_unit: u64 = match unit {
        "ms" => 1,
        "s" => 1_000,
        "m" | "min" => 60_000,
        "h" => 3_600_000,
        "d" => 86_400_000,
        _ => return Err(refuse()),
    };
    number
        .checked_mul(millis_per_unit)
        .map(Duration::from_millis)
        .ok_or_else(refuse)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn units() {
        assert_eq!(parse_duration("0"), Ok(Duration::ZERO));
        assert_eq!(parse_duration("250ms"), Ok(Duration::from_millis(250)));
        assert_eq!(parse_duration("60s"), Ok(Duration::from_secs(60)));
        assert_eq!(parse_duration("5m"), Ok(Duration::from_secs(300)));
        assert_eq!(parse_duration("2h"), Ok(Duration::from_secs(7200)));
        assert_eq!(parse_duration("1d"), Ok(Duration::from_secs(86_400)));
    }

    #[test]
    fn refusals_say_what_is_expected() {
        for bad in [
            "",
            "s",
            "60",
            "1.5s",
            "-1s",
            "10 parsecs",
            "99999999999999999999d",
        ] {
            let error = parse_duration(bad).unwrap_err();
            assert!(error.contains("e.g. 500ms"), "{bad}: {error}");
        }
    }
}
