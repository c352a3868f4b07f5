//! Recordings as WAV files: 16-bit PCM at 8 kHz, the caller on the left channel and the
//! agent on the right, written and read with `hound`.
//!
//! The recorder keeps a call's samples in memory and writes the file once at the end: the
//! file is encrypted whole before it touches the disk (32 KB a second of call, so an hour
//! is about 115 MB while it lasts).

use std::io::Cursor;
use std::time::Duration;

use crate::telephony::{AudioFrame, FRAME_SAMPLES, SAMPLE_RATE};

/// Why a WAV file could not be written or read.
#[derive(Debug, thiserror::Error)]
pub enum WavError {
    #[error("the recording is not a readable WAV file: {0}")]
    Wav(#[from] hound::Error),
}

/// What a WAV file holds.
#[derive(Debug, Clone, PartialEq)]
pub struct WavInfo {
    pub channels: u16,
    pub sample_rate: u32,
    pub bits_per_sample: u16,
    /// Samples per channel.
    pub frames: u64,
    /// Each channel's samples, in order: `[caller, agent]` for a recording.
    pub channel_samples: Vec<Vec<i16>>,
}

impl WavInfo {
    pub fn duration(&self) -> Duration {
        Duration::from_millis(self.frames * 1_000 / u64::from(self.sample_rate.max(1)))
    }
}

/// A two-channel recording being collected.
#[derive(Debug, Default)]
pub struct StereoRecording {
    /// Interleaved: caller, agent, caller, agent…
    samples: Vec<i16>,
}

impl StereoRecording {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn push(&mut self, frame: &AudioFrame) {
        self.samples.reserve(2 * FRAME_SAMPLES);
        for (c, a) in frame.caller.iter().zip(&frame.agent) {
            self.samples.push(*c);
            self.samples.push(*a);
        }
    }

    /// The audio collected so far.
    pub fn duration(&self) -> Duration {
        Duration::from_millis(self.samples.len() as u64 / 2 * 1_000 / u64::from(SAMPLE_RATE))
    }

    /// The WAV file's bytes.
    pub fn finish(self) -> Result<Vec<u8>, WavError> {
        let spec = hound::WavSpec {
            channels: 2,
            sample_rate: SAMPLE_RATE,
            bits_per_sample: 16,
            sample_format: hound::SampleFormat::Int,
        };
        let mut out = Cursor::new(Vec::with_capacity(44 + self.samples.len() * 2));
        {
            let mut writer = hound::WavWriter::new(&mut out, spec)?;
            let mut samples = writer.get_i16_writer(self.samples.len() as u32);
            for s in &self.samples {
                samples.write_sample(*s);
            }
            samples.flush()?;
            writer.finalize()?;
        }
        Ok(out.into_inner())
    }
}

/// Reads a WAV file's format and samples (16-bit integer PCM, as recordings are).
pub fn read(bytes: &[u8]) -> Result<WavInfo, WavError> {
    let reader = hound::WavReader::new(Cursor::new(bytes))?;
    let spec = reader.spec();
    let channels = spec.channels.max(1);
    let mut channel_samples = vec![Vec::new(); usize::from(channels)];
    for (i, sample) in reader.into_samples::<i16>().enumerate() {
        channel_samples[i % usize::from(channels)].push(sample?);
    }
    Ok(WavInfo {
        channels: spec.channels,
        sample_rate: spec.sample_rate,
        bits_per_sample: spec.bits_per_sample,
        frames: channel_samples[0].len() as u64,
        channel_samples,
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn frames_become_a_two_channel_8khz_file() {
        let mut rec = StereoRecording::new();
        let mut frame = AudioFrame::SILENCE;
        frame.caller[0] = 1_000;
        frame.agent[0] = -2_000;
        for _ in 0..50 {
            rec.push(&frame);
        }
        assert_eq!(rec.duration(), Duration::from_secs(1));
        let bytes = rec.finish().unwrap();
        assert_eq!(&bytes[..4], b"RIFF");
        let info = read(&bytes).unwrap();
        assert_eq!(
            (info.channels, info.sample_rate, info.bits_per_sample),
            (2, 8_000, 16)
        );
        assert_eq!(info.frames, 8_000);
        assert_eq!(info.duration(), Duration::from_secs(1));
        assert_eq!(info.channel_samples[0][160], 1_000);
        assert_eq!(info.channel_samples[1][160], -2_000);
    }

    #[test]
    fn a_truncated_file_is_an_error_not_a_panic() {
        let mut rec = StereoRecording::new();
        rec.push(&AudioFrame::SILENCE);
        let bytes = rec.finish().unwrap();
        for cut in [0, 10, 43] {
            assert!(read(&bytes[..cut]).is_err(), "cut at {cut}");
        }
        assert!(read(b"not a wav file at all, just text").is_err());
    }
}
