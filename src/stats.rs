//! Per-fluxion figures for the whole process. A Rust static is one copy shared by every thread
//! that loaded the addon, so `stats()` answers the same from the main thread and any worker.

use napi_derive::napi;
use std::cell::RefCell;
use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, LazyLock, Mutex};
use std::time::Instant;

/// What every thread shares about a fluxion: its id and where it is placed.
struct Named {
    id: String,
    placement: String,
    /// For people: the method and path of a route handler (`GET /count`).
    route: Option<String>,
    /// Where its code is: `file:line:column`.
    source: Option<String>,
}

/// Ids are interned once per thread (`stats_intern`), so that the per-run calls pass a number
/// instead of converting a long string.
#[derive(Default)]
struct Names {
    index: HashMap<String, u32>,
    rows: Vec<Named>,
}

/// One thread's counts for one fluxion.
#[derive(Default, Clone, Copy)]
struct Counts {
    messages_in: u64,
    messages_out: u64,
    started: u64,
    executions: u64,
    run_micros: f64,
    cpu_micros: f64,
    /// Sent messages whose cost was measured, and the sending thread's CPU time for them.
    messages_timed: u64,
    message_cpu_micros: f64,
}

impl Counts {
    fn add(&mut self, c: &Counts) {
        self.messages_in += c.messages_in;
        self.messages_out += c.messages_out;
        self.started += c.started;
        self.executions += c.executions;
        self.run_micros += c.run_micros;
        self.cpu_micros += c.cpu_micros;
        self.messages_timed += c.messages_timed;
        self.message_cpu_micros += c.message_cpu_micros;
    }
}

/// One thread's counts, by fluxion index. Each thread writes only its own table, so the per-run
/// calls never wait for another thread: with one shared lock, a thread descheduled while holding
/// it (2 cores, more runnable threads) stalled every other thread for a time slice.
#[derive(Default)]
struct ThreadCounts {
    thread_id: u32,
    rows: Vec<Counts>,
}

static NAMES: LazyLock<Mutex<Names>> = LazyLock::new(Default::default);
/// Every thread's table, kept after the thread exits (a dead worker's runs still happened).
static THREADS: LazyLock<Mutex<Vec<Arc<Mutex<ThreadCounts>>>>> = LazyLock::new(Default::default);

thread_local! {
    static MINE: RefCell<Option<Arc<Mutex<ThreadCounts>>>> = const { RefCell::new(None) };
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

fn intern(t: &mut Names, id: &str) -> u32 {
    if let Some(&i) = t.index.get(id) {
        return i;
    }
    let i = t.rows.len() as u32;
    t.rows.push(Named {
        id: id.to_string(),
        placement: String::new(),
        route: None,
        source: None,
    });
    t.index.insert(id.to_string(), i);
    i
}

/// Updates this thread's counts of fluxion `idx` (run by JS thread `thread_id`).
fn count(idx: u32, thread_id: u32, f: impl FnOnce(&mut Counts)) {
    MINE.with(|mine| {
        let mut mine = mine.borrow_mut();
        let table = mine.get_or_insert_with(|| {
            let t = Arc::new(Mutex::new(ThreadCounts {
                thread_id,
                rows: Vec::new(),
            }));
            lock(&THREADS).push(t.clone());
            t
        });
        let mut t = lock(table);
        let i = idx as usize;
        if t.rows.len() <= i {
            t.rows.resize(i + 1, Counts::default());
        }
        f(&mut t.rows[i]);
    });
}

/// Sum of every thread's counts for fluxion `idx`, and executions per thread.
fn gather(idx: usize) -> (Counts, BTreeMap<u32, u64>) {
    let mut sum = Counts::default();
    let mut per_thread = BTreeMap::new();
    for t in lock(&THREADS).iter() {
        let t = lock(t);
        let Some(c) = t.rows.get(idx) else { continue };
        sum.add(c);
        if c.executions > 0 {
            *per_thread.entry(t.thread_id).or_default() += c.executions;
        }
    }
    (sum, per_thread)
}

/// The number that stands for fluxion `id` in the per-run calls.
#[napi]
pub fn stats_intern(id: String) -> u32 {
    intern(&mut lock(&NAMES), &id)
}

#[napi(object)]
pub struct ThreadExecutions {
    pub thread_id: u32,
    pub count: f64,
}

#[napi(object)]
pub struct FluxionStats {
    pub id: String,
    /// The method and path of a route handler (`GET /count`), when it is one.
    pub route: Option<String>,
    /// Where its code is (`file:line:column`), when known.
    pub source: Option<String>,
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
    /// Mean CPU time a message to this fluxion cost its sender (building and sending it).
    pub mean_message_cpu_ms: f64,
}

/// A message for fluxion `idx` was sent (`out`) or received on thread `thread_id`; for a sent
/// one, `cpu_micros` is what building and sending it cost the sender, when measured.
#[napi]
pub fn stats_message(idx: u32, thread_id: u32, out: bool, cpu_micros: Option<f64>) {
    count(idx, thread_id, |c| {
        if out {
            c.messages_out += 1;
            if let Some(m) = cpu_micros {
                c.messages_timed += 1;
                c.message_cpu_micros += m;
            }
        } else {
            c.messages_in += 1
        }
    });
}

/// This thread's CPU time, in microseconds (for costs measured from JS).
#[napi]
pub fn thread_cpu_micros() -> f64 {
    thread_cpu_nanos() as f64 / 1e3
}

/// When a run started: wall clock and this thread's CPU clock, and the time spent in runs of
/// other fluxions it made synchronously (a post or tail that ran in place): each fluxion is
/// placed on its own, so each is charged only its own time.
struct Start {
    wall: Instant,
    cpu_nanos: u64,
    nested_micros: f64,
    nested_cpu_micros: f64,
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
        nested_micros: 0.0,
        nested_cpu_micros: 0.0,
    };
    STARTS.with(|s| s.borrow_mut().push(start));
}

/// The run begun by the last `stats_enter` on this thread was one execution of fluxion `idx`.
#[napi]
pub fn stats_exec(idx: u32, thread_id: u32, from_message: bool) {
    let Some((wall, cpu)) = STARTS.with(|s| {
        let mut s = s.borrow_mut();
        let start = s.pop()?;
        let wall = start.wall.elapsed().as_secs_f64() * 1e6;
        let cpu = thread_cpu_nanos().saturating_sub(start.cpu_nanos) as f64 / 1e3;
        if let Some(outer) = s.last_mut() {
            outer.nested_micros += wall;
            outer.nested_cpu_micros += cpu;
        }
        Some((
            (wall - start.nested_micros).max(0.0),
            (cpu - start.nested_cpu_micros).max(0.0),
        ))
    }) else {
        return;
    };
    count(idx, thread_id, |c| {
        c.executions += 1;
        c.run_micros += wall;
        c.cpu_micros += cpu;
        if from_message {
            c.started += 1;
        }
    });
}

#[napi]
pub fn stats_placement(id: String, placement: String) {
    let mut t = lock(&NAMES);
    let i = intern(&mut t, &id) as usize;
    t.rows[i].placement = placement;
}

/// What people read about fluxion `id`: its route and its place in the source. A later call
/// with a route replaces it (the running router knows a mounted path the source does not).
#[napi]
pub fn stats_describe(id: String, route: Option<String>, source: Option<String>) {
    let mut t = lock(&NAMES);
    let i = intern(&mut t, &id) as usize;
    if route.is_some() {
        t.rows[i].route = route;
    }
    if source.is_some() {
        t.rows[i].source = source;
    }
}

#[napi]
pub fn stats_snapshot() -> Vec<FluxionStats> {
    let named: Vec<(String, String, Option<String>, Option<String>)> = lock(&NAMES)
        .rows
        .iter()
        .map(|n| {
            (
                n.id.clone(),
                n.placement.clone(),
                n.route.clone(),
                n.source.clone(),
            )
        })
        .collect();
    let mut out: Vec<FluxionStats> = named
        .into_iter()
        .enumerate()
        .map(|(i, (id, placement, route, source))| {
            let (c, per_thread) = gather(i);
            let mean = |micros: f64| {
                if c.executions > 0 {
                    micros / c.executions as f64 / 1000.0
                } else {
                    0.0
                }
            };
            FluxionStats {
                id,
                route,
                source,
                placement,
                messages_in: c.messages_in as f64,
                messages_out: c.messages_out as f64,
                inbox: c.messages_in.saturating_sub(c.started) as f64,
                executions: per_thread
                    .into_iter()
                    .map(|(t, n)| ThreadExecutions {
                        thread_id: t,
                        count: n as f64,
                    })
                    .collect(),
                mean_run_ms: mean(c.run_micros),
                mean_cpu_ms: mean(c.cpu_micros),
                mean_message_cpu_ms: if c.messages_timed > 0 {
                    c.message_cpu_micros / c.messages_timed as f64 / 1000.0
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
    for t in lock(&THREADS).iter() {
        lock(t).rows.clear();
    }
}

#[napi(object)]
pub struct RunTotals {
    pub count: f64,
    /// Wall-clock time.
    pub micros: f64,
    /// CPU time.
    pub cpu_micros: f64,
    /// Sent messages whose cost was measured, and their senders' CPU time.
    pub messages_timed: f64,
    pub message_cpu_micros: f64,
}

/// Executions and total run time of one fluxion, on every thread (cheap: one lookup).
#[napi]
pub fn stats_totals(id: String) -> RunTotals {
    let idx = lock(&NAMES).index.get(&id).copied();
    let c = idx.map(|i| gather(i as usize).0).unwrap_or_default();
    RunTotals {
        count: c.executions as f64,
        micros: c.run_micros,
        cpu_micros: c.cpu_micros,
        messages_timed: c.messages_timed as f64,
        message_cpu_micros: c.message_cpu_micros,
    }
}
