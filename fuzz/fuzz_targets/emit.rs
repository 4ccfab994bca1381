//! `cargo fuzz run emit`: see `fdi_fuzz::emit`.
#![no_main]

libfuzzer_sys::fuzz_target!(|input: &[u8]| {
    let _ = fdi_fuzz::emit(input);
});
