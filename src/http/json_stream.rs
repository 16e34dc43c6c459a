//! Splits a request body that is a JSON array, or NDJSON, into one element's bytes at a time as
//! chunks arrive, so a body of 100,000 events is never held whole. Only the structure is
//! tracked here (strings, escapes, nesting); each element is parsed by serde afterwards.

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Shape {
    Array,
    Lines,
}

#[derive(Debug, Default)]
pub struct ElementSplitter {
    shape: Option<Shape>,
    depth: usize,
    in_string: bool,
    escaped: bool,
    closed: bool,
    current: Vec<u8>,
    max_element: usize,
}

impl ElementSplitter {
    pub fn new(max_element: usize) -> Self {
        Self {
            max_element,
            ..Self::default()
        }
    }

    /// Feeds a chunk; complete elements are appended to `out`.
    pub fn push(&mut self, chunk: &[u8], out: &mut Vec<Vec<u8>>) -> Result<(), String> {
        let mut rest = chunk;
        while let Some((&b, after)) = rest.split_first() {
            if self.in_string && !self.escaped {
                // A string's plain bytes (most of an element) are copied a run at once.
                let run = rest
                    .iter()
                    .position(|&c| c == b'"' || c == b'\\')
                    .unwrap_or(rest.len());
                if run > 0 {
                    self.append_run(&rest[..run])?;
                    rest = &rest[run..];
                    continue;
                }
            }
            self.byte(b, out)?;
            rest = after;
        }
        Ok(())
    }

    /// The body has ended: the last element, or an error if the body was cut short.
    pub fn finish(mut self, out: &mut Vec<Vec<u8>>) -> Result<(), String> {
        match self.shape {
            None => Err("the body is empty: expected a JSON array or NDJSON".into()),
            Some(Shape::Array) if !self.closed => Err("the array is not closed".into()),
            Some(Shape::Array) => Ok(()),
            Some(Shape::Lines) => {
                if self.in_string || self.depth > 0 {
                    return Err("the last line is cut short".into());
                }
                self.emit(out);
                Ok(())
            }
        }
    }

    fn emit(&mut self, out: &mut Vec<Vec<u8>>) {
        let element = std::mem::take(&mut self.current);
        if element.iter().any(|b| !b.is_ascii_whitespace()) {
            out.push(element);
        }
    }

    fn append(&mut self, b: u8) -> Result<(), String> {
        self.append_run(&[b])
    }

    fn append_run(&mut self, run: &[u8]) -> Result<(), String> {
        if self.current.len() + run.len() > self.max_element {
            return Err(format!(
                "an element is larger than {} bytes",
                self.max_element
            ));
        }
        self.current.extend_from_slice(run);
        Ok(())
    }

    fn byte(&mut self, b: u8, out: &mut Vec<Vec<u8>>) -> Result<(), String> {
        let shape = match self.shape {
            Some(s) => s,
            None if b.is_ascii_whitespace() => return Ok(()),
            None if b == b'[' => {
                self.shape = Some(Shape::Array);
                return Ok(());
            }
            None if b == b'{' => {
                self.shape = Some(Shape::Lines);
                Shape::Lines
            }
            None => return Err("expected a JSON array or NDJSON objects".into()),
        };
        if self.closed {
            return if b.is_ascii_whitespace() {
                Ok(())
            } else {
                Err("trailing characters after the array".into())
            };
        }
        if self.in_string {
            if self.escaped {
                self.escaped = false;
            } else if b == b'\\' {
                self.escaped = true;
            } else if b == b'"' {
                self.in_string = false;
            }
            return self.append(b);
        }
        // Nesting inside one element; the array's own brackets are not counted.
        match (shape, b) {
            (_, b'"') => {
                self.in_string = true;
                self.append(b)
            }
            (_, b'{' | b'[') => {
                self.depth += 1;
                self.append(b)
            }
            (Shape::Array, b']') if self.depth == 0 => {
                self.emit(out);
                self.closed = true;
                Ok(())
            }
            (_, b'}' | b']') => {
                self.depth = self.depth.checked_sub(1).ok_or("unbalanced brackets")?;
                self.append(b)
            }
            (Shape::Array, b',') if self.depth == 0 => {
                if self.current.iter().all(u8::is_ascii_whitespace) {
                    return Err("an empty element in the array".into());
                }
                self.emit(out);
                Ok(())
            }
            (Shape::Lines, b'\n') if self.depth == 0 => {
                self.emit(out);
                Ok(())
            }
            _ => self.append(b),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn split(body: &str, chunk: usize) -> Result<Vec<String>, String> {
        let mut s = ElementSplitter::new(1024);
        let mut out = Vec::new();
        for c in body.as_bytes().chunks(chunk) {
            s.push(c, &mut out)?;
        }
        s.finish(&mut out)?;
        Ok(out
            .into_iter()
            .map(|e| String::from_utf8(e).unwrap().trim().to_owned())
            .collect())
    }

    #[test]
    fn arrays_split_into_elements_whatever_the_chunking() {
        let body = r#" [ {"a": "x,]}\"", "b": [1, {"c": 2}]}, {"d": 3} ] "#;
        for chunk in [1, 2, 3, 7, 100] {
            assert_eq!(
                split(body, chunk).unwrap(),
                vec![r#"{"a": "x,]}\"", "b": [1, {"c": 2}]}"#, r#"{"d": 3}"#]
            );
        }
        assert_eq!(split("[]", 1).unwrap(), Vec::<String>::new());
    }

    #[test]
    fn ndjson_splits_on_lines() {
        let body = "{\"a\": 1}\n\n{\"b\": \"line\\nbreak\"}\r\n{\"c\": 3}";
        assert_eq!(
            split(body, 4).unwrap(),
            vec!["{\"a\": 1}", "{\"b\": \"line\\nbreak\"}", "{\"c\": 3}"]
        );
    }

    #[test]
    fn broken_bodies_are_errors() {
        // A mismatched bracket kind (`[1}`) passes here and fails when serde parses the element.
        for body in [
            "",
            "   ",
            "[{\"a\": 1}",
            "[{\"a\": 1}] x",
            "7",
            "[{},,{}]",
            "{\"a\": 1}}",
        ] {
            assert!(split(body, 3).is_err(), "{body:?}");
        }
        let mut s = ElementSplitter::new(8);
        assert!(
            s.push(b"[{\"a\": \"0123456789\"}]", &mut Vec::new())
                .is_err()
        );
    }
    /// Strings are copied a run at a time: escapes, quotes and brackets inside them, split at
    /// any byte, give what the byte-by-byte walk gave; the size limit is exact.
    #[test]
    fn string_runs_split_as_bytes_do_and_keep_the_limit() {
        let body = "{\"u\": \"https://x.example/?a=\\\"[{,}]\\\\\", \"v\": \"\\u00e9\\n\"}\n{\"w\": \"]\"}";
        for chunk in 1..=body.len() {
            assert_eq!(
                split(body, chunk).unwrap(),
                vec![
                    "{\"u\": \"https://x.example/?a=\\\"[{,}]\\\\\", \"v\": \"\\u00e9\\n\"}",
                    "{\"w\": \"]\"}"
                ],
                "chunks of {chunk}"
            );
        }
        let exact = "{\"a\": \"01234\"}"; // 14 bytes
        for chunk in [1, 3, 14] {
            let mut at_limit = ElementSplitter::new(exact.len());
            let mut over = ElementSplitter::new(exact.len() - 1);
            let (mut a, mut b) = (Vec::new(), Vec::new());
            for c in exact.as_bytes().chunks(chunk) {
                at_limit.push(c, &mut a).unwrap();
            }
            at_limit.finish(&mut a).unwrap();
            assert_eq!(a, vec![exact.as_bytes().to_vec()]);
            let refused = exact
                .as_bytes()
                .chunks(chunk)
                .try_for_each(|c| over.push(c, &mut b));
            assert!(refused.is_err(), "chunks of {chunk}");
        }
    }
}
