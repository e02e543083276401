//! Reads what a `.so` holds without running it, for `sowa inspect`: the same checks as a load
//! (checksum, manifest indices) but for any target sowa compiles for, with nothing mapped
//! executable, so that a build machine can inspect what it cross-compiled for a device.

use crate::{check, LoadError};
use serde::Serialize;
use sowa_targets::artifact::signature;
use sowa_targets::artifact::summary::ModuleSummary;
use sowa_targets::artifact::{CompiledBy, TableId, FORMAT_VERSION};
use sowa_targets::Arch;

/// One part of the ELF file and its size.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Part {
    /// Section name (`.text`, `.sowa.manifest`, ...), or a description in parentheses for bytes
    /// outside sections (`(ELF headers and padding)`, `(signature)`).
    pub name: String,
    /// Bytes in the file.
    pub bytes: u64,
}

/// What `sowa inspect` reports about a `.so`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Report {
    /// Size of the file.
    pub file_bytes: u64,
    /// The artifact format version (this sowa reads only [`FORMAT_VERSION`]).
    pub format_version: u32,
    /// The target architecture.
    pub target: String,
    /// CPU features the code requires beyond the architecture.
    pub cpu_features: Vec<String>,
    /// `None` when this machine can run it, else why not.
    pub cannot_run_here: Option<String>,
    /// Compiler and options.
    pub compiled_by: CompiledBy,
    /// SHA-256 of the `.wasm` it was compiled from, in hex.
    pub wasm_sha256: String,
    /// Whether a signature trailer is present (`sowa run --verify KEY.pub` checks it).
    pub signed: bool,
    /// The module's contents.
    pub module: ModuleSummary,
    /// Bytes of the three tables that map code back to wasm (trap sites, address map, names).
    pub metadata_bytes: Vec<Part>,
    /// The ELF file's parts, in file order.
    pub parts: Vec<Part>,
}

/// Reads and checks the artifact `file` (the bytes of a `.so`) and describes it.
pub fn inspect(file: &[u8]) -> Result<Report, LoadError> {
    let (layout, info, tables) = crate::read_manifest(file, None)?;
    let cannot_run_here = match Arch::host() {
        None => Some(LoadError::UnsupportedHost.to_string()),
        Some(host) if host != layout.arch => Some(format!(
            "compiled for {}, this machine is {host}: recompile with `sowa compile --target \
             {host}` to run it here",
            layout.arch
        )),
        Some(_) => check::cpu_features(&info).err().map(|e| e.to_string()),
    };
    let imported = info.num_imported_funcs();
    let code_sizes = (0..info.num_funcs.saturating_sub(imported)).filter_map(|d| {
        let span = tables.function(d)?;
        Some((imported + d, span.len as u64))
    });
    let data = (0..info.num_data).filter_map(|i| {
        let d = tables.data_segment(i)?;
        Some((d.active, d.len))
    });
    let module = ModuleSummary::new(
        &info,
        |f| tables.func_type(f),
        |f| tables.func_name(f).map(str::to_string),
        code_sizes,
        data,
    );
    let metadata_bytes = [
        (TableId::TrapSites, "trap sites"),
        (TableId::AddressMap, "address map"),
        (TableId::FuncNames, "function names"),
    ]
    .into_iter()
    .map(|(t, name)| Part {
        name: name.into(),
        bytes: layout.header.tables[t as usize].1,
    })
    .collect();
    Ok(Report {
        file_bytes: file.len() as u64,
        format_version: FORMAT_VERSION,
        target: layout.arch.to_string(),
        cpu_features: info.cpu_features.clone(),
        cannot_run_here,
        compiled_by: info.compiled_by.clone(),
        wasm_sha256: info
            .wasm_sha256
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect(),
        signed: signature::split(file).is_some(),
        module,
        metadata_bytes,
        parts: parts(file),
    })
}

/// The file's sections in file order, with the bytes between them (headers, padding) and the
/// signature trailer counted apart, so that the parts add up to the file.
fn parts(file: &[u8]) -> Vec<Part> {
    let Ok(header) = goblin::elf::Elf::parse_header(file) else {
        return Vec::new();
    };
    let ctx = goblin::container::Ctx::new(
        goblin::container::Container::Big,
        goblin::container::Endian::Little,
    );
    let Ok(sections) = goblin::elf::SectionHeader::parse(
        file,
        header.e_shoff as usize,
        header.e_shnum as usize,
        ctx,
    ) else {
        return Vec::new();
    };
    let names = sections.get(header.e_shstrndx as usize).and_then(|s| {
        file.get(s.sh_offset as usize..(s.sh_offset.checked_add(s.sh_size)?) as usize)
    });
    let name = |at: usize| -> String {
        names
            .and_then(|n| n.get(at..))
            .and_then(|s| s.get(..s.iter().position(|b| *b == 0)?))
            .map(|s| String::from_utf8_lossy(s).into_owned())
            .unwrap_or_else(|| "?".into())
    };
    let mut out: Vec<Part> = sections
        .iter()
        .filter(|s| s.sh_type != goblin::elf::section_header::SHT_NOBITS && s.sh_size > 0)
        .map(|s| {
            (
                s.sh_offset,
                Part {
                    name: name(s.sh_name),
                    bytes: s.sh_size,
                },
            )
        })
        .collect::<std::collections::BTreeMap<_, _>>()
        .into_values()
        .collect();
    let trailer = if signature::split(file).is_some() {
        signature::TRAILER_LEN as u64
    } else {
        0
    };
    if trailer > 0 {
        out.push(Part {
            name: "(signature)".into(),
            bytes: trailer,
        });
    }
    let counted: u64 = out.iter().map(|p| p.bytes).sum();
    out.push(Part {
        name: "(ELF headers and padding)".into(),
        bytes: (file.len() as u64).saturating_sub(counted),
    });
    out
}
