//! Which calls a rule records. A percentage is decided by the call's id, not by a random
//! draw: the same call gets the same answer in every process, after a restart and in a
//! replay, and a simulation's other draws are untouched.

use hotline_events::CallId;
use hotline_infra::config::Record;

/// Whether `record` chooses `call`.
pub fn chooses(record: Record, call: CallId) -> bool {
    match record {
        Record::None => false,
        Record::All => true,
        Record::Percent(p) => bucket(call) < u64::from(p),
    }
}

/// The call's bucket, 0 to 99: FNV-1a of the id's text, which is spread well enough for
/// shares of calls and stable across builds (pinned by a test).
fn bucket(call: CallId) -> u64 {
    let hash = call
        .to_string()
        .bytes()
        .fold(0xcbf2_9ce4_8422_2325_u64, |h, b| {
            (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3)
        });
    hash % 100
}

#[cfg(test)]
mod tests {
    use super::*;

    fn call(n: u128) -> CallId {
        CallId::from_uuid(uuid::Uuid::from_u128(n))
    }

    #[test]
    fn a_percentage_records_about_that_share_of_calls() {
        let chosen = (0..10_000u128)
            .filter(|n| chooses(Record::Percent(25), call(n * 7_919 + 1)))
            .count();
        assert!((2_300..=2_700).contains(&chosen), "{chosen} of 10000");
        assert!(chooses(Record::All, call(1)));
        assert!(!chooses(Record::None, call(1)));
    }

    #[test]
    fn the_choice_is_stable_for_a_call() {
        assert_eq!(bucket(call(1)), bucket(call(1)));
        // Pinned (FNV-1a of the call id's text, computed by hand): changing the hash changes
        // which calls past policies recorded.
        assert_eq!(bucket(CallId::from_uuid(uuid::Uuid::from_u128(1))), 78);
    }
}
