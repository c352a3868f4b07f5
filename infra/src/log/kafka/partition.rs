//! Which partition a stream's events go to: Kafka's own default for a keyed record
//! (`murmur2(key) & 0x7fffffff % partitions`, as the Java client and librdkafka's
//! `murmur2_random` partitioner compute it), worked out by the writer itself because an
//! event's predecessor hash is the last hash *of its partition*, so the partition must be
//! known before the record is hashed. Being Kafka's default, any other producer keyed by
//! stream name puts a stream where this one does.

/// The partition of `key` among `partitions` (at least 1).
pub(crate) fn partition_for(key: &[u8], partitions: i32) -> i32 {
    let positive = murmur2(key) & 0x7fff_ffff;
    // Both are non-negative i32s, so the remainder is one too.
    i32::try_from(positive % partitions.max(1).unsigned_abs()).unwrap_or(0)
}

/// Kafka's murmur2 (seed 0x9747b28c), on the wrapping 32-bit arithmetic of the Java code.
fn murmur2(data: &[u8]) -> u32 {
    const M: u32 = 0x5bd1_e995;
    const R: u32 = 24;
    // Java takes the length as an int; a key of 2 GiB is no stream name.
    let mut h: u32 = 0x9747_b28c ^ (data.len() as u32);
    let mut chunks = data.chunks_exact(4);
    for chunk in &mut chunks {
        let mut k = u32::from_le_bytes([chunk[0], chunk[1], chunk[2], chunk[3]]);
        k = k.wrapping_mul(M);
        k ^= k >> R;
        k = k.wrapping_mul(M);
        h = h.wrapping_mul(M);
        h ^= k;
    }
    let tail = chunks.remainder();
    if tail.len() >= 3 {
        h ^= u32::from(tail[2]) << 16;
    }
    if tail.len() >= 2 {
        h ^= u32::from(tail[1]) << 8;
    }
    if let Some(first) = tail.first() {
        h ^= u32::from(*first);
        h = h.wrapping_mul(M);
    }
    h ^= h >> 13;
    h = h.wrapping_mul(M);
    h ^= h >> 15;
    h
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Kafka's Java `Utils.murmur2` values (as kafkajs checks its port against them),
    /// covering keys of every length modulo 4.
    #[test]
    fn murmur2_is_kafkas() {
        for (key, java) in [
            ("0", 272_173_970_i32),
            ("1", 1_311_020_360),
            ("128", 2_053_105_854),
            ("2187", -2_081_355_488),
            ("16384", 204_404_061),
            ("78125", -677_491_393),
            ("279936", -622_460_209),
            ("10000000", -1_778_616_326),
        ] {
            assert_eq!(murmur2(key.as_bytes()) as i32, java, "{key}");
        }
    }

    #[test]
    fn a_key_always_lands_in_one_partition_within_range() {
        for key in ["call-1", "agent-ada", "queue-sales", ""] {
            let p = partition_for(key.as_bytes(), 3);
            assert!((0..3).contains(&p), "{key}: {p}");
            assert_eq!(partition_for(key.as_bytes(), 3), p);
            assert_eq!(partition_for(key.as_bytes(), 1), 0);
        }
        // (murmur2("0") & 0x7fffffff) % 3 = 272173970 % 3.
        assert_eq!(partition_for(b"0", 3), 272_173_970 % 3);
        // Negative hashes are masked, not negated: -2081355488 & 0x7fffffff = 66128160.
        assert_eq!(partition_for(b"2187", 7), 66_128_160 % 7);
    }
}
