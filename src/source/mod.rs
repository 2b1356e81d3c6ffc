//! Source files and byte spans.
//!
//! Owns the text of every input file and turns byte offsets into 1-based
//! line and column numbers. Everything downstream refers to input through a
//! [`Span`], never through a bare string, so any finding can point at the
//! node it is about. This module knows nothing about YAML or Kubernetes.

pub mod de;
pub mod yaml;

use std::sync::Arc;

/// Index of a file in [`Sources`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct FileId(pub u32);

/// A byte range in one source file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Span {
    pub file: FileId,
    pub start: u32,
    pub end: u32,
}

impl Span {
    pub fn new(file: FileId, start: usize, end: usize) -> Self {
        let clamp = |v: usize| u32::try_from(v).unwrap_or(u32::MAX);
        Span {
            file,
            start: clamp(start),
            end: clamp(end.max(start)),
        }
    }

    pub fn len(&self) -> usize {
        (self.end - self.start) as usize
    }

    pub fn is_empty(&self) -> bool {
        self.start == self.end
    }

    /// The smallest span covering both (same file assumed).
    pub fn join(self, other: Span) -> Span {
        Span {
            file: self.file,
            start: self.start.min(other.start),
            end: self.end.max(other.end),
        }
    }
}

/// A 1-based line and column; the column counts characters, not bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct LineCol {
    pub line: u32,
    pub column: u32,
}

/// One input: a file on disk or standard input.
#[derive(Debug)]
pub struct SourceFile {
    /// The path as the user should see it (relative when the input was).
    pub path: String,
    pub text: Arc<str>,
    line_starts: Vec<u32>,
}

impl SourceFile {
    pub fn new(path: impl Into<String>, text: impl Into<Arc<str>>) -> Self {
        let text: Arc<str> = text.into();
        let mut line_starts = vec![0u32];
        for (i, b) in text.bytes().enumerate() {
            if b == b'\n' {
                line_starts.push(u32::try_from(i + 1).unwrap_or(u32::MAX));
            }
        }
        SourceFile {
            path: path.into(),
            text,
            line_starts,
        }
    }

    /// Line and column of a byte offset. Offsets inside a multi-byte
    /// character or past the end are clamped to a valid position.
    pub fn line_col(&self, offset: u32) -> LineCol {
        let offset = offset.min(self.text.len() as u32);
        let line_idx = match self.line_starts.binary_search(&offset) {
            Ok(i) => i,
            Err(i) => i - 1,
        };
        let start = self.line_starts[line_idx] as usize;
        let mut end = offset as usize;
        while end > start && !self.text.is_char_boundary(end) {
            end -= 1;
        }
        let line_text = &self.text[start..end];
        // A BOM at the start of the file is not a column.
        let chars = line_text
            .strip_prefix('\u{feff}')
            .unwrap_or(line_text)
            .chars()
            .count();
        LineCol {
            line: line_idx as u32 + 1,
            column: chars as u32 + 1,
        }
    }
}

/// All files read in one run, addressed by [`FileId`].
#[derive(Debug, Default)]
pub struct Sources {
    files: Vec<SourceFile>,
}

impl Sources {
    pub fn add(&mut self, file: SourceFile) -> FileId {
        self.files.push(file);
        FileId(self.files.len() as u32 - 1)
    }

    pub fn get(&self, id: FileId) -> &SourceFile {
        &self.files[id.0 as usize]
    }

    pub fn len(&self) -> usize {
        self.files.len()
    }

    pub fn is_empty(&self) -> bool {
        self.files.is_empty()
    }

    pub fn iter(&self) -> impl Iterator<Item = (FileId, &SourceFile)> {
        self.files
            .iter()
            .enumerate()
            .map(|(i, f)| (FileId(i as u32), f))
    }

    /// Start and end positions of a span.
    pub fn range(&self, span: Span) -> (LineCol, LineCol) {
        let f = self.get(span.file);
        (f.line_col(span.start), f.line_col(span.end))
    }

    pub fn text(&self, span: Span) -> &str {
        let f = self.get(span.file);
        f.text
            .get(span.start as usize..span.end as usize)
            .unwrap_or("")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_col_counts_characters_and_lines() {
        let f = SourceFile::new("a.yaml", "a: 1\n# café\nb: x\n");
        assert_eq!(f.line_col(0), LineCol { line: 1, column: 1 });
        assert_eq!(f.line_col(3), LineCol { line: 1, column: 4 });
        let b = f.text.find("b:").unwrap() as u32;
        assert_eq!(f.line_col(b), LineCol { line: 3, column: 1 });
        let e = f.text.find('é').unwrap() as u32 + 2;
        assert_eq!(f.line_col(e), LineCol { line: 2, column: 7 });
    }

    #[test]
    fn bom_and_crlf_keep_positions() {
        let f = SourceFile::new("a.yaml", "\u{feff}a: 1\r\nb: 2\r\n");
        assert_eq!(f.line_col(3), LineCol { line: 1, column: 1 });
        let b = f.text.find("b:").unwrap() as u32;
        assert_eq!(f.line_col(b), LineCol { line: 2, column: 1 });
    }
}
