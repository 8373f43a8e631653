//! Every input in fuzz/regressions/TARGET/ (crashes found by fuzzing, plus seeds) replayed as an
//! ordinary test, and a short deterministic fuzz run per target.

use std::path::Path;

#[test]
fn regressions_and_seeds_do_not_panic() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("regressions");
    let mut n = 0;
    for target in waf_fuzz::TARGETS {
        for seed in waf_fuzz::seeds(target) {
            assert!(waf_fuzz::run(target, &seed));
            n += 1;
        }
        if let Ok(rd) = std::fs::read_dir(root.join(target)) {
            for e in rd.filter_map(Result::ok) {
                if let Ok(data) = std::fs::read(e.path()) {
                    assert!(waf_fuzz::run(target, &data), "{}", e.path().display());
                    n += 1;
                }
            }
        }
    }
    assert!(n >= 10);
}
