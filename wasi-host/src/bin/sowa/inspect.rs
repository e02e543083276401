//! `sowa inspect`: what is inside a `.so` (or a `.wasm`, compiling nothing), as text for a
//! person or `--json` for a script. The reading is `sowa_loader::inspect` and
//! `sowa_compiler::summarize`; this file only prints.

use sowa_loader::inspect::{Part, Report};
use sowa_targets::artifact::summary::{Entity, Item, ModuleSummary, Segments};
use std::fmt::Write;
use std::path::{Path, PathBuf};

/// Options of `sowa inspect`.
#[derive(clap::Parser)]
#[command(after_help = "\
Examples:
  sowa inspect app.so          target, compiler, imports, exports, memories, largest functions
  sowa inspect --json app.so   the same as JSON, for scripts
  sowa inspect app.wasm        a module before compiling (sizes in bytecode)")]
pub struct InspectArgs {
    /// Print JSON instead of text.
    #[arg(long)]
    json: bool,
    /// A `.so` from `sowa compile` (or `sowac`), or a `.wasm`.
    file: PathBuf,
}

/// Runs `sowa inspect`; returns the text to print.
pub fn run(args: &InspectArgs) -> Result<String, String> {
    let path = &args.file;
    let bytes = std::fs::read(path).map_err(|e| format!("{}: {e}", path.display()))?;
    if bytes.starts_with(b"\0asm") {
        return wasm(path, &bytes, args.json);
    }
    let report = sowa_loader::inspect::inspect(&bytes).map_err(|e| {
        format!(
            "{}: {e} (sowa inspect reads a .so from `sowa compile` or a .wasm)",
            path.display()
        )
    })?;
    if args.json {
        let mut v = serde_json::to_value(&report).map_err(|e| e.to_string())?;
        v["file"] = path.display().to_string().into();
        v["kind"] = "so".into();
        return serde_json::to_string_pretty(&v).map_err(|e| e.to_string());
    }
    Ok(so_text(path, &report))
}

#[cfg(feature = "compiler")]
fn wasm(path: &Path, bytes: &[u8], json: bool) -> Result<String, String> {
    let summary = sowa_compiler::summarize(bytes, sowa_compiler::Proposals::ALL)
        .map_err(|e| format!("{}: {e}", path.display()))?;
    let sha: String = sowa_compiler::wasm_hash(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    if json {
        let v = serde_json::json!({
            "file": path.display().to_string(),
            "kind": "wasm",
            "file_bytes": bytes.len(),
            "wasm_sha256": sha,
            "module": summary,
        });
        return serde_json::to_string_pretty(&v).map_err(|e| e.to_string());
    }
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{}: WebAssembly module (not compiled), {} bytes",
        path.display(),
        thousands(bytes.len() as u64)
    );
    field(&mut out, "wasm sha256", &sha);
    module_text(&mut out, &summary, "bytecode");
    let _ = writeln!(
        out,
        "\nCompile it with `sowa compile {} -o OUT.so`; `sowa inspect OUT.so` then shows \
         machine code sizes.",
        path.display()
    );
    Ok(out)
}

#[cfg(not(feature = "compiler"))]
fn wasm(path: &Path, _bytes: &[u8], _json: bool) -> Result<String, String> {
    Err(format!(
        "{}: this is a .wasm file and this runner was built without the compiler; inspect \
         the .so made from it, or use a sowa built with the compiler",
        path.display()
    ))
}

fn so_text(path: &Path, r: &Report) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{}: sowa module, format {}, {} bytes",
        path.display(),
        r.format_version,
        thousands(r.file_bytes)
    );
    let features = if r.cpu_features.is_empty() {
        String::new()
    } else {
        format!(", CPU features {}", r.cpu_features.join(" "))
    };
    let runs = match &r.cannot_run_here {
        None => "runs on this machine".to_string(),
        Some(why) => format!("does not run here: {why}"),
    };
    field(
        &mut out,
        "target",
        &format!("{}{features}; {runs}", r.target),
    );
    let c = &r.compiled_by;
    field(
        &mut out,
        "compiled by",
        &format!(
            "{}, -O {}, proposals: {}",
            c.compiler,
            c.opt_level,
            if c.proposals.is_empty() {
                "none".into()
            } else {
                c.proposals.join(" ")
            }
        ),
    );
    field(&mut out, "wasm sha256", &r.wasm_sha256);
    field(
        &mut out,
        "signature",
        if r.signed {
            "signed (check with `sowa run --verify KEY.pub`)"
        } else {
            "unsigned (sign with `sowa compile --sign KEY`)"
        },
    );
    module_text(&mut out, &r.module, "machine code");
    let _ = writeln!(out, "\nELF parts ({} bytes)", thousands(r.file_bytes));
    parts(&mut out, &r.parts);
    let _ = writeln!(
        out,
        "  of which, in .sowa.manifest, mapping code back to wasm:"
    );
    for p in &r.metadata_bytes {
        let _ = writeln!(out, "    {:<24} {:>14}", p.name, thousands(p.bytes));
    }
    let objdump = match r.target.as_str() {
        "aarch64" => "aarch64-linux-gnu-objdump",
        _ => "objdump",
    };
    let _ = writeln!(
        out,
        "\nDisassembly (functions have their wasm names): {objdump} -d --no-show-raw-insn {}",
        path.display()
    );
    out
}

fn field(out: &mut String, name: &str, value: &str) {
    let _ = writeln!(out, "  {name:<12} {value}");
}

fn parts(out: &mut String, parts: &[Part]) {
    for p in parts {
        let _ = writeln!(out, "  {:<26} {:>14}", p.name, thousands(p.bytes));
    }
}

fn module_text(out: &mut String, m: &ModuleSummary, code: &str) {
    items(out, "imports", &m.imports);
    items(out, "exports", &m.exports);
    let f = &m.functions;
    let _ = writeln!(
        out,
        "\nfunctions: {} imported, {} defined, {} bytes of {code}",
        thousands(f.imported as u64),
        thousands(f.defined as u64),
        thousands(f.code_bytes)
    );
    if !f.largest.is_empty() {
        let _ = writeln!(out, "  largest:");
        for s in &f.largest {
            let unnamed = s.name == format!("func[{}]", s.index);
            let index = if unnamed {
                String::new()
            } else {
                format!(" (func {})", s.index)
            };
            let _ = writeln!(out, "  {:>12}  {}{index}", thousands(s.bytes), s.name);
        }
    }
    entities(out, "memories", &m.memories, "pages");
    if let Some(b) = m.memory_image_bytes {
        let _ = writeln!(
            out,
            "  memory 0's initial contents: {} bytes, mapped copy-on-write",
            thousands(b)
        );
    }
    entities(out, "tables", &m.tables, "elements");
    entities(out, "globals", &m.globals, "");
    entities(out, "tags", &m.tags, "");
    let data_unit = if m.memory_image_bytes.is_some() {
        "bytes besides memory 0's initial contents"
    } else {
        "bytes"
    };
    segments(out, "data segments", &m.data, data_unit);
    segments(out, "element segments", &m.elements, "elements");
    let _ = writeln!(
        out,
        "start function: {}",
        m.start.as_deref().unwrap_or("none")
    );
    let _ = writeln!(out, "types: {}", m.types);
}

fn items(out: &mut String, title: &str, items: &[Item]) {
    let _ = writeln!(out, "\n{title} ({})", items.len());
    let names: Vec<String> = items
        .iter()
        .map(|i| match &i.module {
            Some(m) => format!("{m}.{}", i.name),
            None => i.name.clone(),
        })
        .collect();
    let width = names.iter().map(|n| n.len()).max().unwrap_or(0).min(40);
    for (n, i) in names.iter().zip(items) {
        let _ = writeln!(out, "  {n:<width$}  {} {}", i.kind, i.ty);
    }
}

fn entities(out: &mut String, title: &str, list: &[Entity], unit: &str) {
    if list.is_empty() {
        let _ = writeln!(out, "{title}: none");
        return;
    }
    let _ = writeln!(
        out,
        "{title}{}",
        if unit.is_empty() {
            String::new()
        } else {
            format!(" (limits in {unit})")
        }
    );
    // Runs of alike entries (a C program's globals are mostly `i32`) on one line each.
    let mut i = 0;
    while i < list.len() {
        let e = &list[i];
        let alike = list[i..]
            .iter()
            .take_while(|o| {
                (o.imported, &o.ty, o.initial_bytes) == (e.imported, &e.ty, e.initial_bytes)
            })
            .count();
        let index = if alike == 1 {
            e.index.to_string()
        } else {
            format!("{}-{}", e.index, e.index + alike as u32 - 1)
        };
        let size = e
            .initial_bytes
            .map(|b| format!("  ({} bytes initially)", thousands(b)))
            .unwrap_or_default();
        let origin = if e.imported { "imported" } else { "defined" };
        let _ = writeln!(out, "  {index:>7}  {origin:<8}  {}{size}", e.ty);
        i += alike;
    }
}

fn segments(out: &mut String, title: &str, s: &Segments, unit: &str) {
    let declared = if s.declared > 0 {
        format!(", {} declarative", s.declared)
    } else {
        String::new()
    };
    let _ = writeln!(
        out,
        "{title}: {} active, {} passive{declared}, {} {unit}",
        thousands(s.active as u64),
        thousands(s.passive as u64),
        thousands(s.size)
    );
}

/// `1234567` as `1,234,567`.
fn thousands(n: u64) -> String {
    let s = n.to_string();
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}
