//! Printing `taskio fetch`'s results: one line per URL as it completes (above an indicatif
//! progress bar when stdout is a terminal), then a summary table (status, bytes, ms per URL,
//! total, slowest); or, with `--json`, one JSON object per URL and a last `{"summary": ...}`.

use std::io::IsTerminal;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use indicatif::{ProgressBar, ProgressStyle};

use super::outcome::Outcome;

/// Where results go as they come.
#[derive(Debug)]
pub struct Reporter {
    json: bool,
    bar: Option<ProgressBar>,
    /// The bar was cleared (Ctrl-C, or the end): lines go straight to stdout.
    cleared: AtomicBool,
}

impl Reporter {
    /// A reporter for `total` URLs; a progress bar only when not `json` and stdout is a terminal.
    ///
    /// ```
    /// let r = taskio_cli::fetch::report::Reporter::new(3, true);
    /// # drop(r);
    /// ```
    pub fn new(total: usize, json: bool) -> Reporter {
        let bar = (!json && std::io::stdout().is_terminal()).then(|| {
            let bar = ProgressBar::new(total as u64);
            if let Ok(style) = ProgressStyle::with_template(
                "{spinner} [{elapsed_precise}] {wide_bar} {pos}/{len} done, {msg}",
            ) {
                bar.set_style(style);
            }
            bar.enable_steady_tick(Duration::from_millis(100));
            bar
        });
        Reporter {
            json,
            bar,
            cleared: AtomicBool::new(false),
        }
    }

    /// The bar as long as it is shown.
    fn bar(&self) -> Option<&ProgressBar> {
        self.bar
            .as_ref()
            .filter(|_| !self.cleared.load(Ordering::SeqCst))
    }

    /// Takes the bar off the screen at once (Ctrl-C): what follows prints on clean lines.
    ///
    /// ```
    /// taskio_cli::fetch::report::Reporter::new(3, false).clear_bar();
    /// ```
    pub fn clear_bar(&self) {
        if let Some(bar) = self.bar()
            && !self.cleared.swap(true, Ordering::SeqCst)
        {
            bar.finish_and_clear();
        }
    }

    /// Shows how many requests are in flight next to the bar (no bar: nothing).
    ///
    /// ```
    /// taskio_cli::fetch::report::Reporter::new(3, false).in_flight(2);
    /// ```
    pub fn in_flight(&self, n: usize) {
        if let Some(bar) = self.bar() {
            bar.set_message(format!("{n} in flight"));
        }
    }

    /// Prints one URL's outcome, as it completes.
    ///
    /// ```
    /// use taskio_cli::fetch::{outcome::Outcome, report::Reporter};
    /// Reporter::new(1, true).outcome(&Outcome::failed("argument 1", "x", 0.0, "invalid URL"));
    /// ```
    pub fn outcome(&self, o: &Outcome) {
        let text = if self.json {
            serde_json::to_string(o).unwrap_or_default()
        } else {
            line(o)
        };
        match self.bar() {
            Some(bar) => {
                bar.println(text);
                bar.inc(1);
            }
            None => crate::out::line(&text),
        }
    }

    /// Ends the bar and prints the summary: the table, or the JSON summary line.
    ///
    /// ```
    /// use taskio_cli::fetch::{outcome::Outcome, report::Reporter};
    /// let outcomes = [Outcome::failed("argument 1", "x", 0.0, "invalid URL")];
    /// Reporter::new(1, false).finish(&outcomes, std::time::Duration::from_millis(3));
    /// ```
    pub fn finish(&self, outcomes: &[Outcome], wall: Duration) {
        self.clear_bar();
        let summary = Summary::of(outcomes, wall);
        if self.json {
            let value = serde_json::json!({ "summary": summary });
            crate::out::line(&value.to_string());
        } else {
            crate::out::line(table(outcomes, &summary).trim_end_matches('\n'));
        }
    }
}

/// The totals of a run: see [`Summary::of`].
///
/// ```
/// let s = taskio_cli::fetch::report::Summary::of(&[], std::time::Duration::ZERO);
/// assert_eq!((s.urls, s.ok, s.failed, s.bytes), (0, 0, 0, 0));
/// assert!(s.slowest.is_none());
/// ```
#[derive(Debug, serde::Serialize)]
pub struct Summary {
    /// URLs (and invalid lines).
    pub urls: usize,
    /// Succeeded.
    pub ok: usize,
    /// Failed (including cancelled and invalid).
    pub failed: usize,
    /// Body bytes read in all.
    pub bytes: u64,
    /// Wall time of the whole run, ms.
    pub total_ms: f64,
    /// The slowest request that ran to its end (never a cancelled one): `{url, ms}`.
    pub slowest: Option<Slowest>,
}

/// The slowest request of a run.
///
/// ```
/// use taskio_cli::fetch::{outcome::Outcome, report::Summary};
/// let o = [Outcome::failed("a", "http://a.test/", 30.0, "HTTP 500")];
/// assert_eq!(Summary::of(&o, std::time::Duration::ZERO).slowest.unwrap().ms, 30.0);
/// ```
#[derive(Debug, serde::Serialize)]
pub struct Slowest {
    /// Its URL.
    pub url: String,
    /// Its time, ms.
    pub ms: f64,
}

impl Summary {
    /// The totals of `outcomes`, which took `wall`.
    ///
    /// ```
    /// use taskio_cli::fetch::{outcome::Outcome, report::Summary};
    /// let o = [Outcome::failed("argument 1", "x", 3.0, "refused")];
    /// let s = Summary::of(&o, std::time::Duration::from_millis(5));
    /// assert_eq!((s.urls, s.ok, s.failed), (1, 0, 1));
    /// ```
    pub fn of(outcomes: &[Outcome], wall: Duration) -> Summary {
        let ok = outcomes.iter().filter(|o| o.ok).count();
        let slowest = outcomes
            .iter()
            .filter(|o| o.ms > 0.0 && !o.cancelled)
            .max_by(|a, b| a.ms.total_cmp(&b.ms))
            .map(|o| Slowest {
                url: o.url.clone(),
                ms: o.ms,
            });
        Summary {
            urls: outcomes.len(),
            ok,
            failed: outcomes.len() - ok,
            bytes: outcomes.iter().map(|o| o.bytes).sum(),
            total_ms: (wall.as_secs_f64() * 1e4).round() / 10.0,
            slowest,
        }
    }
}

/// One outcome as a line: status, bytes, ms, URL, and the error if any.
///
/// ```
/// use taskio_cli::fetch::{outcome::Outcome, report::line};
/// let o = Outcome::failed("urls.txt:2", "nope", 0.0, "invalid URL");
/// assert!(line(&o).contains("urls.txt:2: invalid URL"));
/// ```
pub fn line(o: &Outcome) -> String {
    let status = match (o.ok, o.status) {
        (_, Some(s)) => s.to_string(),
        (false, None) => "ERR".to_owned(),
        (true, None) => "-".to_owned(),
    };
    let mut text = format!(
        "{} {status:>3} {:>10} {:>8.1} ms  {}",
        if o.ok { "✓" } else { "✗" },
        human_bytes(o.bytes),
        o.ms,
        o.url
    );
    if let Some(e) = &o.error {
        text.push_str(&format!("  ({}: {e})", o.source));
    }
    text
}

/// The summary table, in input order, then the totals.
fn table(outcomes: &[Outcome], s: &Summary) -> String {
    let mut out = String::from("\n  #  STATUS       BYTES         MS  URL\n");
    for (i, o) in outcomes.iter().enumerate() {
        let status = match o.status {
            Some(code) => code.to_string(),
            None => "ERR".into(),
        };
        let note = match &o.error {
            Some(e) => format!("  {e}"),
            None => String::new(),
        };
        out.push_str(&format!(
            "{:>3}  {status:<6} {:>10} {:>10.1}  {}{note}\n",
            i + 1,
            human_bytes(o.bytes),
            o.ms,
            o.url
        ));
    }
    out.push_str(&format!(
        "\n{} URL(s): {} ok, {} failed; {} in {:.1} ms",
        s.urls,
        s.ok,
        s.failed,
        human_bytes(s.bytes),
        s.total_ms
    ));
    if let Some(slow) = &s.slowest {
        out.push_str(&format!("; slowest {} ({:.1} ms)", slow.url, slow.ms));
    }
    out.push('\n');
    out
}

/// Bytes as `512 B`, `1.5 KiB`, `10.0 MiB`.
///
/// ```
/// assert_eq!(taskio_cli::fetch::report::human_bytes(1536), "1.5 KiB");
/// ```
pub fn human_bytes(n: u64) -> String {
    const UNITS: [&str; 4] = ["KiB", "MiB", "GiB", "TiB"];
    if n < 1024 {
        return format!("{n} B");
    }
    let mut value = n as f64 / 1024.0;
    let mut unit = 0;
    while value >= 1024.0 && unit < UNITS.len() - 1 {
        value /= 1024.0;
        unit += 1;
    }
    format!("{value:.1} {}", UNITS[unit])
}
