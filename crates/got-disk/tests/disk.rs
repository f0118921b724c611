//! A durable app survives its process: what was acknowledged comes back, collections shrink
//! the disk too, concurrent pushes share commits, and bad directories fail naming the path.

use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::thread;

use fluxion_got_disk::{Disk, DiskError, FILE_NAME};
use fluxion_versions::{Change, Diff, DimKind, Key, Object, Schema, Store, TypeDef, VersionId};

fn tmp(name: &str) -> PathBuf {
    static N: AtomicU64 = AtomicU64::new(0);
    let d = std::env::temp_dir().join(format!(
        "fluxion-got-disk-{}-{}-{name}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    ));
    let _ = std::fs::remove_dir_all(&d);
    d
}

fn schema() -> Schema {
    Schema::new([TypeDef::new(
        "Item",
        "id",
        [("id", DimKind::Int), ("n", DimKind::Int)],
    )])
    .unwrap()
}

fn new_item(i: i64) -> Diff {
    let mut d = Diff::new();
    d.insert(
        "Item",
        Key::from(i),
        Change::New(Object::new(i, [("n", i * 10)])),
    );
    d
}

/// Pushes one new Item `i` from the head, as a protocol client would (holding nothing).
fn push_item(store: &Store, i: i64) -> VersionId {
    let head = store.head("App").unwrap();
    let h = store.push("App", head, new_item(i)).unwrap();
    store.gc("App").unwrap();
    h
}

fn items(store: &Store) -> Vec<i64> {
    let s = store.state("App", store.head("App").unwrap()).unwrap();
    let mut v: Vec<i64> = s
        .objects("Item")
        .map(|o| o.get("n").and_then(|n| n.as_i64()).unwrap() / 10)
        .collect();
    v.sort();
    v
}

#[test]
fn a_restart_recovers_the_graph_and_the_head() {
    let dir = tmp("restart");
    let head = {
        let disk = Disk::open(&dir).unwrap();
        let store = Store::new();
        disk.open_app(&store, "App", Some(&schema())).unwrap();
        let mut h = VersionId::ROOT;
        for i in 0..50 {
            h = push_item(&store, i);
        }
        // A merge: a push from an old version.
        let mut d = Diff::new();
        d.insert(
            "Item",
            Key::from(1000),
            Change::New(Object::new(1000i64, [("n", 10000)])),
        );
        let old = store.head("App").unwrap();
        store.retain("App", old).unwrap();
        push_item(&store, 50);
        let merged = store.push("App", old, d).unwrap();
        assert_ne!(merged, h);
        merged
    };
    let disk = Disk::open(&dir).unwrap();
    assert_eq!(disk.apps().unwrap(), vec!["App".to_owned()]);
    let store = Store::new();
    disk.restore_all(&store).unwrap();
    assert_eq!(store.head("App").unwrap(), head);
    let mut want: Vec<i64> = (0..=50).collect();
    want.push(1000);
    assert_eq!(items(&store), want);
    // And it keeps going from there.
    push_item(&store, 51);
    assert_eq!(items(&store).len(), 53);
}

#[test]
fn collection_removes_versions_on_disk_and_the_file_stops_growing() {
    let dir = tmp("gc");
    let disk = Disk::open(&dir).unwrap();
    let store = Store::new();
    disk.open_app(&store, "App", Some(&schema())).unwrap();
    // One object rewritten again and again: the live data stays one object.
    let write = |i: i64| {
        let mut d = Diff::new();
        let change = if i == 0 {
            Change::New(Object::new(0i64, [("n", 0)]))
        } else {
            Change::Modify([("n".to_owned(), i.into())].into_iter().collect())
        };
        d.insert("Item", Key::from(0i64), change);
        let head = store.head("App").unwrap();
        store.push("App", head, d).unwrap();
        store.gc("App").unwrap();
    };
    for i in 0..300 {
        write(i);
    }
    let size_300 = std::fs::metadata(dir.join(FILE_NAME)).unwrap().len();
    for i in 300..1500 {
        write(i);
    }
    disk.flush().unwrap();
    let size_1500 = std::fs::metadata(dir.join(FILE_NAME)).unwrap().len();
    assert!(
        size_1500 <= size_300 * 2,
        "the file grew from {size_300} to {size_1500} bytes though the graph was collected"
    );
    assert_eq!(store.version_count("App").unwrap(), 2);
    drop(store);
    drop(disk);
    let disk = Disk::open(&dir).unwrap();
    let (_, graph, _) = disk.load("App").unwrap();
    assert_eq!(graph.len(), 2, "ROOT and the head only, on disk too");
}

#[test]
fn concurrent_pushes_share_commits() {
    let dir = tmp("group");
    let disk = Disk::open(&dir).unwrap();
    let store = Store::new();
    disk.open_app(&store, "App", Some(&schema())).unwrap();
    thread::scope(|s| {
        for t in 0..8i64 {
            let store = &store;
            s.spawn(move || {
                // From ROOT, which is never collected: each push merges with the head.
                for i in 0..25 {
                    store
                        .push("App", VersionId::ROOT, new_item(t * 1000 + i))
                        .unwrap();
                    store.gc("App").unwrap();
                }
            });
        }
    });
    assert_eq!(items(&store).len(), 200);
    let (commits, entries) = disk.counters();
    assert!(entries >= 200, "{entries} entries");
    assert!(
        commits < 200,
        "200 pushes from 8 threads took {commits} commits: no push shared one"
    );
}

#[test]
fn a_schema_other_than_the_stored_one_is_refused() {
    let dir = tmp("schema");
    {
        let disk = Disk::open(&dir).unwrap();
        disk.open_app(&Store::new(), "App", Some(&schema()))
            .unwrap();
    }
    let other = Schema::new([TypeDef::new("Other", "id", [("id", DimKind::Int)])]).unwrap();
    let disk = Disk::open(&dir).unwrap();
    let e = disk
        .open_app(&Store::new(), "App", Some(&other))
        .unwrap_err();
    assert!(matches!(e, DiskError::SchemaMismatch { .. }), "{e}");
    assert!(e.to_string().contains(FILE_NAME), "{e}");
}

#[test]
fn bad_directories_and_files_name_their_path() {
    // A file where the directory should be.
    let f = tmp("file");
    std::fs::write(&f, b"x").unwrap();
    let e = Disk::open(&f).unwrap_err();
    assert!(matches!(e, DiskError::Directory { .. }), "{e}");
    assert!(e.to_string().contains(&*f.to_string_lossy()), "{e}");

    // Something else under our file name.
    let d = tmp("foreign");
    std::fs::create_dir_all(&d).unwrap();
    std::fs::write(d.join(FILE_NAME), vec![7u8; 8192]).unwrap();
    let e = Disk::open(&d).unwrap_err();
    assert!(matches!(e, DiskError::NotAStore { .. }), "{e}");
    assert!(e.to_string().contains(FILE_NAME), "{e}");

    // A store of ours whose bytes were damaged after its header.
    let d = tmp("damaged");
    {
        let disk = Disk::open(&d).unwrap();
        let store = Store::new();
        disk.open_app(&store, "App", Some(&schema())).unwrap();
        for i in 0..100 {
            push_item(&store, i);
        }
    }
    let path = d.join(FILE_NAME);
    let mut bytes = std::fs::read(&path).unwrap();
    let len = bytes.len();
    for b in &mut bytes[4096..len] {
        *b ^= 0x5a;
    }
    std::fs::write(&path, bytes).unwrap();
    let e = Disk::open(&d)
        .and_then(|disk| disk.load("App").map(|_| ()))
        .unwrap_err();
    assert!(e.to_string().contains(FILE_NAME), "{e}");
}

#[cfg(unix)]
#[test]
fn an_unwritable_directory_is_refused_with_its_path() {
    use std::os::unix::fs::PermissionsExt;
    let d = tmp("readonly");
    std::fs::create_dir_all(&d).unwrap();
    std::fs::set_permissions(&d, std::fs::Permissions::from_mode(0o500)).unwrap();
    if std::fs::write(d.join("probe"), b"").is_ok() {
        eprintln!("skipped: running as a user who may write anywhere (root)");
        return;
    }
    let e = Disk::open(&d).unwrap_err();
    assert!(e.to_string().contains(&*d.to_string_lossy()), "{e}");
}
