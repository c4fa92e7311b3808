//! A small ZIP writer for 3MF packages, compressing large entries on every core.
//!
//! Written here rather than with the `zip` crate (which reads packages: `threemf_read`, and the
//! tests) because that crate compresses an entry on one thread and has no way to add data that
//! is already compressed: on a million-triangle split the 3MF's single deflate stream was a
//! fifth of the whole command's time. Here an entry is given as chunks; each chunk is
//! compressed on its own (raw deflate at level 1, ended by a full flush that leaves the stream
//! byte-aligned and open, the last one by the final block) in parallel, and the pieces are
//! concatenated into one valid deflate stream, as pigz does. CRCs of the chunks are combined.
//! Dates are fixed at 1980-01-01, so the same input gives the same bytes.
//!
//! Only what 3MF needs: stored or deflated entries, no encryption, no comments. ZIP64 records
//! are written when an entry or the archive passes 4 GiB.

use std::io::{self, Seek, SeekFrom, Write};

use flate2::{Compress, Compression, FlushCompress, Status};
use rayon::prelude::*;

const LOCAL_HEADER: u32 = 0x0403_4b50;
const CENTRAL_HEADER: u32 = 0x0201_4b50;
const END_OF_CENTRAL: u32 = 0x0605_4b50;
const ZIP64_END: u32 = 0x0606_4b50;
const ZIP64_LOCATOR: u32 = 0x0706_4b50;
const DEFLATE: u16 = 8;
/// 1980-01-01 00:00 in MS-DOS format.
const DOS_DATE: u16 = (1 << 5) | 1;
const DOS_TIME: u16 = 0;
const U32_LIMIT: u64 = 0xFFFF_FFFF;

struct Entry {
    name: String,
    zip64: bool,
    crc: u32,
    compressed: u64,
    uncompressed: u64,
    offset: u64,
}

/// A ZIP archive being written to `w`.
pub struct Package<W: Write + Seek> {
    w: W,
    entries: Vec<Entry>,
    position: u64,
}

/// One chunk compressed: its raw deflate bytes, its CRC and length.
struct Compressed {
    bytes: Vec<u8>,
    crc: crc32fast::Hasher,
    len: u64,
}

fn deflate(data: &[u8], last: bool) -> io::Result<Compressed> {
    let mut c = Compress::new(Compression::fast(), false);
    let mut out = Vec::with_capacity(data.len() / 3 + 64);
    let flush = if last {
        FlushCompress::Finish
    } else {
        FlushCompress::Full
    };
    loop {
        out.reserve(data.len() / 4 + 1024);
        let consumed = c.total_in() as usize;
        let status = c
            .compress_vec(&data[consumed..], &mut out, flush)
            .map_err(io::Error::other)?;
        let all_in = c.total_in() as usize == data.len();
        // Done when the stream ended (last chunk), or when all input is in and the flush did
        // not fill the output (there is nothing more to emit).
        if status == Status::StreamEnd || (!last && all_in && out.len() < out.capacity()) {
            break;
        }
    }
    let mut crc = crc32fast::Hasher::new();
    crc.update(data);
    Ok(Compressed {
        bytes: out,
        crc,
        len: data.len() as u64,
    })
}

impl<W: Write + Seek> Package<W> {
    pub fn new(mut w: W) -> io::Result<Self> {
        let position = w.stream_position()?;
        Ok(Package {
            w,
            entries: Vec::new(),
            position,
        })
    }

    fn put(&mut self, bytes: &[u8]) -> io::Result<()> {
        self.w.write_all(bytes)?;
        self.position += bytes.len() as u64;
        Ok(())
    }

    /// Adds a deflated entry made of `chunks` rendered by `render`, in order. Chunks are
    /// rendered and compressed in parallel, a few dozen at a time, so memory stays bounded.
    /// `size_bound` is an upper bound of the rendered size: from 4 GiB on, the entry gets
    /// ZIP64 headers (decided before writing, as the header is patched in place later).
    pub fn add_deflated<C: Sync>(
        &mut self,
        name: &str,
        chunks: &[C],
        size_bound: u64,
        render: impl Fn(&C) -> Vec<u8> + Sync,
    ) -> io::Result<()> {
        let offset = self.position;
        let zip64 = size_bound >= U32_LIMIT - (U32_LIMIT >> 4) || offset >= U32_LIMIT;
        // The local header is written with zero sizes and patched once they are known.
        self.local_header(name, 0, 0, 0, zip64)?;
        let data_start = self.position;
        let mut crc = crc32fast::Hasher::new();
        let mut uncompressed = 0u64;
        let window = rayon::current_num_threads().max(1) * 8;
        for (b, batch) in chunks.chunks(window).enumerate() {
            let last_batch = (b + 1) * window >= chunks.len();
            let done: Vec<io::Result<Compressed>> = batch
                .par_iter()
                .enumerate()
                .map(|(k, c)| deflate(&render(c), last_batch && k + 1 == batch.len()))
                .collect();
            for piece in done {
                let piece = piece?;
                crc.combine(&piece.crc);
                uncompressed += piece.len;
                self.put(&piece.bytes)?;
            }
        }
        if chunks.is_empty() {
            let piece = deflate(&[], true)?;
            self.put(&piece.bytes)?;
        }
        let compressed = self.position - data_start;
        let crc = crc.finalize();
        // Patch the local header.
        self.w.seek(SeekFrom::Start(offset))?;
        let end = self.position;
        self.position = offset;
        if !zip64 && (compressed >= U32_LIMIT || uncompressed >= U32_LIMIT) {
            return Err(io::Error::other(format!(
                "{name}: {uncompressed} bytes is more than its size bound of {size_bound}"
            )));
        }
        self.local_header(name, crc, compressed, uncompressed, zip64)?;
        self.w.seek(SeekFrom::Start(end))?;
        self.position = end;
        self.entries.push(Entry {
            name: name.to_string(),
            zip64,
            crc,
            compressed,
            uncompressed,
            offset,
        });
        Ok(())
    }

    /// Adds a small entry, deflated in one piece.
    pub fn add_small(&mut self, name: &str, data: &[u8]) -> io::Result<()> {
        self.add_deflated(name, &[data], data.len() as u64 + 64, |d| d.to_vec())
    }

    /// Local file header. With `zip64`, the sizes go into a ZIP64 extra field.
    fn local_header(
        &mut self,
        name: &str,
        crc: u32,
        compressed: u64,
        uncompressed: u64,
        zip64: bool,
    ) -> io::Result<()> {
        let mut h = Vec::with_capacity(30 + name.len() + 20);
        h.extend_from_slice(&LOCAL_HEADER.to_le_bytes());
        h.extend_from_slice(&(if zip64 { 45u16 } else { 20u16 }).to_le_bytes());
        h.extend_from_slice(&0u16.to_le_bytes()); // flags
        h.extend_from_slice(&DEFLATE.to_le_bytes());
        h.extend_from_slice(&DOS_TIME.to_le_bytes());
        h.extend_from_slice(&DOS_DATE.to_le_bytes());
        h.extend_from_slice(&crc.to_le_bytes());
        if zip64 {
            h.extend_from_slice(&u32::MAX.to_le_bytes());
            h.extend_from_slice(&u32::MAX.to_le_bytes());
        } else {
            h.extend_from_slice(&(compressed as u32).to_le_bytes());
            h.extend_from_slice(&(uncompressed as u32).to_le_bytes());
        }
        h.extend_from_slice(&(name.len() as u16).to_le_bytes());
        h.extend_from_slice(&(if zip64 { 20u16 } else { 0u16 }).to_le_bytes());
        h.extend_from_slice(name.as_bytes());
        if zip64 {
            h.extend_from_slice(&1u16.to_le_bytes());
            h.extend_from_slice(&16u16.to_le_bytes());
            h.extend_from_slice(&uncompressed.to_le_bytes());
            h.extend_from_slice(&compressed.to_le_bytes());
        }
        self.put(&h)
    }

    /// Writes the central directory and the end records, and returns the writer.
    pub fn finish(mut self) -> io::Result<W> {
        let cd_start = self.position;
        let entries = std::mem::take(&mut self.entries);
        for e in &entries {
            let big = e.zip64 || e.offset >= U32_LIMIT;
            let version: u16 = if big { 45 } else { 20 };
            let mut extra = Vec::new();
            if big {
                extra.extend_from_slice(&1u16.to_le_bytes());
                extra.extend_from_slice(&24u16.to_le_bytes());
                extra.extend_from_slice(&e.uncompressed.to_le_bytes());
                extra.extend_from_slice(&e.compressed.to_le_bytes());
                extra.extend_from_slice(&e.offset.to_le_bytes());
            }
            let clamp = |v: u64| if big { u32::MAX } else { v as u32 };
            let mut h = Vec::with_capacity(46 + e.name.len() + extra.len());
            h.extend_from_slice(&CENTRAL_HEADER.to_le_bytes());
            h.extend_from_slice(&version.to_le_bytes()); // made by
            h.extend_from_slice(&version.to_le_bytes()); // needed
            h.extend_from_slice(&0u16.to_le_bytes());
            h.extend_from_slice(&DEFLATE.to_le_bytes());
            h.extend_from_slice(&DOS_TIME.to_le_bytes());
            h.extend_from_slice(&DOS_DATE.to_le_bytes());
            h.extend_from_slice(&e.crc.to_le_bytes());
            h.extend_from_slice(&clamp(e.compressed).to_le_bytes());
            h.extend_from_slice(&clamp(e.uncompressed).to_le_bytes());
            h.extend_from_slice(&(e.name.len() as u16).to_le_bytes());
            h.extend_from_slice(&(extra.len() as u16).to_le_bytes());
            h.extend_from_slice(&0u16.to_le_bytes()); // comment
            h.extend_from_slice(&0u16.to_le_bytes()); // disk
            h.extend_from_slice(&0u16.to_le_bytes()); // internal attributes
            h.extend_from_slice(&0u32.to_le_bytes()); // external attributes
            h.extend_from_slice(&clamp(e.offset).to_le_bytes());
            h.extend_from_slice(e.name.as_bytes());
            h.extend_from_slice(&extra);
            self.put(&h)?;
        }
        let cd_size = self.position - cd_start;
        let count = entries.len() as u64;
        if cd_start >= U32_LIMIT || cd_size >= U32_LIMIT || count >= 0xFFFF {
            let zip64_end = self.position;
            let mut r = Vec::with_capacity(56 + 20);
            r.extend_from_slice(&ZIP64_END.to_le_bytes());
            r.extend_from_slice(&44u64.to_le_bytes());
            r.extend_from_slice(&45u16.to_le_bytes());
            r.extend_from_slice(&45u16.to_le_bytes());
            r.extend_from_slice(&0u32.to_le_bytes());
            r.extend_from_slice(&0u32.to_le_bytes());
            r.extend_from_slice(&count.to_le_bytes());
            r.extend_from_slice(&count.to_le_bytes());
            r.extend_from_slice(&cd_size.to_le_bytes());
            r.extend_from_slice(&cd_start.to_le_bytes());
            r.extend_from_slice(&ZIP64_LOCATOR.to_le_bytes());
            r.extend_from_slice(&0u32.to_le_bytes());
            r.extend_from_slice(&zip64_end.to_le_bytes());
            r.extend_from_slice(&1u32.to_le_bytes());
            self.put(&r)?;
        }
        let clamp16 = |v: u64| v.min(0xFFFF) as u16;
        let clamp32 = |v: u64| v.min(U32_LIMIT) as u32;
        let mut end = Vec::with_capacity(22);
        end.extend_from_slice(&END_OF_CENTRAL.to_le_bytes());
        end.extend_from_slice(&0u16.to_le_bytes());
        end.extend_from_slice(&0u16.to_le_bytes());
        end.extend_from_slice(&clamp16(count).to_le_bytes());
        end.extend_from_slice(&clamp16(count).to_le_bytes());
        end.extend_from_slice(&clamp32(cd_size).to_le_bytes());
        end.extend_from_slice(&clamp32(cd_start).to_le_bytes());
        end.extend_from_slice(&0u16.to_le_bytes());
        self.put(&end)?;
        self.w.flush()?;
        Ok(self.w)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::{Cursor, Read};

    #[test]
    fn chunks_compressed_apart_read_back_as_one_entry() {
        let chunks: Vec<String> = (0..300)
            .map(|k| format!("<line k=\"{k}\"/>\n").repeat(50 + k % 7))
            .collect();
        let whole: String = chunks.concat();
        let mut pkg = Package::new(Cursor::new(Vec::new())).unwrap();
        pkg.add_small("a.txt", b"hello").unwrap();
        pkg.add_deflated("dir/big.xml", &chunks, 1 << 20, |c| c.as_bytes().to_vec())
            .unwrap();
        // A size bound over 4 GiB makes it a ZIP64 entry; readers must still take it.
        pkg.add_deflated("big64.xml", &chunks, 1 << 33, |c| c.as_bytes().to_vec())
            .unwrap();
        pkg.add_deflated::<String>("empty", &[], 0, |c| c.as_bytes().to_vec())
            .unwrap();
        let bytes = pkg.finish().unwrap().into_inner();
        let mut z = zip::ZipArchive::new(Cursor::new(bytes)).unwrap();
        let mut read = |name: &str| {
            let mut s = String::new();
            z.by_name(name).unwrap().read_to_string(&mut s).unwrap();
            s
        };
        assert_eq!(read("a.txt"), "hello");
        assert_eq!(read("dir/big.xml"), whole);
        assert_eq!(read("big64.xml"), whole);
        assert_eq!(read("empty"), "");
    }
}
