use std::path::Path;

/// A hash of the compiler's sources: part of `version()`, so a changed compiler never reuses
/// modules another build compiled into the on-disk cache.
fn hash_dir(dir: &Path, h: &mut u64) {
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| e.path())
        .collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            hash_dir(&p, h);
        } else if p.extension().is_some_and(|e| e == "rs") {
            for b in std::fs::read(&p).unwrap_or_default() {
                *h = (*h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3);
            }
        }
    }
}

fn main() {
    napi_build::setup();
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    hash_dir(Path::new("crates/compiler/src"), &mut h);
    println!("cargo:rustc-env=FLUXION_COMPILER_HASH={h:016x}");
    println!("cargo:rerun-if-changed=crates/compiler/src");
}
