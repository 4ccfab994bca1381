//! A progress bar of the bytes read from a file source, on standard error, only where a person watches: stderr
//! is a terminal and the `CI` environment variable is not set. Anywhere else (a pipe, journald, CI) nothing is
//! drawn, so logs and captured output carry no control characters.

use std::io::IsTerminal;

use indicatif::{ProgressBar, ProgressStyle};

/// Whether a progress bar may be drawn: on a terminal, outside CI.
pub fn wanted() -> bool {
    shown_for(
        std::io::stderr().is_terminal(),
        std::env::var_os("CI").is_some(),
    )
}

fn shown_for(stderr_is_terminal: bool, in_ci: bool) -> bool {
    stderr_is_terminal && !in_ci
}

/// The bar of the source being read.
pub struct Progress {
    bar: Option<ProgressBar>,
    source: usize,
}

impl Default for Progress {
    fn default() -> Self {
        Progress::new()
    }
}

impl Progress {
    pub fn new() -> Self {
        Progress {
            bar: None,
            source: usize::MAX,
        }
    }

    /// Source `source` (the run's index) has read `read_bytes` of `total_bytes`.
    pub fn update(&mut self, source: usize, name: &str, read_bytes: u64, total_bytes: u64) {
        if self.source != source {
            self.finish();
            let bar = ProgressBar::new(total_bytes).with_message(format!("source {name}"));
            if let Ok(style) = ProgressStyle::with_template(
                "{msg} [{bar:30}] {binary_bytes}/{binary_total_bytes} ({binary_bytes_per_sec}, {eta} left)",
            ) {
                bar.set_style(style.progress_chars("=> "));
            }
            self.bar = Some(bar);
            self.source = source;
        }
        if let Some(bar) = &self.bar {
            bar.set_position(read_bytes);
        }
    }

    /// Removes the bar, so that what is printed next starts on a clean line.
    pub fn finish(&mut self) {
        if let Some(bar) = self.bar.take() {
            bar.finish_and_clear();
        }
        self.source = usize::MAX;
    }
}

impl Drop for Progress {
    fn drop(&mut self) {
        self.finish();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_on_a_terminal_outside_ci() {
        assert!(shown_for(true, false));
        assert!(!shown_for(true, true));
        assert!(!shown_for(false, false));
    }
}
