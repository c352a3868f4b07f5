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

    /// The values Kafka's own tests pin for the Java `Utils.murmur2` (`UtilsTest`),
    /// covering keys of every length modulo 4.
    #[test]
    fn murmur2_is_kafkas() {
        for (key, java) in [
            ("21", -973_932_308_i32),
            ("foobar", -790_332_482),
            ("a-little-bit-long-string", -985_981_536),
            ("a-little-bit-longer-string", -1_486_304_829),
            (
                "lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8",
                -58_897_971,
            ),
            ("abc", 479_470_107),
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
        // Negative hashes are masked, not negated: -973932308 & 0x7fffffff = 1173551340.
        assert_eq!(partition_for(b"21", 7), 1_173_551_340 % 7);
        assert_eq!(partition_for(b"abc", 3), 479_470_107 % 3);
    }
}
