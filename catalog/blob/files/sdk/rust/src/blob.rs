//! The blob tool: files by key, shared by the whole app (catalog tool,
//! `microcore add blob`; docs/tools/blob.md).
//!
//! ```no_run
//! use std::io::Read;
//! use microcore::blob;
//!
//! # fn main() -> Result<(), microcore::Error> {
//! blob::put("reports/2026.csv", b"id,total\n1,9\n", "text/csv")?;
//! let small = blob::get("reports/2026.csv")?; // the whole blob, if it fits one answer
//! let mut all = Vec::new();
//! blob::open("reports/2026.csv")?.read_to_end(&mut all).map_err(blob::into_error)?; // any size
//! # Ok(()) }
//! ```

use std::io;

use crate::call::call;
use crate::pb::{BlobDeleteRequest, BlobGetRequest, BlobListRequest, BlobPutRequest};
use crate::{codes, Error};

pub use crate::pb::{BlobDeleteResponse, BlobGetResponse, BlobItem, BlobListResponse, BlobPutResponse};

const TOOL: &str = "blob";

/// How many bytes a [`Reader`] asks for per call; the kernel cuts a range to what
/// one answer holds, so it may get fewer.
pub const CHUNK: i64 = 1 << 20;

/// Blob.Put: stores `data` under `key`, replacing any previous blob; an empty
/// `content_type` stores application/octet-stream.
pub fn put(key: &str, data: &[u8], content_type: &str) -> Result<BlobPutResponse, Error> {
    call(TOOL, "Put", &BlobPutRequest { key: key.into(), data: data.to_vec(), content_type: content_type.into() })
}

/// Blob.Get of a whole blob (`found` false when no blob has the key). One larger
/// than an answer holds is refused (MC_ERR_MESSAGE_TOO_LARGE): use [`open`] or [`get_range`].
pub fn get(key: &str) -> Result<BlobGetResponse, Error> {
    get_range(key, 0, 0)
}

/// Blob.Get of at most `length` bytes from `offset` (`length` 0: to the end). The
/// answer may hold fewer bytes than asked: read on from `offset + data.len()`.
pub fn get_range(key: &str, offset: i64, length: i64) -> Result<BlobGetResponse, Error> {
    call(TOOL, "Get", &BlobGetRequest { key: key.into(), offset, length })
}

/// Blob.List: up to `limit` blobs (0: 100, at most 1000) whose keys start with
/// `prefix` and sort after `after`; pass `next` as `after` for the next page.
pub fn list(prefix: &str, after: &str, limit: i32) -> Result<BlobListResponse, Error> {
    call(TOOL, "List", &BlobListRequest { prefix: prefix.into(), after: after.into(), limit })
}

/// Blob.Delete: `deleted` true when a blob had the key.
pub fn delete(key: &str) -> Result<BlobDeleteResponse, Error> {
    call(TOOL, "Delete", &BlobDeleteRequest { key: key.into() })
}

/// Opens a blob of any size for reading through ranged Gets: MC_ERR_NOT_FOUND
/// when no blob has the key. Reading fails with MC_ERR_CONFLICT when the blob is
/// replaced while it reads, or when the bytes read do not match its SHA-256.
pub fn open(key: &str) -> Result<Reader, Error> {
    let first = get_range(key, 0, CHUNK)?;
    if !first.found {
        return Err(Error::new(codes::NOT_FOUND, format!("blob::open: no blob has the key {key:?}"))
            .with_fix("Put it first, or list to see which keys exist."));
    }
    let mut reader = Reader {
        key: key.into(),
        size: first.size,
        content_type: first.content_type,
        sha256: first.sha256,
        buf: Vec::new(),
        pos: 0,
        offset: 0,
        hash: Sha256::new(),
        failed: None,
    };
    reader.take(first.data);
    Ok(reader)
}

/// The [`Error`] inside an `io::Error` a [`Reader`] returned (or a MC_ERR_INTERNAL one).
pub fn into_error(e: io::Error) -> Error {
    match e.get_ref().and_then(|inner| inner.downcast_ref::<Error>()) {
        Some(inner) => inner.clone(),
        None => Error::new(codes::INTERNAL, e.to_string()),
    }
}

/// A `std::io::Read` over a blob's ranges (see [`open`]); its errors carry the
/// [`Error`] ([`into_error`]).
pub struct Reader {
    key: String,
    size: i64,
    content_type: String,
    sha256: String,
    buf: Vec<u8>,
    pos: usize,
    /// The next byte to fetch.
    offset: i64,
    hash: Sha256,
    failed: Option<Error>,
}

impl Reader {
    /// The blob's length in bytes.
    pub fn size(&self) -> i64 {
        self.size
    }
    /// The media type it was stored with.
    pub fn content_type(&self) -> &str {
        &self.content_type
    }
    /// Its SHA-256, lower-case hex.
    pub fn sha256(&self) -> &str {
        &self.sha256
    }

    fn take(&mut self, data: Vec<u8>) {
        self.offset += data.len() as i64;
        self.hash.update(&data);
        self.buf = data;
        self.pos = 0;
    }

    fn fail(&mut self, e: Error) -> io::Error {
        self.failed = Some(e.clone());
        io::Error::other(e)
    }

    fn fill(&mut self) -> Result<bool, Error> {
        if self.offset >= self.size {
            let got = std::mem::replace(&mut self.hash, Sha256::new()).hex();
            if got != self.sha256 {
                return Err(Error::new(
                    codes::CONFLICT,
                    format!("blob::open {:?}: the bytes read have SHA-256 {got}, not the blob's {}", self.key, self.sha256),
                ));
            }
            return Ok(false);
        }
        let next = get_range(&self.key, self.offset, CHUNK)?;
        if !next.found || next.sha256 != self.sha256 || next.size != self.size {
            return Err(Error::new(
                codes::CONFLICT,
                format!(
                    "blob::open {:?}: the blob was replaced or deleted while it was read (at byte {} of {})",
                    self.key, self.offset, self.size
                ),
            )
            .with_fix("Open it again to read the new blob from the start."));
        }
        if next.data.is_empty() {
            return Err(Error::new(codes::INTERNAL, format!("blob::open {:?}: an empty range at byte {}", self.key, self.offset)));
        }
        self.take(next.data);
        Ok(true)
    }
}

impl io::Read for Reader {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        if let Some(e) = &self.failed {
            return Err(io::Error::other(e.clone()));
        }
        if out.is_empty() {
            return Ok(0);
        }
        if self.pos == self.buf.len() {
            match self.fill() {
                Ok(true) => {}
                Ok(false) => return Ok(0),
                Err(e) => return Err(self.fail(e)),
            }
        }
        let n = out.len().min(self.buf.len() - self.pos);
        out[..n].copy_from_slice(&self.buf[self.pos..self.pos + n]);
        self.pos += n;
        Ok(n)
    }
}

/// SHA-256 (FIPS 180-4), small and dependency-free: the SDK builds for wasm
/// without a crypto crate, and the reader only checks what it read.
struct Sha256 {
    h: [u32; 8],
    block: Vec<u8>,
    len: u64,
}

const K: [u32; 64] = [
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5, 0xd807aa98,
    0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786,
    0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da, 0x983e5152, 0xa831c66d, 0xb00327c8,
    0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13,
    0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85, 0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819,
    0xd6990624, 0xf40e3585, 0x106aa070, 0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a,
    0x5b9cca4f, 0x682e6ff3, 0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7,
    0xc67178f2,
];

impl Sha256 {
    fn new() -> Self {
        let h = [0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19];
        Sha256 { h, block: Vec::with_capacity(64), len: 0 }
    }

    fn update(&mut self, mut data: &[u8]) {
        self.len += data.len() as u64;
        while !data.is_empty() {
            let n = (64 - self.block.len()).min(data.len());
            self.block.extend_from_slice(&data[..n]);
            data = &data[n..];
            if self.block.len() == 64 {
                let block = std::mem::take(&mut self.block);
                self.compress(&block);
                self.block = block;
                self.block.clear();
            }
        }
    }

    fn compress(&mut self, block: &[u8]) {
        let mut w = [0u32; 64];
        for (i, c) in block.chunks_exact(4).enumerate() {
            w[i] = u32::from_be_bytes([c[0], c[1], c[2], c[3]]);
        }
        for i in 16..64 {
            let s0 = w[i - 15].rotate_right(7) ^ w[i - 15].rotate_right(18) ^ (w[i - 15] >> 3);
            let s1 = w[i - 2].rotate_right(17) ^ w[i - 2].rotate_right(19) ^ (w[i - 2] >> 10);
            w[i] = w[i - 16].wrapping_add(s0).wrapping_add(w[i - 7]).wrapping_add(s1);
        }
        let [mut a, mut b, mut c, mut d, mut e, mut f, mut g, mut h] = self.h;
        for i in 0..64 {
            let t1 = h
                .wrapping_add(e.rotate_right(6) ^ e.rotate_right(11) ^ e.rotate_right(25))
                .wrapping_add((e & f) ^ (!e & g))
                .wrapping_add(K[i])
                .wrapping_add(w[i]);
            let t2 = (a.rotate_right(2) ^ a.rotate_right(13) ^ a.rotate_right(22)).wrapping_add((a & b) ^ (a & c) ^ (b & c));
            (h, g, f, e, d, c, b, a) = (g, f, e, d.wrapping_add(t1), c, b, a, t1.wrapping_add(t2));
        }
        for (x, y) in self.h.iter_mut().zip([a, b, c, d, e, f, g, h]) {
            *x = x.wrapping_add(y);
        }
    }

    fn hex(mut self) -> String {
        let bits = self.len.wrapping_mul(8);
        let mut pad = vec![0x80u8];
        pad.resize(if self.block.len() < 56 { 56 - self.block.len() } else { 120 - self.block.len() }, 0);
        pad.extend_from_slice(&bits.to_be_bytes());
        let len = self.len;
        self.update(&pad);
        self.len = len;
        self.h.iter().map(|x| format!("{x:08x}")).collect()
    }
}

#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests {
    use std::cell::Cell;
    use std::io::Read;
    use std::rc::Rc;

    use prost::Message;

    use super::*;
    use crate::testing::{fail, reset, respond, set_kernel};

    fn hex(data: &[u8]) -> String {
        let mut h = Sha256::new();
        h.update(data);
        h.hex()
    }

    #[test]
    fn sha256_matches_known_digests() {
        assert_eq!(hex(b""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
        assert_eq!(hex(b"abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
        assert_eq!(hex(&[b'a'; 1_000_000]), "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
        let mut split = Sha256::new();
        for part in b"abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq".chunks(7) {
            split.update(part);
        }
        assert_eq!(split.hex(), "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
    }

    /// A fake blob tool: ranges cut to `max` bytes; after `swap_after` Gets the blob becomes `other`.
    fn serve(data: Vec<u8>, max: i64, swap_after: Option<(usize, Vec<u8>)>) -> Rc<Cell<usize>> {
        reset();
        let gets = Rc::new(Cell::new(0));
        let count = gets.clone();
        set_kernel(move |call| {
            assert_eq!((call.tool.as_str(), call.method.as_str()), ("blob", "Get"));
            let r = BlobGetRequest::decode(call.request.as_slice()).unwrap();
            count.set(count.get() + 1);
            let blob = match &swap_after {
                Some((after, other)) if count.get() > *after => other,
                _ => &data,
            };
            if r.key == "missing" {
                return respond(&BlobGetResponse::default());
            }
            if r.key == "refused" {
                return fail(Error::new(codes::TOOL_UNAVAILABLE, "down"));
            }
            let size = blob.len() as i64;
            let mut n = (size - r.offset).min(max);
            if r.length > 0 {
                n = n.min(r.length);
            }
            let data = blob[r.offset as usize..(r.offset + n) as usize].to_vec();
            respond(&BlobGetResponse { found: true, data, content_type: "application/x-test".into(), size, sha256: hex(blob) })
        });
        gets
    }

    #[test]
    fn open_reads_every_range() {
        let data: Vec<u8> = (0..(2 * CHUNK as usize + 12_345)).map(|i| (i * 7) as u8).collect();
        let gets = serve(data.clone(), 300_000, None);
        let mut r = open("big").unwrap();
        assert_eq!((r.size(), r.content_type()), (data.len() as i64, "application/x-test"));
        let mut got = Vec::new();
        r.read_to_end(&mut got).unwrap();
        assert!(got == data, "read {} bytes, not the blob's {}", got.len(), data.len());
        assert_eq!(gets.get(), data.len().div_ceil(300_000));
    }

    #[test]
    fn open_of_a_missing_blob_is_not_found() {
        serve(vec![], 10, None);
        assert_eq!(open("missing").err().unwrap().code, codes::NOT_FOUND);
        assert_eq!(open("refused").err().unwrap().code, codes::TOOL_UNAVAILABLE);
        let mut empty = Vec::new();
        open("empty").unwrap().read_to_end(&mut empty).unwrap();
        assert!(empty.is_empty());
    }

    #[test]
    fn a_blob_replaced_while_read_is_a_conflict() {
        serve(vec![b'a'; 1000], 100, Some((3, vec![b'b'; 1000])));
        let mut got = Vec::new();
        let err = open("k").unwrap().read_to_end(&mut got).unwrap_err();
        assert_eq!(into_error(err).code, codes::CONFLICT);
    }
}
