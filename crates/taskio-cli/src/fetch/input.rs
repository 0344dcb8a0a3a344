//! The URLs to fetch: from the command line and from `-f FILE` (one per line, `#` comments and
//! blank lines skipped, `-` for standard input). A line that is not an http(s) URL, or not
//! UTF-8 text, becomes an entry that names its line and fails on its own; the others still run.

use std::path::Path;

use reqwest::Url;

/// One URL to fetch, or a line that could not be one: see [`read`] and [`parse_lines`].
///
/// ```
/// let e = &taskio_cli::fetch::input::parse_lines("list", "http://a.test/")[0];
/// assert_eq!((e.source.as_str(), e.text.as_str()), ("list:1", "http://a.test/"));
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Entry {
    /// Where it came from: `argument 2`, `urls.txt:7`.
    pub source: String,
    /// The text as given.
    pub text: String,
    /// The parsed URL, or why the text is not one.
    pub url: Result<Url, String>,
}

/// The entries of `args` then of `file`, in order.
///
/// # Errors
///
/// When the file cannot be read, when nothing at all is given, and when the file has no URLs
/// and no arguments were given (usage errors).
///
/// ```
/// let entries = taskio_cli::fetch::input::read(&["http://a.test/x".into(), "nope".into()], None).unwrap();
/// assert!(entries[0].url.is_ok());
/// assert_eq!(entries[1].source, "argument 2");
/// assert!(entries[1].url.is_err());
/// ```
pub fn read(args: &[String], file: Option<&Path>) -> Result<Vec<Entry>, String> {
    let mut entries: Vec<Entry> = args
        .iter()
        .enumerate()
        .map(|(i, text)| entry(format!("argument {}", i + 1), text))
        .collect();
    if let Some(path) = file {
        let (name, content) = if path == Path::new("-") {
            let mut content = Vec::new();
            std::io::Read::read_to_end(&mut std::io::stdin(), &mut content)
                .map_err(|e| format!("cannot read standard input: {e}"))?;
            ("stdin".to_owned(), content)
        } else {
            let content =
                std::fs::read(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
            (path.display().to_string(), content)
        };
        let from_file = parse_bytes(&name, &content);
        if from_file.is_empty() && entries.is_empty() {
            return Err(format!(
                "{name} has no URLs (only blank lines and # comments): put one URL per line"
            ));
        }
        entries.extend(from_file);
    }
    if entries.is_empty() {
        return Err("no URLs: give some as arguments, or -f FILE, or --demo".to_owned());
    }
    Ok(entries)
}

/// The entries of a URL list's bytes, as [`parse_lines`]; a line that is not UTF-8 is an entry
/// that fails on its own (its text shown with `�` for the bad bytes), the others still run.
///
/// ```
/// let e = taskio_cli::fetch::input::parse_bytes("urls.txt", b"http://a.test/\nhttp://b\xff.test/\n");
/// assert_eq!(e.len(), 2);
/// assert!(e[0].url.is_ok());
/// assert_eq!(e[1].source, "urls.txt:2");
/// assert!(e[1].url.as_ref().unwrap_err().contains("UTF-8"));
/// ```
pub fn parse_bytes(name: &str, content: &[u8]) -> Vec<Entry> {
    let mut entries = Vec::new();
    let mut lines = content.split(|&b| b == b'\n').enumerate().peekable();
    while let Some((i, line)) = lines.next() {
        if line.is_empty() && lines.peek().is_none() {
            break; // after the last newline
        }
        match std::str::from_utf8(line) {
            Ok(text) => entries.extend(line_entry(name, i, text)),
            Err(e) => entries.push(Entry {
                source: format!("{name}:{}", i + 1),
                text: String::from_utf8_lossy(line).trim().to_owned(),
                url: Err(format!("line is not UTF-8 text ({e})")),
            }),
        }
    }
    entries
}

/// The entries of a URL list's text: one per non-blank, non-`#` line, named `name:line`.
///
/// ```
/// let e = taskio_cli::fetch::input::parse_lines("urls.txt", "# list\nhttp://a.test/\n\nftp://b\n");
/// assert_eq!(e.len(), 2);
/// assert_eq!(e[1].source, "urls.txt:4");
/// assert!(e[1].url.as_ref().unwrap_err().contains("http"));
/// ```
pub fn parse_lines(name: &str, content: &str) -> Vec<Entry> {
    content
        .lines()
        .enumerate()
        .filter_map(|(i, line)| line_entry(name, i, line))
        .collect()
}

/// The entry of line `i` (from 0), unless it is blank or a `#` comment.
fn line_entry(name: &str, i: usize, line: &str) -> Option<Entry> {
    let text = line.trim();
    (!text.is_empty() && !text.starts_with('#')).then(|| entry(format!("{name}:{}", i + 1), text))
}

fn entry(source: String, text: &str) -> Entry {
    let url = match Url::parse(text) {
        Ok(url) if matches!(url.scheme(), "http" | "https") => Ok(url),
        Ok(url) => Err(format!(
            "unsupported scheme '{}' (only http and https)",
            url.scheme()
        )),
        Err(e) => Err(format!("invalid URL: {e}")),
    };
    Entry {
        source,
        text: text.to_owned(),
        url,
    }
}
