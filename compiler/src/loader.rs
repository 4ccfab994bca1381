//! Where the compiler's input files come from: the one place a stage's file is read.
//!
//! The mapping, the modules it imports, its schemas and their master-data files are found one
//! after the other (a module names its own schemas, a schema its master data), so the stages
//! ask for each file by path as they reach it. They ask the [`FileLoader`] their
//! [`SourceMap`](crate::source_map::SourceMap) was made with, never the file system: the CLI
//! reads from the disk ([`DiskFiles`]), a test or an editor can hand the compiler files held in
//! memory ([`MemoryFiles`]) and get the same diagnostics. This is prqlc's `SourceTree`, made
//! lazy because fdi's inputs name each other.
//!
//! Paths are those the stages build: the mapping's path as the caller gave it, joined with the
//! relative paths written in the mapping and its schemas, with `.` and `dir/..` removed.

use std::collections::BTreeMap;
use std::fmt;
use std::io;
use std::path::{Path, PathBuf};

use crate::normalize;

/// Reads the compiler's input files.
pub trait FileLoader: fmt::Debug + Send + Sync {
    /// The bytes of the file at `path`; an error says why there are none (the stages word it:
    /// "no such file", "permission denied").
    fn read(&self, path: &Path) -> io::Result<Vec<u8>>;

    /// A reader of the file at `path` from its start, for a stage that needs only the beginning
    /// of a file that may be large: the data check reads a source's header, not its gigabytes.
    /// The default reads the whole file through [`FileLoader::read`].
    fn open(&self, path: &Path) -> io::Result<Box<dyn io::Read + '_>> {
        Ok(Box::new(io::Cursor::new(self.read(path)?)))
    }

    /// What makes two paths the same file, so that a module imported along two paths is read
    /// once and an import cycle is seen whichever way it is spelled.
    fn identity(&self, path: &Path) -> PathBuf {
        normalize(path)
    }
}

/// Files on the disk. Relative paths resolve against `base` when it is set, else against the
/// process's working directory (what the CLI wants: paths as the user typed them).
#[derive(Debug, Clone, Default)]
pub struct DiskFiles {
    base: Option<PathBuf>,
}

impl DiskFiles {
    /// Relative paths resolve against the working directory.
    pub fn new() -> Self {
        Self::default()
    }

    /// Relative paths resolve against `base`, so that a caller can compile
    /// `tests/cases/x.fdi` from a checkout without changing the process's working directory,
    /// and diagnostics still show the short path.
    pub fn in_folder(base: impl Into<PathBuf>) -> Self {
        DiskFiles {
            base: Some(base.into()),
        }
    }

    fn resolve(&self, path: &Path) -> PathBuf {
        match &self.base {
            Some(base) => base.join(path),
            None => path.to_path_buf(),
        }
    }
}

impl FileLoader for DiskFiles {
    fn read(&self, path: &Path) -> io::Result<Vec<u8>> {
        std::fs::read(self.resolve(path))
    }

    fn open(&self, path: &Path) -> io::Result<Box<dyn io::Read + '_>> {
        Ok(Box::new(std::fs::File::open(self.resolve(path))?))
    }

    /// The canonical path when the file exists, so that symbolic links and `..` through them
    /// name one file once.
    fn identity(&self, path: &Path) -> PathBuf {
        self.resolve(path)
            .canonicalize()
            .unwrap_or_else(|_| normalize(path))
    }
}

/// Files held in memory, by path: a compilation that touches no disk.
#[derive(Debug, Clone, Default)]
pub struct MemoryFiles {
    files: BTreeMap<PathBuf, Vec<u8>>,
}

impl MemoryFiles {
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds (or replaces) the file at `path`; the path is normalized as the stages normalize
    /// the paths they ask for.
    pub fn insert(&mut self, path: impl AsRef<Path>, bytes: impl Into<Vec<u8>>) -> &mut Self {
        self.files.insert(normalize(path.as_ref()), bytes.into());
        self
    }

    /// Builder form of [`MemoryFiles::insert`].
    #[must_use]
    pub fn with(mut self, path: impl AsRef<Path>, bytes: impl Into<Vec<u8>>) -> Self {
        self.insert(path, bytes);
        self
    }
}

impl MemoryFiles {
    fn bytes(&self, path: &Path) -> io::Result<&[u8]> {
        self.files
            .get(&normalize(path))
            .map(Vec::as_slice)
            .ok_or_else(|| {
                io::Error::new(
                    io::ErrorKind::NotFound,
                    format!("no file {} in memory", path.display()),
                )
            })
    }
}

impl FileLoader for MemoryFiles {
    fn read(&self, path: &Path) -> io::Result<Vec<u8>> {
        self.bytes(path).map(<[u8]>::to_vec)
    }

    fn open(&self, path: &Path) -> io::Result<Box<dyn io::Read + '_>> {
        Ok(Box::new(self.bytes(path)?))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn memory_files_are_found_by_normalized_path() {
        let files = MemoryFiles::new().with("plant/./schemas/p.yaml", "entities: {}");
        assert_eq!(
            files
                .read(Path::new("plant/line/../schemas/p.yaml"))
                .unwrap(),
            b"entities: {}"
        );
        let missing = files.read(Path::new("plant/p.yaml")).unwrap_err();
        assert_eq!(missing.kind(), io::ErrorKind::NotFound);
        let mut opened = String::new();
        io::Read::read_to_string(
            &mut files.open(Path::new("plant/schemas/p.yaml")).unwrap(),
            &mut opened,
        )
        .unwrap();
        assert_eq!(opened, "entities: {}");
        assert!(files.open(Path::new("plant/p.yaml")).is_err());
        assert_eq!(
            files.identity(Path::new("a/./b/../c.fdi")),
            PathBuf::from("a/c.fdi")
        );
    }

    #[test]
    fn disk_files_resolve_relative_paths_against_their_folder() {
        let dir = tempfile::tempdir().expect("a temporary folder");
        std::fs::create_dir(dir.path().join("common")).expect("create a folder");
        std::fs::write(dir.path().join("common/units.fdi"), "module units").expect("write");
        let files = DiskFiles::in_folder(dir.path());
        assert_eq!(
            files.read(Path::new("common/units.fdi")).unwrap(),
            b"module units"
        );
        assert_eq!(
            files.identity(Path::new("common/../common/units.fdi")),
            dir.path()
                .join("common/units.fdi")
                .canonicalize()
                .expect("the file exists")
        );
        let missing = files.read(Path::new("units.fdi")).unwrap_err();
        assert_eq!(missing.kind(), io::ErrorKind::NotFound);
        let mut start = [0u8; 6];
        io::Read::read_exact(
            &mut files.open(Path::new("common/units.fdi")).unwrap(),
            &mut start,
        )
        .unwrap();
        assert_eq!(&start, b"module");
        let missing = files.open(Path::new("units.fdi")).err().unwrap();
        assert_eq!(missing.kind(), io::ErrorKind::NotFound);
    }
}
