//! Service identities by pid, resolved once per process.
//!
//! Resolution reads a handful of /proc files, too much to repeat for every
//! request; a process's identity does not change while it runs (an exec
//! does change it: forget the pid on exec as on exit). The cache is bounded
//! because pids are not: a host forking short-lived workers would otherwise
//! grow it for ever when exit events are lost.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;

use super::proc::ProcFs;
use super::{resolve, ServiceIdentity};
use crate::events::kernel_keyed::KernelKeyedMap;

/// Enough for every process that serves traffic on a busy host; an entry
/// is a pid and a shared pointer (workers share their master's identity).
pub const DEFAULT_MAX_ENTRIES: usize = 4096;

/// Identities by pid, at most `max_entries`, oldest evicted first.
#[derive(Debug)]
pub struct ServiceCache {
    proc: ProcFs,
    host: String,
    max_entries: usize,
    entries: KernelKeyedMap<u32, Entry>,
    /// Insertion order: sequence number → pid.
    order: BTreeMap<u64, u32>,
    next_seq: u64,
}

#[derive(Debug)]
struct Entry {
    seq: u64,
    identity: Arc<ServiceIdentity>,
}

impl ServiceCache {
    /// A cache over the host's /proc, naming instances after this host.
    pub fn new(max_entries: usize) -> Self {
        Self::with_proc_root(max_entries, "/proc", crate::host::name())
    }

    /// A cache over the /proc tree at `root` (the host's /proc mounted into
    /// the agent's container, e.g. /host/proc), with instances named after
    /// `host`.
    pub fn with_proc_root(
        max_entries: usize,
        root: impl Into<PathBuf>,
        host: impl Into<String>,
    ) -> Self {
        Self {
            proc: ProcFs::new(root),
            host: host.into(),
            max_entries,
            entries: KernelKeyedMap::default(),
            order: BTreeMap::new(),
            next_seq: 0,
        }
    }

    /// The identity of `pid`; see [`Self::resolve_with_comm`].
    #[cfg(test)]
    pub fn resolve(&mut self, pid: u32) -> Arc<ServiceIdentity> {
        self.lookup(pid, None)
    }

    /// The identity of `pid`. `comm` (the task name carried by the kernel
    /// event) names a process that has already exited, and is never an
    /// error: such fallbacks are returned but not cached, since the pid
    /// will be reused by some other process.
    pub fn resolve_with_comm(&mut self, pid: u32, comm: &str) -> Arc<ServiceIdentity> {
        self.lookup(pid, Some(comm))
    }

    /// Drops `pid`, for when the process exits (or execs). A gunicorn
    /// master's identity lives on in its workers' entries until they go too.
    pub fn forget(&mut self, pid: u32) {
        if let Some(entry) = self.entries.remove(&pid) {
            self.order.remove(&entry.seq);
        }
    }

    fn lookup(&mut self, pid: u32, comm: Option<&str>) -> Arc<ServiceIdentity> {
        if let Some(entry) = self.entries.get(&pid) {
            return Arc::clone(&entry.identity);
        }
        let Some(process) = resolve::process(&self.proc, pid) else {
            return Arc::new(resolve::fallback(&self.proc, &self.host, pid, comm));
        };
        let leader = resolve::group_leader(&self.proc, process);
        let identity = match self.entries.get(&leader.pid) {
            Some(entry) => Arc::clone(&entry.identity),
            None => {
                let identity = Arc::new(resolve::identify(&self.proc, &self.host, &leader, comm));
                self.insert(leader.pid, Arc::clone(&identity));
                identity
            }
        };
        if leader.pid != pid {
            self.insert(pid, Arc::clone(&identity));
        }
        identity
    }

    fn insert(&mut self, pid: u32, identity: Arc<ServiceIdentity>) {
        if self.max_entries == 0 {
            return;
        }
        self.forget(pid);
        while self.entries.len() >= self.max_entries {
            let Some((_, oldest)) = self.order.pop_first() else {
                break;
            };
            self.entries.remove(&oldest);
        }
        let seq = self.next_seq;
        self.next_seq += 1;
        self.order.insert(seq, pid);
        self.entries.insert(pid, Entry { seq, identity });
    }
}

impl Default for ServiceCache {
    /// [`DEFAULT_MAX_ENTRIES`] over the host's /proc.
    fn default() -> Self {
        Self::new(DEFAULT_MAX_ENTRIES)
    }
}

#[cfg(test)]
mod tests {
    use std::io::{BufRead, BufReader};
    use std::process::{Child, Command, Stdio};
    use std::time::{Duration, Instant};

    use super::*;
    use crate::service::fake_proc::FakeProc;
    use crate::service::proc::parse_stat_ppid;
    use crate::service::NameSource;

    const GUNICORN: &[&str] = &["gunicorn", "shop.wsgi:application"];

    fn cache(fake: &FakeProc, max_entries: usize) -> ServiceCache {
        ServiceCache::with_proc_root(max_entries, fake.proc_root(), "host")
    }

    #[test]
    fn workers_share_their_masters_identity() {
        let fake = FakeProc::new();
        for (pid, ppid) in [(100, 1), (101, 100), (102, 100)] {
            fake.process(pid, ppid, GUNICORN, b"", None);
        }
        let mut cache = cache(&fake, 16);
        let first = cache.resolve(101);
        assert_eq!((first.name.as_str(), first.group_pid), ("shop", 100));
        assert!(Arc::ptr_eq(&first, &cache.resolve(102)));
        assert!(Arc::ptr_eq(&first, &cache.resolve(100)));
        assert_eq!(cache.entries.len(), 3);

        // A worker that exits and is replaced by a new one.
        cache.forget(101);
        fake.process(103, 100, GUNICORN, b"", None);
        assert!(Arc::ptr_eq(&first, &cache.resolve(103)));
        assert!(!cache.entries.contains_key(&101));
    }

    #[test]
    fn the_oldest_entry_is_evicted() {
        let fake = FakeProc::new();
        for pid in 1..=4 {
            fake.process(pid, 0, &["/bin/sleep", "1"], b"", None);
        }
        let mut cache = cache(&fake, 2);
        cache.resolve(1);
        cache.resolve(2);
        cache.resolve(3);
        assert_eq!(cache.entries.len(), 2);
        assert!(!cache.entries.contains_key(&1));
        // Forgetting and resolving again makes 2 the newest.
        cache.forget(2);
        cache.resolve(2);
        cache.resolve(4);
        assert!(cache.entries.contains_key(&2) && cache.entries.contains_key(&4));
        assert_eq!(cache.order.len(), 2);
        cache.forget(2);
        cache.forget(2);
        assert_eq!((cache.entries.len(), cache.order.len()), (1, 1));

        let mut none = ServiceCache::with_proc_root(0, fake.proc_root(), "host");
        assert_eq!(none.resolve(1).name, "sleep");
        assert!(none.entries.is_empty());
    }

    #[test]
    fn fallbacks_are_not_cached() {
        let fake = FakeProc::new();
        let mut cache = cache(&fake, 16);
        let gone = cache.resolve_with_comm(7, "gunicorn");
        assert_eq!(
            (gone.name.as_str(), gone.source),
            ("gunicorn", NameSource::Executable)
        );
        assert!(cache.entries.is_empty());
        // The pid is reused by a process that is still running.
        fake.process(7, 1, GUNICORN, b"", None);
        assert_eq!(cache.resolve_with_comm(7, "gunicorn").name, "shop");
    }

    /// Kills and reaps a spawned process however the test ends.
    struct Reaped(Child);

    impl Drop for Reaped {
        fn drop(&mut self) {
            let _ = self.0.kill();
            let _ = self.0.wait();
        }
    }

    #[test]
    fn real_process_with_otel_service_name() {
        let child = Command::new("sleep")
            .arg("30")
            .env("OTEL_SERVICE_NAME", "checkout")
            .spawn()
            .expect("spawn sleep");
        let mut child = Reaped(child);
        let pid = child.0.id();
        // Until the child has exec'd, /proc shows the forked test binary: a
        // real caller forgets a pid on exec for the same reason.
        let exec_deadline = Instant::now() + Duration::from_secs(5);
        while std::fs::read(format!("/proc/{pid}/cmdline")).unwrap_or_default() != b"sleep\x0030\0"
        {
            assert!(Instant::now() < exec_deadline, "sleep never exec'd");
            std::thread::sleep(Duration::from_millis(5));
        }
        let mut cache = ServiceCache::new(DEFAULT_MAX_ENTRIES);
        let identity = cache.resolve(pid);
        assert_eq!(identity.name, "checkout");
        assert_eq!(identity.source, NameSource::OtelServiceName);
        assert_eq!(identity.group_pid, pid);
        assert_eq!(identity.instance, format!("{}:{pid}", crate::host::name()));

        child.0.kill().unwrap();
        child.0.wait().unwrap();
        cache.forget(pid);
        let gone = cache.resolve_with_comm(pid, "sleep");
        assert_eq!(
            (gone.name.as_str(), gone.source),
            ("sleep", NameSource::Executable)
        );
    }

    #[test]
    fn real_gunicorn_lookalike_workers_resolve_to_the_master() {
        // A script called `gunicorn`, run by python3 as a shebang would: the
        // argv of a real gunicorn master, which forks two workers.
        let dir = FakeProc::new();
        let script = dir.proc_root().join("gunicorn");
        std::fs::write(
            &script,
            "import os, sys, time\n\
             master = os.getpid()\n\
             for _ in range(2):\n\
             \x20   if os.fork() == 0:\n\
             \x20       while os.getppid() == master:\n\
             \x20           time.sleep(0.05)\n\
             \x20       os._exit(0)\n\
             print('ready', flush=True)\n\
             time.sleep(60)\n",
        )
        .unwrap();
        let spawned = Command::new("python3")
            .arg(&script)
            .args(["shop.wsgi:application", "-w", "2", "--bind", "127.0.0.1:0"])
            .env_remove("OTEL_SERVICE_NAME")
            .env_remove("OTEL_RESOURCE_ATTRIBUTES")
            .env_remove("DJANGO_SETTINGS_MODULE")
            .stdout(Stdio::piped())
            .spawn();
        let Ok(mut master) = spawned.map(Reaped) else {
            eprintln!("python3 not found: skipping");
            return;
        };
        let mut line = String::new();
        BufReader::new(master.0.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        assert_eq!(line.trim(), "ready");
        let master_pid = master.0.id();
        let workers: Vec<u32> = std::fs::read_dir("/proc")
            .unwrap()
            .filter_map(|entry| entry.ok()?.file_name().to_str()?.parse().ok())
            .filter(|pid: &u32| {
                std::fs::read_to_string(format!("/proc/{pid}/stat"))
                    .ok()
                    .and_then(|stat| parse_stat_ppid(&stat))
                    == Some(master_pid)
            })
            .collect();
        assert_eq!(workers.len(), 2, "{workers:?}");

        let mut cache = ServiceCache::new(DEFAULT_MAX_ENTRIES);
        let first = cache.resolve(workers[0]);
        assert_eq!(first.name, "shop");
        assert_eq!(first.source, NameSource::AppModule);
        assert_eq!(first.group_pid, master_pid);
        assert!(Arc::ptr_eq(&first, &cache.resolve(workers[1])));
        assert!(Arc::ptr_eq(&first, &cache.resolve(master_pid)));
    }

    #[test]
    fn processes_of_other_users_and_kernel_threads_never_fail() {
        let mut cache = ServiceCache::default();
        // init, kthreadd (no cmdline), and a pid beyond pid_max.
        for pid in [1, 2, u32::MAX] {
            let identity = cache.resolve(pid);
            assert!(!identity.name.is_empty());
        }
    }
}
