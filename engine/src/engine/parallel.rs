//! Work spread over every core, results consumed in input order.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::mpsc;

/// Below this many items threads cost more than they save.
const MIN_PARALLEL: usize = 256;
/// Items per unit of work.
const CHUNK: usize = 256;

/// Computes `f` of every item on all cores and hands each result to `sink` on the calling
/// thread, in input order, as soon as it and every result before it are ready — so the caller's
/// sequential work (indexing in a fixed document order, say) overlaps with the computation of
/// the next items instead of waiting for the whole batch. The first error of `sink` stops the
/// work and is returned; a panic in `f` is resumed on the calling thread.
pub(crate) fn map_in_order<T, R, E>(
    items: &[T],
    f: impl Fn(&T) -> R + Sync,
    mut sink: impl FnMut(usize, R) -> Result<(), E>,
) -> Result<(), E>
where
    T: Sync,
    R: Send,
{
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    if threads == 1 || items.len() < MIN_PARALLEL {
        for (i, item) in items.iter().enumerate() {
            sink(i, f(item))?;
        }
        return Ok(());
    }
    let chunks = items.len().div_ceil(CHUNK);
    let next = AtomicUsize::new(0);
    let stop = AtomicBool::new(false);
    std::thread::scope(|scope| {
        let (tx, rx) = mpsc::channel::<(usize, Vec<R>)>();
        let mut workers = Vec::with_capacity(threads);
        for _ in 0..threads {
            let tx = tx.clone();
            let (f, next, stop) = (&f, &next, &stop);
            workers.push(scope.spawn(move || loop {
                let c = next.fetch_add(1, Ordering::Relaxed);
                if c >= chunks || stop.load(Ordering::Relaxed) {
                    return;
                }
                let part = &items[c * CHUNK..((c + 1) * CHUNK).min(items.len())];
                if tx.send((c, part.iter().map(f).collect())).is_err() {
                    return;
                }
            }));
        }
        drop(tx);
        // Chunks that finished ahead of the one expected next.
        let mut ahead: BTreeMap<usize, Vec<R>> = BTreeMap::new();
        let mut expected = 0;
        // Ends early when a worker panicked (its sender dropped with the chunk unsent): joining
        // it below resumes the panic.
        while let Ok((c, results)) = rx.recv() {
            ahead.insert(c, results);
            while let Some(results) = ahead.remove(&expected) {
                for (j, r) in results.into_iter().enumerate() {
                    if let Err(e) = sink(expected * CHUNK + j, r) {
                        stop.store(true, Ordering::Relaxed);
                        return Err(e);
                    }
                }
                expected += 1;
            }
        }
        for w in workers {
            if let Err(panic) = w.join() {
                std::panic::resume_unwind(panic);
            }
        }
        Ok(())
    })
}

/// [`map_in_order`] collected into a vector.
pub(crate) fn map<T: Sync, R: Send>(items: &[T], f: impl Fn(&T) -> R + Sync) -> Vec<R> {
    let mut out = Vec::with_capacity(items.len());
    let Ok(()) = map_in_order(items, f, |_, r| {
        out.push(r);
        Ok::<_, std::convert::Infallible>(())
    });
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn results_arrive_in_input_order() {
        for n in [0, 1, 255, 256, 257, 5000] {
            let items: Vec<u64> = (0..n).collect();
            let mut seen = Vec::new();
            map_in_order(
                &items,
                |x| x * 3,
                |i, r| {
                    assert_eq!(r, items[i] * 3);
                    seen.push(i);
                    Ok::<_, ()>(())
                },
            )
            .unwrap();
            assert_eq!(seen, (0..n as usize).collect::<Vec<_>>());
            assert_eq!(map(&items, |x| x + 1), items.iter().map(|x| x + 1).collect::<Vec<_>>());
        }
    }

    #[test]
    fn the_first_error_stops_the_work() {
        let items: Vec<u32> = (0..10_000).collect();
        let mut sunk = 0;
        let r = map_in_order(
            &items,
            |x| *x,
            |i, _| {
                sunk += 1;
                if i == 700 {
                    Err(i)
                } else {
                    Ok(())
                }
            },
        );
        assert_eq!((r, sunk), (Err(700), 701));
    }

    #[test]
    #[should_panic(expected = "item 300")]
    fn a_panic_in_the_work_reaches_the_caller() {
        let items: Vec<u32> = (0..1000).collect();
        let _ = map(&items, |x| {
            assert!(*x != 300, "item 300");
            *x
        });
    }
}
