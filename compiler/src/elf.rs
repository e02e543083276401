//! Writes the artifact as an ELF shared object (ET_DYN), without a system linker.
//!
//! File layout, with virtual addresses equal to file offsets:
//!
//! ```text
//! R    ELF header, program headers, .hash, .dynsym, .dynstr, .sowa.manifest
//! R+X  .text                      (page-aligned)
//! RW   .dynamic                   (page-aligned)
//!      .sowa.data                 (not loaded; each data segment page-aligned in the file)
//!      .symtab, .strtab, .shstrtab, section headers
//! ```
//!
//! The dynamic symbol table names the manifest, the text and every exported function, so that
//! `nm -D`, `readelf` and `objdump -d` understand the file; `.symtab` names every function for
//! profilers.

use object::elf;
use object::write::elf::{FileHeader, ProgramHeader, SectionHeader, Sym, Writer};
use object::write::StringId;
use object::Endianness;
use sowa_targets::artifact::{
    EncodedManifest, ManifestHeader, DATA_SECTION, MANIFEST_SECTION, MANIFEST_SYMBOL, TEXT_SYMBOL,
};
use sowa_targets::Arch;

/// A function symbol: name and span in the text.
pub struct FuncSymbol {
    /// Symbol name.
    pub name: String,
    /// Offset in the text.
    pub offset: u64,
    /// Size in bytes.
    pub size: u64,
}

/// What goes into the file.
pub struct ElfInput<'a> {
    /// Target architecture.
    pub arch: Arch,
    /// Machine code.
    pub text: &'a [u8],
    /// The manifest's core and tables (the header is written here).
    pub manifest: &'a EncodedManifest,
    /// Data segment bytes, each to be placed at the page-aligned offset given.
    pub data: &'a [(u64, &'a [u8])],
    /// Total length of the data section.
    pub data_len: u64,
    /// Exported functions (dynamic symbols).
    pub exports: &'a [FuncSymbol],
    /// All functions (static symbols).
    pub functions: &'a [FuncSymbol],
}

fn symbol_name_ok(name: &str) -> bool {
    !name.is_empty() && !name.contains('\0')
}

fn align_up(x: usize, a: usize) -> usize {
    x.next_multiple_of(a)
}

/// Writes the shared object.
pub fn write(input: &ElfInput<'_>) -> Vec<u8> {
    let page = input.arch.max_page_size() as usize;
    let mut out = Vec::new();
    let mut w = Writer::new(Endianness::Little, true, &mut out);

    w.reserve_file_header();
    w.reserve_program_headers(5);

    w.reserve_null_section_index();
    let hash_index = w.reserve_hash_section_index();
    let dynsym_index = w.reserve_dynsym_section_index();
    let dynstr_index = w.reserve_dynstr_section_index();
    let manifest_name = w.add_section_name(MANIFEST_SECTION.as_bytes());
    let manifest_index = w.reserve_section_index();
    let text_name = w.add_section_name(b".text");
    let text_index = w.reserve_section_index();
    let dynamic_index = w.reserve_dynamic_section_index();
    let data_name = w.add_section_name(DATA_SECTION.as_bytes());
    let _data_index = w.reserve_section_index();
    let _symtab_index = w.reserve_symtab_section_index();
    let _strtab_index = w.reserve_strtab_section_index();
    let _shstrtab_index = w.reserve_shstrtab_section_index();

    // Dynamic symbols: manifest, text start, then exports.
    struct DynSym {
        name: StringId,
        hash: u32,
        section: object::write::elf::SectionIndex,
        kind: u8,
        value: u64,
        size: u64,
    }
    let manifest_body = input.manifest.body();
    let manifest_total = ManifestHeader::SIZE + manifest_body.len();
    let mut dynsyms: Vec<(String, u8, bool, u64, u64)> = vec![
        (
            MANIFEST_SYMBOL.into(),
            elf::STT_OBJECT,
            false,
            0,
            manifest_total as u64,
        ),
        (TEXT_SYMBOL.into(), elf::STT_FUNC, true, 0, 0),
    ];
    // ELF names are NUL-terminated: a wasm name containing NUL (or empty) cannot be a symbol.
    for e in input.exports.iter().filter(|e| symbol_name_ok(&e.name)) {
        dynsyms.push((e.name.clone(), elf::STT_FUNC, true, e.offset, e.size));
    }
    w.reserve_null_dynamic_symbol_index();
    let names: Vec<&[u8]> = dynsyms.iter().map(|d| d.0.as_bytes()).collect();
    let mut dyn_ids = Vec::new();
    for n in &names {
        dyn_ids.push(w.add_dynamic_string(n));
        w.reserve_dynamic_symbol_index();
    }
    let soname = w.add_dynamic_string(b"sowa-module.so");
    let functions: Vec<&FuncSymbol> = input
        .functions
        .iter()
        .filter(|f| symbol_name_ok(&f.name))
        .collect();
    let static_names: Vec<&[u8]> = functions.iter().map(|f| f.name.as_bytes()).collect();
    w.reserve_null_symbol_index();
    let mut static_ids = Vec::new();
    for n in &static_names {
        static_ids.push(w.add_string(n));
        w.reserve_symbol_index(Some(text_index));
    }

    let chain_count = dynsyms.len() as u32 + 1;
    let bucket_count = chain_count.next_power_of_two().max(1);
    let hash_offset = w.reserve_hash(bucket_count, chain_count);
    let dynsym_offset = w.reserve_dynsym();
    let dynstr_offset = w.reserve_dynstr();
    let manifest_offset = w.reserve(manifest_total, 16);
    let ro_end = w.reserved_len();
    w.reserve_until(align_up(ro_end, page));
    let text_offset = w.reserve(input.text.len().max(1), page);
    let text_end = w.reserved_len();
    w.reserve_until(align_up(text_end, page));
    let dynamic_count = 7;
    let dynamic_offset = w.reserve_dynamic(dynamic_count);
    let dynamic_end = w.reserved_len();
    w.reserve_until(align_up(dynamic_end, page));
    let data_offset = w.reserve(input.data_len as usize, page);
    w.reserve_symtab();
    w.reserve_strtab();
    w.reserve_shstrtab();
    w.reserve_section_headers();

    let dynsym_records: Vec<DynSym> = dynsyms
        .iter()
        .zip(&dyn_ids)
        .map(|((name, kind, in_text, value, size), id)| DynSym {
            name: *id,
            hash: elf::hash(name.as_bytes()),
            section: if *in_text { text_index } else { manifest_index },
            kind: *kind,
            value: if *in_text {
                text_offset as u64 + value
            } else {
                manifest_offset as u64
            },
            size: *size,
        })
        .collect();

    w.write_file_header(&FileHeader {
        os_abi: elf::ELFOSABI_NONE,
        abi_version: 0,
        e_type: elf::ET_DYN,
        e_machine: input.arch.elf_machine(),
        e_entry: 0,
        e_flags: 0,
    })
    .expect("valid ELF header");
    w.write_align_program_headers();
    let load = |flags: u32, offset: usize, end: usize| ProgramHeader {
        p_type: elf::PT_LOAD,
        p_flags: flags,
        p_offset: offset as u64,
        p_vaddr: offset as u64,
        p_paddr: offset as u64,
        p_filesz: (end - offset) as u64,
        p_memsz: (end - offset) as u64,
        p_align: page as u64,
    };
    w.write_program_header(&load(elf::PF_R, 0, ro_end));
    w.write_program_header(&load(elf::PF_R | elf::PF_X, text_offset, text_end));
    w.write_program_header(&load(elf::PF_R | elf::PF_W, dynamic_offset, dynamic_end));
    w.write_program_header(&ProgramHeader {
        p_type: elf::PT_DYNAMIC,
        p_flags: elf::PF_R | elf::PF_W,
        p_offset: dynamic_offset as u64,
        p_vaddr: dynamic_offset as u64,
        p_paddr: dynamic_offset as u64,
        p_filesz: (dynamic_end - dynamic_offset) as u64,
        p_memsz: (dynamic_end - dynamic_offset) as u64,
        p_align: 8,
    });
    w.write_program_header(&ProgramHeader {
        p_type: elf::PT_GNU_STACK,
        p_flags: elf::PF_R | elf::PF_W,
        p_offset: 0,
        p_vaddr: 0,
        p_paddr: 0,
        p_filesz: 0,
        p_memsz: 0,
        p_align: 16,
    });

    w.write_hash(bucket_count, chain_count, |i| {
        (i > 0).then(|| dynsym_records[i as usize - 1].hash)
    });
    w.write_null_dynamic_symbol();
    for d in &dynsym_records {
        w.write_dynamic_symbol(&Sym {
            name: Some(d.name),
            section: Some(d.section),
            st_info: (elf::STB_GLOBAL << 4) | d.kind,
            st_other: elf::STV_DEFAULT,
            st_shndx: 0,
            st_value: d.value,
            st_size: d.size,
        });
    }
    w.write_dynstr();

    w.pad_until(manifest_offset);
    let mut header = ManifestHeader {
        format_version: sowa_targets::FORMAT_VERSION,
        arch: input.arch as u32,
        core_len: input.manifest.core.len() as u64,
        data_offset: data_offset as u64,
        data_len: input.data_len,
        text_len: input.text.len() as u64,
        text_offset: text_offset as u64,
        digest: 0,
        tables: input.manifest.directory(),
    };
    header.digest = header.compute_digest(&input.manifest.core);
    w.write(&header.to_bytes());
    w.write(&manifest_body);

    w.pad_until(text_offset);
    w.write(input.text);
    if input.text.is_empty() {
        w.write(&[0]);
    }

    w.pad_until(dynamic_offset);
    w.write_align_dynamic();
    w.write_dynamic(elf::DT_HASH, hash_offset as u64)
        .expect("dynamic");
    w.write_dynamic(elf::DT_STRTAB, dynstr_offset as u64)
        .expect("dynamic");
    w.write_dynamic(elf::DT_SYMTAB, dynsym_offset as u64)
        .expect("dynamic");
    let dynstr_len = w.dynstr_len() as u64;
    w.write_dynamic(elf::DT_STRSZ, dynstr_len).expect("dynamic");
    w.write_dynamic(elf::DT_SYMENT, 24).expect("dynamic");
    w.write_dynamic_string(elf::DT_SONAME, soname)
        .expect("dynamic");
    w.write_dynamic(elf::DT_NULL, 0).expect("dynamic");

    w.pad_until(data_offset);
    let mut written = 0u64;
    for (off, bytes) in input.data {
        w.write(&vec![0u8; (off - written) as usize]);
        w.write(bytes);
        written = off + bytes.len() as u64;
    }
    w.write(&vec![0u8; (input.data_len - written) as usize]);

    w.write_null_symbol();
    for (f, id) in functions.iter().zip(&static_ids) {
        w.write_symbol(&Sym {
            name: Some(*id),
            section: Some(text_index),
            st_info: (elf::STB_LOCAL << 4) | elf::STT_FUNC,
            st_other: elf::STV_DEFAULT,
            st_shndx: 0,
            st_value: text_offset as u64 + f.offset,
            st_size: f.size,
        });
    }
    w.write_strtab();
    w.write_shstrtab();

    w.write_null_section_header();
    w.write_hash_section_header(hash_offset as u64);
    w.write_dynsym_section_header(dynsym_offset as u64, 1);
    w.write_dynstr_section_header(dynstr_offset as u64);
    w.write_section_header(&SectionHeader {
        name: Some(manifest_name),
        sh_type: elf::SHT_PROGBITS,
        sh_flags: elf::SHF_ALLOC as u64,
        sh_addr: manifest_offset as u64,
        sh_offset: manifest_offset as u64,
        sh_size: manifest_total as u64,
        sh_link: 0,
        sh_info: 0,
        sh_addralign: 16,
        sh_entsize: 0,
    });
    w.write_section_header(&SectionHeader {
        name: Some(text_name),
        sh_type: elf::SHT_PROGBITS,
        sh_flags: (elf::SHF_ALLOC | elf::SHF_EXECINSTR) as u64,
        sh_addr: text_offset as u64,
        sh_offset: text_offset as u64,
        sh_size: input.text.len() as u64,
        sh_link: 0,
        sh_info: 0,
        sh_addralign: page as u64,
        sh_entsize: 0,
    });
    w.write_dynamic_section_header(dynamic_offset as u64);
    w.write_section_header(&SectionHeader {
        name: Some(data_name),
        sh_type: elf::SHT_PROGBITS,
        sh_flags: 0,
        sh_addr: 0,
        sh_offset: data_offset as u64,
        sh_size: input.data_len,
        sh_link: 0,
        sh_info: 0,
        sh_addralign: page as u64,
        sh_entsize: 0,
    });
    w.write_symtab_section_header(1 + functions.len() as u32);
    w.write_strtab_section_header();
    w.write_shstrtab_section_header();
    let _ = dynamic_index;
    let _ = dynsym_index;
    let _ = dynstr_index;
    let _ = hash_index;
    out
}
