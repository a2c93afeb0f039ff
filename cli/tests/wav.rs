//! The WAV writer's files, parsed back by an independent reader.

mod common;

use std::io::Cursor;

use common::read_wav;
use kuberack_cli::wav::WavWriter;

fn write(channels: u16, rate: u32, frames: &[Vec<f32>]) -> Vec<u8> {
    let mut w = WavWriter::new(Cursor::new(Vec::new()), channels, rate).unwrap();
    for f in frames {
        w.write_frame(f).unwrap();
    }
    assert_eq!(w.frames(), frames.len() as u64);
    w.finish().unwrap().into_inner()
}

#[test]
fn mono_float_header_is_exact() {
    let bytes = write(1, 48_000, &[vec![0.5], vec![-0.25]]);
    let mut expected = Vec::new();
    expected.extend_from_slice(b"RIFF");
    expected.extend_from_slice(&(4 + 26 + 12 + 8 + 8u32).to_le_bytes());
    expected.extend_from_slice(b"WAVEfmt ");
    expected.extend_from_slice(&18u32.to_le_bytes());
    expected.extend_from_slice(&3u16.to_le_bytes()); // IEEE float
    expected.extend_from_slice(&1u16.to_le_bytes());
    expected.extend_from_slice(&48_000u32.to_le_bytes());
    expected.extend_from_slice(&192_000u32.to_le_bytes());
    expected.extend_from_slice(&4u16.to_le_bytes());
    expected.extend_from_slice(&32u16.to_le_bytes());
    expected.extend_from_slice(&0u16.to_le_bytes());
    expected.extend_from_slice(b"fact");
    expected.extend_from_slice(&4u32.to_le_bytes());
    expected.extend_from_slice(&2u32.to_le_bytes());
    expected.extend_from_slice(b"data");
    expected.extend_from_slice(&8u32.to_le_bytes());
    expected.extend_from_slice(&0.5f32.to_le_bytes());
    expected.extend_from_slice(&(-0.25f32).to_le_bytes());
    assert_eq!(bytes, expected);
}

#[test]
fn stereo_round_trips_bit_for_bit() {
    let frames: Vec<Vec<f32>> = (0..1000)
        .map(|i| vec![(i as f32 * 0.01).sin() * 5.0, -(i as f32) * 1e-3])
        .collect();
    let bytes = write(2, 44_100, &frames);
    let wav = read_wav(&bytes);
    assert_eq!(wav.format_tag, 3);
    assert_eq!(wav.channels, 2);
    assert_eq!(wav.sample_rate, 44_100);
    assert_eq!(wav.byte_rate, 44_100 * 8);
    assert_eq!(wav.block_align, 8);
    assert_eq!(wav.bits, 32);
    assert_eq!(wav.fact_frames, Some(1000));
    let flat: Vec<u32> = frames.iter().flatten().map(|x| x.to_bits()).collect();
    let read: Vec<u32> = wav.samples.iter().map(|x| x.to_bits()).collect();
    assert_eq!(read, flat);
}

#[test]
fn more_than_two_channels_use_the_extensible_format() {
    let frames = vec![vec![1.0, 2.0, 3.0, 4.0, 5.0]; 3];
    let wav = read_wav(&write(5, 96_000, &frames));
    assert_eq!(wav.format_tag, 0xfffe);
    assert_eq!(wav.fmt_size, 40);
    // KSDATAFORMAT_SUBTYPE_IEEE_FLOAT
    assert_eq!(
        wav.sub_format,
        Some([3, 0, 0, 0, 0, 0, 0x10, 0, 0x80, 0, 0, 0xaa, 0, 0x38, 0x9b, 0x71])
    );
    assert_eq!(wav.channels, 5);
    assert_eq!(wav.block_align, 20);
    assert_eq!(wav.fact_frames, Some(3));
    assert_eq!(wav.samples.len(), 15);
    assert_eq!(&wav.samples[10..], &[1.0, 2.0, 3.0, 4.0, 5.0]);
}

#[test]
fn an_empty_render_is_still_a_valid_file() {
    let wav = read_wav(&write(1, 48_000, &[]));
    assert_eq!(wav.fact_frames, Some(0));
    assert!(wav.samples.is_empty());
}

#[test]
fn bad_frames_and_channel_counts_are_refused() {
    assert!(WavWriter::new(Cursor::new(Vec::new()), 0, 48_000).is_err());
    let mut w = WavWriter::new(Cursor::new(Vec::new()), 2, 48_000).unwrap();
    assert!(w.write_frame(&[1.0]).is_err());
    assert_eq!(w.frames(), 0);
}
