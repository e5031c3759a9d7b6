//! The host the agent runs on: the `host.name` and `host.id` of every
//! resource it reports. The agent shares the host's UTS and mount
//! namespaces (as it does its pid namespace), so its view is the host's.

use std::path::Path;

/// Where systemd (and, on older systems, D-Bus) keep the machine id.
const MACHINE_ID_FILES: [&str; 2] = ["/etc/machine-id", "/var/lib/dbus/machine-id"];

/// This host's name (`host.name`); `localhost` when the kernel has none.
pub fn name() -> String {
    first_line(Path::new("/proc/sys/kernel/hostname")).unwrap_or_else(|| "localhost".to_owned())
}

/// This host's machine id (`host.id`), if the system has one.
pub fn id() -> Option<String> {
    MACHINE_ID_FILES
        .iter()
        .find_map(|path| first_line(Path::new(path)))
}

/// The trimmed first line of a small file; None when missing or blank.
fn first_line(path: &Path) -> Option<String> {
    let text = std::fs::read_to_string(path).ok()?;
    let line = text.lines().next()?.trim();
    (!line.is_empty()).then(|| line.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn this_host_has_a_name() {
        let name = name();
        assert!(!name.is_empty() && !name.contains('\n'));
    }

    #[test]
    fn a_blank_file_is_no_value() {
        let dir = std::env::temp_dir().join(format!("sonde-host-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let blank = dir.join("blank");
        std::fs::write(&blank, "\n  \n").unwrap();
        assert_eq!(first_line(&blank), None);
        let id = dir.join("id");
        std::fs::write(&id, "0123abcd\n").unwrap();
        assert_eq!(first_line(&id).as_deref(), Some("0123abcd"));
        assert_eq!(first_line(&dir.join("missing")), None);
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
