//! The s-expressions of a VNN-LIB file, read without recursion into one flat arena. A list is
//! stored after its items (post-order), so every item has a smaller index than its list and
//! every later pass is a loop over indices: no nesting depth can overflow a stack, and nothing
//! is dropped recursively.

use super::VnnlibError;

/// One s-expression: a token or a list, with its byte offset in the text.
#[derive(Debug, Clone, Copy)]
pub(super) struct Sexp {
    /// Where it starts (the token's first byte, or the list's `(`).
    pub offset: usize,
    /// A token (its end offset) or a list (its items, a range of [`Sexps::items`]).
    pub kind: Kind,
}

#[derive(Debug, Clone, Copy)]
pub(super) enum Kind {
    /// A token ending before this offset.
    Token { end: usize },
    /// A list whose items are `items[start..end]`.
    List { start: usize, end: usize },
}

/// Every s-expression of a text.
pub(super) struct Sexps<'a> {
    pub text: &'a str,
    pub name: &'a str,
    /// Every s-expression, each list after its items.
    pub nodes: Vec<Sexp>,
    /// The items of every list, consecutive per list (indices into `nodes`).
    pub items: Vec<usize>,
    /// The top-level lists in order.
    pub top: Vec<usize>,
}

impl<'a> Sexps<'a> {
    /// Reads every s-expression of `text` (comments start with `;`).
    ///
    /// # Errors
    /// An unbalanced `)`, a list never closed, or a token outside any list.
    pub(super) fn parse(text: &'a str, name: &'a str) -> Result<Sexps<'a>, VnnlibError> {
        let mut s = Sexps { text, name, nodes: Vec::new(), items: Vec::new(), top: Vec::new() };
        let bytes = text.as_bytes();
        // the open lists: their `(` and where their items start in `pending`
        let mut open: Vec<(usize, usize)> = Vec::new();
        let mut pending: Vec<usize> = Vec::new();
        let mut i = 0;
        while i < bytes.len() {
            match bytes[i] {
                b';' => {
                    while i < bytes.len() && bytes[i] != b'\n' {
                        i += 1;
                    }
                    continue;
                }
                b'(' => open.push((i, pending.len())),
                b')' => {
                    let (at, mark) = open.pop().ok_or_else(|| s.error(i, "unbalanced `)`"))?;
                    let start = s.items.len();
                    s.items.extend(pending.drain(mark..));
                    s.nodes.push(Sexp { offset: at, kind: Kind::List { start, end: s.items.len() } });
                    let id = s.nodes.len() - 1;
                    if open.is_empty() {
                        s.top.push(id);
                    } else {
                        pending.push(id);
                    }
                }
                c if c.is_ascii_whitespace() => {}
                _ => {
                    let start = i;
                    while i < bytes.len() && !bytes[i].is_ascii_whitespace() && !b"();".contains(&bytes[i]) {
                        i += 1;
                    }
                    if open.is_empty() {
                        return Err(s.error(start, "a token outside any `( ... )`"));
                    }
                    s.nodes.push(Sexp { offset: start, kind: Kind::Token { end: i } });
                    pending.push(s.nodes.len() - 1);
                    continue;
                }
            }
            i += 1;
        }
        if let Some((at, _)) = open.last() {
            return Err(s.error(*at, "this `(` is never closed (the file is truncated?)"));
        }
        Ok(s)
    }

    /// An error at a byte offset, with its line and column.
    pub(super) fn error(&self, offset: usize, message: impl Into<String>) -> VnnlibError {
        let before = &self.text.as_bytes()[..offset.min(self.text.len())];
        let line = before.iter().filter(|&&c| c == b'\n').count() + 1;
        let column = before.len() - before.iter().rposition(|&c| c == b'\n').map_or(0, |i| i + 1) + 1;
        VnnlibError { source_name: self.name.into(), line, column, message: message.into() }
    }

    /// The token's text, if `id` is a token.
    pub(super) fn token(&self, id: usize) -> Option<&'a str> {
        match self.nodes[id].kind {
            Kind::Token { end } => Some(&self.text[self.nodes[id].offset..end]),
            Kind::List { .. } => None,
        }
    }

    /// The list's items, if `id` is a list.
    pub(super) fn list(&self, id: usize) -> Option<&[usize]> {
        match self.nodes[id].kind {
            Kind::List { start, end } => Some(&self.items[start..end]),
            Kind::Token { .. } => None,
        }
    }

    /// The operator of a list: its first item when that is a token.
    pub(super) fn head(&self, id: usize) -> Option<&'a str> {
        self.list(id)?.first().and_then(|&h| self.token(h))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_follow_their_items_and_deep_nesting_is_a_loop() {
        let s = Sexps::parse("(a (b c)) ; note\n(d)", "t").unwrap();
        assert_eq!(s.top.len(), 2);
        for (id, node) in s.nodes.iter().enumerate() {
            if let Kind::List { start, end } = node.kind {
                assert!(s.items[start..end].iter().all(|&k| k < id));
            }
        }
        assert_eq!(s.head(s.top[0]), Some("a"));
        assert_eq!(s.list(s.top[1]).map(<[usize]>::len), Some(1));
        let deep = format!("{}x{}", "(".repeat(1_000_000), ")".repeat(1_000_000));
        let s = Sexps::parse(&deep, "deep").unwrap();
        assert_eq!(s.nodes.len(), 1_000_001);
        let e = Sexps::parse(&"(".repeat(100_000), "open").err().unwrap();
        assert_eq!((e.line, e.column), (1, 100_000));
        let e = Sexps::parse("(a)\n  )", "t").err().unwrap();
        assert_eq!((e.line, e.column, e.message.as_str()), (2, 3, "unbalanced `)`"));
    }
}
