//! A small stable-Rust mutation fuzzer and replayer for the waf-fuzz targets.
//!
//! `fuzz TARGET [--seconds N] [--seed S]` mutates seeds (byte flips, inserts of interesting
//! tokens, splices) for N seconds; a panic is caught, the input written to
//! `fuzz/artifacts/TARGET/crash-<hash>` and the process exits 1.
//! `fuzz TARGET --replay DIR` runs every file of DIR once.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

const TOKENS: &[&[u8]] = &[
    b"%",
    b"%25",
    b"%u00",
    b"&#x",
    b"\\u",
    b"\\x",
    b"'",
    b"\"",
    b"<",
    b">",
    b"{",
    b"}",
    b"[",
    b"]",
    b"../",
    b"\x00",
    b"\r\n",
    b"--XyZ",
    b"=",
    b"&",
    b"- id: ",
    b": ",
    b"re:",
    b"(?",
    b"\xff",
    b"\xe2\x80\xae",
    b"PHNj",
];

struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

fn mutate(rng: &mut Rng, pool: &[Vec<u8>]) -> Vec<u8> {
    let mut d = pool[rng.below(pool.len())].clone();
    for _ in 0..1 + rng.below(8) {
        match rng.below(5) {
            0 if !d.is_empty() => {
                let i = rng.below(d.len());
                d[i] ^= 1 << rng.below(8);
            }
            1 => {
                let t = TOKENS[rng.below(TOKENS.len())];
                let i = rng.below(d.len() + 1);
                d.splice(i..i, t.iter().copied());
            }
            2 if !d.is_empty() => {
                let i = rng.below(d.len());
                let n = rng.below(d.len() - i + 1);
                d.drain(i..i + n);
            }
            3 => {
                let other = &pool[rng.below(pool.len())];
                let i = rng.below(d.len() + 1);
                let j = rng.below(other.len() + 1);
                d.splice(i..i, other[..j].iter().copied());
            }
            _ if !d.is_empty() => {
                let i = rng.below(d.len());
                let b = d[i];
                let n = rng.below(64);
                d.splice(i..i, std::iter::repeat_n(b, n));
            }
            _ => d.push(rng.next() as u8),
        }
    }
    d.truncate(64 * 1024);
    d
}

fn files(dir: &Path) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(dir)
        .map(|rd| {
            rd.filter_map(Result::ok)
                .map(|e| e.path())
                .filter(|p| p.is_file())
                .collect()
        })
        .unwrap_or_default();
    v.sort();
    v
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let Some(target) = args.first().cloned() else {
        eprintln!(
            "usage: fuzz TARGET [--seconds N] [--seed S] | fuzz TARGET --replay DIR\ntargets: {:?}",
            waf_fuzz::TARGETS
        );
        std::process::exit(2);
    };
    if !waf_fuzz::TARGETS.contains(&target.as_str()) {
        eprintln!("unknown target {target}; targets: {:?}", waf_fuzz::TARGETS);
        std::process::exit(2);
    }
    let opt = |name: &str| {
        args.iter()
            .position(|a| a == name)
            .and_then(|i| args.get(i + 1))
            .cloned()
    };
    if let Some(dir) = opt("--replay") {
        let fs = files(Path::new(&dir));
        for f in &fs {
            let data = std::fs::read(f).unwrap_or_default();
            waf_fuzz::run(&target, &data);
        }
        println!("replayed {} inputs: no crash", fs.len());
        return;
    }
    let secs: u64 = opt("--seconds").and_then(|s| s.parse().ok()).unwrap_or(30);
    let mut rng = Rng(opt("--seed")
        .and_then(|s| s.parse().ok())
        .unwrap_or(0x9e37_79b9_7f4a_7c15)
        | 1);
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut pool = waf_fuzz::seeds(&target);
    for f in files(&root.join("regressions").join(&target)) {
        pool.push(std::fs::read(f).unwrap_or_default());
    }
    let deadline = Instant::now() + Duration::from_secs(secs);
    let mut n: u64 = 0;
    std::panic::set_hook(Box::new(|_| {}));
    while Instant::now() < deadline {
        let input = mutate(&mut rng, &pool);
        let t = target.clone();
        let data = input.clone();
        if std::panic::catch_unwind(move || waf_fuzz::run(&t, &data)).is_err() {
            let dir = root.join("artifacts").join(&target);
            let _ = std::fs::create_dir_all(&dir);
            let name = format!(
                "crash-{:016x}",
                input
                    .iter()
                    .fold(0xcbf2_9ce4_8422_2325u64, |h, b| (h ^ u64::from(*b))
                        .wrapping_mul(0x100_0000_01b3))
            );
            let _ = std::fs::write(dir.join(&name), &input);
            eprintln!("crash after {n} runs: {}", dir.join(name).display());
            std::process::exit(1);
        }
        if n.is_multiple_of(64) && pool.len() < 4096 {
            pool.push(input);
        }
        n += 1;
    }
    println!("{target}: {n} runs in {secs} s, no crash");
}
