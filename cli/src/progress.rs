//! The render's progress bar on stderr. It appears only on a terminal, and only once a
//! render has run for [`SHOW_AFTER`] of wall time, so quick renders print nothing extra.

use std::io::IsTerminal;
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

/// Frames between two progress updates.
pub const UPDATE_INTERVAL: u64 = 4096;
/// Wall time a render runs before the bar appears.
pub const SHOW_AFTER: Duration = Duration::from_secs(1);

/// A progress bar over the frames of a render.
pub struct Progress {
    bar: ProgressBar,
    sample_rate: f64,
    /// Whether the bar may be drawn at all (a terminal, and asked for).
    allowed: bool,
    started: Instant,
}

impl Progress {
    /// A bar for `total` frames; never drawn unless `enabled` and stderr is a terminal.
    pub fn new(total: u64, sample_rate: u32, enabled: bool) -> Progress {
        let bar = ProgressBar::with_draw_target(Some(total), ProgressDrawTarget::hidden());
        let style = ProgressStyle::with_template(
            "{spinner} rendering [{bar:32}] {msg} ({elapsed} elapsed, about {eta} left)",
        )
        .unwrap_or_else(|_| ProgressStyle::default_bar())
        .progress_chars("=> ");
        bar.set_style(style);
        Progress {
            bar,
            sample_rate: f64::from(sample_rate),
            allowed: enabled && std::io::stderr().is_terminal(),
            started: Instant::now(),
        }
    }

    /// Shows that `frame` frames are done.
    pub fn update(&self, frame: u64) {
        if !self.allowed {
            return;
        }
        if self.bar.is_hidden() {
            if self.started.elapsed() < SHOW_AFTER {
                return;
            }
            self.bar
                .set_draw_target(ProgressDrawTarget::stderr_with_hz(8));
            self.bar.enable_steady_tick(Duration::from_millis(250));
        }
        self.bar.set_position(frame);
        let total = self.bar.length().unwrap_or(frame);
        self.bar.set_message(format!(
            "{:.1} / {:.1} s",
            frame as f64 / self.sample_rate,
            total as f64 / self.sample_rate
        ));
    }

    /// Removes the bar.
    pub fn finish(&self) {
        self.bar.finish_and_clear();
    }
}
