//! The simulated network's audio: what a recorder hears on a call, synthesized so that a
//! recording is a real file a test can decode and check.
//!
//! Each party talks in turns of [`TURN`] (the caller first), in syllables of a quarter
//! second: a voiced tone under an envelope, the caller at [`CALLER_HZ`] and the agent at
//! [`AGENT_HZ`] (with a second harmonic), so the two channels are told apart by pitch.
//! While the caller is on hold or nobody is connected, both channels are silent; a caller
//! leaving a voicemail message talks on without turns. The sound
//! is a pure function of the call's phase and the frame's index: it draws nothing from the
//! network's random streams, so recording a call changes no other draw.

use std::f64::consts::PI;
use std::time::Duration;

use crate::telephony::{AudioFrame, FRAME_SAMPLES, SAMPLE_RATE};

use super::call::Phase;

/// The caller's voice pitch.
pub const CALLER_HZ: f64 = 220.0;
/// The agent's voice pitch.
pub const AGENT_HZ: f64 = 330.0;
/// How long each party talks before the other answers.
pub const TURN: Duration = Duration::from_secs(2);
/// Peak amplitude (about a third of full scale, -10 dBFS).
const PEAK: f64 = 10_000.0;

/// Frame number `index` (20 ms each, from when the recorder started listening) of a call in
/// `phase`.
pub(crate) fn frame(index: u64, phase: Phase) -> AudioFrame {
    let mut frame = AudioFrame::SILENCE;
    if phase != Phase::Talking && phase != Phase::Message {
        return frame;
    }
    let rate = f64::from(SAMPLE_RATE);
    let turn_samples = TURN.as_secs_f64() * rate;
    for i in 0..FRAME_SAMPLES {
        let n = index * FRAME_SAMPLES as u64 + i as u64;
        let t = n as f64 / rate;
        let caller_turn =
            phase == Phase::Message || ((n as f64 / turn_samples) as u64).is_multiple_of(2);
        // Syllables: four a second, each a half-sine swell.
        let envelope = (PI * (t * 4.0).fract()).sin();
        let (hz, out) = if caller_turn {
            (CALLER_HZ, &mut frame.caller)
        } else {
            (AGENT_HZ, &mut frame.agent)
        };
        let voice = (2.0 * PI * hz * t).sin() + 0.4 * (4.0 * PI * hz * t).sin();
        out[i] = (PEAK * envelope * voice / 1.4) as i16;
    }
    frame
}

#[cfg(test)]
mod tests {
    use super::*;

    fn energy(samples: &[i16]) -> f64 {
        samples.iter().map(|s| f64::from(*s).powi(2)).sum::<f64>()
    }

    #[test]
    fn parties_take_turns_and_hold_is_silent() {
        // 0.1 s in: the caller's turn.
        let f = frame(5, Phase::Talking);
        assert!(energy(&f.caller) > 0.0 && energy(&f.agent) == 0.0);
        // 2.1 s in: the agent's.
        let f = frame(105, Phase::Talking);
        assert!(energy(&f.agent) > 0.0 && energy(&f.caller) == 0.0);
        assert_eq!(frame(5, Phase::OnHold), AudioFrame::SILENCE);
        assert_eq!(frame(5, Phase::Waiting), AudioFrame::SILENCE);
        // A voicemail message: the caller alone, past a turn's end.
        let f = frame(105, Phase::Message);
        assert!(energy(&f.caller) > 0.0 && energy(&f.agent) == 0.0);
    }
}
