//! The guard around every command that compiles: a panic left anywhere in the compiler becomes
//! one "internal compiler error" diagnostic (E0006) that names the input by its SHA-256 hash and
//! asks for a report, instead of Rust's panic message and a backtrace hint.
//!
//! The panic hook is the process's, so [`guard`] installs one hook once that stays silent for a
//! panic on a thread inside a guard (and keeps its message and place for the diagnostic) and
//! hands any other panic to the hook that was there before: tests that panic on purpose still
//! print as usual. A stack overflow is not a panic (the process aborts); the parser's depth
//! limits (`syntax::MAX_BRACKET_DEPTH`, `MAX_EXPR_DEPTH`) keep input from causing one.

use std::cell::{Cell, RefCell};
use std::panic::{self, AssertUnwindSafe};
use std::path::PathBuf;
use std::sync::Once;

use crate::diagnostic::{Code, Diagnostic};

/// What a caught panic said, and where in the compiler's source it was raised.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Panic {
    pub message: String,
    /// `file:line:column` of the `panic!` (or the failed `unwrap`), when Rust knows it.
    pub location: Option<String>,
}

thread_local! {
    /// How many guards the current thread is inside (a guard may run inside another).
    static GUARDS: Cell<usize> = const { Cell::new(0) };
    /// The last panic raised inside a guard on this thread, kept by the hook.
    static CAUGHT: RefCell<Option<Panic>> = const { RefCell::new(None) };
}

fn install_hook() {
    static INSTALL: Once = Once::new();
    INSTALL.call_once(|| {
        let previous = panic::take_hook();
        panic::set_hook(Box::new(move |info| {
            if GUARDS.with(Cell::get) == 0 {
                return previous(info);
            }
            let payload = info.payload();
            let message = payload
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| payload.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "a panic without a message".to_string());
            let location = info
                .location()
                .map(|l| format!("{}:{}:{}", l.file(), l.line(), l.column()));
            CAUGHT.with(|c| *c.borrow_mut() = Some(Panic { message, location }));
        }));
    });
}

/// Runs `work`, catching a panic in it (on this thread) without printing anything.
pub fn catch_panic<T>(work: impl FnOnce() -> T) -> Result<T, Panic> {
    install_hook();
    GUARDS.with(|g| g.set(g.get() + 1));
    let result = panic::catch_unwind(AssertUnwindSafe(work));
    GUARDS.with(|g| g.set(g.get() - 1));
    result.map_err(|_| {
        CAUGHT
            .with(|c| c.borrow_mut().take())
            .unwrap_or_else(|| Panic {
                message: "a panic the guard's hook did not see".to_string(),
                location: None,
            })
    })
}

/// The SHA-256 of a mapping's text, in lowercase hex: what names the input in a report.
pub fn input_hash(text: &[u8]) -> String {
    crate::manifest::sha256_hex(text)
}

/// The E0006 diagnostic for `panic`, naming each input by path and hash (`None`: it could not
/// be read).
pub fn internal_compiler_error(panic: &Panic, inputs: &[(PathBuf, Option<Vec<u8>>)]) -> Diagnostic {
    let named: Vec<String> = inputs
        .iter()
        .map(|(path, text)| match text {
            Some(text) => format!("{} (sha256 {})", path.display(), input_hash(text)),
            None => format!("{} (unreadable)", path.display()),
        })
        .collect();
    let input = if named.is_empty() {
        "no mapping file".to_string()
    } else {
        named.join(", ")
    };
    let place = panic
        .location
        .as_deref()
        .map(|l| format!(" at {l}"))
        .unwrap_or_default();
    Diagnostic::error(
        Code::InternalError,
        format!(
            "internal compiler error: the compiler panicked{place}: {}",
            panic.message
        ),
    )
    .help(format!(
        "this is a bug in fdi, not in the mapping; please report it with this message, `fdi --version`, and the mapping file, its modules and schemas. Input: {input}"
    ))
}

/// Runs `work`, a command that compiles; a panic in it becomes [`internal_compiler_error`],
/// naming the inputs `inputs` gives (read only then, by the caller: this module reads no file).
pub fn guard<T>(
    work: impl FnOnce() -> T,
    inputs: impl FnOnce() -> Vec<(PathBuf, Option<Vec<u8>>)>,
) -> Result<T, Diagnostic> {
    catch_panic(work).map_err(|panic| internal_compiler_error(&panic, &inputs()))
}
