//! Reading one file from disk. A Rust source rustc would compile is read whatever it holds
//! (NUL bytes in comments included) up to a hard size limit; what cannot be read is a gap.
//! Data files are chosen by name, not by the compiler, so an unusable one is only a note.

use std::path::Path;

use crate::check::model::{GapKind, Note};

/// Files above this size are not read: far above any real source or config file (the largest
/// generated sources seen are a few MiB), low enough that reading one stays quick.
pub const MAX_FILE_BYTES: u64 = 64 * 1024 * 1024;

/// The text of a Rust source, or the kind of gap and why.
pub fn read_source(path: &Path) -> Result<String, (GapKind, String)> {
    let size = std::fs::metadata(path)
        .map_err(|e| (GapKind::Unreadable, format!("cannot read: {e}")))?
        .len();
    if size > MAX_FILE_BYTES {
        return Err((
            GapKind::TooLarge,
            format!(
                "file is {} MiB, above the {} MiB the loader reads",
                size / (1024 * 1024),
                MAX_FILE_BYTES / (1024 * 1024)
            ),
        ));
    }
    let bytes =
        std::fs::read(path).map_err(|e| (GapKind::Unreadable, format!("cannot read: {e}")))?;
    String::from_utf8(bytes).map_err(|e| {
        (
            GapKind::Unreadable,
            format!(
                "not valid UTF-8 (invalid byte at offset {}), which rustc refuses too",
                e.utf8_error().valid_up_to()
            ),
        )
    })
}

/// Reads a data file, refusing huge, binary and non-UTF-8 files with a note.
pub fn read_text(path: &Path, root: &Path) -> Result<String, Note> {
    let note = |message: String| Note {
        path: super::relative(path, root),
        message,
    };
    let size = std::fs::metadata(path)
        .map_err(|e| note(format!("cannot read: {e}; skipped")))?
        .len();
    if size > MAX_FILE_BYTES {
        return Err(note(format!(
            "file is {} MiB, above the {} MiB limit; skipped",
            size / (1024 * 1024),
            MAX_FILE_BYTES / (1024 * 1024)
        )));
    }
    let bytes = std::fs::read(path).map_err(|e| note(format!("cannot read: {e}; skipped")))?;
    if bytes.contains(&0) {
        return Err(note("binary file (it contains NUL bytes); skipped".into()));
    }
    String::from_utf8(bytes).map_err(|e| {
        note(format!(
            "not valid UTF-8 (invalid byte at offset {}); skipped",
            e.utf8_error().valid_up_to()
        ))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refuses_binary_huge_and_non_utf8_data_files() {
        let dir = tempfile::tempdir().unwrap();
        let write = |name: &str, bytes: &[u8]| {
            let p = dir.path().join(name);
            std::fs::write(&p, bytes).unwrap();
            p
        };
        let ok = write("ok.toml", b"a = 1\n");
        assert_eq!(read_text(&ok, dir.path()).unwrap(), "a = 1\n");
        let bin = write("bin.json", b"{\0}");
        assert!(
            read_text(&bin, dir.path())
                .unwrap_err()
                .message
                .contains("binary")
        );
        let latin = write("l.toml", b"name = \"caf\xe9\"");
        assert!(
            read_text(&latin, dir.path())
                .unwrap_err()
                .message
                .contains("offset 11")
        );
        let big = dir.path().join("big.json");
        let file = std::fs::File::create(&big).unwrap();
        file.set_len(MAX_FILE_BYTES + 1).unwrap();
        assert!(
            read_text(&big, dir.path())
                .unwrap_err()
                .message
                .contains("64 MiB")
        );
    }

    #[test]
    fn rust_sources_keep_nul_bytes_and_gap_on_size_and_encoding() {
        let dir = tempfile::tempdir().unwrap();
        let nul = dir.path().join("nul.rs");
        std::fs::write(&nul, "// a\0b\nfn main() {}\n").unwrap();
        assert!(read_source(&nul).unwrap().contains('\0'));
        let latin = dir.path().join("latin.rs");
        std::fs::write(&latin, b"// caf\xe9\n").unwrap();
        assert_eq!(read_source(&latin).unwrap_err().0, GapKind::Unreadable);
        let big = dir.path().join("big.rs");
        std::fs::File::create(&big)
            .unwrap()
            .set_len(MAX_FILE_BYTES + 1)
            .unwrap();
        assert_eq!(read_source(&big).unwrap_err().0, GapKind::TooLarge);
        assert_eq!(
            read_source(&dir.path().join("none.rs")).unwrap_err().0,
            GapKind::Unreadable
        );
    }
}
