#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| tiauth_faroe::fuzzing::record(data));
