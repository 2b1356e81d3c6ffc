//! Seeded random mutations of real fixtures through the whole pipeline:
//! whatever the bytes, loading, every rule, the engine and every renderer
//! finish without panicking. This runs in the normal suite; the cargo-fuzz
//! target in `fuzz/` explores the same pipeline further.

use std::path::Path;

use netpol_lint::cli::check::analyse;
use netpol_lint::engine::Engine;
use netpol_lint::load::load_bytes;
use netpol_lint::report::{self, Format, RenderOptions};
use proptest::prelude::*;

fn seeds() -> Vec<Vec<u8>> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures");
    let mut out = Vec::new();
    let mut stack = vec![root];
    while let Some(dir) = stack.pop() {
        for e in std::fs::read_dir(&dir).expect("fixtures are readable") {
            let p = e.expect("entry").path();
            if p.is_dir() {
                stack.push(p);
            } else if p.extension().is_some_and(|x| x == "yaml") {
                out.push(std::fs::read(&p).expect("readable"));
            }
        }
    }
    out.sort();
    out
}

/// Bytes that tend to matter to YAML and to our rules.
const INTERESTING: &[&[u8]] = &[
    b"---\n",
    b"- ",
    b": ",
    b"{",
    b"}",
    b"[",
    b"]",
    b"&a ",
    b"*a",
    b"<<: ",
    b"'",
    b"\"",
    b"\t",
    b"\n  ",
    b"0x50",
    b"010",
    b"yes",
    b"~",
    b"!!str ",
    b"#",
    b"port: ",
    b"endPort: 1\n",
    b"namespaceSelector: {}\n",
    b"podSelector: {}\n",
    b"ipBlock: {cidr: 10.0.0.1/8}\n",
    b"\xff",
    b"\xc3",
    b"\0",
    b"\r\n",
    b"\xef\xbb\xbf",
];

#[derive(Debug, Clone)]
enum Edit {
    Delete(usize, usize),
    Insert(usize, usize),
    Duplicate(usize, usize),
}

fn apply(mut bytes: Vec<u8>, edits: &[Edit]) -> Vec<u8> {
    for e in edits {
        let n = bytes.len().max(1);
        match *e {
            Edit::Delete(at, len) => {
                let at = at % n;
                let end = (at + len % 16).min(bytes.len());
                bytes.drain(at.min(bytes.len())..end);
            }
            Edit::Insert(at, which) => {
                let at = (at % n).min(bytes.len());
                let piece = INTERESTING[which % INTERESTING.len()];
                bytes.splice(at..at, piece.iter().copied());
            }
            Edit::Duplicate(at, len) => {
                let at = (at % n).min(bytes.len());
                let end = (at + len % 200).min(bytes.len());
                let chunk = bytes[at..end].to_vec();
                bytes.splice(at..at, chunk);
            }
        }
    }
    bytes
}

fn edit() -> impl Strategy<Value = Edit> {
    prop_oneof![
        (any::<usize>(), any::<usize>()).prop_map(|(a, b)| Edit::Delete(a, b)),
        (any::<usize>(), any::<usize>()).prop_map(|(a, b)| Edit::Insert(a, b)),
        (any::<usize>(), any::<usize>()).prop_map(|(a, b)| Edit::Duplicate(a, b)),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 1500, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn mutated_fixtures_never_panic(
        picks in proptest::collection::vec(any::<prop::sample::Index>(), 1..3),
        edits in proptest::collection::vec(edit(), 1..6),
    ) {
        let seeds = seeds();
        let files: Vec<Vec<u8>> = picks
            .iter()
            .enumerate()
            .map(|(i, p)| {
                let base = seeds[p.index(seeds.len())].clone();
                if i == 0 { apply(base, &edits) } else { base }
            })
            .collect();
        let names = ["a.yaml", "b.yaml", "c.yaml"];
        let inputs: Vec<(&str, &[u8])> =
            files.iter().zip(names).map(|(f, n)| (n, f.as_slice())).collect();
        let loaded = load_bytes(&inputs);
        {
            let engine = Engine::new(&loaded.cluster);
            let conn = engine.connectivity();
            let _ = conn.lines(&engine);
        }
        let checked = analyse(loaded);
        let opts = RenderOptions { color: false, width: 80 };
        for format in [Format::Human, Format::Short, Format::Json] {
            let out = report::render(format, &checked.diagnostics, &checked.sources, &checked.summary, &opts);
            prop_assert!(!out.is_empty() || checked.diagnostics.is_empty());
        }
        for d in &checked.diagnostics {
            // Every span lies inside its file.
            let file = checked.sources.get(d.primary.span.file);
            prop_assert!(d.primary.span.end as usize <= file.text.len(), "{d:?}");
        }
    }
}
