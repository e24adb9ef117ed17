//! The picture's density band as a tally: how many tasks were waiting, and
//! how many ready, over time, kept as the sweep closes each span, so a
//! million-task picture never holds a million tasks' spans.
//!
//! Time is cut into at most [`MAX_BUCKETS`] buckets of one width, a power
//! of two of nanoseconds, which doubles (two buckets merge into one) when a
//! span ends past the last: the memory is fixed, and a bucket is at most
//! 1/2048 of the run once the run is longer than the first width allows.
//! Each bucket knows the exact task-time spent in a class within it (a
//! difference array of counts, plus the part of a bucket before a span
//! began or after it ended), so the band's columns, which are wider than
//! a bucket, read the average number of tasks in each class to within a
//! bucket's share at their two edges.

/// The band's two classes: a wait in progress, or ready for a thread.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Class {
    Waiting = 0,
    Ready = 1,
}

/// At most this many buckets of time.
const MAX_BUCKETS: usize = 4096;
/// The first width of a bucket, in nanoseconds (about a microsecond).
const FIRST_WIDTH: u64 = 1 << 10;

/// Task-time per class and bucket.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Band {
    /// A bucket's width, in nanoseconds.
    width: u64,
    /// Per class: +1 in the bucket where a span begins, -1 where it ends.
    steps: [Vec<i64>; 2],
    /// Per class: what the counts' running sum gets wrong in a bucket,
    /// which a span covers only in part, in nanoseconds.
    parts: [Vec<i64>; 2],
}

impl Default for Band {
    fn default() -> Band {
        Band {
            width: FIRST_WIDTH,
            steps: [vec![0; MAX_BUCKETS], vec![0; MAX_BUCKETS]],
            parts: [vec![0; MAX_BUCKETS], vec![0; MAX_BUCKETS]],
        }
    }
}

impl Band {
    /// Counts a span of `class` from `from` to `to` (nanoseconds since the
    /// start), or takes one away (`sign` -1: a task drawn in a lane).
    pub(crate) fn add(&mut self, class: Class, (from, to): (u64, u64), sign: i64) {
        if to <= from {
            return;
        }
        // The width is a power of two: a shift and a mask, not a division
        // (this runs for every span of every task in a census).
        let shift = self.width.trailing_zeros();
        if to >> shift >= MAX_BUCKETS as u64 {
            while to / self.width >= MAX_BUCKETS as u64 {
                self.widen();
            }
            return self.add(class, (from, to), sign);
        }
        let mask = self.width - 1;
        let (steps, parts) = (
            &mut self.steps[class as usize],
            &mut self.parts[class as usize],
        );
        let (a, b) = ((from >> shift) as usize, (to >> shift) as usize);
        steps[a] += sign;
        steps[b] -= sign;
        parts[a] -= sign * (from & mask) as i64;
        parts[b] += sign * (to & mask) as i64;
    }

    /// Its bucket width, and its buckets that are not zero, `(index,
    /// value)` in order, of the waiting steps, the ready steps, the
    /// waiting parts and the ready parts: what a recording keeps of it.
    pub(crate) fn parts(&self) -> (u64, [impl Iterator<Item = (usize, i64)> + '_; 4]) {
        fn nonzero(values: &[i64]) -> impl Iterator<Item = (usize, i64)> + '_ {
            let values = values.iter().enumerate().filter(|(_, v)| **v != 0);
            values.map(|(i, v)| (i, *v))
        }
        let [s0, s1] = &self.steps;
        let [p0, p1] = &self.parts;
        (
            self.width,
            [nonzero(s0), nonzero(s1), nonzero(p0), nonzero(p1)],
        )
    }

    /// The band whose [`Band::parts`] these are, read back from a file:
    /// `None` when the width is not one a run reaches (a power of two, at
    /// most a day over the buckets), a bucket is out of range, or a value
    /// too large for the sums the band makes.
    pub(crate) fn from_parts(width: u64, values: [&[(usize, i64)]; 4]) -> Option<Band> {
        const MOST_STEPS: i64 = 1 << 26;
        (width.is_power_of_two() && (FIRST_WIDTH..=1 << 35).contains(&width)).then_some(())?;
        let mut band = Band {
            width,
            ..Band::default()
        };
        let [s0, s1] = &mut band.steps;
        let [p0, p1] = &mut band.parts;
        for (k, (into, from)) in [s0, s1, p0, p1].into_iter().zip(values).enumerate() {
            let most = if k < 2 {
                MOST_STEPS
            } else {
                MOST_STEPS * width as i64
            };
            for &(index, value) in from {
                (value.abs() <= most).then_some(())?;
                *into.get_mut(index)? = value;
            }
        }
        Some(band)
    }

    /// Doubles the width: each pair of buckets becomes one.
    fn widen(&mut self) {
        let width = self.width as i64;
        for (steps, parts) in self.steps.iter_mut().zip(self.parts.iter_mut()) {
            for k in 0..MAX_BUCKETS / 2 {
                let (s0, s1) = (steps[2 * k], steps[2 * k + 1]);
                // The second half's running sum already counted the first
                // half's step; the merged bucket counts its own steps over
                // the double width, so the first half, where the second
                // half's step had not happened, is corrected.
                parts[k] = parts[2 * k] + parts[2 * k + 1] - s1 * width;
                steps[k] = s0 + s1;
            }
            steps[MAX_BUCKETS / 2..].fill(0);
            parts[MAX_BUCKETS / 2..].fill(0);
        }
        self.width *= 2;
    }

    /// The average number of tasks in each class over each of `columns`
    /// equal columns from 0 to `end` (nanoseconds): `[waiting, ready]`.
    pub(crate) fn columns(&self, end: u64, columns: usize) -> Vec<[f64; 2]> {
        let mut out = vec![[0.0; 2]; columns];
        if end == 0 || columns == 0 {
            return out;
        }
        let column = end as f64 / columns as f64;
        let width = self.width as f64;
        for class in [Class::Waiting, Class::Ready] {
            let (steps, parts) = (&self.steps[class as usize], &self.parts[class as usize]);
            let mut running = 0i64;
            for bucket in 0..MAX_BUCKETS {
                running += steps[bucket];
                // Task-nanoseconds in this bucket, spread evenly over it.
                let time = running as f64 * width + parts[bucket] as f64;
                let (from, to) = (bucket as f64 * width, (bucket + 1) as f64 * width);
                if from >= end as f64 {
                    break;
                }
                if time == 0.0 {
                    continue;
                }
                let first = (from / column) as usize;
                let last = ((to / column).ceil() as usize).min(columns);
                for (c, slot) in out.iter_mut().enumerate().take(last).skip(first) {
                    let (a, b) = (
                        (c as f64 * column).max(from),
                        ((c + 1) as f64 * column).min(to),
                    );
                    if b > a {
                        slot[class as usize] += time * (b - a) / width / column;
                    }
                }
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MS: u64 = 1_000_000;

    #[test]
    fn columns_read_the_average_tasks_in_each_class() {
        let mut band = Band::default();
        // Three tasks wait from 0 to 100 ms; one is ready from 50 to 100 ms;
        // a short ready blip of 1 µs at 10 ms.
        for _ in 0..3 {
            band.add(Class::Waiting, (0, 100 * MS), 1);
        }
        band.add(Class::Ready, (50 * MS, 100 * MS), 1);
        band.add(Class::Ready, (10 * MS, 10 * MS + 1000), 1);
        let cols = band.columns(100 * MS, 4);
        for c in &cols {
            assert!((c[0] - 3.0).abs() < 1e-3, "{cols:?}");
        }
        assert!(cols[0][1] > 0.0 && cols[0][1] < 1e-3, "{cols:?}");
        assert!(
            cols[1][1].abs() < 1e-3 && (cols[2][1] - 1.0).abs() < 1e-3,
            "{cols:?}"
        );
        // A task drawn in a lane is taken away again.
        band.add(Class::Waiting, (0, 100 * MS), -1);
        assert!((band.columns(100 * MS, 4)[3][0] - 2.0).abs() < 1e-3);
    }

    #[test]
    fn widening_keeps_every_bucket_exact() {
        // Spans at odd places, added before and after the width grows many
        // times over (a 2 s run from a 1 µs first width).
        let spans = [(1_234, 5_678_901), (333 * MS, 1_900 * MS), (7, 9)];
        let mut early = Band::default();
        for &s in &spans {
            early.add(Class::Ready, s, 1);
        }
        early.add(Class::Waiting, (0, 2_000 * MS), 1);
        let mut late = Band::default();
        late.add(Class::Waiting, (0, 2_000 * MS), 1);
        for &s in &spans {
            late.add(Class::Ready, s, 1);
        }
        assert_eq!(early, late);
        // The total task-time is exact whatever the columns.
        let total: f64 = early
            .columns(2_000 * MS, 7)
            .iter()
            .map(|c| c[1])
            .sum::<f64>()
            * (2_000 * MS) as f64
            / 7.0;
        let exact: u64 = spans.iter().map(|(a, b)| b - a).sum();
        assert!((total - exact as f64).abs() < 1.0, "{total} vs {exact}");
    }
}
