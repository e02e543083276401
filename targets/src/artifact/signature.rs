//! Signed artifacts: an Ed25519 signature over every byte of the `.so`, code included.
//!
//! The checksum in the manifest header catches damage; it cannot catch tampering (whoever edits
//! the file recomputes it). A signature can: `sowac --sign KEY` appends a trailer, and a loader
//! given the public key refuses a file without one, or whose bytes (any of them: code, data,
//! manifest, ELF headers) are not the ones signed.
//!
//! ```text
//! the .so as sowac wrote it      (signed)
//! signature  [u8; 64]            Ed25519 over everything before it
//! magic      [u8; 8]             "SOWASIG1"
//! ```
//!
//! ELF tools ignore bytes after the section header table, so a signed file is still an
//! ordinary shared object. Keys are small text files (a label line and 64 hex digits), the
//! secret one written readable by its owner only.

use ed25519_dalek::{Signer, SigningKey, VerifyingKey};

/// The trailer's closing magic.
pub const SIGNATURE_MAGIC: [u8; 8] = *b"SOWASIG1";
/// Length of the trailer: signature and magic.
pub const TRAILER_LEN: usize = 64 + SIGNATURE_MAGIC.len();

const SECRET_LABEL: &str = "sowa ed25519 secret key";
const PUBLIC_LABEL: &str = "sowa ed25519 public key";

/// Why a signature or key was not accepted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    /// The file has no signature trailer.
    #[error("the module is not signed (compile it with `sowac --sign KEY`)")]
    Unsigned,
    /// The signature does not match the bytes and the key.
    #[error(
        "the module's signature does not match: it was modified after signing, or signed with \
         another key"
    )]
    Mismatch,
    /// A key file that is not one.
    #[error("not a sowa {0} key file (expected the key made by `sowac --generate-key`)")]
    BadKey(&'static str),
}

/// A key pair's secret half, used by `sowac --sign`.
pub struct SecretKey(SigningKey);

/// A public key, used by `sowa run --verify` and the embedding API to check modules.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PublicKey(VerifyingKey);

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn unhex32(s: &str) -> Option<[u8; 32]> {
    let s = s.trim();
    if s.len() != 64 || !s.is_ascii() {
        return None;
    }
    let mut out = [0u8; 32];
    for (i, o) in out.iter_mut().enumerate() {
        *o = u8::from_str_radix(&s[2 * i..2 * i + 2], 16).ok()?;
    }
    Some(out)
}

/// The key in a key file's text, if its label line is `label`.
fn parse_key(text: &str, label: &str) -> Option<[u8; 32]> {
    let mut lines = text.lines();
    (lines.next()?.trim() == label).then_some(())?;
    unhex32(lines.next()?)
}

impl SecretKey {
    /// The key whose 32-byte seed is `seed` (from a secure random source).
    pub fn from_seed(seed: [u8; 32]) -> SecretKey {
        SecretKey(SigningKey::from_bytes(&seed))
    }

    /// Parses a secret key file.
    pub fn from_text(text: &str) -> Result<SecretKey, SignatureError> {
        parse_key(text, SECRET_LABEL)
            .map(SecretKey::from_seed)
            .ok_or(SignatureError::BadKey("secret"))
    }

    /// The secret key file's text.
    pub fn to_text(&self) -> String {
        format!("{SECRET_LABEL}\n{}\n", hex(&self.0.to_bytes()))
    }

    /// The matching public key.
    pub fn public(&self) -> PublicKey {
        PublicKey(self.0.verifying_key())
    }

    /// `so` with a signature trailer appended.
    pub fn sign(&self, so: &[u8]) -> Vec<u8> {
        let sig = self.0.sign(so);
        let mut out = Vec::with_capacity(so.len() + TRAILER_LEN);
        out.extend_from_slice(so);
        out.extend_from_slice(&sig.to_bytes());
        out.extend_from_slice(&SIGNATURE_MAGIC);
        out
    }
}

impl PublicKey {
    /// Parses a public key file.
    pub fn from_text(text: &str) -> Result<PublicKey, SignatureError> {
        parse_key(text, PUBLIC_LABEL)
            .and_then(|k| VerifyingKey::from_bytes(&k).ok())
            .map(PublicKey)
            .ok_or(SignatureError::BadKey("public"))
    }

    /// The public key file's text.
    pub fn to_text(&self) -> String {
        format!("{PUBLIC_LABEL}\n{}\n", hex(self.0.as_bytes()))
    }

    /// Checks the trailer of `file` (a whole signed `.so`) against this key.
    pub fn verify(&self, file: &[u8]) -> Result<(), SignatureError> {
        let (signed, sig) = split(file).ok_or(SignatureError::Unsigned)?;
        let sig = ed25519_dalek::Signature::from_bytes(&sig);
        // `verify_strict` refuses the malleable encodings plain `verify` lets through.
        self.0
            .verify_strict(signed, &sig)
            .map_err(|_| SignatureError::Mismatch)
    }
}

/// The signed bytes and the signature of a file with a trailer.
pub fn split(file: &[u8]) -> Option<(&[u8], [u8; 64])> {
    let body_len = file.len().checked_sub(TRAILER_LEN)?;
    let (body, trailer) = file.split_at(body_len);
    (trailer[64..] == SIGNATURE_MAGIC).then_some(())?;
    Some((body, trailer[..64].try_into().ok()?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signed_bytes_verify_and_any_change_is_refused() {
        let key = SecretKey::from_seed([7; 32]);
        let public = key.public();
        let so = b"\x7fELF pretend shared object".to_vec();
        let signed = key.sign(&so);
        assert_eq!(public.verify(&signed), Ok(()));
        assert_eq!(public.verify(&so), Err(SignatureError::Unsigned));
        for i in [0, 5, so.len() - 1, so.len() + 3] {
            let mut bad = signed.clone();
            bad[i] ^= 1;
            assert_eq!(
                public.verify(&bad),
                Err(SignatureError::Mismatch),
                "byte {i}"
            );
        }
        let other = SecretKey::from_seed([8; 32]).public();
        assert_eq!(other.verify(&signed), Err(SignatureError::Mismatch));
    }

    #[test]
    fn key_files_round_trip_and_are_told_apart() {
        let key = SecretKey::from_seed([1; 32]);
        let text = key.to_text();
        let back = SecretKey::from_text(&text).unwrap();
        assert_eq!(back.public(), key.public());
        let pub_text = key.public().to_text();
        assert_eq!(PublicKey::from_text(&pub_text), Ok(key.public()));
        assert!(PublicKey::from_text(&text).is_err());
        assert!(SecretKey::from_text(&pub_text).is_err());
        assert!(PublicKey::from_text("sowa ed25519 public key\nxyz\n").is_err());
    }
}
