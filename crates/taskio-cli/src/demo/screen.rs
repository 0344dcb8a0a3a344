//! How the narrated demo fits the screen: no line wider than the terminal (its width when stdout
//! is one, else `COLUMNS`, else 80), long lines wrapped at spaces with a hanging indent (a
//! `tree()` line keeps its tree guides), and colour only on a terminal without `NO_COLOR`.

use std::io::IsTerminal;

/// The width and colour of the demo's output.
#[derive(Clone, Copy, Debug)]
pub struct Screen {
    /// Columns.
    pub width: usize,
    /// Whether to colour.
    pub colour: bool,
}

/// A colour (an ANSI SGR code).
#[derive(Clone, Copy, Debug)]
pub enum Paint {
    /// As is.
    Plain,
    /// Titles.
    Bold,
    /// The narration.
    Dim,
    /// ✓.
    Green,
    /// ✗.
    Red,
}

impl Paint {
    fn code(self) -> &'static str {
        match self {
            Paint::Plain => "",
            Paint::Bold => "\x1b[1m",
            Paint::Dim => "\x1b[2m",
            Paint::Green => "\x1b[32m",
            Paint::Red => "\x1b[31m",
        }
    }
}

/// The narrowest width the demo wraps to.
const NARROWEST: usize = 40;

impl Screen {
    /// The screen of this process's stdout.
    pub fn detect() -> Screen {
        let terminal = std::io::stdout().is_terminal();
        let columns = std::env::var("COLUMNS")
            .ok()
            .and_then(|c| c.trim().parse().ok());
        let width = if terminal {
            terminal_width().or(columns)
        } else {
            columns
        };
        let no_colour = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
        let dumb = std::env::var("TERM").is_ok_and(|t| t == "dumb");
        Screen {
            width: width.unwrap_or(80).max(NARROWEST),
            colour: terminal && !no_colour && !dumb,
        }
    }

    /// `text` in `paint` (nothing added without colour).
    pub fn paint(&self, paint: Paint, text: &str) -> String {
        if !self.colour || matches!(paint, Paint::Plain) || text.is_empty() {
            return text.to_owned();
        }
        format!("{}{text}\x1b[0m", paint.code())
    }

    /// The lines `prefix` + `text` is shown as: wrapped to the width at spaces (a word longer
    /// than the room is cut), each continuation under the first line's text with `cont` as
    /// its prefix and `text`'s leading guides (`│ ├── `) carried on, all in `paint`.
    pub fn wrap(&self, prefix: &str, cont: &str, text: &str, paint: Paint) -> Vec<String> {
        let lead_len = text
            .chars()
            .take_while(|c| matches!(c, ' ' | '│' | '├' | '└' | '─'))
            .count();
        let lead: String = text.chars().take(lead_len).collect();
        let body: String = text.chars().skip(lead_len).collect();
        let hang: String = lead
            .chars()
            .map(|c| match c {
                '├' => '│',
                '│' => '│',
                _ => ' ',
            })
            .collect::<String>()
            + "  ";
        let first_room = self.room(prefix, &lead);
        let cont_room = self.room(cont, &hang);
        let mut rows: Vec<String> = Vec::new();
        let mut row = String::new();
        for word in body.split(' ') {
            let mut word: Vec<char> = word.chars().collect();
            loop {
                let room = if rows.is_empty() {
                    first_room
                } else {
                    cont_room
                };
                let len = row.chars().count();
                let need = if len == 0 {
                    word.len()
                } else {
                    len + 1 + word.len()
                };
                if need <= room {
                    if len > 0 {
                        row.push(' ');
                    }
                    row.extend(word);
                    break;
                }
                if len > 0 {
                    rows.push(std::mem::take(&mut row));
                    continue;
                }
                // A word longer than a whole row: cut it.
                rows.push(word[..room].iter().collect());
                word = word[room..].to_vec();
            }
        }
        rows.push(row);
        rows.into_iter()
            .enumerate()
            .map(|(i, r)| {
                let (p, l) = if i == 0 {
                    (prefix, &lead)
                } else {
                    (cont, &hang)
                };
                format!("{p}{}", self.paint(paint, &format!("{l}{r}")))
            })
            .collect()
    }

    fn room(&self, prefix: &str, lead: &str) -> usize {
        let used = prefix.chars().count() + lead.chars().count();
        self.width.saturating_sub(used).max(NARROWEST / 2)
    }

    /// Prints [`wrap`](Self::wrap)'s lines.
    pub fn print(&self, prefix: &str, cont: &str, text: &str, paint: Paint) {
        for l in self.wrap(prefix, cont, text, paint) {
            crate::out::line(&l);
        }
    }
}

/// The terminal's columns, from `stty size` on the controlling terminal.
fn terminal_width() -> Option<usize> {
    let tty = std::fs::File::open("/dev/tty").ok()?;
    let out = std::process::Command::new("stty")
        .arg("size")
        .stdin(tty)
        .stderr(std::process::Stdio::null())
        .output()
        .ok()?;
    let text = String::from_utf8_lossy(&out.stdout);
    let cols: usize = text.split_whitespace().nth(1)?.parse().ok()?;
    (cols > 0).then_some(cols)
}

#[cfg(test)]
mod tests {
    use super::*;

    const NARROW: Screen = Screen {
        width: 40,
        colour: false,
    };

    #[test]
    fn no_row_is_wider_than_the_screen() {
        let text = "With exceptions handled: ['Data from D', RuntimeError('Failed to fetch data E!'), 'Data from F'] and_a_word_that_is_longer_than_any_row_of_the_screen_can_hold";
        let rows = NARROW.wrap("  12 ms │ ", "        │ ", text, Paint::Plain);
        assert!(rows.len() > 2);
        for r in &rows {
            assert!(r.chars().count() <= 40, "{r:?}");
        }
        let joined: String = rows
            .iter()
            .map(|r| r[r.find('│').unwrap() + "│ ".len()..].trim())
            .collect::<Vec<_>>()
            .join(" ");
        assert_eq!(
            joined.replace(' ', ""),
            text.replace(' ', ""),
            "nothing lost"
        );
    }

    #[test]
    fn a_tree_line_keeps_its_guides() {
        let rows = NARROW.wrap(
            "┊ ",
            "┊ ",
            "│   ├── fetch_and_save-1 (id 53, running, spawned at crates/x.rs:1:1)",
            Paint::Plain,
        );
        assert!(
            rows[0].starts_with("┊ │   ├── fetch_and_save-1"),
            "{rows:?}"
        );
        assert!(rows[1].starts_with("┊ │   │     "), "{rows:?}");
    }

    #[test]
    fn colour_only_when_asked() {
        assert_eq!(NARROW.paint(Paint::Red, "✗"), "✗");
        let colour = Screen {
            width: 80,
            colour: true,
        };
        assert_eq!(colour.paint(Paint::Red, "✗"), "\x1b[31m✗\x1b[0m");
    }
}
