//! `taskio ps`: the task table, one task a line, columns aligned.

use super::document::{Document, TaskRow, printable};

/// How one task fills a column.
type Cell = fn(&TaskRow) -> String;

/// The columns: a header and how one task fills it. A column is one line here.
const COLUMNS: &[(&str, Cell)] = &[
    ("ID", |t| t.id.to_string()),
    ("NAME", |t| printable(&t.name)),
    ("STATE", TaskRow::state_text),
    ("AGE", |t| age(t.age)),
    ("PARENT", |t| {
        t.parent.map_or_else(|| "-".to_owned(), |p| p.to_string())
    }),
    ("AWAITS", TaskRow::awaits_text),
    ("SPAWNED AT", |t| printable(&t.spawned_at)),
];

/// The table of `doc`'s tasks, a header line first; the last column is not padded.
///
/// ```
/// let doc: taskio_cli::ps::Document = serde_json::from_str(
///     r#"{"taskio":1,"pid":7,"tasks":[{"id":1,"name":"main","state":"running","age":1.25,
///         "parent":null,"spawned_at":"src/main.rs:3:5","cancelling":0}]}"#,
/// ).unwrap();
/// let text = taskio_cli::ps::table(&doc);
/// assert_eq!(text.lines().next().unwrap(), "ID  NAME  STATE    AGE    PARENT  AWAITS  SPAWNED AT");
/// assert_eq!(text.lines().nth(1).unwrap(), "1   main  running  1.25s  -       -       src/main.rs:3:5");
/// ```
pub fn table(doc: &Document) -> String {
    let cells: Vec<Vec<String>> = doc
        .tasks
        .iter()
        .map(|t| COLUMNS.iter().map(|(_, cell)| cell(t)).collect())
        .collect();
    let widths: Vec<usize> = COLUMNS
        .iter()
        .enumerate()
        .map(|(i, (head, _))| {
            cells
                .iter()
                .map(|row| row[i].chars().count())
                .chain([head.len()])
                .max()
                .unwrap_or(0)
        })
        .collect();
    let header: Vec<String> = COLUMNS.iter().map(|(h, _)| (*h).to_owned()).collect();
    let mut out = String::new();
    for row in std::iter::once(&header).chain(&cells) {
        let last = row.len() - 1;
        for (i, cell) in row.iter().enumerate() {
            out.push_str(cell);
            if i < last {
                let pad = widths[i] - cell.chars().count() + 2;
                out.extend(std::iter::repeat_n(' ', pad));
            }
        }
        out.push('\n');
    }
    out
}

/// An age in seconds as people read it: `0.83s`, `12.41s`, `3m07s`, `2h05m`.
///
/// ```
/// use taskio_cli::ps::age;
/// assert_eq!(age(0.834), "0.83s");
/// assert_eq!(age(187.0), "3m07s");
/// assert_eq!(age(7500.0), "2h05m");
/// assert_eq!(age(f64::NAN), "?");
/// ```
pub fn age(seconds: f64) -> String {
    if !seconds.is_finite() || seconds < 0.0 {
        return "?".to_owned();
    }
    if seconds < 60.0 {
        return format!("{seconds:.2}s");
    }
    let whole = seconds as u64;
    if whole < 3600 {
        format!("{}m{:02}s", whole / 60, whole % 60)
    } else {
        format!("{}h{:02}m", whole / 3600, whole % 3600 / 60)
    }
}

#[cfg(test)]
mod tests {
    use super::table;
    use crate::ps::Document;

    #[test]
    fn columns_align_on_the_widest_cell_and_odd_names_stay_on_their_line() {
        let doc: Document = serde_json::from_str(
            r#"{"taskio":1,"pid":7,"tasks":[
                {"id":1,"name":"main","state":"running","age":0.5,"parent":null,"spawned_at":"a.rs:1:1"},
                {"id":12,"name":"a\nlong-näme","state":"pending","age":75.0,"parent":1,"spawned_at":"b.rs:2:2","cancelling":1,"awaits":[3,40]}]}"#,
        )
        .unwrap();
        let text = table(&doc);
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 3);
        assert_eq!(
            lines[0],
            "ID  NAME          STATE                  AGE    PARENT  AWAITS  SPAWNED AT"
        );
        assert_eq!(
            lines[1],
            "1   main          running                0.50s  -       -       a.rs:1:1"
        );
        assert_eq!(
            lines[2],
            "12  a\\nlong-näme  pending, cancelling 1  1m15s  1       3,40    b.rs:2:2"
        );
    }
}
