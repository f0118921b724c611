use std::collections::HashSet;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Barrier};
use std::thread;
use std::time::{Duration, Instant};

use fluxion_bus::{Bus, BusError, Capacity, DrainInto, SendResult, Waker};

fn counting_waker() -> (Arc<AtomicUsize>, Waker) {
    let n = Arc::new(AtomicUsize::new(0));
    let m = n.clone();
    (
        n,
        Box::new(move || {
            m.fetch_add(1, Ordering::SeqCst);
        }),
    )
}

fn msg(sender: u32, seq: u32) -> Vec<u8> {
    // Variable length, so that byte accounting is exercised too.
    let mut v = Vec::with_capacity(8 + (seq % 7) as usize);
    v.extend_from_slice(&sender.to_le_bytes());
    v.extend_from_slice(&seq.to_le_bytes());
    v.resize(8 + (seq % 7) as usize, 0xAB);
    v
}

fn parse(m: &[u8]) -> (u32, u32) {
    (
        u32::from_le_bytes(m[0..4].try_into().unwrap()),
        u32::from_le_bytes(m[4..8].try_into().unwrap()),
    )
}

fn checksum(sender: u32, seq: u32) -> u64 {
    // Order-independent sum of a mixing function: a lost or duplicated message changes it.
    let x = ((sender as u64) << 32 | seq as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    x ^ (x >> 29)
}

/// Senders hammer one inbox (small, so that Full and blocking sends happen) while its owner
/// drains; every message arrives exactly once and each sender's messages arrive in order.
fn hammer(senders: u32, per_sender: u32, capacity: Capacity, blocking: bool) {
    let bus = Arc::new(Bus::new());
    let (_wakes, waker) = counting_waker();
    bus.open_with(7, capacity, waker).unwrap();
    let start = Arc::new(Barrier::new(senders as usize + 1));
    let handles: Vec<_> = (0..senders)
        .map(|s| {
            let bus = bus.clone();
            let start = start.clone();
            thread::spawn(move || {
                start.wait();
                let mut fulls = 0u64;
                for seq in 0..per_sender {
                    if blocking {
                        let r = bus.send_blocking(7, &msg(s, seq), Duration::from_secs(10));
                        assert_eq!(r, SendResult::Delivered);
                    } else {
                        let mut m = msg(s, seq);
                        loop {
                            match bus.try_send(7, m) {
                                Ok(()) => break,
                                Err((SendResult::Full, back)) => {
                                    fulls += 1;
                                    m = back;
                                    thread::yield_now();
                                }
                                Err((r, _)) => panic!("unexpected {r:?}"),
                            }
                        }
                    }
                }
                fulls
            })
        })
        .collect();
    start.wait();
    let total = (senders * per_sender) as usize;
    let mut next = vec![0u32; senders as usize];
    let (mut got, mut sum) = (0usize, 0u64);
    let deadline = Instant::now() + Duration::from_secs(30);
    while got < total {
        assert!(Instant::now() < deadline, "only {got} of {total} arrived");
        let batch = bus.drain(7, 100).unwrap();
        if batch.is_empty() {
            thread::yield_now();
        }
        for m in batch {
            let (s, seq) = parse(&m);
            assert_eq!(m.len(), 8 + (seq % 7) as usize);
            assert_eq!(seq, next[s as usize], "sender {s} out of order");
            next[s as usize] += 1;
            got += 1;
            sum = sum.wrapping_add(checksum(s, seq));
        }
    }
    let fulls: u64 = handles.into_iter().map(|h| h.join().unwrap()).sum();
    let expected = (0..senders)
        .flat_map(|s| (0..per_sender).map(move |q| checksum(s, q)))
        .fold(0u64, u64::wrapping_add);
    assert_eq!(sum, expected);
    assert_eq!(
        bus.len(7).unwrap(),
        0,
        "a duplicate or stray message remained"
    );
    let st = bus.stats_of(7).unwrap();
    assert_eq!(st.sent, total as u64);
    assert_eq!(st.received, total as u64);
    assert_eq!(st.bytes, 0);
    assert!(st.high_water <= capacity.max_messages);
    if !blocking {
        assert_eq!(st.full, fulls);
    }
}

#[test]
fn concurrent_senders_lose_and_duplicate_nothing_with_retry_on_full() {
    hammer(
        8,
        20_000,
        Capacity {
            max_messages: 64,
            max_bytes: 1 << 20,
        },
        false,
    );
}

#[test]
fn concurrent_blocking_senders_lose_and_duplicate_nothing() {
    hammer(
        6,
        20_000,
        Capacity {
            max_messages: 32,
            max_bytes: 300,
        },
        true,
    );
}

#[test]
fn concurrent_senders_with_default_capacity() {
    hammer(4, 50_000, Capacity::default(), false);
}

#[test]
fn one_sender_order_is_kept_across_partial_drains() {
    let bus = Bus::new();
    let (_w, waker) = counting_waker();
    bus.open(1, waker).unwrap();
    for i in 0..1000u32 {
        assert_eq!(bus.send(1, i.to_le_bytes().to_vec()), SendResult::Delivered);
    }
    let mut seen = Vec::new();
    loop {
        let b = bus.drain(1, 33).unwrap();
        if b.is_empty() {
            break;
        }
        assert!(b.len() <= 33);
        seen.extend(
            b.iter()
                .map(|m| u32::from_le_bytes(m[..].try_into().unwrap())),
        );
    }
    assert_eq!(seen, (0..1000).collect::<Vec<_>>());
}

#[test]
fn a_burst_costs_one_wake_until_drained() {
    let bus = Bus::new();
    let (wakes, waker) = counting_waker();
    bus.open(3, waker).unwrap();
    assert_eq!(wakes.load(Ordering::SeqCst), 0, "opening must not wake");
    for i in 0..1000u32 {
        bus.send(3, i.to_le_bytes().to_vec());
    }
    assert_eq!(wakes.load(Ordering::SeqCst), 1);
    assert!(bus.is_notified(3).unwrap());

    // A partial drain leaves the receiver responsible for the rest: no new wake.
    assert_eq!(bus.drain(3, 10).unwrap().len(), 10);
    bus.send(3, vec![1]);
    assert_eq!(wakes.load(Ordering::SeqCst), 1);

    // Emptying the inbox does not re-arm yet: the receiver is still handling its batch, and a
    // send meanwhile will be found by its next drain, without a wake-up.
    assert_eq!(bus.drain(3, usize::MAX).unwrap().len(), 991);
    assert!(bus.is_notified(3).unwrap());
    bus.send(3, vec![9]);
    assert_eq!(wakes.load(Ordering::SeqCst), 1);
    assert_eq!(bus.drain(3, usize::MAX).unwrap(), vec![vec![9]]);

    // The drain that finds nothing re-arms the waker: the next send wakes, once.
    assert!(bus.drain(3, usize::MAX).unwrap().is_empty());
    assert!(!bus.is_notified(3).unwrap());
    bus.send(3, vec![2]);
    bus.send(3, vec![3]);
    assert_eq!(wakes.load(Ordering::SeqCst), 2);
    assert_eq!(bus.stats_of(3).unwrap().wakes, 2);

    // Empty drains on an empty inbox wake nobody.
    bus.drain(3, usize::MAX).unwrap();
    bus.drain(3, usize::MAX).unwrap();
    bus.drain(3, usize::MAX).unwrap();
    assert_eq!(wakes.load(Ordering::SeqCst), 2);
}

#[test]
fn concurrent_bursts_wake_once_per_empty_to_non_empty_transition() {
    let bus = Arc::new(Bus::new());
    let (wakes, waker) = counting_waker();
    bus.open(4, waker).unwrap();
    thread::scope(|s| {
        for _ in 0..4 {
            let bus = bus.clone();
            s.spawn(move || {
                for _ in 0..250 {
                    bus.send(4, vec![0; 16]);
                }
            });
        }
    });
    assert_eq!(bus.len(4).unwrap(), 1000);
    assert_eq!(wakes.load(Ordering::SeqCst), 1);
}

#[test]
fn full_inbox_refuses_and_keeps_nothing() {
    let bus = Bus::new();
    let (_w, waker) = counting_waker();
    let cap = Capacity {
        max_messages: 3,
        max_bytes: 1 << 20,
    };
    bus.open_with(5, cap, waker).unwrap();
    for i in 0..3u8 {
        assert_eq!(bus.send(5, vec![i]), SendResult::Delivered);
    }
    assert_eq!(bus.send(5, vec![9]), SendResult::Full);
    match bus.try_send(5, vec![9, 9]) {
        Err((SendResult::Full, back)) => assert_eq!(back, vec![9, 9]),
        other => panic!("expected Full with the message back, got {other:?}"),
    }
    assert_eq!(bus.len(5).unwrap(), 3);
    let st = bus.stats_of(5).unwrap();
    assert_eq!((st.sent, st.full, st.high_water), (3, 2, 3));
    assert_eq!(bus.drain(5, 10).unwrap(), vec![vec![0], vec![1], vec![2]]);
}

#[test]
fn byte_budget_is_enforced_but_an_empty_inbox_takes_any_one_message() {
    let bus = Bus::new();
    let (_w, waker) = counting_waker();
    let cap = Capacity {
        max_messages: 1000,
        max_bytes: 100,
    };
    bus.open_with(6, cap, waker).unwrap();
    assert_eq!(bus.send(6, vec![0; 60]), SendResult::Delivered);
    assert_eq!(bus.send(6, vec![0; 41]), SendResult::Full);
    assert_eq!(bus.send(6, vec![0; 40]), SendResult::Delivered);
    assert_eq!(bus.stats_of(6).unwrap().bytes, 100);
    bus.drain(6, usize::MAX).unwrap();
    assert_eq!(bus.stats_of(6).unwrap().bytes, 0);
    // Larger than the whole budget: refusing it forever would be a silent loss.
    assert_eq!(bus.send(6, vec![0; 1000]), SendResult::Delivered);
    assert_eq!(bus.send(6, vec![0; 1]), SendResult::Full);
}

#[test]
fn blocking_send_times_out_then_resumes_after_a_drain() {
    let bus = Arc::new(Bus::new());
    let (_w, waker) = counting_waker();
    let cap = Capacity {
        max_messages: 2,
        max_bytes: 1 << 20,
    };
    bus.open_with(8, cap, waker).unwrap();
    bus.send(8, vec![1]);
    bus.send(8, vec![2]);

    let t = Instant::now();
    assert_eq!(
        bus.send_blocking(8, &[3], Duration::from_millis(80)),
        SendResult::Full
    );
    assert!(t.elapsed() >= Duration::from_millis(80));
    assert_eq!(
        bus.len(8).unwrap(),
        2,
        "a timed-out send must leave nothing"
    );

    let sender = {
        let bus = bus.clone();
        thread::spawn(move || {
            let t = Instant::now();
            let r = bus.send_blocking(8, &[3], Duration::from_secs(10));
            (r, t.elapsed())
        })
    };
    thread::sleep(Duration::from_millis(100));
    assert_eq!(bus.len(8).unwrap(), 2, "the sender must still be waiting");
    assert_eq!(bus.drain(8, 1).unwrap(), vec![vec![1]]);
    let (r, waited) = sender.join().unwrap();
    assert_eq!(r, SendResult::Delivered);
    assert!(
        waited < Duration::from_secs(5),
        "resumed by the drain, not the timeout"
    );
    assert_eq!(bus.drain(8, 10).unwrap(), vec![vec![2], vec![3]]);
}

#[test]
fn close_returns_pending_messages_and_releases_everything() {
    let bus = Arc::new(Bus::new());
    let guard = Arc::new(());
    let g = guard.clone();
    bus.open_with(
        9,
        Capacity {
            max_messages: 2,
            max_bytes: 1 << 20,
        },
        Box::new(move || {
            let _ = &g;
        }),
    )
    .unwrap();
    assert_eq!(Arc::strong_count(&guard), 2);
    bus.send(9, b"a".to_vec());
    bus.send(9, b"b".to_vec());

    let blocked = {
        let bus = bus.clone();
        thread::spawn(move || bus.send_blocking(9, b"c", Duration::from_secs(10)))
    };
    thread::sleep(Duration::from_millis(50));
    let pending = bus.close(9).unwrap();
    assert_eq!(pending, vec![b"a".to_vec(), b"b".to_vec()]);
    assert_eq!(blocked.join().unwrap(), SendResult::NoSuchInbox);
    assert_eq!(
        Arc::strong_count(&guard),
        1,
        "the waker must be dropped on close"
    );

    assert_eq!(bus.send(9, b"d".to_vec()), SendResult::NoSuchInbox);
    assert_eq!(bus.close(9), Err(BusError::NoSuchInbox(9)));
    assert_eq!(bus.drain(9, 1), Err(BusError::NoSuchInbox(9)));
    assert_eq!(bus.len(9), Err(BusError::NoSuchInbox(9)));
    assert!(!bus.is_open(9));
    assert!(bus.stats().is_empty());

    // The id can be reused (a new worker may get it in principle); counters start afresh.
    let (_w, waker) = counting_waker();
    bus.open(9, waker).unwrap();
    assert_eq!(bus.stats_of(9).unwrap().sent, 0);
}

#[test]
fn open_twice_is_an_error_and_stats_list_every_inbox() {
    let bus = Bus::new();
    for id in [2, 0, 1] {
        let (_w, waker) = counting_waker();
        bus.open(id, waker).unwrap();
    }
    let (_w, waker) = counting_waker();
    assert_eq!(bus.open(1, waker), Err(BusError::AlreadyOpen(1)));
    bus.send(1, vec![0; 5]);
    let st = bus.stats();
    assert_eq!(st.iter().map(|s| s.id).collect::<Vec<_>>(), vec![0, 1, 2]);
    assert_eq!((st[1].length, st[1].bytes, st[1].sent), (1, 5, 1));
    assert_eq!(bus.send(42, vec![]), SendResult::NoSuchInbox);
}

#[test]
fn the_global_bus_is_one_registry_for_every_thread() {
    let here = Bus::global() as *const Bus as usize;
    let ids: HashSet<usize> = (0..4)
        .map(|_| thread::spawn(|| Bus::global() as *const Bus as usize))
        .map(|h| h.join().unwrap())
        .collect();
    assert_eq!(ids, HashSet::from([here]));
    let (_w, waker) = counting_waker();
    Bus::global().open(1_000_000, waker).unwrap();
    thread::spawn(|| Bus::global().send(1_000_000, vec![7]))
        .join()
        .unwrap();
    assert_eq!(Bus::global().close(1_000_000).unwrap(), vec![vec![7]]);
}

#[test]
fn packed_drain_frames_messages_across_partial_drains_and_interleaved_sends() {
    let bus = Bus::new();
    let (_w, waker) = counting_waker();
    bus.open(11, waker).unwrap();
    let mut expected = Vec::new();
    let mut got = Vec::new();
    // Interleaved sends and partial drains of varying sizes: batches straddle the swap between
    // the senders' buffer and the receiver's, and the byte cap cuts them anywhere.
    for round in 0..200u32 {
        for k in 0..(round % 13 + 1) {
            let m: Vec<u8> = (0..(round * 7 + k * 31) % 300)
                .map(|i| (i + round) as u8)
                .collect();
            assert_eq!(bus.send_slice(11, &m), SendResult::Delivered);
            expected.push(m);
        }
        let max = (round % 5 + 1) as usize;
        if round % 2 == 0 {
            got.extend(bus.drain(11, max).unwrap());
        } else {
            let (n, packed) = bus.drain_packed(11, max, 600).unwrap();
            assert!(n >= 1 && (n == 1 || packed.len() <= 600));
            let mut rest = &packed[..];
            let mut seen = 0;
            while !rest.is_empty() {
                let len = u32::from_le_bytes(rest[..4].try_into().unwrap()) as usize;
                assert_eq!(&rest[4..8], &1u32.to_le_bytes());
                got.push(rest[8..8 + len].to_vec());
                rest = &rest[8 + len..];
                seen += 1;
            }
            assert_eq!(seen, n);
        }
    }
    let (n, packed) = bus.drain_packed(11, usize::MAX, usize::MAX).unwrap();
    let mut rest = &packed[..];
    while !rest.is_empty() {
        let len = u32::from_le_bytes(rest[..4].try_into().unwrap()) as usize;
        got.push(rest[8..8 + len].to_vec());
        rest = &rest[8 + len..];
    }
    assert!(n > 0);
    assert_eq!(got, expected);
    let st = bus.stats_of(11).unwrap();
    assert_eq!((st.length, st.bytes), (0, 0));
    assert_eq!(bus.drain_packed(11, 10, 1).unwrap(), (0, vec![]));
}

#[test]
fn drain_into_fills_a_reused_buffer_and_asks_for_room_when_a_message_is_too_big() {
    let bus = Bus::new();
    let (wakes, waker) = counting_waker();
    bus.open(12, waker).unwrap();
    let mut buf = [0u8; 40];
    assert_eq!(
        bus.drain_into(12, 10, &mut buf).unwrap(),
        DrainInto::Taken {
            count: 0,
            written: 0
        }
    );
    for m in [&b"abc"[..], b"defgh", b"ij", &[7u8; 40][..], b"k"] {
        bus.send_slice(12, m);
    }
    // 3 frames fit (11 + 13 + 10 bytes: an 8-byte header each); the 40-byte one does not.
    assert_eq!(
        bus.drain_into(12, 10, &mut buf).unwrap(),
        DrainInto::Taken {
            count: 3,
            written: 34
        }
    );
    assert_eq!(&buf[..11], b"\x03\0\0\0\x01\0\0\0abc");
    assert_eq!(&buf[24..34], b"\x02\0\0\0\x01\0\0\0ij");
    assert_eq!(
        bus.drain_into(12, 10, &mut buf).unwrap(),
        DrainInto::NeedsRoom(48)
    );
    assert_eq!(
        bus.len(12).unwrap(),
        2,
        "nothing is taken when it does not fit"
    );
    let mut big = vec![0u8; 48];
    assert_eq!(
        bus.drain_into(12, 10, &mut big).unwrap(),
        DrainInto::Taken {
            count: 1,
            written: 48
        }
    );
    assert!(bus.is_notified(12).unwrap(), "one message is still pending");
    assert_eq!(
        bus.drain_into(12, 10, &mut buf).unwrap(),
        DrainInto::Taken {
            count: 1,
            written: 9
        }
    );
    assert_eq!(
        bus.drain_into(12, 10, &mut buf).unwrap(),
        DrainInto::Taken {
            count: 0,
            written: 0
        }
    );
    assert!(!bus.is_notified(12).unwrap());
    assert_eq!(wakes.load(Ordering::SeqCst), 1);
    let st = bus.stats_of(12).unwrap();
    assert_eq!((st.received, st.bytes, st.length), (5, 0, 0));
}

#[test]
fn a_handle_skips_the_lookup_and_goes_stale_on_close() {
    let bus = Bus::new();
    let (wakes, waker) = counting_waker();
    bus.open(13, waker).unwrap();
    let h = bus.handle(13).unwrap();
    assert_eq!(h.id(), 13);
    assert!(bus.handle(14).is_none());
    assert_eq!(h.send_slice(b"x"), SendResult::Delivered);
    assert_eq!(bus.send_slice(13, b"y"), SendResult::Delivered);
    let mut buf = [0u8; 64];
    assert_eq!(
        h.drain_into(10, &mut buf).unwrap(),
        DrainInto::Taken {
            count: 2,
            written: 18
        }
    );
    assert_eq!(wakes.load(Ordering::SeqCst), 1);
    assert_eq!(h.send_slice(b"z"), SendResult::Delivered);
    assert_eq!(bus.close(13).unwrap(), vec![b"z".to_vec()]);
    assert_eq!(h.send_slice(b"lost?"), SendResult::NoSuchInbox);
    assert_eq!(h.drain_into(10, &mut buf), Err(BusError::NoSuchInbox(13)));
    // Reopened: the old handle stays stale, a new one works.
    let (_w, waker) = counting_waker();
    bus.open(13, waker).unwrap();
    assert_eq!(h.send_slice(b"a"), SendResult::NoSuchInbox);
    assert_eq!(
        bus.handle(13).unwrap().send_slice(b"a"),
        SendResult::Delivered
    );
    assert_eq!(bus.len(13).unwrap(), 1);
}

#[test]
fn a_batch_frame_counts_its_messages_and_is_taken_or_refused_whole() {
    let bus = Bus::new();
    let (wakes, waker) = counting_waker();
    bus.open_with(
        15,
        Capacity {
            max_messages: 10,
            max_bytes: 100,
        },
        waker,
    )
    .unwrap();
    // A batch larger than the whole capacity is refused even by an empty inbox (a single
    // message would be let in): the sender falls back to sending one by one.
    assert_eq!(
        bus.send_batch(15, &[b"[", b"x", b"]"], 11),
        SendResult::Full
    );
    assert_eq!(bus.send_batch(15, &[&[9u8; 101]], 2), SendResult::Full);
    assert_eq!(bus.send_slice(15, &[9u8; 101]), SendResult::Delivered);
    assert_eq!(bus.drain(15, 10).unwrap().len(), 1);
    assert_eq!(bus.drain(15, 10).unwrap().len(), 0);
    // Parts are concatenated into one frame; counters count messages.
    assert_eq!(
        bus.send_batch(15, &[b"[", b"1,2,3", b"]"], 3),
        SendResult::Delivered
    );
    assert_eq!(bus.send_slice(15, b"4"), SendResult::Delivered);
    assert_eq!(bus.send_batch(15, &[b"nothing"], 0), SendResult::Delivered);
    let st = bus.stats_of(15).unwrap();
    assert_eq!((st.length, st.bytes, st.sent, st.full), (4, 8, 5, 2));
    // 6 more messages fit (10 in all), 7 do not.
    assert_eq!(bus.send_batch(15, &[b"abcdefg"], 7), SendResult::Full);
    assert_eq!(bus.send_batch(15, &[b"abcdef"], 6), SendResult::Delivered);
    assert_eq!(bus.send_slice(15, b"z"), SendResult::Full);
    // A drain limit counts messages but never splits a frame: a first frame larger than the
    // limit is taken whole, a later one waits for the next drain.
    let mut buf = [0u8; 256];
    assert_eq!(
        bus.drain_into(15, 2, &mut buf).unwrap(),
        DrainInto::Taken {
            count: 3,
            written: 15
        }
    );
    assert_eq!(&buf[..15], b"\x07\0\0\0\x03\0\0\0[1,2,3]");
    assert_eq!(
        bus.drain_into(15, 2, &mut buf).unwrap(),
        DrainInto::Taken {
            count: 1,
            written: 9
        }
    );
    let (n, packed) = bus.drain_packed(15, 100, 1000).unwrap();
    assert_eq!(n, 6);
    assert_eq!(&packed[..], b"\x06\0\0\0\x06\0\0\0abcdef");
    let st = bus.stats_of(15).unwrap();
    assert_eq!((st.length, st.bytes, st.received), (0, 0, 11));
    // close hands a pending batch back as one frame.
    assert_eq!(bus.send_batch(15, &[b"[5,6]"], 2), SendResult::Delivered);
    assert_eq!(bus.close(15).unwrap(), vec![b"[5,6]".to_vec()]);
    assert!(wakes.load(Ordering::SeqCst) >= 2);
}
