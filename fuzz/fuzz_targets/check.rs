//! The whole `check` pipeline on arbitrary bytes: up to three files split at
//! `\x00---file---\x00`, loaded, analysed by every rule and the engine, and
//! rendered in every format. Any panic, hang or abort is a bug.

#![no_main]

use libfuzzer_sys::fuzz_target;
use netpol_lint::cli::check::analyse;
use netpol_lint::engine::Engine;
use netpol_lint::load::load_bytes;
use netpol_lint::report::{self, Format, RenderOptions};

const SEP: &[u8] = b"\x00---file---\x00";

fn split(data: &[u8]) -> Vec<&[u8]> {
    let mut out = Vec::new();
    let mut rest = data;
    while out.len() < 2 {
        match rest.windows(SEP.len()).position(|w| w == SEP) {
            Some(i) => {
                out.push(&rest[..i]);
                rest = &rest[i + SEP.len()..];
            }
            None => break,
        }
    }
    out.push(rest);
    out
}

fuzz_target!(|data: &[u8]| {
    let parts = split(data);
    let names = ["a.yaml", "b.yaml", "c.json"];
    let files: Vec<(&str, &[u8])> = parts.iter().zip(names).map(|(p, n)| (n, *p)).collect();
    let loaded = load_bytes(&files);
    {
        let engine = Engine::new(&loaded.cluster);
        let conn = engine.connectivity();
        let _ = conn.lines(&engine);
    }
    let checked = analyse(loaded);
    let opts = RenderOptions {
        color: false,
        width: 80,
    };
    for format in [Format::Human, Format::Short, Format::Json] {
        let _ = report::render(
            format,
            &checked.diagnostics,
            &checked.sources,
            &checked.summary,
            &opts,
        );
    }
});
