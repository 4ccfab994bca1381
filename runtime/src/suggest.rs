//! "Did you mean": the one measure of closeness behind every suggestion, the compiler's
//! diagnostics and the program's own errors alike, so both suggest the same name.

/// How close a candidate must be to be suggested (Jaro-Winkler, ignoring case).
const SIMILARITY: f64 = 0.8;

/// The candidate closest to `name`, when one is close enough to be a likely misspelling.
pub fn closest<'a>(name: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let lower = name.to_lowercase();
    candidates
        .into_iter()
        .map(|c| (strsim::jaro_winkler(&lower, &c.to_lowercase()), c))
        .filter(|(score, _)| *score >= SIMILARITY)
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, c)| c)
}
