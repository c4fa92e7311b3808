//! One table model for the tables of the reports: the routes, the break-evens, the
//! sensitivity study, the split's and the interface's facts, `inspect`'s. Each table is built
//! once and rendered either as aligned text (the terminal, `STEM.summary.txt`) or as HTML
//! (the report pages), so that the two never disagree on a row, a unit or a digit.
//!
//! Written here rather than taken from comfy-table or tabled: those render text only, while
//! the same rows must also become HTML with the pages' classes (the best route, sub-rows);
//! the text half is a few lines of padding.
//!
//! The rule every table follows: one unit a row, named in its label (`cycle time (s)`), so a
//! column of figures can be compared down and a row across.

use std::fmt::Write;

use super::html::esc;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Align {
    Left,
    Right,
}

/// A column after the label column: its title as text, and as HTML where the page shows more
/// (a route's coloured tag).
#[derive(Debug, Clone)]
pub struct Column {
    pub title: String,
    pub title_html: Option<String>,
    pub align: Align,
}

impl Column {
    pub fn numbers(title: &str) -> Self {
        Column {
            title: title.into(),
            title_html: None,
            align: Align::Right,
        }
    }

    pub fn text(title: &str) -> Self {
        Column {
            title: title.into(),
            title_html: None,
            align: Align::Left,
        }
    }
}

/// A main row, or a sub-row that breaks down the main row above it (indented, greyed).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RowKind {
    Main,
    Sub,
}

#[derive(Debug, Clone)]
pub struct Row {
    pub label: String,
    pub cells: Vec<String>,
    pub kind: RowKind,
    /// The cell to mark as the best (the cheapest route's cost).
    pub best: Option<usize>,
}

#[derive(Debug, Clone, Default)]
pub struct Table {
    /// The label column's title (often empty).
    pub label_title: String,
    pub columns: Vec<Column>,
    pub rows: Vec<Row>,
    /// The column to mark as the best in the head (the cheapest route).
    pub best_column: Option<usize>,
}

/// How many characters a cell takes in a terminal (every character one: the tables hold no
/// wide glyphs).
fn width(s: &str) -> usize {
    s.chars().count()
}

fn pad(s: &str, w: usize, align: Align) -> String {
    let fill = " ".repeat(w.saturating_sub(width(s)));
    match align {
        Align::Left => format!("{s}{fill}"),
        Align::Right => format!("{fill}{s}"),
    }
}

impl Table {
    pub fn new(label_title: &str, columns: Vec<Column>) -> Self {
        Table {
            label_title: label_title.into(),
            columns,
            rows: Vec::new(),
            best_column: None,
        }
    }

    /// A table of facts: a name and one value a row, no head.
    pub fn facts(rows: Vec<(String, String)>) -> Self {
        let mut t = Table::new("", vec![Column::text("")]);
        for (k, v) in rows {
            t.push(&k, vec![v]);
        }
        t
    }

    pub fn push(&mut self, label: &str, cells: Vec<String>) {
        self.rows.push(Row {
            label: label.into(),
            cells,
            kind: RowKind::Main,
            best: None,
        });
    }

    pub fn push_sub(&mut self, label: &str, cells: Vec<String>) {
        self.rows.push(Row {
            label: label.into(),
            cells,
            kind: RowKind::Sub,
            best: None,
        });
    }

    fn has_head(&self) -> bool {
        !self.label_title.is_empty() || self.columns.iter().any(|c| !c.title.is_empty())
    }

    /// Aligned text, each line starting with `indent` spaces: labels left, each column as
    /// wide as its widest cell, two spaces between columns, sub-rows indented by two.
    pub fn text(&self, indent: usize) -> String {
        let label = |r: &Row| match r.kind {
            RowKind::Main => r.label.clone(),
            RowKind::Sub => format!("  {}", r.label),
        };
        let label_w = self
            .rows
            .iter()
            .map(|r| width(&label(r)))
            .chain([width(&self.label_title)])
            .max()
            .unwrap_or(0);
        let widths: Vec<usize> = (0..self.columns.len())
            .map(|k| {
                self.rows
                    .iter()
                    .filter_map(|r| r.cells.get(k))
                    .map(|c| width(c))
                    .chain([width(&self.columns[k].title)])
                    .max()
                    .unwrap_or(0)
            })
            .collect();
        let line = |first: &str, cells: &[String]| {
            let mut s = format!("{}{}", " ".repeat(indent), pad(first, label_w, Align::Left));
            for (k, col) in self.columns.iter().enumerate() {
                let cell = cells.get(k).map(String::as_str).unwrap_or("");
                s.push_str("  ");
                s.push_str(&pad(cell, widths[k], col.align));
            }
            format!("{}\n", s.trim_end())
        };
        let mut out = String::new();
        if self.has_head() {
            let titles: Vec<String> = self.columns.iter().map(|c| c.title.clone()).collect();
            out.push_str(&line(&self.label_title, &titles));
        }
        for r in &self.rows {
            out.push_str(&line(&label(r), &r.cells));
        }
        out
    }

    /// The table as HTML of class `class`: the labels as row heads, numbers right-aligned in
    /// tabular figures (the pages' CSS), the best column's head and the best cells marked.
    pub fn html(&self, class: &str) -> String {
        let num = |k: usize| self.columns.get(k).map(|c| c.align) == Some(Align::Right);
        let mut s = format!("<table class=\"{}\">", esc(class));
        if self.has_head() {
            let _ = write!(s, "<thead><tr><th>{}</th>", esc(&self.label_title));
            for (k, c) in self.columns.iter().enumerate() {
                let _ = write!(
                    s,
                    "<th{}>{}</th>",
                    class_attr(num(k), self.best_column == Some(k)),
                    c.title_html.clone().unwrap_or_else(|| esc(&c.title))
                );
            }
            s.push_str("</tr></thead>");
        }
        s.push_str("<tbody>\n");
        for r in &self.rows {
            let _ = write!(
                s,
                "<tr{}><th scope=\"row\">{}</th>",
                if r.kind == RowKind::Sub {
                    " class=\"sub\""
                } else {
                    ""
                },
                esc(&r.label)
            );
            for (k, cell) in r.cells.iter().enumerate() {
                let _ = write!(
                    s,
                    "<td{}>{}</td>",
                    class_attr(num(k), r.best == Some(k)),
                    esc(cell)
                );
            }
            s.push_str("</tr>\n");
        }
        s.push_str("</tbody></table>\n");
        s
    }
}

/// A cell's class attribute: `num` for a column of numbers, `best` for the marked cell.
fn class_attr(num: bool, best: bool) -> &'static str {
    match (num, best) {
        (true, true) => " class=\"num best\"",
        (true, false) => " class=\"num\"",
        (false, true) => " class=\"best\"",
        (false, false) => "",
    }
}

/// The unit a row of durations is written in, and its cells: the largest of s, min, h and d
/// in which the row's shortest duration is at least 1 (so no cell reads 0.00), `-` where a
/// duration is missing. One unit a row: 10440, 31.2 and 23.3 s rather than 2.90 h, 31.2 s and
/// 23.3 s, which read as if the first were the smallest.
pub fn duration_row(values_s: &[Option<f64>]) -> (&'static str, Vec<String>) {
    const UNITS: [(&str, f64); 4] = [("s", 1.0), ("min", 60.0), ("h", 3600.0), ("d", 86_400.0)];
    let shortest = values_s
        .iter()
        .flatten()
        .copied()
        .filter(|v| v.is_finite() && *v > 0.0)
        .fold(f64::INFINITY, f64::min);
    let (unit, scale) = UNITS
        .iter()
        .rev()
        .find(|(_, s)| shortest / s >= 1.0)
        .copied()
        .unwrap_or(UNITS[0]);
    let cells = values_s
        .iter()
        .map(|v| match v {
            Some(v) => three_figures(v / scale),
            None => "-".into(),
        })
        .collect();
    (unit, cells)
}

/// A figure with about three significant digits, never in exponent form: 10440, 504, 31.2,
/// 2.90, 0.123.
pub fn three_figures(v: f64) -> String {
    let a = v.abs();
    if a >= 100.0 || a == 0.0 {
        format!("{v:.0}")
    } else if a >= 10.0 {
        format!("{v:.1}")
    } else if a >= 1.0 {
        format!("{v:.2}")
    } else {
        format!("{v:.3}")
    }
}

/// `n` things in words: "1 printer", "6 printers", "2 cavities".
pub fn count_of(n: f64, one: &str, many: &str) -> String {
    let n = n.round();
    format!("{n:.0} {}", if n == 1.0 { one } else { many })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_aligns_columns_to_their_widest_cell() {
        let mut t = Table::new("", vec![Column::numbers("AM"), Column::numbers("hybrid")]);
        t.push("cost (EUR)", vec!["5.163".into(), "12345".into()]);
        t.push_sub("material", vec!["1.052".into(), "-".into()]);
        let text = t.text(2);
        let lines: Vec<&str> = text.lines().collect();
        // Label column 10 wide ("cost (EUR)", "  material"), columns 5 wide (the cells).
        assert_eq!(lines[0], "                 AM  hybrid");
        assert_eq!(lines[1], "  cost (EUR)  5.163   12345");
        assert_eq!(lines[2], "    material  1.052       -");
    }

    #[test]
    fn html_marks_the_best_and_escapes() {
        let mut t = Table::new("", vec![Column::numbers("a<b"), Column::text("c")]);
        t.best_column = Some(0);
        t.push("x & y", vec!["1".into(), "<i>".into()]);
        t.rows[0].best = Some(0);
        let h = t.html("routes");
        assert!(h.contains("<th class=\"num best\">a&lt;b</th>"), "{h}");
        assert!(h.contains("<th scope=\"row\">x &amp; y</th>"), "{h}");
        assert!(
            h.contains("<td class=\"num best\">1</td><td>&lt;i&gt;</td>"),
            "{h}"
        );
    }

    #[test]
    fn a_duration_row_has_one_unit() {
        // 2.9 h, 31.2 s, 23.3 s: the shortest is 23.3 s, so all in s.
        let (unit, cells) = duration_row(&[Some(10_440.0), Some(31.2), Some(23.3)]);
        assert_eq!(unit, "s");
        assert_eq!(cells, ["10440", "31.2", "23.3"]);
        // 2.9 h and 21 days: the shortest reads 2.90 in hours; 21 d = 504 h.
        let (unit, cells) = duration_row(&[Some(2.9 * 3600.0), Some(21.0 * 86_400.0), None]);
        assert_eq!(unit, "h");
        assert_eq!(cells, ["2.90", "504", "-"]);
    }

    #[test]
    fn counts_in_words() {
        assert_eq!(count_of(1.0, "printer", "printers"), "1 printer");
        assert_eq!(count_of(6.0, "printer", "printers"), "6 printers");
    }
}
