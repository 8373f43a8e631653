//! The slider captcha: a background picture with a piece-shaped gap and the piece itself, both
//! drawn here and sent as PNG; the client slides the piece into the gap.
//!
//! 1. [`Captchas::issue`] draws a random background, cuts the piece at a random spot and keeps
//!    `(gap x, client IP, expiry)` under a random id (bounded table, [`MAX_PENDING`] in all,
//!    [`MAX_PER_IP`] per client).
//! 2. The client answers with the drop position as a ratio of the track, the pointer trail and
//!    the drag's duration. [`Captchas::verify`] takes the id out of the table (one attempt per
//!    captcha), then checks IP, expiry, position within [`TOLERANCE_PX`] and that the trail looks
//!    like a hand: it takes time, it is not one constant speed, it ends where the piece was dropped.
//! 3. A solved captcha earns the challenge's clearance cookie ([`crate::challenge`]), which lets
//!    the client pass challenge and captcha verdicts.

use std::collections::{HashMap, VecDeque};
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use base64::Engine;
use rand::Rng;
use waf_core::control::{CaptchaAnswer, CaptchaIssued, TrailPoint};

/// Path the captcha page posts its answer to (waf-proxy answers it itself).
pub const CAPTCHA_PATH: &str = "/.well-known/waf-captcha";
/// Background width in pixels.
pub const WIDTH: u32 = 300;
/// Background height in pixels.
pub const HEIGHT: u32 = 150;
/// Width and height of the piece's box in pixels.
pub const PIECE: u32 = 48;
/// How far from the gap a drop still counts, in pixels.
pub const TOLERANCE_PX: f64 = 6.0;
/// Captchas waiting for an answer, in all.
pub const MAX_PENDING: usize = 10_000;
/// Captchas waiting for an answer, per client IP.
pub const MAX_PER_IP: usize = 8;
/// How long a captcha can be answered.
const TTL: Duration = Duration::from_secs(120);
/// A drag quicker than this is not a hand's.
const MIN_DURATION_MS: u64 = 200;
/// A drag slower than this is abandoned.
const MAX_DURATION_MS: u64 = 120_000;
/// Fewest trail points of a drag across the track.
const MIN_TRAIL: usize = 8;
/// Most trail points accepted.
pub const MAX_TRAIL: usize = 2_000;
/// Speeds whose spread (standard deviation over mean) is below this are a machine's constant pace.
const MIN_SPEED_SPREAD: f64 = 0.08;

/// Why an answer was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum Refused {
    /// No captcha with this id is waiting (never issued, already answered, or evicted).
    #[error("unknown or already used captcha")]
    Unknown,
    /// The captcha expired.
    #[error("captcha expired")]
    Expired,
    /// The captcha was issued to another client IP.
    #[error("captcha issued to another client")]
    OtherClient,
    /// The piece was dropped away from the gap.
    #[error("the piece is not in the gap")]
    Position,
    /// The drag was quicker or slower than a hand's.
    #[error("drag duration out of range")]
    Duration,
    /// The trail is not a hand's: too few points, out of order, constant speed, or it does not
    /// end where the piece was dropped.
    #[error("the trail does not look human")]
    Trail,
}

struct Pending {
    gap_x: u32,
    ip: IpAddr,
    expires: Instant,
}

#[derive(Default)]
struct Table {
    by_id: HashMap<String, Pending>,
    /// Ids in issue order (so in expiry order): expired ones are dropped from the front.
    order: VecDeque<(Instant, String)>,
    per_ip: HashMap<IpAddr, usize>,
}

impl Table {
    fn forget(&mut self, id: &str) -> Option<Pending> {
        let p = self.by_id.remove(id)?;
        if let Some(n) = self.per_ip.get_mut(&p.ip) {
            *n -= 1;
            if *n == 0 {
                self.per_ip.remove(&p.ip);
            }
        }
        Some(p)
    }

    fn purge(&mut self, now: Instant) {
        while let Some((exp, _)) = self.order.front() {
            if *exp > now {
                break;
            }
            if let Some((_, id)) = self.order.pop_front() {
                self.forget(&id);
            }
        }
    }
}

/// Captchas waiting for an answer. Cheap to share: one mutex, held for table updates only
/// (drawing happens outside it).
#[derive(Default)]
pub struct Captchas {
    table: Mutex<Table>,
}

fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

impl Captchas {
    /// A new captcha for `ip`, or `None` when too many are waiting (in all or for this IP).
    pub fn issue(&self, ip: IpAddr) -> Option<CaptchaIssued> {
        let now = Instant::now();
        {
            let mut t = self.table.lock().ok()?;
            t.purge(now);
            if t.by_id.len() >= MAX_PENDING || t.per_ip.get(&ip).copied().unwrap_or(0) >= MAX_PER_IP
            {
                return None;
            }
        }
        let mut rng = rand::rng();
        let gap_x = rng.random_range(PIECE + 10..=WIDTH - PIECE - 4);
        let gap_y = rng.random_range(4..=HEIGHT - PIECE - 4);
        let (background, piece) = draw(&mut rng, gap_x, gap_y);
        let id = hex::encode(rng.random::<[u8; 16]>());
        let expires = now + TTL;
        let mut t = self.table.lock().ok()?;
        if t.by_id.len() >= MAX_PENDING || t.per_ip.get(&ip).copied().unwrap_or(0) >= MAX_PER_IP {
            return None;
        }
        t.by_id.insert(id.clone(), Pending { gap_x, ip, expires });
        t.order.push_back((expires, id.clone()));
        *t.per_ip.entry(ip).or_default() += 1;
        drop(t);
        Some(CaptchaIssued {
            challenge_id: id,
            background: data_uri(&background),
            piece: data_uri(&piece),
            width: WIDTH,
            height: HEIGHT,
            piece_size: PIECE,
            piece_y: gap_y,
            expires_at: unix_now() + TTL.as_secs(),
        })
    }

    /// Checks `answer` from `ip`. The captcha is used up whatever the outcome.
    pub fn verify(&self, ip: IpAddr, answer: &CaptchaAnswer) -> Result<(), Refused> {
        let p = {
            let mut t = self.table.lock().map_err(|_| Refused::Unknown)?;
            t.purge(Instant::now());
            t.forget(&answer.challenge_id).ok_or(Refused::Unknown)?
        };
        if p.expires <= Instant::now() {
            return Err(Refused::Expired);
        }
        if p.ip != ip {
            return Err(Refused::OtherClient);
        }
        let track = f64::from(WIDTH - PIECE);
        if !answer.user_ratio.is_finite() || !(0.0..=1.0).contains(&answer.user_ratio) {
            return Err(Refused::Position);
        }
        let dropped = answer.user_ratio * track;
        if (dropped - f64::from(p.gap_x)).abs() > TOLERANCE_PX {
            return Err(Refused::Position);
        }
        human(&answer.trail, answer.duration_ms, dropped)
    }

    /// Captchas waiting for an answer.
    #[cfg(test)]
    pub fn pending(&self) -> usize {
        self.table.lock().map_or(0, |t| t.by_id.len())
    }
}

/// Whether a drag ending at `dropped` pixels looks like a hand's.
pub fn human(trail: &[TrailPoint], duration_ms: u64, dropped: f64) -> Result<(), Refused> {
    if !(MIN_DURATION_MS..=MAX_DURATION_MS).contains(&duration_ms) {
        return Err(Refused::Duration);
    }
    if trail.len() < MIN_TRAIL || trail.len() > MAX_TRAIL {
        return Err(Refused::Trail);
    }
    let finite = trail
        .iter()
        .all(|p| p.x.is_finite() && p.y.is_finite() && p.t.is_finite());
    let ordered = trail.windows(2).all(|w| w[1].t >= w[0].t);
    let (first, last) = (trail[0], trail[trail.len() - 1]);
    let span = last.t - first.t;
    // The trail covers the drag: it spans most of the reported duration, not more.
    let covers = span >= MIN_DURATION_MS as f64 * 0.75 && span <= duration_ms as f64 + 50.0;
    let ends_at_drop = (last.x - dropped).abs() <= TOLERANCE_PX * 2.0;
    let in_track = trail
        .iter()
        .all(|p| p.x >= -TOLERANCE_PX && p.x <= f64::from(WIDTH) && p.y.abs() <= f64::from(HEIGHT));
    if !(finite && ordered && covers && ends_at_drop && in_track) {
        return Err(Refused::Trail);
    }
    // Speeds between points a moment apart: a hand speeds up and slows down.
    let speeds: Vec<f64> = trail
        .windows(2)
        .filter(|w| w[1].t - w[0].t >= 1.0)
        .map(|w| (w[1].x - w[0].x).abs() / (w[1].t - w[0].t))
        .collect();
    if speeds.len() < MIN_TRAIL / 2 {
        return Err(Refused::Trail);
    }
    let n = speeds.len() as f64;
    let mean = speeds.iter().sum::<f64>() / n;
    let sd = (speeds.iter().map(|s| (s - mean).powi(2)).sum::<f64>() / n).sqrt();
    if mean <= 0.0 || sd / mean < MIN_SPEED_SPREAD {
        return Err(Refused::Trail);
    }
    Ok(())
}

fn data_uri(png: &[u8]) -> String {
    format!(
        "data:image/png;base64,{}",
        base64::engine::general_purpose::STANDARD.encode(png)
    )
}

/// Whether `(x, y)` of the piece's box is inside the piece: a square with a round tab on its top
/// and on its right side.
fn in_piece(x: u32, y: u32) -> bool {
    let (x, y) = (f64::from(x) + 0.5, f64::from(y) + 0.5);
    let r = 8.0;
    let sq = (0.0..40.0).contains(&x) && (8.0..48.0).contains(&y);
    let top = (x - 20.0).powi(2) + (y - 8.0).powi(2) <= r * r;
    let right = (x - 40.0).powi(2) + (y - 28.0).powi(2) <= r * r;
    sq || top || right
}

/// Whether `(x, y)` of the piece's box is on the piece's outline.
fn on_edge(x: u32, y: u32) -> bool {
    in_piece(x, y)
        && (x == 0
            || y == 0
            || x + 1 == PIECE
            || y + 1 == PIECE
            || !in_piece(x - 1, y)
            || !in_piece(x + 1, y)
            || !in_piece(x, y - 1)
            || !in_piece(x, y + 1))
}

/// Draws the background (with the gap at `gap_x`, `gap_y`) and the piece; returns both as PNG.
fn draw(rng: &mut impl Rng, gap_x: u32, gap_y: u32) -> (Vec<u8>, Vec<u8>) {
    let (w, h) = (WIDTH as usize, HEIGHT as usize);
    let mut px = vec![0u8; w * h * 4];
    let c0: [f64; 3] = [0, 1, 2].map(|_| f64::from(rng.random_range(40u8..200)));
    let c1: [f64; 3] = [0, 1, 2].map(|_| f64::from(rng.random_range(40u8..200)));
    // A diagonal gradient, then discs of random colours, then grain: no flat area to find the
    // gap in by its colour alone.
    for y in 0..h {
        for x in 0..w {
            let f = (x as f64 / w as f64 + y as f64 / h as f64) / 2.0;
            let i = (y * w + x) * 4;
            for c in 0..3 {
                px[i + c] = (c0[c] * (1.0 - f) + c1[c] * f) as u8;
            }
            px[i + 3] = 255;
        }
    }
    for _ in 0..14 {
        let (cx, cy) = (rng.random_range(0..w) as f64, rng.random_range(0..h) as f64);
        let r = rng.random_range(8.0..40.0f64);
        let col: [f64; 3] = [0, 1, 2].map(|_| f64::from(rng.random_range(0u8..=255)));
        let (x0, x1) = ((cx - r).max(0.0) as usize, ((cx + r) as usize).min(w - 1));
        let (y0, y1) = ((cy - r).max(0.0) as usize, ((cy + r) as usize).min(h - 1));
        for y in y0..=y1 {
            for x in x0..=x1 {
                if (x as f64 - cx).powi(2) + (y as f64 - cy).powi(2) <= r * r {
                    let i = (y * w + x) * 4;
                    for c in 0..3 {
                        px[i + c] = ((f64::from(px[i + c]) + col[c]) / 2.0) as u8;
                    }
                }
            }
        }
    }
    for v in px.chunks_exact_mut(4) {
        let g: i16 = rng.random_range(-10..=10);
        for c in v.iter_mut().take(3) {
            *c = (i16::from(*c) + g).clamp(0, 255) as u8;
        }
    }
    // The piece: the background's pixels under the shape, with a light outline.
    let p = PIECE as usize;
    let mut piece = vec![0u8; p * p * 4];
    for y in 0..PIECE {
        for x in 0..PIECE {
            if !in_piece(x, y) {
                continue;
            }
            let src = ((gap_y + y) as usize * w + (gap_x + x) as usize) * 4;
            let dst = (y as usize * p + x as usize) * 4;
            if on_edge(x, y) {
                piece[dst..dst + 4].copy_from_slice(&[250, 250, 250, 255]);
            } else {
                piece[dst..dst + 4].copy_from_slice(&px[src..src + 4]);
            }
        }
    }
    // The gap: darkened, with a light outline.
    for y in 0..PIECE {
        for x in 0..PIECE {
            if !in_piece(x, y) {
                continue;
            }
            let i = ((gap_y + y) as usize * w + (gap_x + x) as usize) * 4;
            if on_edge(x, y) {
                px[i..i + 3].copy_from_slice(&[235, 235, 235]);
            } else {
                for c in 0..3 {
                    px[i + c] = (f64::from(px[i + c]) * 0.4) as u8;
                }
            }
        }
    }
    (encode(&px, WIDTH, HEIGHT), encode(&piece, PIECE, PIECE))
}

/// RGBA pixels as PNG; empty when encoding fails (it does not for in-memory buffers).
fn encode(rgba: &[u8], w: u32, h: u32) -> Vec<u8> {
    let mut out = Vec::new();
    let mut enc = png::Encoder::new(&mut out, w, h);
    enc.set_color(png::ColorType::Rgba);
    enc.set_depth(png::BitDepth::Eight);
    let ok = enc
        .write_header()
        .and_then(|mut wr| wr.write_image_data(rgba).and_then(|()| wr.finish()));
    if ok.is_err() {
        return Vec::new();
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A hand-like drag to `to` pixels: eases in and out, with jitter in time and height.
    pub(crate) fn hand(to: f64) -> (Vec<TrailPoint>, u64) {
        let mut rng = rand::rng();
        let mut t = 0.0;
        let mut trail = Vec::new();
        for i in 0..=30 {
            let f = f64::from(i) / 30.0;
            let ease = 0.5 - (std::f64::consts::PI * f).cos() / 2.0;
            trail.push(TrailPoint {
                x: to * ease,
                y: rng.random_range(-2.0..2.0),
                t,
            });
            t += rng.random_range(12.0..24.0);
        }
        (trail, t as u64 + 10)
    }

    fn gap_of(c: &Captchas, id: &str) -> u32 {
        c.table.lock().expect("lock").by_id[id].gap_x
    }

    #[test]
    fn images_are_png_of_the_stated_sizes() {
        let c = Captchas::default();
        let ip: IpAddr = "10.0.0.1".parse().expect("ip");
        let i = c.issue(ip).expect("issued");
        for (uri, w, h) in [(&i.background, WIDTH, HEIGHT), (&i.piece, PIECE, PIECE)] {
            let b64 = uri
                .strip_prefix("data:image/png;base64,")
                .expect("data uri");
            let bytes = base64::engine::general_purpose::STANDARD
                .decode(b64)
                .expect("base64");
            let dec = png::Decoder::new(std::io::Cursor::new(bytes));
            let r = dec.read_info().expect("png");
            assert_eq!((r.info().width, r.info().height), (w, h));
        }
        assert!(i.piece_y + PIECE <= HEIGHT);
    }

    #[test]
    fn a_hand_drag_to_the_gap_passes_once() {
        let c = Captchas::default();
        let ip: IpAddr = "10.0.0.1".parse().expect("ip");
        let i = c.issue(ip).expect("issued");
        let gap = f64::from(gap_of(&c, &i.challenge_id));
        let (trail, duration_ms) = hand(gap + 2.0);
        let a = CaptchaAnswer {
            challenge_id: i.challenge_id,
            user_ratio: (gap + 2.0) / f64::from(WIDTH - PIECE),
            trail,
            duration_ms,
        };
        assert_eq!(c.verify(ip, &a), Ok(()));
        assert_eq!(c.verify(ip, &a), Err(Refused::Unknown), "single use");
    }

    #[test]
    fn machines_and_misses_are_refused() {
        let c = Captchas::default();
        let ip: IpAddr = "10.0.0.1".parse().expect("ip");
        let track = f64::from(WIDTH - PIECE);
        let answer = |c: &Captchas, f: &dyn Fn(f64) -> (f64, Vec<TrailPoint>, u64)| {
            let i = c.issue(ip).expect("issued");
            let gap = f64::from(gap_of(c, &i.challenge_id));
            let (to, trail, duration_ms) = f(gap);
            CaptchaAnswer {
                challenge_id: i.challenge_id,
                user_ratio: to / track,
                trail,
                duration_ms,
            }
        };
        // Off the gap.
        let a = answer(&c, &|g| {
            let (t, d) = hand(g + 15.0);
            (g + 15.0, t, d)
        });
        assert_eq!(c.verify(ip, &a), Err(Refused::Position));
        // A straight line at constant speed.
        let a = answer(&c, &|g| {
            let t = (0..=30)
                .map(|i| TrailPoint {
                    x: g * f64::from(i) / 30.0,
                    y: 0.0,
                    t: f64::from(i) * 16.0,
                })
                .collect();
            (g, t, 490)
        });
        assert_eq!(c.verify(ip, &a), Err(Refused::Trail));
        // Instant.
        let a = answer(&c, &|g| {
            let (t, _) = hand(g);
            (g, t, 20)
        });
        assert_eq!(c.verify(ip, &a), Err(Refused::Duration));
        // A jump: two points.
        let a = answer(&c, &|g| {
            let t = vec![
                TrailPoint {
                    x: 0.0,
                    y: 0.0,
                    t: 0.0,
                },
                TrailPoint {
                    x: g,
                    y: 0.0,
                    t: 400.0,
                },
            ];
            (g, t, 400)
        });
        assert_eq!(c.verify(ip, &a), Err(Refused::Trail));
        // A trail that ends elsewhere than the drop.
        let a = answer(&c, &|g| {
            let (t, d) = hand(g + 40.0);
            (g, t, d)
        });
        assert_eq!(c.verify(ip, &a), Err(Refused::Trail));
        // Another client.
        let a = answer(&c, &|g| {
            let (t, d) = hand(g);
            (g, t, d)
        });
        let other: IpAddr = "10.0.0.2".parse().expect("ip");
        assert_eq!(c.verify(other, &a), Err(Refused::OtherClient));
        assert_eq!(
            c.verify(ip, &a),
            Err(Refused::Unknown),
            "used by the failed try"
        );
    }

    #[test]
    fn the_table_is_bounded_per_client() {
        let c = Captchas::default();
        let ip: IpAddr = "10.0.0.9".parse().expect("ip");
        for _ in 0..MAX_PER_IP {
            assert!(c.issue(ip).is_some());
        }
        assert!(c.issue(ip).is_none());
        assert!(c.issue("10.0.0.10".parse().expect("ip")).is_some());
        assert_eq!(c.pending(), MAX_PER_IP + 1);
    }
}
