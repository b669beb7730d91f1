//! The n-gram index: for every trigram (three bytes, ASCII letters folded to lower case, never
//! holding a newline), the ordinals of the stored blobs whose text holds it. Queries narrow
//! their candidate file versions with it ([`GramQuery`]) before reading any text, the way
//! codesearch and zoekt do. It knows nothing of queries' syntax, revisions or paths.
//!
//! File layout (little-endian), written whole and atomically by each index run that adds
//! blobs:
//!
//! ```text
//! "ARCHGRM\0"  u32 version  u32 keys  u32 blocks  u32 universe  u64 postings length
//! u32 crc32 of the block table, then per block: (u32 first row, u32 first key, u32 crc32)
//! rows:      per key, ascending: (u32 key, u32 postings offset, u32 count)
//! postings:  per key: varint deltas of ascending ordinals
//! ```
//!
//! A block's CRC covers its rows and their postings; it is checked before the block's first
//! use, so a damaged file is reported, never silently missing candidates.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use anyhow::{Context, Result};
use rustc_hash::FxHashMap;

use crate::index::blobs::{get_varint, varint};

const MAGIC: &[u8; 8] = b"ARCHGRM\0";
const VERSION: u32 = 1;
const HEADER: usize = 32;
const ROW: usize = 12;
const BLOCK_ROWS: usize = 128;
const BLOCK_BYTES: usize = 32 * 1024;

/// A trigram as a key: three folded bytes, big-endian in the low 24 bits.
pub fn key(a: u8, b: u8, c: u8) -> u32 {
    ((a.to_ascii_lowercase() as u32) << 16)
        | ((b.to_ascii_lowercase() as u32) << 8)
        | c.to_ascii_lowercase() as u32
}

/// Calls `f` with the key of each of `s`'s trigrams (none spanning a newline), in order, with
/// repeats: one rolling pass, no allocation.
#[inline]
pub fn for_each_key(s: &[u8], mut f: impl FnMut(u32)) {
    let mut k = 0u32;
    let mut run = 0usize;
    for &b in s {
        if b == b'\n' {
            run = 0;
            continue;
        }
        k = ((k << 8) | b.to_ascii_lowercase() as u32) & 0xff_ffff;
        run += 1;
        if run >= 3 {
            f(k);
        }
    }
}

/// The keys of `s`'s trigrams (none spanning a newline), in order, with repeats.
pub fn keys_of(s: &[u8]) -> Vec<u32> {
    let mut out = Vec::with_capacity(s.len().saturating_sub(2));
    for_each_key(s, |k| out.push(k));
    out
}

/// Per-thread scratch for extracting a text's distinct trigrams (a 2 MiB bit set, cleared
/// by replaying what was set, so each text costs only its own length).
pub struct Scratch {
    bits: Vec<u64>,
    keys: Vec<u32>,
}

impl Default for Scratch {
    fn default() -> Self {
        Scratch {
            bits: vec![0; (1 << 24) / 64],
            keys: Vec::new(),
        }
    }
}

impl Scratch {
    /// The distinct trigram keys of `text`, ascending.
    pub fn distinct(&mut self, text: &[u8]) -> &[u32] {
        for k in self.keys.drain(..) {
            self.bits[(k >> 6) as usize] &= !(1u64 << (k & 63));
        }
        let (bits, keys) = (&mut self.bits, &mut self.keys);
        for_each_key(text, |k| {
            let (w, bit) = ((k >> 6) as usize, 1u64 << (k & 63));
            if bits[w] & bit == 0 {
                bits[w] |= bit;
                keys.push(k);
            }
        });
        self.keys.sort_unstable();
        &self.keys
    }
}

/// Postings gathered by one worker: key -> ordinals, in the order the worker added them.
#[derive(Default)]
pub struct Builder {
    lists: FxHashMap<u32, Vec<u32>>,
    /// Postings held.
    pub postings: u64,
}

impl Builder {
    /// Records that blob `ord` holds every key of `keys`.
    pub fn add(&mut self, ord: u32, keys: &[u32]) {
        for k in keys {
            self.lists.entry(*k).or_default().push(ord);
        }
        self.postings += keys.len() as u64;
    }
}

/// `STORE/NAME`.
pub fn grams_path(store_dir: &Path, name: &str) -> PathBuf {
    store_dir.join(name)
}

fn damaged(file: &Path, what: &str) -> anyhow::Error {
    anyhow::anyhow!(
        "the index is damaged ({}: {what}): run `archeo index --rebuild`",
        file.display()
    )
}

fn u32_at(b: &[u8], at: usize) -> u32 {
    u32::from_le_bytes(b[at..at + 4].try_into().expect("4 bytes"))
}

/// Writes a new n-gram file holding `old`'s postings and the builders', for ordinals below
/// `universe`; atomically.
pub fn write(
    path: &Path,
    old: Option<&Grams>,
    builders: Vec<Builder>,
    universe: u32,
) -> Result<()> {
    let mut keys: Vec<u32> = builders
        .iter()
        .flat_map(|b| b.lists.keys().copied())
        .collect();
    if let Some(o) = old {
        keys.extend((0..o.keys).map(|i| o.row(i).0));
    }
    keys.sort_unstable();
    keys.dedup();
    let mut rows = Vec::with_capacity(keys.len() * ROW);
    let mut postings = Vec::new();
    let mut blocks: Vec<(u32, u32, u32)> = Vec::new();
    let mut block_start = (0usize, 0usize, 0usize);
    let mut list: Vec<u32> = Vec::new();
    for (i, k) in keys.iter().enumerate() {
        list.clear();
        if let Some(o) = old
            && let Some(p) = o.postings(*k)?
        {
            list.extend(p);
        }
        for b in &builders {
            if let Some(l) = b.lists.get(k) {
                list.extend_from_slice(l);
            }
        }
        list.sort_unstable();
        list.dedup();
        let offset = postings.len();
        let mut prev = 0u32;
        for (j, o) in list.iter().enumerate() {
            varint(&mut postings, if j == 0 { *o } else { o - prev } as u64);
            prev = *o;
        }
        rows.extend_from_slice(&k.to_le_bytes());
        rows.extend_from_slice(&(offset as u32).to_le_bytes());
        rows.extend_from_slice(&(list.len() as u32).to_le_bytes());
        let (r0, p0, _) = block_start;
        let full = i + 1 - r0 >= BLOCK_ROWS || postings.len() - p0 >= BLOCK_BYTES;
        if full || i + 1 == keys.len() {
            let mut h = crc32fast::Hasher::new();
            h.update(&rows[r0 * ROW..(i + 1) * ROW]);
            h.update(&postings[p0..]);
            blocks.push((r0 as u32, keys[r0], h.finalize()));
            block_start = (i + 1, postings.len(), 0);
        }
    }
    let mut table = Vec::with_capacity(blocks.len() * 12);
    for (r, k, c) in &blocks {
        table.extend_from_slice(&r.to_le_bytes());
        table.extend_from_slice(&k.to_le_bytes());
        table.extend_from_slice(&c.to_le_bytes());
    }
    let mut out = Vec::with_capacity(HEADER + 4 + table.len() + rows.len() + postings.len());
    out.extend_from_slice(MAGIC);
    out.extend_from_slice(&VERSION.to_le_bytes());
    out.extend_from_slice(&(keys.len() as u32).to_le_bytes());
    out.extend_from_slice(&(blocks.len() as u32).to_le_bytes());
    out.extend_from_slice(&universe.to_le_bytes());
    out.extend_from_slice(&(postings.len() as u64).to_le_bytes());
    out.extend_from_slice(&crc32fast::hash(&table).to_le_bytes());
    out.extend_from_slice(&table);
    out.extend_from_slice(&rows);
    out.extend_from_slice(&postings);
    crate::atomic::write(path, &out)
}

/// An n-gram file, memory-mapped.
pub struct Grams {
    map: Option<memmap2::Mmap>,
    file: PathBuf,
    keys: usize,
    blocks: usize,
    universe: u32,
    rows_at: usize,
    postings_at: usize,
    checked: Vec<OnceLock<bool>>,
}

impl Grams {
    /// An index of nothing (a store without text yet).
    pub fn empty() -> Grams {
        Grams {
            map: None,
            file: PathBuf::new(),
            keys: 0,
            blocks: 0,
            universe: 0,
            rows_at: 0,
            postings_at: 0,
            checked: Vec::new(),
        }
    }

    /// Opens an n-gram file.
    pub fn open(path: &Path) -> Result<Grams> {
        let f = std::fs::File::open(path).with_context(|| {
            format!(
                "cannot read {}: run `archeo index --rebuild`",
                path.display()
            )
        })?;
        // SAFETY: n-gram files are written whole under a new name and never modified.
        let map = unsafe { memmap2::Mmap::map(&f) }
            .with_context(|| format!("cannot read {}", path.display()))?;
        if map.len() < HEADER + 4 || &map[..8] != MAGIC || u32_at(&map, 8) != VERSION {
            return Err(damaged(path, "not an n-gram file"));
        }
        let keys = u32_at(&map, 12) as usize;
        let blocks = u32_at(&map, 16) as usize;
        let universe = u32_at(&map, 20);
        let postings_len = u64::from_le_bytes(map[24..32].try_into().expect("8")) as usize;
        let table_at = HEADER + 4;
        let rows_at = table_at + blocks * 12;
        let postings_at = rows_at + keys * ROW;
        if postings_at.checked_add(postings_len) != Some(map.len()) {
            return Err(damaged(path, "length"));
        }
        if crc32fast::hash(&map[table_at..rows_at]) != u32_at(&map, HEADER) {
            return Err(damaged(path, "checksum of the block table"));
        }
        Ok(Grams {
            checked: (0..blocks).map(|_| OnceLock::new()).collect(),
            map: Some(map),
            file: path.to_path_buf(),
            keys,
            blocks,
            universe,
            rows_at,
            postings_at,
        })
    }

    fn bytes(&self) -> &[u8] {
        self.map.as_deref().unwrap_or(&[])
    }

    /// Ordinals below this were indexed.
    pub fn universe(&self) -> u32 {
        self.universe
    }

    fn row(&self, i: usize) -> (u32, usize, usize) {
        let b = self.bytes();
        let at = self.rows_at + i * ROW;
        (
            u32_at(b, at),
            u32_at(b, at + 4) as usize,
            u32_at(b, at + 8) as usize,
        )
    }

    fn block(&self, i: usize) -> (usize, u32, u32) {
        let at = HEADER + 4 + i * 12;
        let b = self.bytes();
        (u32_at(b, at) as usize, u32_at(b, at + 4), u32_at(b, at + 8))
    }

    /// Checks block `i` (rows and postings) once.
    fn check(&self, i: usize) -> Result<()> {
        let ok = self.checked[i].get_or_init(|| {
            let (r0, _, crc) = self.block(i);
            let r1 = if i + 1 < self.blocks {
                self.block(i + 1).0
            } else {
                self.keys
            };
            if r0 >= r1 || r1 > self.keys {
                return false;
            }
            let p0 = self.row(r0).1;
            let p1 = if r1 < self.keys {
                self.row(r1).1
            } else {
                self.bytes().len() - self.postings_at
            };
            if p0 > p1 || self.postings_at + p1 > self.bytes().len() {
                return false;
            }
            let b = self.bytes();
            let mut h = crc32fast::Hasher::new();
            h.update(&b[self.rows_at + r0 * ROW..self.rows_at + r1 * ROW]);
            h.update(&b[self.postings_at + p0..self.postings_at + p1]);
            h.finalize() == crc
        });
        if *ok {
            Ok(())
        } else {
            Err(damaged(&self.file, "checksum of a block"))
        }
    }

    /// The ordinals of the blobs holding trigram `k`, ascending (None: no blob holds it).
    pub fn postings(&self, k: u32) -> Result<Option<Vec<u32>>> {
        match self.find(k)? {
            Some(row) => self.decode(row).map(Some),
            None => Ok(None),
        }
    }

    /// Where trigram `k`'s postings are and how many (None: no blob holds it), after checking
    /// the block holding its row.
    fn find(&self, k: u32) -> Result<Option<Postings>> {
        if self.blocks == 0 {
            return Ok(None);
        }
        // The last block whose first key is <= k.
        let (mut lo, mut hi) = (0usize, self.blocks);
        while hi - lo > 1 {
            let mid = (lo + hi) / 2;
            if self.block(mid).1 <= k {
                lo = mid;
            } else {
                hi = mid;
            }
        }
        self.check(lo)?;
        let r0 = self.block(lo).0;
        let r1 = if lo + 1 < self.blocks {
            self.block(lo + 1).0
        } else {
            self.keys
        };
        let (mut a, mut b) = (r0, r1);
        while a < b {
            let mid = (a + b) / 2;
            match self.row(mid).0.cmp(&k) {
                std::cmp::Ordering::Less => a = mid + 1,
                std::cmp::Ordering::Greater => b = mid,
                std::cmp::Ordering::Equal => {
                    let (_, at, count) = self.row(mid);
                    return Ok(Some(Postings { at, count }));
                }
            }
        }
        Ok(None)
    }

    /// Calls `f` with each ordinal of `p`, ascending, until it returns false.
    fn each(&self, p: Postings, mut f: impl FnMut(u32) -> bool) -> Result<()> {
        let bytes = &self.bytes()[self.postings_at..];
        let mut at = p.at;
        let mut prev = 0u64;
        for j in 0..p.count {
            let d = get_varint(bytes, &mut at).ok_or_else(|| damaged(&self.file, "postings"))?;
            prev = if j == 0 { d } else { prev + d };
            if !f(prev as u32) {
                break;
            }
        }
        Ok(())
    }

    fn decode(&self, p: Postings) -> Result<Vec<u32>> {
        let mut out = Vec::with_capacity(p.count);
        self.each(p, |o| {
            out.push(o);
            true
        })?;
        Ok(out)
    }

    /// `acc` ∩ `p`, reading `p` as it goes (no copy of a long list to meet a short one).
    fn meet(&self, acc: &[u32], p: Postings) -> Result<Vec<u32>> {
        let mut out = Vec::with_capacity(acc.len().min(p.count));
        let mut i = 0;
        self.each(p, |o| {
            while i < acc.len() && acc[i] < o {
                i += 1;
            }
            if i < acc.len() && acc[i] == o {
                out.push(o);
                i += 1;
            }
            i < acc.len()
        })?;
        Ok(out)
    }

    /// The ordinals `q` admits: None means every blob (the query cannot narrow).
    pub fn eval(&self, q: &GramQuery) -> Result<Option<Vec<u32>>> {
        Ok(match q {
            GramQuery::All => None,
            GramQuery::Gram(k) => Some(self.postings(*k)?.unwrap_or_default()),
            GramQuery::And(qs) => {
                // Trigrams rarest first, each read into the intersection so far; then the
                // other parts. The set is the same in any order; the work is not.
                let mut grams = Vec::new();
                for x in qs {
                    if let GramQuery::Gram(k) = x {
                        match self.find(*k)? {
                            Some(p) => grams.push(p),
                            None => return Ok(Some(Vec::new())),
                        }
                    }
                }
                grams.sort_by_key(|p| p.count);
                let mut acc: Option<Vec<u32>> = None;
                for p in grams {
                    acc = Some(match acc {
                        None => self.decode(p)?,
                        Some(a) => self.meet(&a, p)?,
                    });
                    if acc.as_ref().is_some_and(Vec::is_empty) {
                        return Ok(acc);
                    }
                }
                for x in qs.iter().filter(|x| !matches!(x, GramQuery::Gram(_))) {
                    if let Some(v) = self.eval(x)? {
                        acc = Some(match acc {
                            None => v,
                            Some(a) => intersect(&a, &v),
                        });
                        if acc.as_ref().is_some_and(Vec::is_empty) {
                            break;
                        }
                    }
                }
                acc
            }
            GramQuery::Or(qs) => {
                let mut acc: Vec<u32> = Vec::new();
                for x in qs {
                    match self.eval(x)? {
                        None => return Ok(None),
                        Some(v) => acc = union(&acc, &v),
                    }
                }
                Some(acc)
            }
        })
    }
}

/// Where a trigram's postings start (in the postings section) and how many there are.
#[derive(Debug, Clone, Copy)]
struct Postings {
    at: usize,
    count: usize,
}

fn intersect(a: &[u32], b: &[u32]) -> Vec<u32> {
    let (mut i, mut j) = (0, 0);
    let mut out = Vec::with_capacity(a.len().min(b.len()));
    while i < a.len() && j < b.len() {
        match a[i].cmp(&b[j]) {
            std::cmp::Ordering::Less => i += 1,
            std::cmp::Ordering::Greater => j += 1,
            std::cmp::Ordering::Equal => {
                out.push(a[i]);
                i += 1;
                j += 1;
            }
        }
    }
    out
}

fn union(a: &[u32], b: &[u32]) -> Vec<u32> {
    let mut out = Vec::with_capacity(a.len() + b.len());
    let (mut i, mut j) = (0, 0);
    while i < a.len() || j < b.len() {
        let x = match (a.get(i), b.get(j)) {
            (Some(x), Some(y)) if x < y => {
                i += 1;
                *x
            }
            (Some(x), Some(y)) if x > y => {
                j += 1;
                *y
            }
            (Some(x), Some(_)) => {
                i += 1;
                j += 1;
                *x
            }
            (Some(x), None) => {
                i += 1;
                *x
            }
            (None, Some(y)) => {
                j += 1;
                *y
            }
            (None, None) => unreachable!(),
        };
        out.push(x);
    }
    out
}

/// What a file's trigrams must satisfy for the file to possibly match.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum GramQuery {
    /// No constraint.
    All,
    /// The file holds this trigram.
    Gram(u32),
    /// Every part holds.
    And(Vec<GramQuery>),
    /// Some part holds.
    Or(Vec<GramQuery>),
}

impl GramQuery {
    /// Every trigram of `s` (folded; none if `s` is shorter than three bytes).
    pub fn all_of(s: &[u8]) -> GramQuery {
        let mut k = keys_of(s);
        k.sort_unstable();
        k.dedup();
        GramQuery::and(k.into_iter().map(GramQuery::Gram).collect())
    }

    /// A conjunction, flattened; `All` parts dropped.
    pub fn and(parts: Vec<GramQuery>) -> GramQuery {
        let mut out = Vec::new();
        for p in parts {
            match p {
                GramQuery::All => {}
                GramQuery::And(xs) => out.extend(xs),
                x => out.push(x),
            }
        }
        out.sort();
        out.dedup();
        match out.len() {
            0 => GramQuery::All,
            1 => out.pop().expect("one"),
            _ => GramQuery::And(out),
        }
    }

    /// A disjunction, flattened; any `All` part makes it `All`.
    pub fn or(parts: Vec<GramQuery>) -> GramQuery {
        let mut out = Vec::new();
        for p in parts {
            match p {
                GramQuery::All => return GramQuery::All,
                GramQuery::Or(xs) => out.extend(xs),
                x => out.push(x),
            }
        }
        out.sort();
        out.dedup();
        match out.len() {
            0 => GramQuery::All,
            1 => out.pop().expect("one"),
            _ => GramQuery::Or(out),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn build(texts: &[&str]) -> (tempfile::TempDir, Grams) {
        let dir = tempfile::tempdir().unwrap();
        let mut s = Scratch::default();
        let mut b = Builder::default();
        for (i, t) in texts.iter().enumerate() {
            let keys = s.distinct(t.as_bytes()).to_vec();
            b.add(i as u32, &keys);
        }
        let p = dir.path().join("g.dat");
        write(&p, None, vec![b], texts.len() as u32).unwrap();
        let g = Grams::open(&p).unwrap();
        (dir, g)
    }

    #[test]
    fn rolling_keys_are_the_windows_without_a_newline() {
        let texts: [&[u8]; 6] = [
            b"",
            b"ab",
            b"abc",
            b"a\nbcd\n\nEFgh\ni",
            b"x\n\ny",
            "\u{e9}t\u{e9} Open\r\n(".as_bytes(),
        ];
        for t in texts {
            let want: Vec<u32> = t
                .windows(3)
                .filter(|w| !w.contains(&b'\n'))
                .map(|w| key(w[0], w[1], w[2]))
                .collect();
            assert_eq!(keys_of(t), want, "{t:?}");
        }
    }

    #[test]
    fn trigrams_fold_ascii_case_and_never_span_lines() {
        let mut s = Scratch::default();
        let k = s.distinct(b"AbC\nabcd").to_vec();
        assert_eq!(k, [key(b'a', b'b', b'c'), key(b'b', b'c', b'd')]);
        assert!(s.distinct(b"ab\ncd").is_empty());
    }

    #[test]
    fn queries_narrow_to_the_files_that_may_match() {
        let (_d, g) = build(&["func Reopen() {}", "reopen it", "nothing here", "open"]);
        let q = GramQuery::all_of(b"Reopen(");
        assert_eq!(g.eval(&q).unwrap(), Some(vec![0]));
        let q = GramQuery::all_of(b"reopen");
        assert_eq!(g.eval(&q).unwrap(), Some(vec![0, 1]));
        let q = GramQuery::or(vec![
            GramQuery::all_of(b"nothing"),
            GramQuery::all_of(b"open"),
        ]);
        assert_eq!(g.eval(&q).unwrap(), Some(vec![0, 1, 2, 3]));
        assert_eq!(g.eval(&GramQuery::all_of(b"op")).unwrap(), None);
        assert_eq!(g.eval(&GramQuery::all_of(b"zzz")).unwrap(), Some(vec![]));
    }

    proptest::proptest! {
        /// A conjunction, read rarest trigram first into the intersection so far, admits
        /// exactly the files that hold every one of its trigrams (and an `Or` inside it).
        #[test]
        fn a_conjunction_admits_the_files_holding_all_its_parts(
            texts in proptest::collection::vec("[abc\n]{0,24}", 1..12),
            term in "[abc]{3,6}",
            other in "[abc]{3,4}",
        ) {
            let refs: Vec<&str> = texts.iter().map(String::as_str).collect();
            let (_d, g) = build(&refs);
            let holds = |t: &str, s: &str| {
                let ks = keys_of(s.as_bytes());
                let have = keys_of(t.as_bytes());
                ks.iter().all(|k| have.contains(k))
            };
            let q = GramQuery::and(vec![
                GramQuery::all_of(term.as_bytes()),
                GramQuery::or(vec![
                    GramQuery::all_of(other.as_bytes()),
                    GramQuery::all_of(b"ccc"),
                ]),
            ]);
            let want: Vec<u32> = (0..texts.len() as u32)
                .filter(|&i| {
                    let t = &texts[i as usize];
                    holds(t, &term) && (holds(t, &other) || holds(t, "ccc"))
                })
                .collect();
            proptest::prop_assert_eq!(g.eval(&q).unwrap(), Some(want));
        }
    }

    #[test]
    fn a_merge_keeps_old_postings_and_adds_new_ones() {
        let (d, g) = build(&["alpha", "beta"]);
        let mut s = Scratch::default();
        let mut b = Builder::default();
        b.add(2, s.distinct(b"alphabet"));
        let p = d.path().join("g2.dat");
        write(&p, Some(&g), vec![b], 3).unwrap();
        let g2 = Grams::open(&p).unwrap();
        assert_eq!(
            g2.eval(&GramQuery::all_of(b"alpha")).unwrap(),
            Some(vec![0, 2])
        );
        assert_eq!(
            g2.eval(&GramQuery::all_of(b"bet")).unwrap(),
            Some(vec![1, 2])
        );
        assert_eq!(g2.universe(), 3);
    }

    #[test]
    fn builders_of_several_workers_merge_into_ascending_postings() {
        let dir = tempfile::tempdir().unwrap();
        let (mut a, mut b) = (Builder::default(), Builder::default());
        // Each worker adds in its own order, not by ordinal; the key space's two ends too.
        a.add(5, &[0, 7, 0xff_ffff]);
        a.add(1, &[7]);
        b.add(3, &[0xff_ffff, 7]);
        b.add(0, &[0]);
        let p = dir.path().join("g.dat");
        write(&p, None, vec![a, b], 6).unwrap();
        let g = Grams::open(&p).unwrap();
        assert_eq!(g.postings(0).unwrap(), Some(vec![0, 5]));
        assert_eq!(g.postings(7).unwrap(), Some(vec![1, 3, 5]));
        assert_eq!(g.postings(0xff_ffff).unwrap(), Some(vec![3, 5]));
        assert_eq!(g.postings(8).unwrap(), None);
    }

    #[test]
    fn a_flipped_byte_is_reported() {
        let texts: Vec<String> = (0..300)
            .map(|i| format!("file {i} holds word{i}"))
            .collect();
        let refs: Vec<&str> = texts.iter().map(String::as_str).collect();
        let (d, _) = build(&refs);
        let p = d.path().join("g.dat");
        let mut bytes = std::fs::read(&p).unwrap();
        let n = bytes.len();
        bytes[n - 3] ^= 0x55;
        std::fs::write(&p, &bytes).unwrap();
        let g = Grams::open(&p).unwrap();
        let mut errors = 0;
        for t in &texts {
            if let Err(e) = g.eval(&GramQuery::all_of(t.as_bytes())) {
                assert!(e.to_string().contains("--rebuild"), "{e}");
                errors += 1;
            }
        }
        assert!(errors > 0, "some lookup reads the damaged block");
    }
}
