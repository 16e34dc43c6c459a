//! CSV as RFC 4180 writes it: a header row, CRLF line ends, a cell quoted when it holds a
//! comma, a quote or a line end (quotes doubled). A text cell that a spreadsheet would take
//! for a formula (`=`, `+`, `-`, `@` first) is written with a leading `'`: ids and names come
//! from outside (sources, marketers).

/// One cell.
pub enum Cell<'a> {
    /// Text from outside, escaped against formulas.
    Text(&'a str),
    /// A number or a word we wrote; empty for none.
    Value(Option<String>),
}

impl Cell<'_> {
    pub fn num<T: ToString>(v: Option<T>) -> Cell<'static> {
        Cell::Value(v.map(|v| v.to_string()))
    }
}

/// A document being written.
#[derive(Default)]
pub struct Csv {
    out: String,
}

impl Csv {
    pub fn with_header(columns: &[&str]) -> Self {
        let mut csv = Csv::default();
        csv.row(columns.iter().map(|c| Cell::Value(Some((*c).to_owned()))));
        csv
    }

    pub fn row<'a>(&mut self, cells: impl IntoIterator<Item = Cell<'a>>) {
        for (i, cell) in cells.into_iter().enumerate() {
            if i > 0 {
                self.out.push(',');
            }
            match cell {
                Cell::Text(t) => {
                    let guarded = t.starts_with(['=', '+', '-', '@']);
                    let text = if guarded {
                        format!("'{t}")
                    } else {
                        t.to_owned()
                    };
                    self.field(&text);
                }
                Cell::Value(v) => self.field(v.as_deref().unwrap_or("")),
            }
        }
        self.out.push_str("\r\n");
    }

    fn field(&mut self, text: &str) {
        if text.contains([',', '"', '\r', '\n']) {
            self.out.push('"');
            self.out.push_str(&text.replace('"', "\"\""));
            self.out.push('"');
        } else {
            self.out.push_str(text);
        }
    }

    pub fn finish(self) -> String {
        self.out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quotes_what_needs_it_and_guards_formulas() {
        let mut csv = Csv::with_header(&["a", "b", "c"]);
        csv.row([
            Cell::Text("Downtown, \"Main\""),
            Cell::Text("=HYPERLINK(\"x\")"),
            Cell::num(Some(-12.5)),
        ]);
        csv.row([
            Cell::Text("line\nbreak"),
            Cell::num(None::<f64>),
            Cell::Text("@home"),
        ]);
        assert_eq!(
            csv.finish(),
            "a,b,c\r\n\"Downtown, \"\"Main\"\"\",\"'=HYPERLINK(\"\"x\"\")\",-12.5\r\n\"line\nbreak\",,'@home\r\n"
        );
    }
}
