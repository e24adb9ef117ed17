//! A log-bucketed histogram of whole numbers: bounded memory whatever the
//! count, exact minimum and maximum, and quantiles to within a fixed share
//! of the value. The JSON's per-state distributions past its cut-off are
//! read from these, one per state, filled as the sweep closes each task.
//!
//! # Precision
//!
//! Below 2^[`SUB_BITS`] every value has a bucket of its own (exact). Above,
//! each power of two is cut into 2^[`SUB_BITS`] equal buckets, so a bucket
//! spans at most 1/128 of its lower edge; a quantile is reported as the
//! middle of the bucket that holds it (clamped to the exact minimum and
//! maximum), within 1/256 (0.4%) of the true value. The whole histogram is
//! 64 × 128 counters, 64 KiB, whatever the number of values.

/// Buckets per power of two: 2^7 = 128.
const SUB_BITS: u32 = 7;
const SUB: u64 = 1 << SUB_BITS;
/// One row of buckets per power of two that a `u64` can reach past the
/// exact range, plus the exact row.
const BUCKETS: usize = ((64 - SUB_BITS + 1) as usize) * SUB as usize;

/// Counts of values by bucket, and the exact extremes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Histogram {
    counts: Box<[u64]>,
    count: u64,
    min: u64,
    max: u64,
}

impl Default for Histogram {
    fn default() -> Histogram {
        Histogram {
            counts: vec![0; BUCKETS].into_boxed_slice(),
            count: 0,
            min: u64::MAX,
            max: 0,
        }
    }
}

/// The bucket of `value`.
fn bucket(value: u64) -> usize {
    if value < SUB {
        return value as usize;
    }
    // The top SUB_BITS + 1 bits: the power of two, then the bucket in it.
    let power = 63 - value.leading_zeros();
    let shift = power - SUB_BITS;
    let row = (shift + 1) as usize;
    row * SUB as usize + ((value >> shift) - SUB) as usize
}

/// The least value and one past the greatest of bucket `index`.
fn bounds(index: usize) -> (u64, u64) {
    let (row, at) = (index / SUB as usize, (index % SUB as usize) as u64);
    if row == 0 {
        return (at, at + 1);
    }
    let shift = row as u32 - 1;
    let low = (SUB + at) << shift;
    (low, low.saturating_add(1 << shift))
}

impl Histogram {
    /// Counts `value`.
    pub(crate) fn add(&mut self, value: u64) {
        self.counts[bucket(value)] += 1;
        self.count += 1;
        self.min = self.min.min(value);
        self.max = self.max.max(value);
    }

    /// How many values it counted.
    pub(crate) fn count(&self) -> u64 {
        self.count
    }

    /// Its buckets that counted something, `(index, count)` in order, and
    /// its exact extremes: what a recording keeps of it.
    pub(crate) fn parts(&self) -> (impl Iterator<Item = (usize, u64)> + '_, (u64, u64)) {
        let buckets = self.counts.iter().enumerate().filter(|(_, n)| **n > 0);
        (buckets.map(|(i, n)| (i, *n)), (self.min, self.max))
    }

    /// The histogram whose [`Histogram::parts`] these are, read back from a
    /// file: `None` when a bucket is out of range, a count too large, or
    /// the extremes out of order.
    pub(crate) fn from_parts(
        buckets: &[(usize, u64)],
        (min, max): (u64, u64),
    ) -> Option<Histogram> {
        let mut h = Histogram::default();
        for &(index, n) in buckets {
            *h.counts.get_mut(index)? += n;
            h.count = h.count.checked_add(n)?;
        }
        if h.count > 0 {
            (min <= max).then_some(())?;
            (h.min, h.max) = (min, max);
        }
        Some(h)
    }

    /// The `q`-quantile (0 to 1) of the values, as the value of rank
    /// `round((count - 1) × q)` in sorted order, to the precision above:
    /// the exact minimum at 0 and the exact maximum at 1. Zero when empty.
    pub(crate) fn quantile(&self, q: f64) -> u64 {
        if self.count == 0 {
            return 0;
        }
        let rank = ((self.count - 1) as f64 * q.clamp(0.0, 1.0)).round() as u64;
        if rank == 0 {
            return self.min;
        }
        if rank == self.count - 1 {
            return self.max;
        }
        let mut seen = 0u64;
        for (index, &n) in self.counts.iter().enumerate() {
            seen += n;
            if seen > rank {
                let (low, high) = bounds(index);
                let middle = low + (high - low - 1) / 2;
                return middle.clamp(self.min, self.max);
            }
        }
        self.max
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_value_falls_in_the_bucket_whose_bounds_hold_it() {
        for value in (0..5000u64).chain([u64::MAX, u64::MAX / 3, 1 << 40, (1 << 40) - 1]) {
            let (low, high) = bounds(bucket(value));
            assert!(
                low <= value && (value < high || high == u64::MAX),
                "{value}"
            );
            // A bucket spans at most 1/128 of its lower edge.
            assert!(high - low <= (low / SUB).max(1), "{value}: {low}..{high}");
        }
        assert!(bucket(u64::MAX) < BUCKETS);
    }

    #[test]
    fn small_values_are_exact_and_the_extremes_always() {
        let mut h = Histogram::default();
        for v in [3u64, 1, 2, 2, 100] {
            h.add(v);
        }
        assert_eq!(h.count(), 5);
        assert_eq!(h.quantile(0.0), 1);
        assert_eq!(h.quantile(0.5), 2);
        assert_eq!(h.quantile(1.0), 100);
        assert_eq!(Histogram::default().quantile(0.5), 0);
    }

    #[test]
    fn quantiles_of_large_values_are_within_the_stated_precision() {
        // 10,000 made-up waits from 100 ms to about 1.1 s, in microseconds,
        // against the same quantiles of the sorted list.
        let values: Vec<u64> = (0..10_000u64).map(|i| 100_000 + i * i / 97).collect();
        let mut h = Histogram::default();
        for &v in values.iter().rev() {
            h.add(v);
        }
        let mut sorted = values.clone();
        sorted.sort_unstable();
        for q in [0.0, 0.25, 0.5, 0.9, 0.99, 1.0] {
            let exact = sorted[((sorted.len() - 1) as f64 * q).round() as usize];
            let got = h.quantile(q);
            let error = got.abs_diff(exact) as f64 / exact as f64;
            assert!(error <= 1.0 / 256.0, "q {q}: {got} vs {exact}");
        }
        assert_eq!(h.quantile(0.0), 100_000);
        assert_eq!(h.quantile(1.0), *sorted.last().unwrap());
    }
}
