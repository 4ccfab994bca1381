//! Civil time for the oracle, written from the proleptic Gregorian calendar (Howard Hinnant's
//! `days_from_civil`), so the test does not lean on the time library the runtime uses.

const MS_PER_DAY: i64 = 86_400_000;

fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (
        if m <= 2 {
            yoe + era * 400 + 1
        } else {
            yoe + era * 400
        },
        m,
        d,
    )
}

/// Year, month, day, hour, minute, second and millisecond of an instant seen at `offset_min`.
fn fields(ms: i64, offset_min: i64) -> [i64; 7] {
    let local = ms + offset_min * 60_000;
    let (y, mo, d) = civil_from_days(local.div_euclid(MS_PER_DAY));
    let in_day = local.rem_euclid(MS_PER_DAY);
    [
        y,
        mo,
        d,
        in_day / 3_600_000,
        in_day / 60_000 % 60,
        in_day / 1000 % 60,
        in_day % 1000,
    ]
}

/// `2024-03-01T12:00:00Z`, or with the offset (`+01:00`) when it is not zero.
pub fn rfc3339(ms: i64, offset_min: i64) -> String {
    let [y, mo, d, h, mi, s, _] = fields(ms, offset_min);
    let zone = if offset_min == 0 {
        "Z".to_string()
    } else {
        let sign = if offset_min < 0 { '-' } else { '+' };
        format!(
            "{sign}{:02}:{:02}",
            offset_min.abs() / 60,
            offset_min.abs() % 60
        )
    };
    format!("{y:04}-{mo:02}-{d:02}T{h:02}:{mi:02}:{s:02}{zone}")
}

/// Reads the RFC 3339 text a program writes: `YYYY-MM-DDTHH:MM:SS[.fff](Z|±HH:MM)`.
pub fn parse_rfc3339(text: &str) -> Option<i64> {
    let b = text.as_bytes();
    let num = |from: usize, len: usize| -> Option<i64> { text.get(from..from + len)?.parse().ok() };
    if b.len() < 20 || b[4] != b'-' || b[7] != b'-' || !matches!(b[10], b'T' | b' ') {
        return None;
    }
    let (y, mo, d) = (num(0, 4)?, num(5, 2)?, num(8, 2)?);
    let (h, mi, s) = (num(11, 2)?, num(14, 2)?, num(17, 2)?);
    let mut rest = &text[19..];
    let mut millis = 0;
    if let Some(fraction) = rest.strip_prefix('.') {
        let digits = fraction.bytes().take_while(u8::is_ascii_digit).count();
        let padded = format!("{:0<3}", &fraction[..digits.min(3)]);
        millis = padded.parse::<i64>().ok()?;
        rest = &fraction[digits..];
    }
    let offset_min = match rest {
        "Z" | "z" | "+00:00" => 0,
        _ => {
            let sign = if rest.starts_with('-') { -1 } else { 1 };
            let h: i64 = rest.get(1..3)?.parse().ok()?;
            let m: i64 = rest.get(4..6)?.parse().ok()?;
            sign * (h * 60 + m)
        }
    };
    let days = days_from_civil(y, mo, d);
    Some(days * MS_PER_DAY + ((h * 60 + mi) * 60 + s) * 1000 + millis - offset_min * 60_000)
}

/// `format_timestamp` for the patterns and zones the generator uses.
pub fn format(ms: i64, pattern: &str, zone: &str) -> String {
    let offset_min = match zone {
        "UTC" => 0,
        "+01:00" => 60,
        "-05:30" => -330,
        other => panic!("the generator uses no zone {other}"),
    };
    let [y, mo, d, h, mi, s, _] = fields(ms, offset_min);
    match pattern {
        "%Y-%m-%d %H:%M:%S" => format!("{y:04}-{mo:02}-{d:02} {h:02}:{mi:02}:{s:02}"),
        "%d.%m.%Y %H:%M" => format!("{d:02}.{mo:02}.{y:04} {h:02}:{mi:02}"),
        other => panic!("the generator uses no pattern {other}"),
    }
}
