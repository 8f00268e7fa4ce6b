//! Keeps this replica's engine in step with the store's change log.
//!
//! The engine changes only by applying the log in order: a local write applies its own
//! records directly when nothing else was committed since the engine's last applied change
//! (read-your-writes without a round trip), and otherwise catches up from the log, which
//! includes it. A follower thread catches up whenever the store signals a change
//! (PostgreSQL NOTIFY) or the poll interval passes, so writes made through other replicas —
//! or while a notification was lost — arrive within one interval.

use std::sync::{mpsc, Arc, Mutex, Weak};
use std::time::Duration;

use kpimatch_engine::solution::Solution;
use kpimatch_engine::Changes;

use crate::error::{ApiError, Code};
use crate::state::AppState;
use crate::storage::{StoreError, Written};

/// Most log entries applied in one batch (one tantivy commit).
pub const BATCH: usize = 10_000;

/// Why catching up failed.
#[derive(Debug, thiserror::Error)]
pub enum CatchUpError {
    /// The store could not be read.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The engine refused a change.
    #[error("applying the change log failed: {0}")]
    Engine(#[from] kpimatch_engine::Error),
}

impl From<CatchUpError> for ApiError {
    fn from(e: CatchUpError) -> ApiError {
        match e {
            CatchUpError::Store(e) => e.into(),
            CatchUpError::Engine(e) => {
                tracing::error!(error = %e, "applying the change log failed");
                ApiError::new(Code::Internal, "An internal error occurred; it has been logged.")
            }
        }
    }
}

/// Applies every committed change after the engine's last applied one; returns how many log
/// entries were applied. The caller holds the writers' lock.
pub fn catch_up(state: &AppState) -> Result<u64, CatchUpError> {
    let mut applied = 0;
    loop {
        let from = state.engine().applied().1;
        let changes = state.store.changes_since(from, BATCH)?;
        if changes.is_empty() {
            return Ok(applied);
        }
        applied += changes.to - changes.from;
        apply(state, changes)?;
    }
}

/// After a local write committed as `first..=last`: applies `changes` (the written records)
/// directly when the engine is at `first - 1`, else catches up from the log.
pub fn apply_written(state: &AppState, first: u64, last: u64, mut changes: Changes) -> Result<(), CatchUpError> {
    let at = state.engine().applied().1;
    if at + 1 == first {
        changes.from = at;
        changes.to = last;
        apply(state, changes)?;
    } else {
        catch_up(state)?;
    }
    Ok(())
}

fn apply(state: &AppState, changes: Changes) -> Result<(), CatchUpError> {
    let catalogue = !changes.solutions.is_empty() || !changes.deleted_solutions.is_empty();
    let cities: Vec<String> = changes
        .cities
        .iter()
        .map(|c| c.id.clone())
        .chain(changes.deleted_cities.iter().cloned())
        .collect();
    state.engine_mut().apply(changes)?;
    if catalogue {
        state.versions.bump_catalogue();
    }
    for id in &cities {
        state.versions.bump_city(id);
    }
    state.refresh_gauges();
    Ok(())
}

/// Where a queued write's answer is sent.
type Answer = mpsc::SyncSender<Result<Written, ApiError>>;

/// Single-solution writes waiting to be committed together (group commit).
#[derive(Default)]
pub struct WriteQueue {
    pending: Mutex<Vec<(Solution, Answer)>>,
}

/// Writes one (validated) solution durably and applies it to this replica, committed together
/// with the other single writes that arrived while the previous commit ran: a writer that takes
/// the writers' lock with its write still queued commits everything queued by then in one store
/// transaction (one fsync) and one text-index commit, and answers each waiter; one whose write
/// an earlier holder committed just takes its answer. Every write is answered only after the commit that holds it, so
/// nothing acknowledged can be lost, and an error (storage unavailable) reaches every write of
/// the group, none of which is then acknowledged.
pub fn put_solution(state: &AppState, solution: Solution) -> Result<Written, ApiError> {
    let (tx, rx) = mpsc::sync_channel(1);
    lock(&state.write_queue.pending).push((solution, tx));
    {
        let _w = state.writer();
        // Answered by the previous holder (who sends before it releases the lock): the writes
        // queued since are left to their own writers, who all wait for this lock, so the next
        // group gathers everything that arrived during the commit.
        if let Ok(answer) = rx.try_recv() {
            return answer;
        }
        // Not answered, so still queued: commit it with everything queued.
        let group = std::mem::take(&mut *lock(&state.write_queue.pending));
        if !group.is_empty() {
            let (solutions, waiters): (Vec<Solution>, Vec<_>) = group.into_iter().unzip();
            state.metrics.record_write_group(waiters.len());
            match write_solutions(state, solutions) {
                Ok(written) => {
                    for (tx, w) in waiters.iter().zip(written) {
                        let _ = tx.send(Ok(w));
                    }
                }
                Err(e) => {
                    for tx in &waiters {
                        let _ = tx.send(Err(e.clone()));
                    }
                }
            }
        }
    }
    rx.recv()
        .unwrap_or_else(|_| Err(ApiError::new(Code::Internal, "the write was dropped before its commit")))
}

/// Writes solutions durably in one store transaction and applies them to this replica (one
/// index commit); the caller holds the writers' lock. What each write did, in order.
pub fn write_solutions(state: &AppState, solutions: Vec<Solution>) -> Result<Vec<Written>, ApiError> {
    let c = state.store.put_solutions(&solutions)?;
    apply_written(
        state,
        c.first,
        c.last,
        Changes {
            solutions,
            ..Changes::default()
        },
    )?;
    Ok(c.value)
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

/// Starts the thread that follows the change log until the state is dropped.
pub fn spawn_follower(state: &Arc<AppState>, interval: Duration) -> std::io::Result<()> {
    let weak: Weak<AppState> = Arc::downgrade(state);
    std::thread::Builder::new()
        .name("replica-follower".into())
        .spawn(move || {
            let mut failing = false;
            loop {
                let Some(state) = weak.upgrade() else { return };
                let store = Arc::clone(&state.store);
                drop(state);
                store.wait_for_change(interval);
                let Some(state) = weak.upgrade() else { return };
                if let Err(e) = state.auth.refresh(&*state.store) {
                    tracing::debug!(error = %e, "reloading the API keys failed");
                }
                let _w = state.writer();
                match catch_up(&state) {
                    Ok(n) => {
                        if failing {
                            tracing::info!("the change log is readable again; caught up");
                            failing = false;
                        }
                        if n > 0 {
                            tracing::debug!(changes = n, applied = state.engine().applied().1, "caught up");
                        }
                    }
                    Err(e) => {
                        if !failing {
                            tracing::warn!(error = %e, "catching up with the change log failed; retrying");
                        }
                        failing = true;
                    }
                }
            }
        })?;
    Ok(())
}
