//! A small JSON writer for the inspection document: objects, arrays of objects, strings,
//! numbers, `null`.
//! The library has no serde; what it writes is read by `taskio ps` with serde_json.
//!
//! Strings are escaped as RFC 8259 requires (`"`, `\` and every control character below
//! U+0020), and U+2028/U+2029 as well (valid JSON, but line ends to some readers), so a task
//! name can never break the document or a line-based reader. A number that JSON cannot carry
//! (NaN, an infinity) is written as `null`.

use std::fmt::Write;

/// Appends `s` as a JSON string literal, quotes included.
pub(crate) fn string(out: &mut String, s: &str) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            c if c < ' ' || c == '\u{2028}' || c == '\u{2029}' => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

/// An object being written: `{`, then fields, then [`Object::end`]'s `}`.
pub(crate) struct Object<'a> {
    out: &'a mut String,
    empty: bool,
}

impl<'a> Object<'a> {
    /// Starts an object at the end of `out`.
    pub(crate) fn new(out: &'a mut String) -> Object<'a> {
        out.push('{');
        Object { out, empty: true }
    }

    /// Writes the key of the next field and returns `out`, for its value.
    fn key(&mut self, key: &str) -> &mut String {
        if !self.empty {
            self.out.push(',');
        }
        self.empty = false;
        string(self.out, key);
        self.out.push(':');
        self.out
    }

    /// A string field.
    pub(crate) fn str(&mut self, key: &str, value: &str) -> &mut Self {
        string(self.key(key), value);
        self
    }

    /// An integer field.
    pub(crate) fn u64(&mut self, key: &str, value: u64) -> &mut Self {
        let _ = write!(self.key(key), "{value}");
        self
    }

    /// An integer field, or `null`.
    pub(crate) fn opt_u64(&mut self, key: &str, value: Option<u64>) -> &mut Self {
        match value {
            Some(v) => self.u64(key, v),
            None => {
                self.key(key).push_str("null");
                self
            }
        }
    }

    /// A number field with `decimals` digits after the point (`null` if not finite).
    pub(crate) fn f64(&mut self, key: &str, value: f64, decimals: usize) -> &mut Self {
        let out = self.key(key);
        if value.is_finite() {
            let _ = write!(out, "{value:.decimals$}");
        } else {
            out.push_str("null");
        }
        self
    }

    /// An array-of-integers field.
    pub(crate) fn u64s(&mut self, key: &str, values: impl IntoIterator<Item = u64>) -> &mut Self {
        let out = self.key(key);
        out.push('[');
        for (i, v) in values.into_iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            let _ = write!(out, "{v}");
        }
        out.push(']');
        self
    }

    /// An array field, each of `items` written by `item` as one object.
    pub(crate) fn array<T>(
        &mut self,
        key: &str,
        items: impl IntoIterator<Item = T>,
        mut item: impl FnMut(&mut Object<'_>, T),
    ) -> &mut Self {
        let out = self.key(key);
        out.push('[');
        for (i, t) in items.into_iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            let mut obj = Object::new(out);
            item(&mut obj, t);
            obj.end();
        }
        out.push(']');
        self
    }

    /// Closes the object.
    pub(crate) fn end(self) {
        self.out.push('}');
    }
}

#[cfg(test)]
mod tests {
    use super::{Object, string};

    fn quoted(s: &str) -> String {
        let mut out = String::new();
        string(&mut out, s);
        out
    }

    #[test]
    fn strings_escape_quotes_backslashes_and_every_control_character() {
        assert_eq!(quoted("plain"), r#""plain""#);
        assert_eq!(quoted(r#"say "hi"\now"#), r#""say \"hi\"\\now""#);
        assert_eq!(quoted("a\nb\rc\td"), r#""a\nb\rc\td""#);
        assert_eq!(quoted("\u{8}\u{c}"), r#""\b\f""#);
        assert_eq!(quoted("\0\u{1}\u{1f}"), r#""\u0000\u0001\u001f""#);
        assert_eq!(quoted("\u{2028}\u{2029}"), r#""\u2028\u2029""#);
        // Not control characters: kept as they are (DEL, non-ASCII, an emoji).
        assert_eq!(quoted("\u{7f}é→🦀"), "\"\u{7f}é→🦀\"");
        assert_eq!(quoted(""), r#""""#);
        // Every character below U+0020 comes out escaped: no raw control byte is left.
        let all: String = (0u8..0x20).map(char::from).collect();
        assert!(!quoted(&all).bytes().any(|b| b < 0x20));
    }

    #[test]
    fn objects_arrays_numbers_and_null() {
        let mut out = String::new();
        let mut obj = Object::new(&mut out);
        obj.u64("id", 7)
            .str("name", "x\"y")
            .opt_u64("parent", None)
            .opt_u64("up", Some(u64::MAX))
            .f64("age", 1.5, 3)
            .f64("nan", f64::NAN, 3)
            .f64("inf", f64::INFINITY, 3)
            .array("empty", Vec::<u8>::new(), |_, _| {})
            .array("two", [1u64, 2], |o, n| {
                o.u64("n", n);
            });
        obj.end();
        assert_eq!(
            out,
            concat!(
                r#"{"id":7,"name":"x\"y","parent":null,"up":18446744073709551615,"#,
                r#""age":1.500,"nan":null,"inf":null,"#,
                r#""empty":[],"two":[{"n":1},{"n":2}]}"#
            )
        );
    }

    #[test]
    fn an_empty_object_and_odd_keys() {
        let mut out = String::new();
        Object::new(&mut out).end();
        assert_eq!(out, "{}");
        let mut out = String::new();
        let mut obj = Object::new(&mut out);
        obj.u64("a\"\n", 1);
        obj.end();
        assert_eq!(out, r#"{"a\"\n":1}"#);
    }
}
