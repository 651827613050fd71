//! The threads a search or a batch of random walks works on: the calling thread alone, or a
//! rayon pool of two or more, behind one interface whose results are in the items' order
//! either way (so counts, verdicts and traces do not depend on the thread count).

use rayon::prelude::*;

/// The threads a run works on (`--threads`): the calling thread alone, or a rayon pool of two
/// or more. One thread runs every step in place: a pool of one handed each of a search's
/// chunks to its thread and back, two futex wake-ups and a sleep per step, and its idle thread
/// spun in `sched_yield` beside the other runs of a `check` (the whole two-client `check`,
/// where every run has one thread: 257 k context switches instead of 1.6 k;
/// docs/benchmarks.md, "One thread without a pool").
pub enum Workers {
    /// The calling thread, in order.
    Here,
    /// A rayon pool of two or more threads.
    Pool(rayon::ThreadPool),
}

impl Workers {
    /// The calling thread for `threads` ≤ 1, else a pool of `threads` threads.
    ///
    /// # Panics
    /// When the operating system refuses the pool's threads.
    pub fn new(threads: usize) -> Self {
        if threads <= 1 {
            return Workers::Here;
        }
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(threads)
            .build()
            .expect("thread pool");
        Workers::Pool(pool)
    }

    /// `f` of each of `items`, in their order.
    pub fn map<T: Send, R: Send>(&self, items: Vec<T>, f: impl Fn(T) -> R + Sync + Send) -> Vec<R> {
        match self {
            Workers::Here => items.into_iter().map(f).collect(),
            Workers::Pool(pool) => pool.install(|| items.into_par_iter().map(f).collect()),
        }
    }

    /// `f` of consecutive ranges of `items`, in their order: the whole of `items` on the
    /// calling thread, `ranges` ranges (at least 1) on a pool, each a task.
    pub fn ranges<T: Sync, R: Send>(
        &self,
        items: &[T],
        ranges: usize,
        f: impl Fn(&[T]) -> R + Sync + Send,
    ) -> Vec<R> {
        match self {
            Workers::Here => vec![f(items)],
            Workers::Pool(pool) => {
                let range = items.len().div_ceil(ranges.max(1)).max(1);
                pool.install(|| items.par_chunks(range).map(f).collect())
            }
        }
    }

    /// `f` of each of `items` with its index, in their order.
    pub fn map_mut<T: Send, R: Send>(
        &self,
        items: &mut [T],
        f: impl Fn(usize, &mut T) -> R + Sync + Send,
    ) -> Vec<R> {
        match self {
            Workers::Here => items.iter_mut().enumerate().map(|(k, t)| f(k, t)).collect(),
            Workers::Pool(pool) => pool.install(|| {
                items
                    .par_iter_mut()
                    .enumerate()
                    .map(|(k, t)| f(k, t))
                    .collect()
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Workers;

    /// One thread and a pool give the same results, in the items' order.
    #[test]
    fn results_are_in_order_on_any_thread_count() {
        for threads in [1, 2, 3] {
            let w = Workers::new(threads);
            let items: Vec<u32> = (0..1000).collect();
            assert_eq!(
                w.map(items.clone(), |i| i * 2),
                (0..1000).map(|i| i * 2).collect::<Vec<_>>()
            );
            let sums = w.ranges(&items, 8, |r| r.iter().sum::<u32>());
            assert_eq!(sums.iter().sum::<u32>(), items.iter().sum::<u32>());
            assert_eq!(sums.len(), if threads == 1 { 1 } else { 8 });
            let mut v = items.clone();
            let got = w.map_mut(&mut v, |k, x| {
                *x += 1;
                k as u32 + *x
            });
            assert_eq!(got, (0..1000).map(|i| 2 * i + 1).collect::<Vec<_>>());
            assert_eq!(v, (1..1001).collect::<Vec<_>>());
        }
    }
}
