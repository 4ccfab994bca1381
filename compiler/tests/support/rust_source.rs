//! Rust source read as tokens, for the architecture tests' scans: proc-macro2's lexer drops
//! comments and keeps string literals whole, so a path written inside generated code's text or
//! a comment is never taken for one the file uses. Items under `#[cfg(test)]` are left out:
//! the invariants are about what the code does, not about how its tests set up.

use std::path::{Path, PathBuf};
use std::str::FromStr;

use proc_macro2::{Delimiter, Spacing, TokenStream, TokenTree};

/// What one file's non-test code names.
#[derive(Debug, Default)]
pub struct Names {
    /// Every path, `use` groups expanded: `std::fs::read`, `std::process::Command`.
    pub paths: Vec<String>,
    /// Every method called with `.name(...)`.
    pub methods: Vec<String>,
    /// Every identifier.
    pub idents: Vec<String>,
    /// Every macro invoked: `println` for `println!(...)`.
    pub macros: Vec<String>,
    /// Modules declared `#[cfg(test)] mod name;`, whose files are test code.
    pub test_modules: Vec<String>,
    /// Files of test modules declared with `#[cfg(test)] #[path = "file.rs"] mod name;`,
    /// relative to the declaring file's folder.
    pub test_module_files: Vec<String>,
}

impl Names {
    /// The paths that start with `prefix` (written with or without a leading `::`).
    pub fn paths_starting_with<'a>(&'a self, prefix: &'a str) -> impl Iterator<Item = &'a str> {
        self.paths.iter().map(String::as_str).filter(move |p| {
            let p = p.trim_start_matches("::");
            p == prefix || p.starts_with(&format!("{prefix}::"))
        })
    }
}

/// Reads `text` as Rust; panics (naming `path`) if it does not lex.
pub fn names(path: &Path, text: &str) -> Names {
    let stream = TokenStream::from_str(text)
        .unwrap_or_else(|e| panic!("{} does not lex as Rust: {e:?}", path.display()));
    let mut names = Names::default();
    collect(stream, &mut names);
    names
}

fn collect(stream: TokenStream, names: &mut Names) {
    let tokens: Vec<TokenTree> = stream.into_iter().collect();
    let mut i = 0;
    while i < tokens.len() {
        match &tokens[i] {
            TokenTree::Punct(p) if p.as_char() == '#' => {
                let inner =
                    matches!(tokens.get(i + 1), Some(TokenTree::Punct(p)) if p.as_char() == '!');
                let at = if inner { i + 2 } else { i + 1 };
                let Some(TokenTree::Group(attribute)) = tokens.get(at) else {
                    i += 1;
                    continue;
                };
                let is_cfg_test = attribute.stream().to_string().replace(' ', "") == "cfg(test)";
                i = at + 1;
                if is_cfg_test && !inner {
                    i = skip_item(&tokens, i, names);
                }
            }
            TokenTree::Punct(p) if p.as_char() == '.' => {
                if let (Some(TokenTree::Ident(method)), Some(TokenTree::Group(args))) =
                    (tokens.get(i + 1), tokens.get(i + 2))
                {
                    if args.delimiter() == Delimiter::Parenthesis {
                        names.methods.push(method.to_string());
                    }
                }
                i += 1;
            }
            TokenTree::Ident(_) => {
                let (paths, next) = path_at(&tokens, i);
                if let (Some(TokenTree::Punct(bang)), Some(TokenTree::Group(_))) =
                    (tokens.get(next), tokens.get(next + 1))
                {
                    if bang.as_char() == '!' {
                        names.macros.extend(paths.last().cloned());
                    }
                }
                for t in &tokens[i..next] {
                    if let TokenTree::Ident(ident) = t {
                        names.idents.push(ident.to_string());
                    }
                }
                names.paths.extend(paths);
                i = next;
            }
            TokenTree::Group(group) => {
                collect(group.stream(), names);
                i += 1;
            }
            _ => i += 1,
        }
    }
}

/// Skips the item after a `#[cfg(test)]` (its other attributes, then up to its body or `;`),
/// noting `mod name;` and its `#[path = "..."]`.
fn skip_item(tokens: &[TokenTree], mut i: usize, names: &mut Names) -> usize {
    let mut path_attribute = None;
    while i < tokens.len() {
        match &tokens[i] {
            TokenTree::Group(g) if g.delimiter() == Delimiter::Brace => return i + 1,
            TokenTree::Group(g) if g.delimiter() == Delimiter::Bracket => {
                let attribute: Vec<TokenTree> = g.stream().into_iter().collect();
                if let [TokenTree::Ident(key), TokenTree::Punct(_), TokenTree::Literal(file)] =
                    attribute.as_slice()
                {
                    if key == "path" {
                        path_attribute = Some(file.to_string().trim_matches('"').to_string());
                    }
                }
                i += 1;
            }
            TokenTree::Punct(p) if p.as_char() == ';' => {
                if let [TokenTree::Ident(keyword), TokenTree::Ident(name)] = &tokens[i - 2..i] {
                    if keyword == "mod" {
                        match path_attribute {
                            Some(file) => names.test_module_files.push(file),
                            None => names.test_modules.push(name.to_string()),
                        }
                    }
                }
                return i + 1;
            }
            _ => i += 1,
        }
    }
    i
}

/// The path starting at the identifier `tokens[start]` (`a::b::c`, or every path of a use
/// group `a::{b, c::d}`), and the index after it.
fn path_at(tokens: &[TokenTree], start: usize) -> (Vec<String>, usize) {
    let mut prefix = tokens[start].to_string();
    let mut i = start + 1;
    while is_path_separator(tokens, i) {
        match tokens.get(i + 2) {
            Some(TokenTree::Ident(next)) => {
                prefix = format!("{prefix}::{next}");
                i += 3;
            }
            Some(TokenTree::Group(group)) if group.delimiter() == Delimiter::Brace => {
                let inner = use_group_paths(group.stream());
                return (
                    inner
                        .into_iter()
                        .map(|p| format!("{prefix}::{p}"))
                        .collect(),
                    i + 3,
                );
            }
            _ => break,
        }
    }
    (vec![prefix], i)
}

/// The paths of a use group's content: `b, c::d, e::{f, g}`.
fn use_group_paths(stream: TokenStream) -> Vec<String> {
    let tokens: Vec<TokenTree> = stream.into_iter().collect();
    let mut paths = Vec::new();
    let mut i = 0;
    while i < tokens.len() {
        if let TokenTree::Ident(_) = tokens[i] {
            let (found, next) = path_at(&tokens, i);
            paths.extend(found);
            i = next;
        } else {
            i += 1;
        }
    }
    paths
}

fn is_path_separator(tokens: &[TokenTree], i: usize) -> bool {
    matches!(
        (tokens.get(i), tokens.get(i + 1)),
        (Some(TokenTree::Punct(a)), Some(TokenTree::Punct(b)))
            if a.as_char() == ':' && a.spacing() == Spacing::Joint && b.as_char() == ':'
    )
}

/// Every `.rs` file under `dir`, recursively, sorted.
pub fn rust_files(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    let mut pending = vec![dir.to_path_buf()];
    while let Some(dir) = pending.pop() {
        for entry in
            std::fs::read_dir(&dir).unwrap_or_else(|e| panic!("read {}: {e}", dir.display()))
        {
            let path = entry.expect("a folder entry").path();
            if path.is_dir() {
                pending.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") {
                files.push(path);
            }
        }
    }
    files.sort();
    files
}

/// The files of a crate's `src/` that are not test code: `*.rs` minus the modules that a parent
/// declares under `#[cfg(test)]` (`mod tests;` is `tests.rs` or `tests/`), with what each names.
pub fn non_test_sources(src: &Path) -> Vec<(PathBuf, Names)> {
    let mut scanned: Vec<(PathBuf, Names)> = rust_files(src)
        .into_iter()
        .map(|path| {
            let text = std::fs::read_to_string(&path)
                .unwrap_or_else(|e| panic!("read {}: {e}", path.display()));
            let names = names(&path, &text);
            (path, names)
        })
        .collect();
    let mut test_folders: Vec<PathBuf> = Vec::new();
    for (path, names) in &scanned {
        // A module's children live in its own folder: `a/mod.rs`, `lib.rs`, `main.rs` hold them
        // beside the file, `a.rs` in `a/`.
        let stem = path.file_stem().and_then(|s| s.to_str()).unwrap_or("");
        let parent = path.parent().expect("a file has a folder");
        let children = if ["mod", "lib", "main"].contains(&stem) {
            parent.to_path_buf()
        } else {
            parent.join(stem)
        };
        for module in &names.test_modules {
            test_folders.push(children.join(module));
            test_folders.push(children.join(format!("{module}.rs")));
        }
        for file in &names.test_module_files {
            test_folders.push(parent.join(file));
        }
    }
    scanned.retain(|(path, _)| !test_folders.iter().any(|t| path.starts_with(t)));
    scanned
}
