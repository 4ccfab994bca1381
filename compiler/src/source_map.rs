//! The text of every file the compiler reads, so that a span can name its file.
//!
//! Mapping files and schema files are both registered here; a [`Span`] carries the
//! [`FileId`] of the file it points into, which is how a diagnostic about a YAML schema
//! shows the YAML file and one about a mapping shows the `.fdi` file.
//!
//! A source map is made with the [`FileLoader`] its compilation reads through
//! ([`SourceMap::new`] reads the disk): the stages ask it for a file's bytes
//! ([`SourceMap::read`]) and register the text they use, so that what the build manifest
//! hashes is exactly what was read, wherever it came from.

use std::io;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::loader::{DiskFiles, FileLoader};

/// Index of a file in a [`SourceMap`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct FileId(u32);

/// A byte range in one file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Span {
    pub file: FileId,
    pub start: usize,
    pub end: usize,
}

impl Span {
    pub fn new(file: FileId, start: usize, end: usize) -> Self {
        Span { file, start, end }
    }

    /// The smallest span that covers both (both must be in the same file).
    pub fn to(self, other: Span) -> Span {
        Span::new(
            self.file,
            self.start.min(other.start),
            self.end.max(other.end),
        )
    }

    pub fn len(self) -> usize {
        self.end - self.start
    }

    pub fn is_empty(self) -> bool {
        self.start == self.end
    }
}

impl From<Span> for miette::SourceSpan {
    fn from(span: Span) -> Self {
        (span.start, span.len()).into()
    }
}

/// One file's path (as the user named it, for messages) and text.
#[derive(Debug, Clone)]
pub struct SourceFile {
    pub path: PathBuf,
    pub text: Arc<str>,
    pub kind: FileKind,
}

/// What a file is to the compilation, for the build manifest.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileKind {
    /// A mapping or a module it imports (the first one added is the mapping).
    Mapping,
    Schema,
    /// A master-data file an enum reads its codes `from:`.
    MasterData,
}

impl SourceFile {
    /// The file name as shown in diagnostics: the path with forward slashes, so snapshots agree
    /// across platforms.
    pub fn display_name(&self) -> String {
        self.path.to_string_lossy().replace('\\', "/")
    }
}

/// Every file read during one compilation, and where its files are read from.
#[derive(Debug, Clone)]
pub struct SourceMap {
    files: Vec<SourceFile>,
    loader: Arc<dyn FileLoader>,
}

impl Default for SourceMap {
    fn default() -> Self {
        Self::reading(DiskFiles::new())
    }
}

impl SourceMap {
    /// A source map whose compilation reads the disk, relative paths against the working
    /// directory: what the CLI uses.
    pub fn new() -> Self {
        Self::default()
    }

    /// A source map whose compilation reads its files through `loader`.
    pub fn reading(loader: impl FileLoader + 'static) -> Self {
        SourceMap {
            files: Vec::new(),
            loader: Arc::new(loader),
        }
    }

    /// The bytes of the file at `path`, from this compilation's loader. The caller registers
    /// the text it uses ([`SourceMap::add_as`]).
    pub fn read(&self, path: &Path) -> io::Result<Vec<u8>> {
        self.loader.read(path)
    }

    /// A reader of the file at `path` from its start, from this compilation's loader (see
    /// [`FileLoader::open`]). What is read this way is not registered: it is the data check's
    /// sample of a data file, not an input of the compilation.
    pub fn open(&self, path: &Path) -> io::Result<Box<dyn io::Read + '_>> {
        self.loader.open(path)
    }

    /// The loader's identity of the file at `path` (see [`FileLoader::identity`]).
    pub fn identity(&self, path: &Path) -> PathBuf {
        self.loader.identity(path)
    }

    /// Adds a mapping or module file.
    pub fn add(&mut self, path: impl AsRef<Path>, text: impl Into<Arc<str>>) -> FileId {
        self.add_as(path, text, FileKind::Mapping)
    }

    pub fn add_as(
        &mut self,
        path: impl AsRef<Path>,
        text: impl Into<Arc<str>>,
        kind: FileKind,
    ) -> FileId {
        let id = FileId(self.files.len() as u32);
        self.files.push(SourceFile {
            path: path.as_ref().to_path_buf(),
            text: text.into(),
            kind,
        });
        id
    }

    /// Every file, in the order added.
    pub fn files(&self) -> impl Iterator<Item = &SourceFile> {
        self.files.iter()
    }

    /// Every file with its id, in the order added.
    pub fn files_with_ids(&self) -> impl Iterator<Item = (FileId, &SourceFile)> {
        (0u32..)
            .zip(&self.files)
            .map(|(index, file)| (FileId(index), file))
    }

    pub fn get(&self, id: FileId) -> &SourceFile {
        &self.files[id.0 as usize]
    }
}
