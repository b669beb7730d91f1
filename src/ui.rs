//! Terminal concerns shared by every command: color choice, diagnostics on stderr by verbosity,
//! progress bars (stderr, TTY only).

/// `eprintln!` that never panics: a closed or broken stderr (`archeo ... 2>&-`) loses the
/// line, not the exit code.
#[macro_export]
macro_rules! say {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stderr(), $($arg)*);
    }};
}

use std::io::IsTerminal;
use std::time::Duration;

use indicatif::{ProgressBar, ProgressStyle};

/// When to color output.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum, Default)]
pub enum ColorWhen {
    /// Color when stdout is a terminal and NO_COLOR is not set.
    #[default]
    Auto,
    /// Color even when piped.
    Always,
    /// No color.
    Never,
}

/// How chatty and how colorful to be; resolved once from the global flags.
#[derive(Debug, Clone, Copy)]
pub struct Ui {
    /// -1 quiet, 0 normal, 1+ verbose.
    pub verbosity: i8,
    /// Color stdout.
    pub color_stdout: bool,
    /// Show progress on stderr.
    pub progress: bool,
}

impl Ui {
    /// Resolves the global flags.
    pub fn new(quiet: bool, verbose: u8, color: ColorWhen) -> Ui {
        let verbosity = if quiet { -1 } else { verbose.min(3) as i8 };
        let color_stdout = match color {
            ColorWhen::Always => true,
            ColorWhen::Never => false,
            ColorWhen::Auto => {
                std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none()
            }
        };
        let progress = verbosity >= 0 && std::io::stderr().is_terminal();
        Ui {
            verbosity,
            color_stdout,
            progress,
        }
    }

    /// A status line on stderr, unless -q.
    pub fn info(&self, msg: impl AsRef<str>) {
        if self.verbosity >= 0 {
            crate::say!("{}", crate::report::term_lines(msg.as_ref()));
        }
    }

    /// A detail on stderr, with -v.
    pub fn detail(&self, msg: impl AsRef<str>) {
        if self.verbosity >= 1 {
            crate::say!("{}", crate::report::term_lines(msg.as_ref()));
        }
    }

    /// A warning on stderr (unless quiet).
    pub fn warn(&self, msg: impl AsRef<str>) {
        if self.verbosity >= 0 {
            crate::say!("warning: {}", crate::report::term_lines(msg.as_ref()));
        }
    }

    /// The color choice for stdout.
    pub fn color_choice(&self) -> termcolor::ColorChoice {
        if self.color_stdout {
            termcolor::ColorChoice::Always
        } else {
            termcolor::ColorChoice::Never
        }
    }

    /// A spinner with a message; hidden when stderr is not a TTY.
    pub fn spinner(&self, msg: String) -> ProgressBar {
        if !self.progress {
            return ProgressBar::hidden();
        }
        let pb = ProgressBar::new_spinner();
        pb.set_style(
            ProgressStyle::with_template("{spinner} {msg} {elapsed}").expect("valid template"),
        );
        pb.set_message(msg);
        pb.enable_steady_tick(Duration::from_millis(100));
        pb
    }

    /// A bar counting `len` units; hidden when stderr is not a TTY.
    pub fn bar(&self, len: u64, template: &str) -> ProgressBar {
        if !self.progress {
            return ProgressBar::hidden();
        }
        let pb = ProgressBar::new(len);
        pb.set_style(
            ProgressStyle::with_template(template)
                .expect("valid template")
                .progress_chars("=> "),
        );
        pb.enable_steady_tick(Duration::from_millis(200));
        pb
    }
}

/// A spinner whose message a background thread refreshes from a status function (e.g. gix's
/// live fetch counters) until it is dropped. Hidden when stderr is not a TTY.
pub struct LiveSpinner {
    pb: ProgressBar,
    stop: std::sync::Arc<std::sync::atomic::AtomicBool>,
    ticker: Option<std::thread::JoinHandle<()>>,
}

impl Ui {
    /// Starts a spinner showing `label`, then `prefix: LINE · LINE` once `status` has lines.
    pub fn live_spinner(
        &self,
        label: String,
        prefix: String,
        status: impl Fn() -> Vec<String> + Send + 'static,
    ) -> LiveSpinner {
        let pb = self.spinner(label);
        let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let ticker = self.progress.then(|| {
            let (pb, stop) = (pb.clone(), stop.clone());
            std::thread::spawn(move || {
                while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                    let lines = status();
                    if !lines.is_empty() {
                        pb.set_message(format!("{prefix}: {}", lines.join(" · ")));
                    }
                    std::thread::sleep(Duration::from_millis(120));
                }
            })
        });
        LiveSpinner { pb, stop, ticker }
    }
}

impl Drop for LiveSpinner {
    fn drop(&mut self) {
        self.stop.store(true, std::sync::atomic::Ordering::Relaxed);
        if let Some(t) = self.ticker.take() {
            let _ = t.join();
        }
        self.pb.finish_and_clear();
    }
}

/// `12.3 MiB`
pub fn human_bytes(n: u64) -> String {
    const UNITS: [&str; 5] = ["B", "KiB", "MiB", "GiB", "TiB"];
    let mut v = n as f64;
    let mut i = 0;
    while v >= 1024.0 && i + 1 < UNITS.len() {
        v /= 1024.0;
        i += 1;
    }
    if i == 0 {
        format!("{n} B")
    } else {
        format!("{v:.1} {}", UNITS[i])
    }
}
