//! The OTLP resource of each observed process: who produced a span or a log
//! record (service, instance, process, runtime, container, host).
//!
//! Built once per process from /proc and cached; a process that is gone
//! keeps what its telemetry itself says (service name and pid).

use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;

use opentelemetry::KeyValue;
use opentelemetry_sdk::Resource;

use crate::service::{ProcFs, ServiceCache};

/// Processes whose resource is remembered at most; beyond, the cache
/// starts over (pids are not bounded, a fork-heavy host reuses them).
const MAX_PROCESSES: usize = 4096;

/// Resources by process.
#[derive(Debug)]
pub struct Resources {
    proc: ProcFs,
    services: ServiceCache,
    /// host.name, host.id and the operator's OTEL_RESOURCE_ATTRIBUTES.
    common: Vec<KeyValue>,
    by_process: HashMap<(u32, Arc<str>), Resource>,
}

impl Resources {
    /// Resources over the host's /proc with `common` attributes on each.
    pub fn new(common: Vec<KeyValue>) -> Resources {
        Resources {
            proc: ProcFs::new("/proc"),
            services: ServiceCache::default(),
            common,
            by_process: HashMap::new(),
        }
    }

    /// The resource of process `pid`. `service_name`, when the telemetry
    /// carries one, is the name its metrics use; else the name is resolved
    /// from /proc (`comm` names a process that is gone).
    pub fn of_process(&mut self, pid: u32, service_name: Option<&str>, comm: &str) -> Resource {
        let key_name: Arc<str> = service_name.unwrap_or("").into();
        let key = (pid, key_name);
        if let Some(resource) = self.by_process.get(&key) {
            return resource.clone();
        }
        if self.by_process.len() >= MAX_PROCESSES {
            self.by_process.clear();
        }
        let identity = self.services.resolve_with_comm(pid, comm);
        let name = service_name.unwrap_or(&identity.name).to_string();
        let mut attributes = Vec::with_capacity(self.common.len() + 8);
        attributes.push(KeyValue::new("service.name", name));
        attributes.push(KeyValue::new(
            "service.instance.id",
            identity.instance.clone(),
        ));
        attributes.push(KeyValue::new("process.pid", i64::from(pid)));
        let exe = self.proc.exe_path(pid);
        let exe_name = exe
            .as_deref()
            .and_then(Path::file_name)
            .map(|name| {
                name.to_string_lossy()
                    .trim_end_matches(" (deleted)")
                    .to_string()
            })
            .filter(|name| !name.is_empty());
        if let Some(exe_name) = &exe_name {
            attributes.push(KeyValue::new("process.executable.name", exe_name.clone()));
        }
        if let Some((runtime, version)) = exe.as_deref().and_then(python_runtime) {
            attributes.push(KeyValue::new("process.runtime.name", runtime));
            attributes.push(KeyValue::new("process.runtime.version", version));
        }
        if let Some(id) = self.proc.cgroup(pid).as_deref().and_then(container_id) {
            attributes.push(KeyValue::new("container.id", id));
        }
        attributes.extend(self.common.iter().cloned());
        let resource = Resource::builder_empty()
            .with_attributes(attributes)
            .build();
        let key = (key.0, key.1);
        self.by_process.insert(key, resource.clone());
        resource
    }

    /// Forgets process `pid` (it exited).
    pub fn forget(&mut self, pid: u32) {
        self.services.forget(pid);
        self.by_process.retain(|(cached, _), _| *cached != pid);
    }
}

/// `("CPython", version)` for a Python interpreter binary: the version from
/// a pyenv-style directory (`.../versions/3.11.7/bin/python3.11`), else
/// from the name (`python3.11`).
fn python_runtime(exe: &Path) -> Option<(&'static str, String)> {
    let name = exe.file_name()?.to_str()?;
    let from_name = name.strip_prefix("python")?;
    if !from_name.is_empty() && !is_version(from_name) {
        return None;
    }
    let from_dir = exe
        .ancestors()
        .filter_map(|dir| dir.file_name()?.to_str())
        .find(|dir| is_version(dir) && dir.starts_with(from_name.split('.').next().unwrap_or("")));
    let version = from_dir.unwrap_or(from_name);
    (!version.is_empty()).then(|| ("CPython", version.to_string()))
}

/// `3`, `3.11`, `3.11.7`: dot-separated numbers.
fn is_version(text: &str) -> bool {
    !text.is_empty()
        && text
            .split('.')
            .all(|part| !part.is_empty() && part.bytes().all(|b| b.is_ascii_digit()))
}

/// The container id in a `/proc/PID/cgroup` text: the 64-hex-digit id that
/// Docker, containerd, CRI-O and Podman put in the last component of the
/// cgroup path (`docker-<id>.scope`, `cri-containerd-<id>.scope`,
/// `/kubepods/.../<id>`, `/docker/<id>`).
pub fn container_id(cgroup: &str) -> Option<String> {
    cgroup.lines().find_map(|line| {
        let path = line.splitn(3, ':').nth(2)?;
        let last = path.rsplit('/').next()?;
        let last = last.strip_suffix(".scope").unwrap_or(last);
        let id = last.rsplit(['-', ':']).next()?;
        (id.len() == 64 && id.bytes().all(|b| b.is_ascii_hexdigit()))
            .then(|| id.to_ascii_lowercase())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const ID: &str = "3f4c2d1e0b9a8f7e6d5c4b3a29180716f5e4d3c2b1a09f8e7d6c5b4a39281706";

    #[test]
    fn container_ids_of_the_usual_runtimes() {
        for cgroup in [
            format!("0::/system.slice/docker-{ID}.scope\n"),
            format!("0::/kubepods.slice/kubepods-pod1.slice/cri-containerd-{ID}.scope\n"),
            format!("0::/kubepods/besteffort/pod7e1b/{ID}\n"),
            format!("12:memory:/docker/{ID}\n0::/\n"),
            format!("0::/machine.slice/libpod-{ID}.scope/container\n0::/x/crio-{ID}.scope"),
        ] {
            assert_eq!(container_id(&cgroup).as_deref(), Some(ID), "{cgroup}");
        }
        assert_eq!(
            container_id("0::/user.slice/user-0.slice/session-3.scope\n"),
            None
        );
        assert_eq!(container_id("0::/\n"), None);
        assert_eq!(container_id("garbage"), None);
    }

    #[test]
    fn python_interpreters() {
        let runtime = |path: &str| python_runtime(Path::new(path));
        assert_eq!(
            runtime("/usr/bin/python3.11"),
            Some(("CPython", "3.11".to_string()))
        );
        assert_eq!(
            runtime("/root/.pyenv/versions/3.11.7/bin/python3.11"),
            Some(("CPython", "3.11.7".to_string()))
        );
        assert_eq!(runtime("/usr/bin/python"), None);
        assert_eq!(runtime("/usr/bin/pythonista"), None);
        assert_eq!(runtime("/usr/sbin/nginx"), None);
    }

    #[test]
    fn this_process_has_a_resource() {
        let mut resources = Resources::new(vec![KeyValue::new("host.name", "h")]);
        let pid = std::process::id();
        let resource = resources.of_process(pid, Some("shop"), "x");
        let get = |key: &'static str| resource.get(&opentelemetry::Key::from_static_str(key));
        assert_eq!(get("service.name").unwrap().as_str(), "shop");
        assert_eq!(
            get("process.pid"),
            Some(opentelemetry::Value::I64(pid.into()))
        );
        assert!(get("process.executable.name").is_some());
        assert!(get("service.instance.id")
            .unwrap()
            .as_str()
            .ends_with(&format!(":{pid}")));
        assert_eq!(get("host.name").unwrap().as_str(), "h");
    }
}
