//! Rack 2's patch containers: a `.vcv` file is a zstd-compressed tar holding `patch.json`
//! (and, for modules that use patch storage, a `modules/<id>/` folder each); a legacy or
//! hand-written patch is the bare `patch.json`. Like Rack, the player tells them apart by
//! the zstd magic number, not by the file name.

use std::io::{Cursor, Read};
use std::path::Path;

use super::{parse_patch, Patch};
use crate::error::{Error, Result};

/// Every zstd frame starts with these bytes.
const ZSTD_MAGIC: [u8; 4] = [0x28, 0xb5, 0x2f, 0xfd];
/// Most bytes the player decompresses from one archive (a guard against decompression bombs).
const MAX_ARCHIVE_BYTES: u64 = 1 << 30;
/// zstd level for `pack` (Rack itself saves at level 1; a bundled patch may be smaller).
const PACK_LEVEL: i32 = 19;
/// Modification time written into packed archives, fixed so packing is reproducible.
const PACK_MTIME: u64 = 0;

/// Reads and parses a patch file (`.vcv` archive or bare `patch.json`).
pub fn load_patch_file(path: &Path) -> Result<Patch> {
    let bytes = std::fs::read(path).map_err(|e| Error::io("cannot read", path, e))?;
    read_patch_bytes(&bytes)
}

/// Parses a patch from the bytes of a `.vcv` archive or a bare `patch.json`.
pub fn read_patch_bytes(bytes: &[u8]) -> Result<Patch> {
    let json = unpack_patch_json(bytes)?;
    parse_patch(&json)
}

/// The `patch.json` bytes of a patch file: extracted from an archive, or the bytes themselves.
pub fn unpack_patch_json(bytes: &[u8]) -> Result<Vec<u8>> {
    if !bytes.starts_with(&ZSTD_MAGIC) {
        return Ok(bytes.to_vec());
    }
    let tar = decompress(bytes)?;
    let mut archive = tar::Archive::new(Cursor::new(tar));
    let entries = archive
        .entries()
        .map_err(|e| Error::Archive(format!("the tar inside is corrupt: {e}")))?;
    for entry in entries {
        let mut entry =
            entry.map_err(|e| Error::Archive(format!("the tar inside is corrupt: {e}")))?;
        let path = entry
            .path()
            .map_err(|e| Error::Archive(format!("the tar inside has a bad file name: {e}")))?;
        let name = path.to_string_lossy();
        let name = name.trim_start_matches("./");
        if name == "patch.json" && entry.header().entry_type().is_file() {
            let mut json = Vec::new();
            entry.read_to_end(&mut json).map_err(|e| {
                Error::Archive(format!("patch.json inside the archive is truncated: {e}"))
            })?;
            return Ok(json);
        }
    }
    Err(Error::Archive(
        "the archive holds no patch.json (is it a Rack 2 patch?)".into(),
    ))
}

fn decompress(bytes: &[u8]) -> Result<Vec<u8>> {
    let decoder = zstd::stream::read::Decoder::new(bytes)
        .map_err(|e| Error::Archive(format!("cannot start zstd decompression: {e}")))?;
    let mut out = Vec::new();
    decoder
        .take(MAX_ARCHIVE_BYTES + 1)
        .read_to_end(&mut out)
        .map_err(|e| Error::Archive(format!("the zstd stream is truncated or corrupt: {e}")))?;
    if out.len() as u64 > MAX_ARCHIVE_BYTES {
        return Err(Error::Archive(format!(
            "it decompresses to more than {} MiB",
            MAX_ARCHIVE_BYTES >> 20
        )));
    }
    Ok(out)
}

/// A `.vcv` archive (zstd-compressed tar) holding `patch_json` as `patch.json`.
///
/// The output depends only on the input: no timestamps, owners or host names go in.
pub fn write_archive(patch_json: &[u8]) -> Result<Vec<u8>> {
    let mut header = tar::Header::new_ustar();
    header.set_entry_type(tar::EntryType::Regular);
    header.set_size(patch_json.len() as u64);
    header.set_mode(0o644);
    header.set_mtime(PACK_MTIME);
    header.set_uid(0);
    header.set_gid(0);
    let mut builder = tar::Builder::new(Vec::new());
    builder
        .append_data(&mut header, "patch.json", patch_json)
        .map_err(|e| Error::Archive(format!("cannot build the tar: {e}")))?;
    let tar = builder
        .into_inner()
        .map_err(|e| Error::Archive(format!("cannot finish the tar: {e}")))?;
    zstd::stream::encode_all(tar.as_slice(), PACK_LEVEL)
        .map_err(|e| Error::Archive(format!("cannot compress: {e}")))
}

/// `kuberack pack`: checks that `input` is a valid patch and writes it as a `.vcv` archive.
///
/// `input` may be a bare `patch.json` or an archive (which is then repacked).
pub fn pack(input: &Path, output: &Path) -> Result<Patch> {
    let bytes = std::fs::read(input).map_err(|e| Error::io("cannot read", input, e))?;
    let json = unpack_patch_json(&bytes)?;
    let patch = parse_patch(&json)?;
    let archive = write_archive(&json)?;
    std::fs::write(output, archive).map_err(|e| Error::io("cannot write", output, e))?;
    Ok(patch)
}
