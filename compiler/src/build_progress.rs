//! A spinner on standard error while cargo builds a generated program, only where a person watches: stderr is a
//! terminal and the `CI` environment variable is not set. Piped or in CI, nothing is drawn.

use std::io::IsTerminal;
use std::time::Duration;

use indicatif::{ProgressBar, ProgressStyle};

/// Shown from [`BuildSpinner::start`] until it is dropped.
pub struct BuildSpinner(Option<ProgressBar>);

impl BuildSpinner {
    pub fn start(bin_name: &str) -> Self {
        if !std::io::stderr().is_terminal() || std::env::var_os("CI").is_some() {
            return BuildSpinner(None);
        }
        let spinner = ProgressBar::new_spinner().with_message(format!(
            "building {bin_name} with cargo (the first build also compiles the runtime)"
        ));
        if let Ok(style) = ProgressStyle::with_template("{spinner} {msg} {elapsed}") {
            spinner.set_style(style);
        }
        spinner.enable_steady_tick(Duration::from_millis(120));
        BuildSpinner(Some(spinner))
    }
}

impl Drop for BuildSpinner {
    fn drop(&mut self) {
        if let Some(spinner) = self.0.take() {
            spinner.finish_and_clear();
        }
    }
}
