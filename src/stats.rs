//! Per-fluxion figures for the whole process. A Rust static is one copy shared by every thread
//! that loaded the addon, so `stats()` answers the same from the main thread and any worker.

use napi_derive::napi;
use std::cell::RefCell;
use std::collections::{BTreeMap, HashMap};
use std::sync::{LazyLock, Mutex};
use std::time::Instant;

#[derive(Default)]
struct Figures {
    placement: String,
    messages_in: u64,
    messages_out: u64,
    started: u64,
    executions: BTreeMap<u32, u64>,
    run_micros: f64,
    cpu_micros: f64,
}

/// Figures by index; ids are interned once per thread (`stats_intern`), so that the per-run calls
/// pass a number instead of converting a long string.
#[derive(Default)]
struct Table {
    index: HashMap<String, u32>,
    rows: Vec<(String, Figures)>,
}

static STATS: LazyLock<Mutex<Table>> = LazyLock::new(Default::default);

fn table() -> std::sync::MutexGuard<'static, Table> {
    STATS.lock().unwrap_or_else(|p| p.into_inner())
}

fn intern(t: &mut Table, id: &str) -> u32 {
    if let Some(&i) = t.index.get(id) {
        return i;
    }
    let i = t.rows.len() as u32;
    t.rows.push((id.to_string(), Figures::default()));
    t.index.insert(id.to_string(), i);
    i
}

fn with<T>(idx: u32, f: impl FnOnce(&mut Figures) -> T) -> Option<T> {
    table().rows.get_mut(idx as usize).map(|(_, fig)| f(fig))
}

/// The number that stands for fluxion `id` in the per-run calls.
#[napi]
pub fn stats_intern(id: String) -> u32 {
    intern(&mut table(), &id)
}

#[napi(object)]
pub struct ThreadExecutions {
    pub thread_id: u32,
    pub count: f64,
}

#[napi(object)]
pub struct FluxionStats {
    pub id: String,
    pub placement: String,
    pub messages_in: f64,
    pub messages_out: f64,
    /// Messages received and not yet run.
    pub inbox: f64,
    pub executions: Vec<ThreadExecutions>,
    /// Mean wall-clock time of a run.
    pub mean_run_ms: f64,
    /// Mean CPU time of a run, on the thread that ran it (what placement decides on).
    pub mean_cpu_ms: f64,
}

/// A message for fluxion `idx` was sent (`out`) or received.
#[napi]
pub fn stats_message(idx: u32, out: bool) {
    with(idx, |f| {
        if out {
            f.messages_out += 1
        } else {
            f.messages_in += 1
        }
    });
}

/// When a run started: wall clock and this thread's CPU clock.
struct Start {
    wall: Instant,
    cpu_nanos: u64,
}

thread_local! {
    /// Runs in progress on this thread (a fluxion may run another synchronously).
    static STARTS: RefCell<Vec<Start>> = const { RefCell::new(Vec::new()) };
}

/// CPU time this thread has used. Wall time counts the time the thread was descheduled, which
/// on a busy machine makes a cheap handler look costly enough to move.
fn thread_cpu_nanos() -> u64 {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `ts` is a valid, writable timespec; the clock id is a constant Linux and macOS know.
    let rc = unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut ts) };
    if rc != 0 {
        return 0;
    }
    ts.tv_sec as u64 * 1_000_000_000 + ts.tv_nsec as u64
}

/// A run of some fluxion starts on this thread (paired with `stats_exec`).
#[napi]
pub fn stats_enter() {
    let start = Start {
        wall: Instant::now(),
        cpu_nanos: thread_cpu_nanos(),
    };
    STARTS.with(|s| s.borrow_mut().push(start));
}

/// The run begun by the last `stats_enter` on this thread was one execution of fluxion `idx`.
#[napi]
pub fn stats_exec(idx: u32, thread_id: u32, from_message: bool) {
    let Some(start) = STARTS.with(|s| s.borrow_mut().pop()) else {
        return;
    };
    let wall = start.wall.elapsed().as_secs_f64() * 1e6;
    let cpu = thread_cpu_nanos().saturating_sub(start.cpu_nanos) as f64 / 1e3;
    with(idx, |f| {
        *f.executions.entry(thread_id).or_default() += 1;
        f.run_micros += wall;
        f.cpu_micros += cpu;
        if from_message {
            f.started += 1;
        }
    });
}

#[napi]
pub fn stats_placement(id: String, placement: String) {
    let mut t = table();
    let i = intern(&mut t, &id) as usize;
    t.rows[i].1.placement = placement;
}

#[napi]
pub fn stats_snapshot() -> Vec<FluxionStats> {
    let t = table();
    let mut out: Vec<FluxionStats> = t
        .rows
        .iter()
        .map(|(id, f)| {
            let total: u64 = f.executions.values().sum();
            FluxionStats {
                id: id.clone(),
                placement: f.placement.clone(),
                messages_in: f.messages_in as f64,
                messages_out: f.messages_out as f64,
                inbox: f.messages_in.saturating_sub(f.started) as f64,
                executions: f
                    .executions
                    .iter()
                    .map(|(&t, &n)| ThreadExecutions {
                        thread_id: t,
                        count: n as f64,
                    })
                    .collect(),
                mean_run_ms: if total > 0 {
                    f.run_micros / total as f64 / 1000.0
                } else {
                    0.0
                },
                mean_cpu_ms: if total > 0 {
                    f.cpu_micros / total as f64 / 1000.0
                } else {
                    0.0
                },
            }
        })
        .collect();
    out.sort_by(|a, b| a.id.cmp(&b.id));
    out
}

/// Zeroes every figure (ids keep their numbers: threads have them cached).
#[napi]
pub fn stats_reset() {
    for (_, f) in table().rows.iter_mut() {
        *f = Figures::default();
    }
}

#[napi(object)]
pub struct RunTotals {
    pub count: f64,
    /// Wall-clock time.
    pub micros: f64,
    /// CPU time.
    pub cpu_micros: f64,
}

/// Executions and total run time of one fluxion, on every thread (cheap: one lookup).
#[napi]
pub fn stats_totals(id: String) -> RunTotals {
    let t = table();
    match t.index.get(&id).map(|&i| &t.rows[i as usize].1) {
        Some(f) => RunTotals {
            count: f.executions.values().sum::<u64>() as f64,
            micros: f.run_micros,
            cpu_micros: f.cpu_micros,
        },
        None => RunTotals {
            count: 0.0,
            micros: 0.0,
            cpu_micros: 0.0,
        },
    }
}
