//! `cargo fuzz run parse`: see `fdi_fuzz::parse`.
#![no_main]

libfuzzer_sys::fuzz_target!(|input: &[u8]| {
    let _ = fdi_fuzz::parse(input);
});
