//! Reads the ELF container: machine, symbols, segments, and where manifest and text are.

use goblin::elf::dynamic::Dynamic;
use goblin::elf::header::{Header, EI_CLASS, EI_DATA, ELFCLASS64, ELFDATA2LSB};
use goblin::elf::program_header::ProgramHeader;
use sowa_targets::artifact::{ManifestHeader, MANIFEST_SYMBOL, TEXT_SYMBOL};
use sowa_targets::Arch;

/// Why an artifact was refused.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    /// The file could not be read or mapped.
    #[error("{0}")]
    Io(String),
    /// Not an ELF file, or a malformed one.
    #[error("not a valid ELF shared object: {0}")]
    Elf(String),
    /// An ELF file that is not a sowa module.
    #[error("not a sowa module: {0}")]
    NotSowa(String),
    /// A sowa module for another architecture.
    #[error("module was compiled for {found}, but this machine is {host}: recompile with `sowa compile --target {host}`")]
    WrongTarget {
        /// Target in the file.
        found: String,
        /// This machine.
        host: Arch,
    },
    /// Format version, truncation or corruption of the manifest.
    #[error("{0}")]
    Format(String),
    /// An index or span of the manifest points outside what it should.
    #[error("corrupt module: {0}")]
    Corrupt(String),
    /// The code needs CPU features this machine lacks.
    #[error("this CPU lacks features the module was compiled for: {0}; compile it again with `sowac --cpu baseline` (the default) to run it here")]
    CpuFeatures(String),
    /// The runner runs on an architecture sowa has no code generator for.
    #[error("this machine's architecture is not supported by sowa")]
    UnsupportedHost,
    /// A signature was required and is missing or does not match.
    #[error("{0}")]
    Signature(#[from] sowa_targets::artifact::signature::SignatureError),
}

/// Where the parts of an artifact are in the file.
pub struct Layout {
    /// The decoded fixed header.
    pub header: ManifestHeader,
    /// File range of the whole manifest: header, core and tables.
    pub manifest_range: std::ops::Range<usize>,
    /// File offset of the text.
    pub text_offset: usize,
    /// The target the file is for.
    pub arch: Arch,
}

impl Layout {
    /// The encoded core (after the header).
    pub fn core_bytes<'a>(&self, file: &'a [u8]) -> &'a [u8] {
        let start = self.manifest_range.start + ManifestHeader::SIZE;
        &file[start..start + self.header.core_len as usize]
    }
}

fn machine_arch(machine: u16) -> Option<Arch> {
    [Arch::X86_64, Arch::Aarch64]
        .into_iter()
        .find(|a| a.elf_machine() == machine)
}

/// Translates a virtual address to a file offset through the PT_LOAD segments, requiring
/// `len` bytes to lie in one segment's file image; `exec` demands an executable segment.
fn vaddr_to_offset(
    phdrs: &[ProgramHeader],
    vaddr: u64,
    len: u64,
    exec: bool,
    file_len: usize,
) -> Option<usize> {
    phdrs
        .iter()
        .filter(|p| p.p_type == goblin::elf::program_header::PT_LOAD)
        .filter(|p| !exec || p.is_executable())
        .find(|p| {
            vaddr >= p.p_vaddr
                && vaddr
                    .checked_add(len)
                    .is_some_and(|e| e <= p.p_vaddr.saturating_add(p.p_filesz))
        })
        .and_then(|p| {
            let off = p.p_offset.checked_add(vaddr - p.p_vaddr)?;
            (off.checked_add(len)? <= file_len as u64).then_some(off as usize)
        })
}

/// What the loader needs of a dynamic symbol.
struct DynSym {
    st_value: u64,
    st_size: u64,
}

/// The dynamic symbol called `name`: read straight from the dynamic symbol table, whose length
/// the SysV hash table gives, as a dynamic loader would. (goblin's `Elf::parse` would also
/// decode every section and every name of the static symbol table, which holds one symbol
/// per function: work that grows with the module at every load.)
fn dynamic_symbol(
    file: &[u8],
    info: &goblin::elf::dynamic::DynamicInfo,
    name: &str,
) -> Result<DynSym, LoadError> {
    let bad = |what: &str| LoadError::Elf(format!("dynamic {what} outside the file"));
    let hash = info
        .hash
        .ok_or_else(|| LoadError::NotSowa("no symbol hash table".into()))? as usize;
    let nchain = file
        .get(hash + 4..hash + 8)
        .ok_or_else(|| bad("hash table"))?;
    let count = u32::from_le_bytes(nchain.try_into().unwrap()) as usize;
    let strtab = file
        .get(info.strtab..info.strtab.saturating_add(info.strsz))
        .ok_or_else(|| bad("string table"))?;
    const SIZE: usize = 24; // Elf64_Sym: name u32, info u8, other u8, shndx u16, value, size
    let table = count
        .checked_mul(SIZE)
        .and_then(|n| file.get(info.symtab..info.symtab.checked_add(n)?))
        .ok_or_else(|| bad("symbol table"))?;
    for rec in table.chunks_exact(SIZE).skip(1) {
        let at = u32::from_le_bytes(rec[0..4].try_into().unwrap()) as usize;
        let sym_name = strtab
            .get(at..)
            .and_then(|s| s.get(..s.iter().position(|b| *b == 0)?));
        if sym_name == Some(name.as_bytes()) {
            return Ok(DynSym {
                st_value: u64::from_le_bytes(rec[8..16].try_into().unwrap()),
                st_size: u64::from_le_bytes(rec[16..24].try_into().unwrap()),
            });
        }
    }
    Err(LoadError::NotSowa(format!("no `{name}` symbol")))
}

/// Parses and checks the container; returns where the manifest and the text are. With `host`,
/// a file for another target is refused; without, any target sowa knows is read (to inspect
/// a cross-compiled file).
pub fn parse(file: &[u8], host: Option<Arch>) -> Result<Layout, LoadError> {
    if file.len() < 4 || file[..4] != *b"\x7fELF" {
        return Err(LoadError::Elf(if file.len() < 4 {
            "the file is too short to be one (truncated?)".into()
        } else {
            "no ELF magic".into()
        }));
    }
    let header: Header = goblin::elf::Elf::parse_header(file)
        .map_err(|e| LoadError::Elf(format!("header: {e} (truncated?)")))?;
    if header.e_ident[EI_CLASS] != ELFCLASS64 || header.e_ident[EI_DATA] != ELFDATA2LSB {
        return Err(LoadError::Elf("not a 64-bit little-endian file".into()));
    }
    match (machine_arch(header.e_machine), host) {
        (Some(a), Some(host)) if a != host => {
            return Err(LoadError::WrongTarget {
                found: a.to_string(),
                host,
            })
        }
        (Some(_), _) => {}
        (None, Some(host)) => {
            return Err(LoadError::WrongTarget {
                found: format!("ELF machine {}", header.e_machine),
                host,
            })
        }
        (None, None) => {
            return Err(LoadError::NotSowa(format!(
                "ELF machine {} is not a target sowa compiles for",
                header.e_machine
            )))
        }
    }
    if header.e_type != goblin::elf::header::ET_DYN {
        return Err(LoadError::Elf("not a shared object (ET_DYN)".into()));
    }
    let ctx = goblin::container::Ctx::new(
        goblin::container::Container::Big,
        goblin::container::Endian::Little,
    );
    let phdrs = ProgramHeader::parse(file, header.e_phoff as usize, header.e_phnum as usize, ctx)
        .map_err(|e| LoadError::Elf(format!("program headers: {e} (truncated?)")))?;
    // Cheap checks that catch a truncated file where a full parse would: the section header
    // table comes last, and every segment must be in the file.
    let shdrs_end = header
        .e_shoff
        .checked_add(header.e_shnum as u64 * header.e_shentsize as u64);
    let segments_in_file = phdrs.iter().all(|p| {
        p.p_offset
            .checked_add(p.p_filesz)
            .is_some_and(|e| e <= file.len() as u64)
    });
    if shdrs_end.is_none_or(|e| e > file.len() as u64) || !segments_in_file {
        return Err(LoadError::Elf(format!(
            "the file is truncated ({} bytes): compile it again or copy it whole",
            file.len()
        )));
    }
    let dynamic = Dynamic::parse(file, &phdrs, ctx)
        .map_err(|e| LoadError::Elf(format!("dynamic section: {e} (truncated?)")))?
        .ok_or_else(|| LoadError::NotSowa("no dynamic section".into()))?;
    let symbol = |name: &str| dynamic_symbol(file, &dynamic.info, name);
    let manifest_sym = symbol(MANIFEST_SYMBOL)?;
    let text_sym = symbol(TEXT_SYMBOL)?;
    let header_len = ManifestHeader::SIZE as u64;
    let hdr_off = vaddr_to_offset(&phdrs, manifest_sym.st_value, header_len, false, file.len())
        .ok_or_else(|| LoadError::Corrupt("manifest lies outside the file".into()))?;
    let header = ManifestHeader::from_bytes(&file[hdr_off..hdr_off + ManifestHeader::SIZE])
        .map_err(|e| LoadError::Format(e.to_string()))?;
    let arch = Arch::from_u32(header.arch)
        .ok_or_else(|| LoadError::Corrupt(format!("unknown target id {}", header.arch)))?;
    if let Some(host) = host.filter(|h| *h != arch) {
        return Err(LoadError::WrongTarget {
            found: arch.to_string(),
            host,
        });
    }
    let manifest_len = header
        .total_len()
        .filter(|l| *l <= manifest_sym.st_size)
        .ok_or_else(|| LoadError::Corrupt("manifest length exceeds its symbol".into()))?;
    vaddr_to_offset(
        &phdrs,
        manifest_sym.st_value,
        manifest_len,
        false,
        file.len(),
    )
    .ok_or_else(|| LoadError::Corrupt("manifest truncated".into()))?;
    let text_offset = vaddr_to_offset(&phdrs, text_sym.st_value, header.text_len, true, file.len())
        .ok_or_else(|| LoadError::Corrupt("text lies outside an executable segment".into()))?;
    if text_offset as u64 != header.text_offset {
        // The program headers or the text symbol were edited: the code they point at is not
        // the code the manifest describes.
        return Err(LoadError::Corrupt(format!(
            "the program headers place the code at file offset {text_offset:#x}, the manifest \
             at {:#x}",
            header.text_offset
        )));
    }
    let data_end = header
        .data_offset
        .checked_add(header.data_len)
        .filter(|e| *e <= file.len() as u64);
    if data_end.is_none() {
        return Err(LoadError::Corrupt(
            "data section lies outside the file".into(),
        ));
    }
    Ok(Layout {
        header,
        manifest_range: hdr_off..hdr_off + manifest_len as usize,
        text_offset,
        arch,
    })
}
