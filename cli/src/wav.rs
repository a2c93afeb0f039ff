//! A streaming writer of 32-bit float WAV files.
//!
//! Layout: `RIFF` header, `fmt ` chunk, `fact` chunk (required for non-PCM data), `data`
//! chunk. Up to two channels the format is WAVE_FORMAT_IEEE_FLOAT (3) with an 18-byte fmt
//! chunk; with more, WAVE_FORMAT_EXTENSIBLE with the IEEE float sub-format, as the format's
//! specification asks for more than two channels. Sizes are patched in by [`WavWriter::finish`].

use std::io::{self, Seek, SeekFrom, Write};

const FORMAT_IEEE_FLOAT: u16 = 3;
const FORMAT_EXTENSIBLE: u16 = 0xfffe;
/// KSDATAFORMAT_SUBTYPE_IEEE_FLOAT: {00000003-0000-0010-8000-00AA00389B71}, as stored.
const SUBTYPE_IEEE_FLOAT: [u8; 16] = [
    0x03, 0x00, 0x00, 0x00, 0x00, 0x00, 0x10, 0x00, 0x80, 0x00, 0x00, 0xaa, 0x00, 0x38, 0x9b, 0x71,
];
const BYTES_PER_SAMPLE: u16 = 4;
/// Most channels a file may have (far beyond any use; keeps the header fields in range).
pub const MAX_WAV_CHANNELS: u16 = 1024;

/// Writes interleaved f32 frames to a WAV file.
pub struct WavWriter<W: Write + Seek> {
    out: W,
    channels: u16,
    frames: u64,
    /// Offset of the RIFF size field, the fact frame count and the data size field.
    riff_size_at: u64,
    fact_at: u64,
    data_size_at: u64,
    data_start: u64,
    frame_buf: Vec<u8>,
}

impl<W: Write + Seek> WavWriter<W> {
    /// Writes the header for `channels` channels at `sample_rate` Hz.
    pub fn new(mut out: W, channels: u16, sample_rate: u32) -> io::Result<WavWriter<W>> {
        if channels == 0 || channels > MAX_WAV_CHANNELS {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!("a WAV file takes 1 to {MAX_WAV_CHANNELS} channels, not {channels}"),
            ));
        }
        let byte_rate = sample_rate
            .checked_mul(u32::from(channels * BYTES_PER_SAMPLE))
            .ok_or_else(|| {
                io::Error::new(
                    io::ErrorKind::InvalidInput,
                    "the sample rate is too high for WAV",
                )
            })?;
        let start = out.stream_position()?;
        let extensible = channels > 2;
        let block_align = channels * BYTES_PER_SAMPLE;
        let mut h = Vec::with_capacity(80);
        h.extend_from_slice(b"RIFF");
        h.extend_from_slice(&0u32.to_le_bytes()); // patched
        h.extend_from_slice(b"WAVE");
        h.extend_from_slice(b"fmt ");
        h.extend_from_slice(&(if extensible { 40u32 } else { 18 }).to_le_bytes());
        let tag = if extensible {
            FORMAT_EXTENSIBLE
        } else {
            FORMAT_IEEE_FLOAT
        };
        h.extend_from_slice(&tag.to_le_bytes());
        h.extend_from_slice(&channels.to_le_bytes());
        h.extend_from_slice(&sample_rate.to_le_bytes());
        h.extend_from_slice(&byte_rate.to_le_bytes());
        h.extend_from_slice(&block_align.to_le_bytes());
        h.extend_from_slice(&(BYTES_PER_SAMPLE * 8).to_le_bytes());
        if extensible {
            h.extend_from_slice(&22u16.to_le_bytes()); // cbSize
            h.extend_from_slice(&(BYTES_PER_SAMPLE * 8).to_le_bytes()); // valid bits
            h.extend_from_slice(&0u32.to_le_bytes()); // channel mask: no speaker positions
            h.extend_from_slice(&SUBTYPE_IEEE_FLOAT);
        } else {
            h.extend_from_slice(&0u16.to_le_bytes()); // cbSize
        }
        let fact_at = start + h.len() as u64 + 8;
        h.extend_from_slice(b"fact");
        h.extend_from_slice(&4u32.to_le_bytes());
        h.extend_from_slice(&0u32.to_le_bytes()); // patched: frames per channel
        let data_size_at = start + h.len() as u64 + 4;
        h.extend_from_slice(b"data");
        h.extend_from_slice(&0u32.to_le_bytes()); // patched
        out.write_all(&h)?;
        Ok(WavWriter {
            out,
            channels,
            frames: 0,
            riff_size_at: start + 4,
            fact_at,
            data_size_at,
            data_start: start + h.len() as u64,
            frame_buf: vec![0; usize::from(block_align)],
        })
    }

    /// Number of channels.
    pub fn channels(&self) -> u16 {
        self.channels
    }

    /// Frames written so far.
    pub fn frames(&self) -> u64 {
        self.frames
    }

    /// Appends one frame: one sample per channel.
    pub fn write_frame(&mut self, samples: &[f32]) -> io::Result<()> {
        if samples.len() != usize::from(self.channels) {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!(
                    "a frame of {} samples for a {}-channel WAV",
                    samples.len(),
                    self.channels
                ),
            ));
        }
        let data_bytes = (self.frames + 1) * u64::from(self.channels * BYTES_PER_SAMPLE);
        if self.data_start + data_bytes - 8 > u64::from(u32::MAX) {
            return Err(io::Error::other(
                "the WAV file would exceed the format's 4 GiB limit; render fewer seconds or channels",
            ));
        }
        for (chunk, s) in self.frame_buf.chunks_exact_mut(4).zip(samples) {
            chunk.copy_from_slice(&s.to_le_bytes());
        }
        self.out.write_all(&self.frame_buf)?;
        self.frames += 1;
        Ok(())
    }

    /// Patches the sizes into the header, flushes and returns the writer.
    pub fn finish(mut self) -> io::Result<W> {
        let data_bytes = self.frames * u64::from(self.channels * BYTES_PER_SAMPLE);
        let riff_size = (self.data_start - 8 + data_bytes) as u32;
        let end = self.data_start + data_bytes;
        self.out.seek(SeekFrom::Start(self.riff_size_at))?;
        self.out.write_all(&riff_size.to_le_bytes())?;
        self.out.seek(SeekFrom::Start(self.fact_at))?;
        self.out.write_all(&(self.frames as u32).to_le_bytes())?;
        self.out.seek(SeekFrom::Start(self.data_size_at))?;
        self.out.write_all(&(data_bytes as u32).to_le_bytes())?;
        self.out.seek(SeekFrom::Start(end))?;
        self.out.flush()?;
        Ok(self.out)
    }
}
