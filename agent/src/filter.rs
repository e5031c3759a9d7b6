//! The kernel-side filter from `--pid`, `--comm` and `--cgroup`.

use std::{os::unix::fs::MetadataExt, path::Path};

use sonde_common::{Filter, COMM_LEN};

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum FilterError {
    #[error("--comm {0:?}: a command name is 1 to {max} bytes (the kernel's comm)", max = COMM_LEN - 1)]
    CommLength(String),
    #[error("--cgroup {0:?}: not a cgroup v2 directory or id ({1})")]
    Cgroup(String, String),
    #[error("--pid 0 matches nothing")]
    PidZero,
}

const CGROUP_ROOT: &str = "/sys/fs/cgroup";

/// Builds the filter; `agent_tgid` is this process, never reported.
pub fn build(
    pid: Option<u32>,
    comm: Option<&str>,
    cgroup: Option<&str>,
    agent_tgid: u32,
) -> Result<Filter, FilterError> {
    let mut filter = Filter {
        agent_tgid,
        ..Filter::default()
    };
    if let Some(pid) = pid {
        if pid == 0 {
            return Err(FilterError::PidZero);
        }
        filter.tgid = pid;
    }
    if let Some(comm) = comm {
        let bytes = comm.as_bytes();
        if bytes.is_empty() || bytes.len() >= COMM_LEN {
            return Err(FilterError::CommLength(comm.to_string()));
        }
        filter.comm[..bytes.len()].copy_from_slice(bytes);
        filter.has_comm = 1;
    }
    if let Some(cgroup) = cgroup {
        filter.cgroup_id = cgroup_id(cgroup)?;
    }
    Ok(filter)
}

/// A cgroup v2 id: given as a number, or the inode of the cgroup's directory
/// (absolute, or relative to /sys/fs/cgroup).
fn cgroup_id(spec: &str) -> Result<u64, FilterError> {
    if let Ok(id) = spec.parse::<u64>() {
        return Ok(id);
    }
    let path = Path::new(spec);
    let path = if path.is_absolute() {
        path.to_path_buf()
    } else {
        Path::new(CGROUP_ROOT).join(path)
    };
    let metadata = std::fs::metadata(&path)
        .map_err(|e| FilterError::Cgroup(spec.to_string(), e.to_string()))?;
    if !metadata.is_dir() {
        return Err(FilterError::Cgroup(
            spec.to_string(),
            "not a directory".into(),
        ));
    }
    Ok(metadata.ino())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builds_a_filter() {
        let filter = build(Some(12), Some("gunicorn"), Some("4242"), 7).unwrap();
        assert_eq!(filter.tgid, 12);
        assert_eq!(filter.has_comm, 1);
        assert_eq!(&filter.comm[..9], b"gunicorn\0");
        assert_eq!(filter.cgroup_id, 4242);
        assert_eq!(filter.agent_tgid, 7);
    }

    #[test]
    fn refuses_impossible_filters() {
        assert_eq!(build(Some(0), None, None, 1), Err(FilterError::PidZero));
        assert!(matches!(
            build(None, Some("a-name-longer-than-15"), None, 1),
            Err(FilterError::CommLength(_))
        ));
        assert!(matches!(
            build(None, Some(""), None, 1),
            Err(FilterError::CommLength(_))
        ));
        assert!(matches!(
            build(None, None, Some("/no/such/cgroup"), 1),
            Err(FilterError::Cgroup(..))
        ));
    }
}
