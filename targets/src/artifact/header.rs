//! The fixed-size manifest header: checked (magic, version, target, digest) before anything
//! variable is decoded, and the directory saying where each table lies.
//!
//! ```text
//!   0  magic           [u8; 8]
//!   8  format_version  u32
//!  12  arch            u32
//!  16  core_len        u64      encoded ModuleInfo, right after the header
//!  24  data_offset     u64      file offset of the data section
//!  32  data_len        u64
//!  40  text_len        u64
//!  48  checksum        u32      CRC-32 of every other header byte and the core
//!  52  reserved        [u8; 4]  zero (refused otherwise)
//!  56  text_offset     u64      file offset of the text, which the program headers must agree on
//!  64  reserved        [u8; 16] zero (refused otherwise)
//!  80  directory       TableId::COUNT x { offset: u64, len: u64 }, from the header's start
//! ```
//!
//! The checksum catches a damaged or truncated file before anything in it is obeyed. It is a
//! CRC, not a cryptographic hash, on purpose: whoever can modify the file can recompute any
//! unkeyed digest, so a hash would buy no protection against tampering, only cost (a software
//! SHA-256 of the core was a sixth of a cold start's instructions on CPUs without SHA
//! instructions, such as a Raspberry Pi's). Protection against tampering is a signature's job.

use super::tables::TableId;
use super::{FormatError, FORMAT_VERSION, MAGIC};

/// Encoded size of the header, directory included.
pub const HEADER_SIZE: usize = 80 + 16 * TableId::COUNT;

/// Where each table lies: byte offset from the start of the header, and byte length.
pub type TableDir = [(u64, u64); TableId::COUNT];

/// Fixed-size prefix of the manifest, read before decoding the rest.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ManifestHeader {
    /// Must equal [`FORMAT_VERSION`].
    pub format_version: u32,
    /// The [`crate::Arch`] the code is for, as its `u32` value.
    pub arch: u32,
    /// Length in bytes of the encoded [`super::ModuleInfo`] that follows the header.
    pub core_len: u64,
    /// File offset of the data segment bytes.
    pub data_offset: u64,
    /// Length of the data segment bytes.
    pub data_len: u64,
    /// Length of the text in bytes.
    pub text_len: u64,
    /// File offset of the text. The loader finds the text through the program headers and the
    /// text symbol, which the checksum does not cover; this checked copy is what they must
    /// agree with, so that edited program headers cannot point the code elsewhere.
    pub text_offset: u64,
    /// CRC-32 of the header's other fields and the core ([`ManifestHeader::compute_digest`]).
    pub digest: u32,
    /// Where the tables are.
    pub tables: TableDir,
}

impl ManifestHeader {
    /// Encoded size of the header.
    pub const SIZE: usize = HEADER_SIZE;

    /// The checksum of every header field but the checksum itself, and of the encoded core.
    pub fn compute_digest(&self, core: &[u8]) -> u32 {
        // Table-driven, with no CPU feature detection at run time: detection executes CPUID,
        // which costs microseconds apiece in a virtual machine, at every start.
        const CRC: crc::Crc<u32> = crc::Crc::<u32>::new(&crc::CRC_32_ISO_HDLC);
        let bytes = self.to_bytes();
        let mut h = CRC.digest();
        h.update(&bytes[..48]);
        h.update(&bytes[52..]);
        h.update(core);
        h.finalize()
    }

    /// Whether the digest matches the header and `core`.
    pub fn verify(&self, core: &[u8]) -> bool {
        self.compute_digest(core) == self.digest
    }

    /// Bytes from the header's start to the end of the last table: the manifest's whole extent.
    pub fn total_len(&self) -> Option<u64> {
        let core_end = (HEADER_SIZE as u64).checked_add(self.core_len)?;
        self.tables.iter().try_fold(core_end, |end, (off, len)| {
            Some(end.max(off.checked_add(*len)?))
        })
    }

    /// Encodes the header.
    pub fn to_bytes(&self) -> [u8; HEADER_SIZE] {
        let mut b = [0u8; HEADER_SIZE];
        b[0..8].copy_from_slice(&MAGIC);
        b[8..12].copy_from_slice(&self.format_version.to_le_bytes());
        b[12..16].copy_from_slice(&self.arch.to_le_bytes());
        b[16..24].copy_from_slice(&self.core_len.to_le_bytes());
        b[24..32].copy_from_slice(&self.data_offset.to_le_bytes());
        b[32..40].copy_from_slice(&self.data_len.to_le_bytes());
        b[40..48].copy_from_slice(&self.text_len.to_le_bytes());
        b[48..52].copy_from_slice(&self.digest.to_le_bytes());
        b[56..64].copy_from_slice(&self.text_offset.to_le_bytes());
        for (i, (off, len)) in self.tables.iter().enumerate() {
            let at = 80 + 16 * i;
            b[at..at + 8].copy_from_slice(&off.to_le_bytes());
            b[at + 8..at + 16].copy_from_slice(&len.to_le_bytes());
        }
        b
    }

    /// Decodes and checks magic and version; the target is checked by the caller, who knows it.
    pub fn from_bytes(b: &[u8]) -> Result<ManifestHeader, FormatError> {
        if b.len() >= 8 && b[0..8] != MAGIC {
            return Err(FormatError::BadMagic);
        }
        if b.len() < 12 {
            return Err(FormatError::Truncated("header"));
        }
        let u32_at = |i: usize| u32::from_le_bytes(b[i..i + 4].try_into().unwrap());
        let u64_at = |i: usize| u64::from_le_bytes(b[i..i + 8].try_into().unwrap());
        // The version first: an older or newer sowac's header may have another size.
        let format_version = u32_at(8);
        if format_version != FORMAT_VERSION {
            return Err(FormatError::Version {
                found: format_version,
                expected: FORMAT_VERSION,
            });
        }
        if b.len() < HEADER_SIZE {
            return Err(FormatError::Truncated("header"));
        }
        if b[52..56].iter().chain(&b[64..80]).any(|x| *x != 0) {
            return Err(FormatError::Corrupt(
                "reserved header bytes are not zero".into(),
            ));
        }
        let mut tables = [(0, 0); TableId::COUNT];
        for (i, t) in tables.iter_mut().enumerate() {
            *t = (u64_at(80 + 16 * i), u64_at(88 + 16 * i));
        }
        Ok(ManifestHeader {
            format_version,
            arch: u32_at(12),
            core_len: u64_at(16),
            data_offset: u64_at(24),
            data_len: u64_at(32),
            text_len: u64_at(40),
            text_offset: u64_at(56),
            digest: u32_at(48),
            tables,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> ManifestHeader {
        let mut tables = [(0, 0); TableId::COUNT];
        tables[2] = (400, 24);
        ManifestHeader {
            format_version: FORMAT_VERSION,
            arch: crate::Arch::X86_64 as u32,
            core_len: 10,
            data_offset: 4096,
            data_len: 3,
            text_len: 64,
            text_offset: 8192,
            digest: 7,
            tables,
        }
    }

    #[test]
    fn header_round_trip_and_checks() {
        let h = sample();
        let b = h.to_bytes();
        assert_eq!(ManifestHeader::from_bytes(&b).unwrap(), h);
        let mut bad = b;
        bad[8] = 99;
        assert!(matches!(
            ManifestHeader::from_bytes(&bad),
            Err(FormatError::Version { found: 99, .. })
        ));
        bad = b;
        bad[0] = b'X';
        assert!(matches!(
            ManifestHeader::from_bytes(&bad),
            Err(FormatError::BadMagic)
        ));
        bad = b;
        bad[70] = 1;
        assert!(matches!(
            ManifestHeader::from_bytes(&bad),
            Err(FormatError::Corrupt(_))
        ));
        assert!(ManifestHeader::from_bytes(&b[..20]).is_err());
        assert!(ManifestHeader::from_bytes(&b[..HEADER_SIZE - 1]).is_err());
    }

    #[test]
    fn digest_covers_the_directory_and_the_core() {
        let mut h = sample();
        h.digest = h.compute_digest(b"core");
        assert!(h.verify(b"core"));
        assert!(!h.verify(b"corf"));
        let mut moved = h;
        moved.tables[2].0 += 1;
        assert!(!moved.verify(b"core"));
    }

    #[test]
    fn total_len_reaches_the_last_table() {
        let h = sample();
        assert_eq!(h.total_len(), Some(424));
        let mut huge = h;
        huge.tables[0] = (u64::MAX, 1);
        assert_eq!(huge.total_len(), None);
    }
}
